/**
 * Reader of fluid-cylinder trajectories (written by `gnnwb simulate` kind `fluid-cylinder`,
 * see simulate.ts): the API the MeshGraphNets trainer uses.
 *
 * ```ts
 * const tr = await readFluidTrajectory('runs/cyl/traj-000.h5');
 * tr.numNodes, tr.numFrames, tr.dt, tr.nu, tr.uMax       // metadata
 * tr.meshPos   // Float32Array [N*2]      tr.cells    // Int32Array [C*3]
 * tr.nodeType  // Int32Array [N] (MeshGraphNets NodeType: 0 normal, 1 obstacle, 4 inflow, 5 outflow, 6 wall)
 * tr.velocityAt(t)  // Float32Array [N*2] view of frame t      tr.pressureAt(t) // [N]
 * const files = listFluidTrajectories('runs/cyl');        // sorted traj-*.h5 paths
 * ```
 * Frames are `dt` apart in time (solver steps × saveEvery). Velocity and pressure are float32;
 * pressure is kinematic (p/ρ, ρ = 1) with p = 0 on the outflow.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset, requireArray } from '../../io/dataset.js';
import { FileFormatError } from '../../util/errors.js';
import type { Circle } from '../../geometry/trimesh/index.js';

export interface FluidTrajectory {
  readonly path: string;
  readonly numNodes: number;
  readonly numCells: number;
  readonly numFrames: number;
  /** Time between saved frames. */
  readonly dt: number;
  /** Kinematic viscosity. */
  readonly nu: number;
  /** Peak inflow speed and mean inflow speed (2/3 of peak). */
  readonly uMax: number;
  readonly uMean: number;
  readonly reynolds: number;
  readonly obstacles: readonly Circle[];
  readonly channel: { readonly length: number; readonly height: number };
  /** [N*2] node positions. */
  readonly meshPos: Float32Array;
  /** [C*3] triangles. */
  readonly cells: Int32Array;
  /** [N] node types. */
  readonly nodeType: Int32Array;
  /** [T*N*2] all velocity frames. */
  readonly velocity: Float32Array;
  /** [T*N] all pressure frames. */
  readonly pressure: Float32Array;
  /** [T*K*2] drag and lift coefficients per obstacle. */
  readonly forces: Float64Array;
  /** [T] frame times. */
  readonly time: Float64Array;
  /** Every manifest attribute (units, solver, mesh quality, …). */
  readonly attributes: Readonly<Record<string, unknown>>;
  velocityAt(t: number): Float32Array;
  pressureAt(t: number): Float32Array;
}

/** Reads and validates one trajectory file (sha256 of every array checked unless verify: false). */
export async function readFluidTrajectory(path: string, opts: { verify?: boolean } = {}): Promise<FluidTrajectory> {
  const ds = await readDataset(path, { verify: opts.verify ?? true });
  if (ds.manifest.simulator !== 'fluid-cylinder') throw new FileFormatError(path, "a dataset of simulator 'fluid-cylinder'", `simulator '${ds.manifest.simulator}'`);
  const pos = requireArray(ds, 'mesh_pos', 'float32', [-1, 2]);
  const n = pos.shape[0];
  const cells = requireArray(ds, 'cells', 'int32', [-1, 3]);
  const nodeType = requireArray(ds, 'node_type', 'int32', [n]);
  const vel = requireArray(ds, 'velocity', 'float32', [-1, n, 2]);
  const T = vel.shape[0];
  const pres = requireArray(ds, 'pressure', 'float32', [T, n]);
  const forces = requireArray(ds, 'forces', 'float64', [T, -1, 2]);
  const time = requireArray(ds, 'time', 'float64', [T, 1]);
  const a = ds.manifest.attributes as Record<string, unknown>;
  const numAttr = (k: string) => {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FileFormatError(path, `a numeric attribute '${k}'`, String(v));
    return v;
  };
  for (let i = 0; i < cells.data.length; i++) if (cells.data[i] < 0 || cells.data[i] >= n) throw new FileFormatError(path, `cells with node ids in [0, ${n})`, `${cells.data[i]} at ${i}`);
  return {
    path,
    numNodes: n,
    numCells: cells.shape[0],
    numFrames: T,
    dt: numAttr('dt'),
    nu: numAttr('nu'),
    uMax: numAttr('uMax'),
    uMean: numAttr('uMean'),
    reynolds: numAttr('reynolds'),
    obstacles: a.obstacles as Circle[],
    channel: a.channel as { length: number; height: number },
    meshPos: pos.data,
    cells: cells.data,
    nodeType: nodeType.data,
    velocity: vel.data,
    pressure: pres.data,
    forces: forces.data,
    time: time.data,
    attributes: a,
    velocityAt: (t) => vel.data.subarray(t * n * 2, (t + 1) * n * 2),
    pressureAt: (t) => pres.data.subarray(t * n, (t + 1) * n),
  };
}

/** Sorted paths of the `traj-*.h5` files in a folder. */
export function listFluidTrajectories(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^traj-\d+\.h5$/.test(f)).sort().map((f) => join(dir, f));
}
