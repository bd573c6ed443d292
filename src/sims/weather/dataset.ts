/**
 * Weather-like shallow-water trajectories in the workbench dataset format, and the reader API
 * for the GraphCast-style surrogate.
 *
 * File layout (one HDF5 file, see docs/dataset-format.md and docs/weather.md):
 * ```
 * weather.h5                                  (simulator "weather-swe")
 * ├── h           float32 [T, nLat, nLon]    fluid depth (m)
 * ├── u           float32 [T, nLat, nLon]    eastward wind (m/s)
 * ├── v           float32 [T, nLat, nLon]    northward wind (m/s)
 * ├── time        float64 [T, 1]             simulated time since the trajectory start (s)
 * ├── mass        float64 [T, 1]             Σ A_i h_i on the solver grid (m³)
 * ├── energy      float64 [T, 1]             total energy on the solver grid (m⁵ s⁻²)
 * ├── topography  float32 [numTrajectories, nLat, nLon]   b (m)
 * ├── lat         float64 [nLat]  degrees     lon float64 [nLon] degrees
 * └── @gnnwb_manifest  attributes: framesPerTrajectory, numTrajectories, sampleHours, level,
 *                      grid, units, labels (what initial state each trajectory got), dt, nu4
 * ```
 * Frame f belongs to trajectory ⌊f / framesPerTrajectory⌋. Frames are 6-hourly by default
 * (configurable); the first frame of each trajectory is its initial state.
 *
 * Fields are interpolated from the solver's cells to the lat-lon grid with mesh2grid barycentric
 * weights (grid_mesh_connectivity.ts). Resume: the run writes frames through TrajectoryWriter;
 * after a kill, `resume` re-simulates the interrupted trajectory from its (seeded, recomputed)
 * initial state up to the last committed frame — the solver is deterministic, so the continued
 * file is identical to an uninterrupted one.
 */
import { Rng } from '../../engine/rng.js';
import { latLonGrid, type LatLonGrid } from '../../geometry/sphere/latlon_grid.js';
import { mesh2gridEdges, interpolateMeshToGrid } from '../../geometry/sphere/grid_mesh_connectivity.js';
import { arr, bool, num, obj, str, literal, parseConfig, type SchemaOut } from '../../config/schema.js';
import { readDataset, requireArray, type Dataset } from '../../io/dataset.js';
import { TrajectoryWriter } from '../../io/trajectory.js';
import { ConfigError, FileFormatError } from '../../util/errors.js';
import { solverGeometry, solverMesh, defaultNu4 } from './cases.js';
import { randomInitialState, type InitialKind } from './initial_states.js';
import { invariants } from './observables.js';
import { ShallowWaterSolver, type SweState } from './swe.js';
import { DAY, WEATHER_UNITS } from './units.js';
import { eastNorth } from './williamson.js';

export const WEATHER_SIMULATOR = 'weather-swe';

/** Config schema of `gnnwb simulate` with `{"kind": "weather-swe", …}`. */
export const weatherConfigSchema = obj({
  kind: literal('weather-swe'),
  /** Solver grid level (icosahedral, Lloyd-relaxed): 10·4^level + 2 cells. */
  level: num({ integer: true, min: 2, max: 7, default: 4 }),
  /** Output lat-lon grid spacing (degrees). */
  gridResolutionDeg: num({ min: 0.25, max: 30, default: 5 }),
  poles: str({ oneOf: ['include', 'exclude'], default: 'include' }),
  trajectories: num({ integer: true, min: 1, max: 100000, default: 4 }),
  /** Simulated days per trajectory. */
  days: num({ min: 0.25, max: 365, default: 5 }),
  /** Sampling interval (simulated hours). */
  sampleHours: num({ min: 0.25, max: 240, default: 6 }),
  seed: num({ integer: true, min: 0, default: 0 }),
  initialKinds: arr(str({ oneOf: ['jet', 'rossby-haurwitz', 'bumps'] }), { minLength: 1, default: ['jet', 'rossby-haurwitz', 'bumps'] }),
  mountainProbability: num({ min: 0, max: 1, default: 0.5 }),
  /** Courant number of the RK4 step. */
  cfl: num({ min: 0.05, max: 1.2, default: 0.6 }),
  /** Hyperdiffusion ν4 (m⁴/s); -1 = the default of the nonlinear Williamson cases. */
  nu4: num({ min: -1, default: -1 }),
  /** Output file name inside the run folder. */
  output: str({ default: 'weather.h5', pattern: /^[A-Za-z0-9_.-]+\.h5$/ }),
  /** Store float64 on the solver grid too (h_cells, u_cells) — large; for solver comparisons. */
  saveCells: bool({ default: false }),
});

export type WeatherConfig = SchemaOut<typeof weatherConfigSchema>;

export function parseWeatherConfig(raw: unknown): WeatherConfig {
  return parseConfig(weatherConfigSchema, raw);
}

export interface SimulateProgress {
  (framesDone: number, framesTotal: number, status: string): void;
}

/**
 * Runs the config's trajectories and writes the dataset to `outPath` (atomic; resumable).
 * @returns frames written in this call
 */
export async function simulateWeatherDataset(config: WeatherConfig, outPath: string, opts: { resume?: boolean; overwrite?: boolean; onProgress?: SimulateProgress; created?: string } = {}): Promise<number> {
  const geo = solverGeometry(config.level);
  const mesh = solverMesh(config.level);
  const grid = latLonGrid({ resolutionDeg: config.gridResolutionDeg, poles: config.poles as 'include' | 'exclude' });
  const m2g = mesh2gridEdges(grid.points, mesh);
  const nG = grid.nLat * grid.nLon;
  const framesPer = Math.round((config.days * 24) / config.sampleHours) + 1;
  if (Math.abs((framesPer - 1) * config.sampleHours - config.days * 24) > 1e-9) {
    throw new ConfigError('sampleHours', `a divisor of days·24 = ${config.days * 24}`, String(config.sampleHours));
  }
  const total = framesPer * config.trajectories;
  const rng = new Rng(config.seed);
  // initial states are drawn up front (cheap) so topography is a static array and resume can recompute them
  const inits = Array.from({ length: config.trajectories }, (_, k) => randomInitialState(geo, rng.fork(`trajectory-${k}`), { kinds: config.initialKinds as InitialKind[], mountainProbability: config.mountainProbability }));
  const topo = new Float32Array(config.trajectories * nG);
  for (let k = 0; k < inits.length; k++) topo.set(interpolateMeshToGrid(m2g, inits[k].b, 1, new Float32Array(nG)), k * nG);
  const shape = [grid.nLat, grid.nLon];
  const writer = await TrajectoryWriter.open(outPath, {
    simulator: WEATHER_SIMULATOR, config, seed: config.seed,
    frameArrays: {
      h: { dtype: 'float32', shape }, u: { dtype: 'float32', shape }, v: { dtype: 'float32', shape },
      time: { dtype: 'float64', shape: [1] }, mass: { dtype: 'float64', shape: [1] }, energy: { dtype: 'float64', shape: [1] },
      ...(config.saveCells ? { h_cells: { dtype: 'float64' as const, shape: [geo.numCells] }, u_cells: { dtype: 'float64' as const, shape: [geo.numCells, 3] } } : {}),
    },
    staticArrays: {
      topography: { data: topo, shape: [config.trajectories, grid.nLat, grid.nLon] },
      lat: { data: Float64Array.from(grid.latDeg), shape: [grid.nLat] },
      lon: { data: Float64Array.from(grid.lonDeg), shape: [grid.nLon] },
    },
    attributes: {
      units: WEATHER_UNITS, framesPerTrajectory: framesPer, numTrajectories: config.trajectories,
      sampleHours: config.sampleHours, level: config.level, numCells: geo.numCells,
      grid: { nLat: grid.nLat, nLon: grid.nLon, resolutionDeg: config.gridResolutionDeg, poles: config.poles, layout: 'row-major [lat ascending from -90, lon from 0 east]' },
      labels: inits.map((x) => x.label),
      solver: 'finite volume on the Voronoi dual of a Lloyd-relaxed icosahedral grid, RK4 (docs/weather.md)',
    },
  }, { resume: opts.resume, overwrite: opts.overwrite });
  const start = writer.committedFrames;
  const hG = new Float32Array(nG), uG = new Float32Array(nG), vG = new Float32Array(nG);
  const ue = new Float64Array(geo.numCells), vn = new Float64Array(geo.numCells);
  let written = 0;
  for (let k = Math.floor(start / framesPer); k < config.trajectories; k++) {
    const ic = inits[k];
    const probe = new ShallowWaterSolver(geo, { topography: ic.b });
    const s0 = probe.init(ic.h, ic.u);
    const sample = config.sampleHours * 3600;
    const perSample = Math.max(1, Math.ceil(sample / probe.stableDt(s0, config.cfl)));
    const dt = sample / perSample;
    const nu4 = config.nu4 >= 0 ? config.nu4 : defaultNu4(5, geo, dt);
    const solver = new ShallowWaterSolver(geo, { topography: ic.b, nu4 });
    const s: SweState = solver.init(ic.h, ic.u);
    for (let f = 0; f < framesPer; f++) {
      const frame = k * framesPer + f;
      if (f > 0) solver.run(s, dt, perSample);
      if (frame < start) continue; // re-simulating up to the resume point
      const c = geo.centres;
      for (let i = 0; i < geo.numCells; i++) {
        const [ex, ey, ez, nx, ny, nz] = eastNorth(c[3 * i], c[3 * i + 1], c[3 * i + 2]);
        ue[i] = s.u[3 * i] * ex + s.u[3 * i + 1] * ey + s.u[3 * i + 2] * ez;
        vn[i] = s.u[3 * i] * nx + s.u[3 * i + 1] * ny + s.u[3 * i + 2] * nz;
      }
      interpolateMeshToGrid(m2g, s.h, 1, hG);
      interpolateMeshToGrid(m2g, ue, 1, uG);
      interpolateMeshToGrid(m2g, vn, 1, vG);
      const inv = invariants(solver, s);
      writer.append({
        h: hG, u: uG, v: vG, time: Float64Array.of(s.time), mass: Float64Array.of(inv.mass), energy: Float64Array.of(inv.energy),
        ...(config.saveCells ? { h_cells: s.h, u_cells: s.u } : {}),
      }, { trajectory: k, frame: f });
      written++;
      opts.onProgress?.(frame + 1, total, `traj ${k + 1}/${config.trajectories} day ${(s.time / DAY).toFixed(2)} dt=${dt.toFixed(0)}s`);
    }
  }
  await writer.finalize({ created: opts.created });
  return written;
}

/** A weather dataset opened for training: fields as [T, nLat, nLon] float32 plus metadata. */
export interface WeatherDataset {
  readonly path: string;
  readonly nLat: number;
  readonly nLon: number;
  readonly numTrajectories: number;
  readonly framesPerTrajectory: number;
  readonly sampleHours: number;
  /** [nLat] degrees, ascending; [nLon] degrees. */
  readonly latDeg: Float64Array;
  readonly lonDeg: Float64Array;
  /** [T, nLat, nLon] each. */
  readonly h: Float32Array; readonly u: Float32Array; readonly v: Float32Array;
  /** [numTrajectories, nLat, nLon] */
  readonly topography: Float32Array;
  /** [T] solver-grid totals (for conservation-drift baselines). */
  readonly mass: Float64Array; readonly energy: Float64Array; readonly time: Float64Array;
  readonly labels: readonly string[];
  readonly raw: Dataset;
}

/**
 * Opens a dataset written by {@link simulateWeatherDataset}, checking simulator, shapes, dtypes
 * and checksums (FileFormatError with expected/got on any mismatch).
 *
 * ```ts
 * const ds = await readWeatherDataset('runs/weather/weather.h5');
 * const x = frameFields(ds, 0, 3); // Float32Array [nLat·nLon, 3] of (h, u, v) at trajectory 0, frame 3
 * ```
 */
export async function readWeatherDataset(path: string): Promise<WeatherDataset> {
  const raw = await readDataset(path);
  if (raw.manifest.simulator !== WEATHER_SIMULATOR) throw new FileFormatError(path, `a '${WEATHER_SIMULATOR}' dataset`, `simulator '${raw.manifest.simulator}'`);
  const at = raw.manifest.attributes as { framesPerTrajectory: number; numTrajectories: number; sampleHours: number; labels: string[]; grid: { nLat: number; nLon: number } };
  const { nLat, nLon } = at.grid;
  const T = at.framesPerTrajectory * at.numTrajectories;
  return {
    path, nLat, nLon, numTrajectories: at.numTrajectories, framesPerTrajectory: at.framesPerTrajectory, sampleHours: at.sampleHours,
    latDeg: requireArray(raw, 'lat', 'float64', [nLat]).data, lonDeg: requireArray(raw, 'lon', 'float64', [nLon]).data,
    h: requireArray(raw, 'h', 'float32', [T, nLat, nLon]).data,
    u: requireArray(raw, 'u', 'float32', [T, nLat, nLon]).data,
    v: requireArray(raw, 'v', 'float32', [T, nLat, nLon]).data,
    topography: requireArray(raw, 'topography', 'float32', [at.numTrajectories, nLat, nLon]).data,
    mass: requireArray(raw, 'mass', 'float64', [T, 1]).data,
    energy: requireArray(raw, 'energy', 'float64', [T, 1]).data,
    time: requireArray(raw, 'time', 'float64', [T, 1]).data,
    labels: at.labels, raw,
  };
}

/**
 * Node features of one frame on the grid: [nLat·nLon, 3] = (h, u, v), row-major grid order
 * (index iLat·nLon + iLon), i.e. the `gridPoints` order of latLonGrid().
 */
export function frameFields(ds: WeatherDataset, trajectory: number, frame: number, out = new Float32Array(ds.nLat * ds.nLon * 3)): Float32Array {
  if (trajectory < 0 || trajectory >= ds.numTrajectories || frame < 0 || frame >= ds.framesPerTrajectory) {
    throw new ConfigError('trajectory/frame', `in [0, ${ds.numTrajectories}) × [0, ${ds.framesPerTrajectory})`, `${trajectory}, ${frame}`);
  }
  const n = ds.nLat * ds.nLon, off = (trajectory * ds.framesPerTrajectory + frame) * n;
  for (let i = 0; i < n; i++) { out[3 * i] = ds.h[off + i]; out[3 * i + 1] = ds.u[off + i]; out[3 * i + 2] = ds.v[off + i]; }
  return out;
}

/** The lat-lon grid of a dataset (unit vectors for grid2mesh / mesh2grid). */
export function datasetGrid(ds: WeatherDataset): LatLonGrid {
  const res = ds.lonDeg.length > 1 ? ds.lonDeg[1] - ds.lonDeg[0] : 360;
  return latLonGrid({ resolutionDeg: res, poles: ds.latDeg[0] === -90 ? 'include' : 'exclude' });
}

/** (input, target) frame pairs `lead` samples apart within each trajectory: [trajectory, frame] of the input. */
export function framePairs(ds: WeatherDataset, lead = 1): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < ds.numTrajectories; k++) for (let f = 0; f + lead < ds.framesPerTrajectory; f++) out.push([k, f]);
  return out;
}
