/**
 * `gnnwb bench fluid`: solver cost per time step on Schäfer–Turek channel meshes of about
 * 2k, 8k and 32k nodes (uniform size, cylinder r = 0.05), Re 100 inflow, started from rest.
 * Reports ms per step (median over the measured steps after warm-up), CG iterations of each
 * stage, and the growth exponent of cost vs node count (1 = linear). All sizes run in the same
 * invocation, so ratios between them are meaningful even on a loaded machine; absolute times
 * are not.
 */
import { channelMesh, estimateNodes, meshQuality } from '../../geometry/trimesh/index.js';
import { CylinderSim, SCHAEFER_TUREK_2D2 } from './cylinder.js';

export interface FluidBenchSize {
  readonly targetNodes: number;
  readonly nodes: number;
  readonly triangles: number;
  readonly h: number;
  readonly meshMs: number;
  readonly setupMs: number;
  readonly msPerStep: number;
  readonly stepsMs: number[];
  readonly velocityIterations: number;
  readonly pressureIterations: number;
  readonly projectionIterations: number;
  /** msPerStep / nodes, in microseconds per node. */
  readonly usPerNode: number;
  readonly minAngleDeg: number;
}

export interface FluidBenchResult {
  readonly bench: 'fluid';
  readonly description: string;
  readonly steps: number;
  readonly warmup: number;
  readonly sizes: FluidBenchSize[];
  /** Least-squares slope of log(ms/step) vs log(nodes). */
  readonly growthExponent: number;
  readonly caveat: string;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Runs the benchmark; `log` gets one line per size. */
export function runFluidBench(o: { sizes?: number[]; steps?: number; warmup?: number; log?: (s: string) => void } = {}): FluidBenchResult {
  const sizes = o.sizes ?? [2000, 8000, 32000];
  const steps = o.steps ?? 10, warmup = o.warmup ?? 3;
  const out: FluidBenchSize[] = [];
  for (const target of sizes) {
    const geom = { length: 2.2, height: 0.41, obstacles: SCHAEFER_TUREK_2D2.obstacles };
    // uniform size h: estimate, build once, correct once by the measured count
    let h = Math.sqrt(estimateNodes({ ...geom, hMin: 0.01, hMax: 0.01 }) / target) * 0.01;
    // at least 12 nodes on the cylinder for very coarse sizes
    const hMinOf = (hh: number) => Math.min(hh, (2 * Math.PI * 0.05) / 12);
    let t0 = performance.now();
    let mesh = channelMesh({ ...geom, hMin: hMinOf(h), hMax: h, seed: 1 });
    h *= Math.sqrt(mesh.numNodes / target);
    t0 = performance.now();
    mesh = channelMesh({ ...geom, hMin: hMinOf(h), hMax: h, seed: 1 });
    const meshMs = performance.now() - t0;
    // Courant number 0.5 at 1.5·U_max
    const dt = (0.5 * hMinOf(h)) / (1.5 * SCHAEFER_TUREK_2D2.uMax);
    t0 = performance.now();
    const sim = new CylinderSim({ ...SCHAEFER_TUREK_2D2, hMin: hMinOf(h), hMax: h, dt, streamlineDiffusion: 0, pressureRtol: 1e-6 }, mesh);
    const setupMs = performance.now() - t0;
    for (let s = 0; s < warmup; s++) sim.step();
    const times: number[] = [];
    let vi = 0, pi = 0, qi = 0;
    for (let s = 0; s < steps; s++) {
      const a = performance.now();
      const st = sim.solver.step();
      times.push(performance.now() - a);
      vi += st.velocityIterations;
      pi += st.pressureIterations;
      qi += st.projectionIterations;
    }
    const ms = median(times);
    const row: FluidBenchSize = {
      targetNodes: target,
      nodes: mesh.numNodes,
      triangles: mesh.numTriangles,
      h,
      meshMs,
      setupMs,
      msPerStep: ms,
      stepsMs: times,
      velocityIterations: vi / steps,
      pressureIterations: pi / steps,
      projectionIterations: qi / steps,
      usPerNode: (1000 * ms) / mesh.numNodes,
      minAngleDeg: meshQuality(mesh).minAngleDeg,
    };
    out.push(row);
    o.log?.(`bench fluid: ${row.nodes} nodes: ${ms.toFixed(1)} ms/step (${row.usPerNode.toFixed(2)} µs/node), CG its: velocity ${row.velocityIterations.toFixed(0)}, pressure ${row.pressureIterations.toFixed(0)}, projection ${row.projectionIterations.toFixed(0)}; mesh ${meshMs.toFixed(0)} ms, setup ${setupMs.toFixed(0)} ms`);
  }
  const xs = out.map((r) => Math.log(r.nodes)), ys = out.map((r) => Math.log(r.msPerStep));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return {
    bench: 'fluid',
    description: 'NS solver cost per step (P1-P1 projection, Jacobi-PCG), Schäfer–Turek channel, uniform meshes, Courant 0.5',
    steps,
    warmup,
    sizes: out,
    growthExponent: den > 0 ? num / den : NaN,
    caveat: 'one process on a shared machine: compare sizes within this run, not absolute times across runs',
  };
}
