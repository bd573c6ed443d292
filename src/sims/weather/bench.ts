/**
 * `gnnwb bench sphere`: connectivity build time (level-6 multimesh + grid2mesh + mesh2grid for
 * a 1° grid) and shallow-water cost per step at levels 4–6, as JSON.
 *
 * Peer in the same run: grid2mesh through the spatial index vs an all-pairs loop on a smaller
 * problem (level 4, 2° grid), so the index's speed-up is a ratio measured under the same load.
 * All times are wall-clock on a shared machine: compare ratios, not absolute numbers.
 */
import os from 'node:os';
import { latLonGrid } from '../../geometry/sphere/latlon_grid.js';
import { multimesh, icosahedralMesh, numMeshVertices } from '../../geometry/sphere/icosahedral_mesh.js';
import { grid2meshEdges, maxEdgeLength, mesh2gridEdges } from '../../geometry/sphere/grid_mesh_connectivity.js';
import { solverGeometry, defaultNu4 } from './cases.js';
import { ShallowWaterSolver } from './swe.js';
import { williamsonTC5 } from './williamson.js';

export interface SphereBenchResult {
  readonly connectivity: {
    readonly level: number; readonly gridResolutionDeg: number;
    readonly multimeshMs: number; readonly gridMs: number; readonly grid2meshMs: number; readonly mesh2gridMs: number; readonly totalMs: number;
    readonly meshVertices: number; readonly multimeshEdges: number; readonly gridPoints: number; readonly grid2meshEdges: number; readonly mesh2gridEdges: number;
  };
  readonly indexPeer: { readonly problem: string; readonly indexedMs: number; readonly allPairsMs: number; readonly speedup: number; readonly sameEdges: boolean };
  readonly solver: { level: number; cells: number; geometryMs: number; dt: number; msPerStep: number; cpuMsPerStep: number; nsPerCellStep: number; steps: number }[];
  readonly environment: { readonly node: string; readonly cpus: number; readonly loadavg: number[]; readonly note: string };
}

const median = (x: number[]): number => { const s = [...x].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export function runSphereBench(opts: { levels?: readonly number[]; steps?: number; connectivityLevel?: number; gridResolutionDeg?: number } = {}): SphereBenchResult {
  const L = opts.connectivityLevel ?? 6, res = opts.gridResolutionDeg ?? 1;
  let t = performance.now();
  const mm = multimesh(L);
  const multimeshMs = performance.now() - t;
  t = performance.now();
  const grid = latLonGrid({ resolutionDeg: res });
  const gridMs = performance.now() - t;
  t = performance.now();
  const g2m = grid2meshEdges(grid.points, mm.mesh);
  const grid2meshMs = performance.now() - t;
  t = performance.now();
  const m2g = mesh2gridEdges(grid.points, mm.mesh);
  const mesh2gridMs = performance.now() - t;

  // peer: all-pairs radius query on a smaller problem
  const pm = icosahedralMesh(4), pg = latLonGrid({ resolutionDeg: 2 });
  t = performance.now();
  const pe = grid2meshEdges(pg.points, pm);
  const indexedMs = performance.now() - t;
  t = performance.now();
  const r = 0.6 * maxEdgeLength(pm), r2 = r * r, v = pm.vertices, p = pg.points;
  let count = 0;
  for (let i = 0; i < p.length / 3; i++) for (let m = 0; m < numMeshVertices(pm); m++) {
    const dx = p[3 * i] - v[3 * m], dy = p[3 * i + 1] - v[3 * m + 1], dz = p[3 * i + 2] - v[3 * m + 2];
    if (dx * dx + dy * dy + dz * dz <= r2) count++;
  }
  const allPairsMs = performance.now() - t;

  const solver: SphereBenchResult['solver'] = [];
  for (const level of opts.levels ?? [4, 5, 6]) {
    t = performance.now();
    const geo = solverGeometry(level);
    const geometryMs = performance.now() - t;
    const ic = williamsonTC5(geo);
    const probe = new ShallowWaterSolver(geo, { topography: ic.b });
    const dt = probe.stableDt(probe.init(ic.h, ic.u), 0.64);
    const sw = new ShallowWaterSolver(geo, { topography: ic.b, nu4: defaultNu4(5, geo, dt) });
    const s = sw.init(ic.h, ic.u);
    sw.stepInPlace(s, dt); // warm-up
    sw.stepInPlace(s, dt);
    const times: number[] = [];
    const steps = opts.steps ?? 10;
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < steps; k++) { const t0 = performance.now(); sw.stepInPlace(s, dt); times.push(performance.now() - t0); }
    const cpu = process.cpuUsage(cpu0);
    const ms = median(times);
    // CPU time of this process is much less disturbed by other processes than wall-clock time
    const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
    solver.push({ level, cells: geo.numCells, geometryMs, dt, msPerStep: ms, cpuMsPerStep: cpuMs, nsPerCellStep: (cpuMs * 1e6) / geo.numCells, steps });
  }
  return {
    connectivity: {
      level: L, gridResolutionDeg: res, multimeshMs, gridMs, grid2meshMs, mesh2gridMs, totalMs: multimeshMs + gridMs + grid2meshMs + mesh2gridMs,
      meshVertices: numMeshVertices(mm.mesh), multimeshEdges: mm.edges.senders.length, gridPoints: grid.points.length / 3,
      grid2meshEdges: g2m.gridIndices.length, mesh2gridEdges: m2g.gridIndices.length,
    },
    indexPeer: { problem: 'grid2mesh, level-4 mesh, 2° grid', indexedMs, allPairsMs, speedup: allPairsMs / indexedMs, sameEdges: count === pe.gridIndices.length },
    solver,
    environment: { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), note: 'msPerStep: median wall-clock; cpuMsPerStep and nsPerCellStep: this process\'s CPU time (less disturbed by load); shared machine; one RK4 step = 4 tendency evaluations; solver geometryMs includes Lloyd relaxation of the grid' },
  };
}
