/**
 * CylinderFlow-like trajectories for MeshGraphNets, produced by FLUID's incompressible NS
 * solver (`src/sims/fluid`) on one channel mesh with a cylinder, and stored as a small binary
 * file + JSON header (this module's own format, until FLUID's dataset reader lands; the
 * trainer reads through {@link MgnDataset}, so a second source only needs an adapter).
 *
 * Trajectories differ by the peak inflow speed U_max (Re = Ū D / ν with Ū = 2/3 U_max). Each
 * starts from rest, is advanced `warmupSteps` solver steps, then records `frames` frames every
 * `stride` solver steps (frame Δt = stride · dt). The mesh and the node types are shared.
 *
 * File layout (`<path>.json` header, `<path>.bin` little-endian float32 frames, trajectory-
 * major: traj 0 frame 0 [N*2], traj 0 frame 1, …; `<path>.mesh.json` the mesh itself: the
 * mesh generator may change its node order between versions, so frames are only meaningful
 * with the mesh they were computed on).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { channelMesh, triangleEdges, type TriMesh } from '../geometry/trimesh/index.js';
import { CylinderSim, SCHAEFER_TUREK_2D2, type CylinderCase } from '../sims/fluid/cylinder.js';
import { checkConvectiveCourant } from '../sims/fluid/config.js';
import { FileFormatError, ConfigError, describe } from '../util/errors.js';
import type { MgnMesh } from '../models/meshgraphnet.js';

/** Generation config (plain JSON). */
export interface MgnDataConfig {
  readonly hMin: number;
  readonly hMax: number;
  /** Solver Δt. */
  readonly dt: number;
  readonly stride: number;
  readonly warmupSteps: number;
  readonly frames: number;
  /** One trajectory per U_max. */
  readonly uMaxTrain: readonly number[];
  readonly uMaxTest: readonly number[];
  readonly meshSeed?: number;
}

export const MGN_DATA_DEFAULTS: MgnDataConfig = Object.freeze({
  hMin: 0.007,
  hMax: 0.025,
  // Courant 1.5·U_max·dt/hMin = 0.54 at U_max 2 (the solver's limit is 0.8, sims/fluid/config.ts)
  dt: 0.00125,
  stride: 8,
  warmupSteps: 2000,
  frames: 101,
  uMaxTrain: [1.2, 1.5, 1.8],
  uMaxTest: [1.35],
  // Seed 0 of the channel mesh generator gives a mesh on which the pressure CG fails at step 0
  // (reported to FLUID); seed 1 works.
  meshSeed: 1,
});

/** One stored trajectory. */
export interface MgnTrajectory {
  readonly uMax: number;
  readonly split: 'train' | 'test';
  /** [frames] velocity [N*2] per frame. */
  readonly frames: Float32Array[];
  /** Solver wall time per frame (ms), measured while generating. */
  readonly solverMsPerFrame: number;
}

/** A dataset in memory. */
export interface MgnDataset {
  readonly config: MgnDataConfig;
  readonly mesh: TriMesh;
  readonly graph: MgnMesh;
  /** [N] 1 where the solver prescribes the velocity (walls, inflow, obstacle). */
  readonly velocityFixed: Uint8Array;
  /** [N] 1 where p = 0 (outflow). */
  readonly pressureFixed: Uint8Array;
  readonly trajectories: MgnTrajectory[];
  /** Frame spacing in time units. */
  readonly frameDt: number;
}

function cylinderCase(c: MgnDataConfig, uMax: number): CylinderCase {
  return { ...SCHAEFER_TUREK_2D2, hMin: c.hMin, hMax: c.hMax, dt: c.dt, uMax, meshSeed: c.meshSeed };
}

/** The channel mesh of a config (deterministic in the config). */
export function mgnMesh(c: MgnDataConfig): TriMesh {
  const k = cylinderCase(c, 1);
  return channelMesh({ length: k.length, height: k.height, obstacles: k.obstacles, hMin: k.hMin, hMax: k.hMax, grading: k.grading, seed: k.meshSeed });
}

/** Runs the solver for one trajectory on `mesh`. */
export function simulateTrajectory(c: MgnDataConfig, mesh: TriMesh, uMax: number, split: 'train' | 'test', log?: (s: string) => void): MgnTrajectory {
  const sim = new CylinderSim(cylinderCase(c, uMax), mesh);
  for (let k = 0; k < c.warmupSteps; k++) sim.solver.step();
  const frames: Float32Array[] = [Float32Array.from(sim.solver.u)];
  const t0 = performance.now();
  for (let f = 1; f < c.frames; f++) {
    for (let k = 0; k < c.stride; k++) sim.solver.step();
    frames.push(Float32Array.from(sim.solver.u));
  }
  const ms = (performance.now() - t0) / Math.max(1, c.frames - 1);
  log?.(`uMax ${uMax}: ${c.frames} frames, solver ${ms.toFixed(1)} ms/frame`);
  return { uMax, split, frames, solverMsPerFrame: ms };
}

function assemble(c: MgnDataConfig, mesh: TriMesh, trajectories: MgnTrajectory[]): MgnDataset {
  const { senders, receivers } = triangleEdges(mesh.triangles, mesh.numNodes);
  const sim = new CylinderSim(cylinderCase(c, 1), mesh);
  return {
    config: c,
    mesh,
    graph: { meshPos: mesh.positions, nodeType: mesh.nodeTypes, senders, receivers },
    velocityFixed: sim.solver.bc.velocityFixed,
    pressureFixed: sim.solver.bc.pressureFixed,
    trajectories,
    frameDt: c.dt * c.stride,
  };
}

/** Generates every trajectory of a config. */
export function generateMgnDataset(c: MgnDataConfig, log?: (s: string) => void): MgnDataset {
  checkConfig(c);
  const mesh = mgnMesh(c);
  log?.(`mesh: ${mesh.numNodes} nodes, ${mesh.numTriangles} triangles`);
  const trajectories = [
    ...c.uMaxTrain.map((u) => simulateTrajectory(c, mesh, u, 'train', log)),
    ...c.uMaxTest.map((u) => simulateTrajectory(c, mesh, u, 'test', log)),
  ];
  return assemble(c, mesh, trajectories);
}

function checkConfig(c: MgnDataConfig): void {
  for (const k of ['hMin', 'hMax', 'dt'] as const) if (!(c[k] > 0)) throw new ConfigError(`data.${k}`, 'a positive number', describe(c[k]));
  for (const k of ['stride', 'frames'] as const) if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new ConfigError(`data.${k}`, 'a positive integer', describe(c[k]));
  if (!(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0)) throw new ConfigError('data.warmupSteps', 'an integer >= 0', describe(c.warmupSteps));
  for (const k of ['uMaxTrain', 'uMaxTest'] as const) if (!Array.isArray(c[k])) throw new ConfigError(`data.${k}`, 'an array of peak inflow speeds', describe(c[k]));
  for (const u of [...c.uMaxTrain, ...c.uMaxTest]) {
    if (!(u > 0)) throw new ConfigError('data.uMax', 'positive peak inflow speeds', describe(u));
    checkConvectiveCourant('data.dt', u, c.dt, c.hMin);
  }
}

/** Writes `<path>.json` + `<path>.bin` + `<path>.mesh.json`, each through a temporary file and a rename. */
export function saveMgnDataset(path: string, d: MgnDataset): void {
  const N = d.mesh.numNodes;
  const header = {
    format: 'gnnwb-mgn-cylinder/1',
    config: d.config,
    numNodes: N,
    trajectories: d.trajectories.map((t) => ({ uMax: t.uMax, split: t.split, frames: t.frames.length, solverMsPerFrame: t.solverMsPerFrame })),
  };
  const total = d.trajectories.reduce((s, t) => s + t.frames.length, 0);
  const bin = new Float32Array(total * N * 2);
  let off = 0;
  for (const t of d.trajectories) for (const f of t.frames) {
    bin.set(f, off);
    off += f.length;
  }
  writeFileAtomic(`${path}.bin`, new Uint8Array(bin.buffer));
  const m = d.mesh;
  writeFileAtomic(`${path}.mesh.json`, JSON.stringify({
    numNodes: m.numNodes, numTriangles: m.numTriangles, positions: Array.from(m.positions), triangles: Array.from(m.triangles),
    nodeTypes: Array.from(m.nodeTypes), sides: Array.from(m.sides), obstacleId: Array.from(m.obstacleId), domain: m.domain,
  }));
  // the header last: a killed run leaves no header, so the data is regenerated, never half-read
  writeFileAtomic(`${path}.json`, JSON.stringify(header, null, 1));
}

/** Reads a dataset written by {@link saveMgnDataset}; the mesh is rebuilt from the config. */
export function loadMgnDataset(path: string): MgnDataset {
  if (!existsSync(`${path}.json`) || !existsSync(`${path}.bin`)) throw new FileFormatError(path, 'a .json header and a .bin file', 'missing files', 'Generate it with `gnnwb train` (kind fluid-mgn) or generateMgnDataset');
  const header = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
  if (header.format !== 'gnnwb-mgn-cylinder/1') throw new FileFormatError(`${path}.json`, "format 'gnnwb-mgn-cylinder/1'", JSON.stringify(header.format));
  const c = header.config as MgnDataConfig;
  // A file written before the generator checked the solver's stability limit may hold invalid frames.
  try {
    checkConfig(c);
  } catch (e) {
    throw new FileFormatError(`${path}.json`, 'frames generated within the solver\'s stability limit', (e as Error).message, 'Regenerate the dataset with a smaller dt (and a larger stride for the same frame spacing)');
  }
  let mesh: TriMesh;
  if (existsSync(`${path}.mesh.json`)) {
    const j = JSON.parse(readFileSync(`${path}.mesh.json`, 'utf8'));
    mesh = {
      numNodes: j.numNodes, numTriangles: j.numTriangles, positions: Float64Array.from(j.positions), triangles: Int32Array.from(j.triangles),
      nodeTypes: Int32Array.from(j.nodeTypes), sides: Int32Array.from(j.sides), obstacleId: Int32Array.from(j.obstacleId), domain: j.domain,
    };
  } else {
    // Older files without the mesh: rebuild it (valid only if the generator is unchanged).
    mesh = mgnMesh(c);
  }
  const N = mesh.numNodes;
  if (N !== header.numNodes) throw new FileFormatError(`${path}.json`, `numNodes ${N} (rebuilt mesh)`, String(header.numNodes), 'The mesh generator changed since the file was written; regenerate');
  const buf = readFileSync(`${path}.bin`);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let off = 0;
  const trajectories: MgnTrajectory[] = [];
  for (const t of header.trajectories as { uMax: number; split: 'train' | 'test'; frames: number; solverMsPerFrame: number }[]) {
    const frames: Float32Array[] = [];
    for (let f = 0; f < t.frames; f++) {
      frames.push(Float32Array.from(all.subarray(off, off + 2 * N)));
      off += 2 * N;
    }
    trajectories.push({ uMax: t.uMax, split: t.split, frames, solverMsPerFrame: t.solverMsPerFrame });
  }
  if (off !== all.length) throw new FileFormatError(`${path}.bin`, `${off} float32 values`, `${all.length}`);
  return assemble(c, mesh, trajectories);
}
