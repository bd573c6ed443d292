/**
 * A training run of the weather surrogate: config, dataset → trajectories, model building,
 * checkpoints (exact resume after a kill) and the wall-clock budget.
 *
 * Config (`gnnwb train <config.json>` with kind `weather-graphcast`; defaults in
 * {@link weatherTrainConfigSchema}):
 * ```json
 * { "kind": "weather-graphcast", "data": "runs/weather-gc/train/train.h5",
 *   "meshLevel": 3, "latent": 32, "processorLayers": 4, "usePrevious": false,
 *   "steps": 3000, "lr": 1e-3, "lrDecayAt": 0.7, "lrDecayFactor": 0.1, "unroll": 1, "seed": 0,
 *   "checkpoint": "runs/weather-gc/graphcast.ckpt", "checkpointEvery": 50, "maxSeconds": 0 }
 * ```
 * Checkpoint (src/io/checkpoint.ts): JSON state {config, configHash, step, losses, running
 * loss sums, Adam step, normalisation stats, parameter names/shapes, wall seconds} and arrays
 * `params` (all parameters concatenated in name order), `adam_m`, `adam_v`, `climatology`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { LatLonGrid } from '../geometry/sphere/index.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { buildGraphCastGraph, disposeGraphCastGraph, graphCastTensors, type GraphCastHostGraph } from '../models/graphcast_graph.js';
import type { GraphCastGraph } from '../models/graphcast.js';
import { adam, type Optimizer } from '../models/optim.js';
import { bool, literal, num, obj, parseConfig, str, type SchemaOut } from '../config/schema.js';
import { datasetGrid, readWeatherDataset, type WeatherDataset } from '../sims/weather/dataset.js';
import { latLonGrid } from '../geometry/sphere/index.js';
import { ConfigError, FileFormatError } from '../util/errors.js';
import {
  C, makeWeatherSurrogate, trainWeather, weatherLr, weatherStats,
  type WeatherStats, type WeatherSurrogate, type WeatherTrainOptions, type WeatherTrainSnapshot, type WeatherTrajectory,
} from './weather.js';

export const weatherTrainConfigSchema = obj({
  kind: literal('weather-graphcast'),
  /** Training dataset (HDF5 written by `gnnwb simulate` with kind weather-swe). */
  data: str(),
  /** Held-out dataset for `gnnwb rollout` (different seed). */
  heldout: str({ default: '' }),
  /** Finest level of the multimesh. */
  meshLevel: num({ integer: true, min: 0, max: 6, default: 3 }),
  latent: num({ integer: true, min: 1, max: 1024, default: 32 }),
  processorLayers: num({ integer: true, min: 1, max: 32, default: 4 }),
  /** Also feed x_t − x_{t−1} (zero at a trajectory's first frame). */
  usePrevious: bool({ default: false }),
  /** Longitude (sin/cos) among the grid and mesh static features. */
  absoluteLongitude: bool({ default: true }),
  /** Warm start: take weights and normalisation from this checkpoint (same architecture); '' = fresh init. */
  initFrom: str({ default: '' }),
  steps: num({ integer: true, min: 1, default: 3000 }),
  lr: num({ min: 1e-7, max: 1, default: 1e-3 }),
  /** Fraction of `steps` after which lr is multiplied by lrDecayFactor (1 = never). */
  lrDecayAt: num({ min: 0, max: 1, default: 0.7 }),
  lrDecayFactor: num({ min: 1e-4, max: 1, default: 0.1 }),
  /** 'step': ×lrDecayFactor after lrDecayAt·steps; 'cosine': linear warm-up over warmupSteps, then cosine decay to lr·lrMinFactor at `steps`. */
  lrSchedule: str({ oneOf: ['step', 'cosine'], default: 'step' }),
  warmupSteps: num({ integer: true, min: 0, default: 0 }),
  lrMinFactor: num({ min: 0, max: 1, default: 0.01 }),
  /** Samples per optimiser step (stacked as disjoint graph copies). */
  batchSize: num({ integer: true, min: 1, max: 64, default: 1 }),
  /** Random longitude rotations (whole grid columns) and equatorial mirrors of training samples. */
  augment: bool({ default: false }),
  /** Use every gridStride-th latitude and longitude of the dataset's grid (2: 5° → 10°; the poles stay). */
  gridStride: num({ integer: true, min: 1, max: 8, default: 1 }),
  /** Autoregressive steps in the loss. */
  unroll: num({ integer: true, min: 1, max: 40, default: 1 }),
  seed: num({ integer: true, min: 0, default: 0 }),
  logEvery: num({ integer: true, min: 1, default: 25 }),
  checkpoint: str({ default: 'runs/weather-gc/graphcast.ckpt' }),
  checkpointEvery: num({ integer: true, min: 1, default: 50 }),
  /** Stop (with a checkpoint) after this many wall seconds in this process; 0 = no limit. */
  maxSeconds: num({ min: 0, default: 0 }),
  /** Result file of `gnnwb rollout`. */
  out: str({ default: 'results/weather.json' }),
  /** Held-out trajectories used by the rollout (0 = all). */
  rolloutTrajectories: num({ integer: true, min: 0, default: 0 }),
  /** Coarse solver level of the numerical baseline. */
  coarseLevel: num({ integer: true, min: 2, max: 6, default: 3 }),
});

export type WeatherTrainConfig = SchemaOut<typeof weatherTrainConfigSchema>;

export function parseWeatherTrainConfig(raw: unknown): WeatherTrainConfig {
  return parseConfig(weatherTrainConfigSchema, raw);
}

/**
 * Fields that change what is trained (the hash ignores paths, budget and rollout options).
 * Fields added later enter the key only when they differ from their defaults, so configs
 * written before them keep their hashes (and their checkpoints resume).
 */
export function weatherConfigHash(c: WeatherTrainConfig): string {
  const { data, meshLevel, latent, processorLayers, usePrevious, absoluteLongitude, steps, lr, lrDecayAt, lrDecayFactor, unroll, seed, initFrom } = c;
  const later = {
    ...(c.lrSchedule !== 'step' ? { lrSchedule: c.lrSchedule, warmupSteps: c.warmupSteps, lrMinFactor: c.lrMinFactor } : {}),
    ...(c.batchSize !== 1 ? { batchSize: c.batchSize } : {}),
    ...(c.gridStride !== 1 ? { gridStride: c.gridStride } : {}),
    ...(c.augment ? { augment: true } : {}),
  };
  const key = JSON.stringify({ data, meshLevel, latent, processorLayers, usePrevious, absoluteLongitude, steps, lr, lrDecayAt, lrDecayFactor, unroll, seed, ...(initFrom ? { initFrom } : {}), ...later });
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * The grid a run uses: the dataset's grid, or with `stride` > 1 every stride-th latitude and
 * longitude of it (5° with poles, stride 2 → the 10° grid with poles: 19 × 36). The dataset's
 * latitude count − 1 and longitude count must be divisible by `stride`.
 */
export function runGrid(ds: WeatherDataset, stride = 1): LatLonGrid {
  const g = datasetGrid(ds);
  if (stride === 1) return g;
  const poles = g.spec.poles ?? 'include';
  if (poles !== 'include' || (g.nLat - 1) % stride !== 0 || g.nLon % stride !== 0) {
    throw new ConfigError('gridStride', `a divisor of ${g.nLat - 1} and ${g.nLon} on a grid with poles`, `${stride} on a ${g.nLat}×${g.nLon} grid (poles ${poles})`);
  }
  return latLonGrid({ resolutionDeg: g.spec.resolutionDeg * stride, poles: 'include' });
}

/**
 * Trajectories of a dataset as (h, u, v) frames `[T, Ng, 3]` + orography; with `stride` > 1
 * sampled on {@link runGrid}(ds, stride) (every stride-th grid row and column, no averaging).
 */
export function datasetTrajectories(ds: WeatherDataset, count = 0, stride = 1): WeatherTrajectory[] {
  const full = ds.nLat * ds.nLon;
  const nLat = stride === 1 ? ds.nLat : (ds.nLat - 1) / stride + 1;
  const nLon = ds.nLon / stride;
  if (!Number.isInteger(nLat) || !Number.isInteger(nLon)) throw new ConfigError('gridStride', `a divisor of ${ds.nLat - 1} and ${ds.nLon}`, String(stride));
  const ng = nLat * nLon;
  // [Ng] index into the dataset's grid
  const src = new Int32Array(ng);
  for (let i = 0; i < nLat; i++) for (let j = 0; j < nLon; j++) src[i * nLon + j] = i * stride * ds.nLon + j * stride;
  const T = ds.framesPerTrajectory;
  const n = count > 0 ? Math.min(count, ds.numTrajectories) : ds.numTrajectories;
  const out: WeatherTrajectory[] = [];
  for (let k = 0; k < n; k++) {
    // [T, Ng, 3]
    const frames = new Float32Array(T * ng * C);
    for (let f = 0; f < T; f++) {
      const off = (k * T + f) * full;
      const base = f * ng * C;
      for (let i = 0; i < ng; i++) {
        frames[base + 3 * i] = ds.h[off + src[i]];
        frames[base + 3 * i + 1] = ds.u[off + src[i]];
        frames[base + 3 * i + 2] = ds.v[off + src[i]];
      }
    }
    const orography = new Float32Array(ng);
    for (let i = 0; i < ng; i++) orography[i] = ds.topography[k * full + src[i]];
    out.push({ frames, numFrames: T, orography });
  }
  return out;
}

/** Saved state of a run (the JSON part of the checkpoint). */
export interface WeatherCheckpointState {
  readonly format: 'gnnwb-weather-graphcast-1';
  readonly config: WeatherTrainConfig;
  readonly configHash: string;
  readonly step: number;
  readonly losses: readonly { step: number; loss: number }[];
  readonly acc: number;
  readonly accN: number;
  readonly adamStep: number;
  readonly stats: Omit<WeatherStats, 'climatology'>;
  readonly paramNames: readonly string[];
  readonly paramShapes: readonly (readonly number[])[];
  /** Wall seconds of training summed over all processes of the run. */
  readonly trainSeconds: number;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Writes the run's checkpoint (atomic). */
export function saveWeatherCheckpoint(path: string, config: WeatherTrainConfig, s: WeatherSurrogate, snap: WeatherTrainSnapshot, trainSeconds: number): void {
  const w = s.params.getWeights();
  const names = Object.keys(w).sort();
  const ad = snap.optimizer.getState();
  const hasAdam = Object.keys(ad.m).length > 0;
  const { climatology, ...stats } = s.stats;
  const state: WeatherCheckpointState = {
    format: 'gnnwb-weather-graphcast-1', config, configHash: weatherConfigHash(config), step: snap.step, losses: snap.losses,
    acc: snap.acc, accN: snap.accN, adamStep: ad.step, stats, paramNames: names, paramShapes: names.map((n) => w[n].shape), trainSeconds,
  };
  const params = concat(names.map((n) => w[n].data));
  saveCheckpoint(path, state, {
    params: { data: params, shape: [params.length] },
    adam_m: { data: hasAdam ? concat(names.map((n) => ad.m[n])) : new Float32Array(0), shape: [hasAdam ? params.length : 0] },
    adam_v: { data: hasAdam ? concat(names.map((n) => ad.v[n])) : new Float32Array(0), shape: [hasAdam ? params.length : 0] },
    climatology: { data: climatology, shape: [climatology.length / C, C] },
  });
}

/** The built pieces of a run. */
export interface WeatherRunModel {
  readonly surrogate: WeatherSurrogate;
  readonly host: GraphCastHostGraph;
  readonly graph: GraphCastGraph;
  readonly grid: LatLonGrid;
}

/** Builds the static graph and the model for `config` on `grid` with `stats`. */
export function buildWeatherModel(config: WeatherTrainConfig, grid: LatLonGrid, stats: WeatherStats): WeatherRunModel {
  const host = buildGraphCastGraph(grid, { meshLevel: config.meshLevel, absoluteLongitude: config.absoluteLongitude });
  const graph = graphCastTensors(host);
  const surrogate = makeWeatherSurrogate(
    { latent: config.latent, processorLayers: config.processorLayers, usePrevious: config.usePrevious, seed: config.seed, absoluteLongitude: config.absoluteLongitude },
    stats,
    host.meshInDim,
  );
  return { surrogate, host, graph, grid };
}

/** Loads a checkpoint: model with its weights, the optimiser (lr of the saved step) and state. */
export function loadWeatherCheckpoint(path: string, grid: LatLonGrid): { run: WeatherRunModel; state: WeatherCheckpointState; optimizer: Optimizer } {
  const ck = loadCheckpoint<WeatherCheckpointState>(path);
  if (ck.state?.format !== 'gnnwb-weather-graphcast-1') throw new FileFormatError(path, "a 'gnnwb-weather-graphcast-1' checkpoint", `format ${JSON.stringify(ck.state?.format)}`);
  // Configs saved before a field existed get its default (the stored hash is kept as is).
  const st: WeatherCheckpointState = { ...ck.state, config: parseWeatherTrainConfig(ck.state.config) };
  const clim = ck.arrays.climatology.data as Float32Array;
  const run = buildWeatherModel(st.config, grid, { ...st.stats, climatology: new Float32Array(clim) });
  const P = ck.arrays.params.data as Float32Array;
  const m = ck.arrays.adam_m.data as Float32Array;
  const v = ck.arrays.adam_v.data as Float32Array;
  const weights: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  const am: Record<string, Float32Array> = {};
  const av: Record<string, Float32Array> = {};
  let off = 0;
  st.paramNames.forEach((n, i) => {
    const size = st.paramShapes[i].reduce((a, b) => a * b, 1);
    weights[n] = { shape: st.paramShapes[i], data: P.slice(off, off + size) };
    if (m.length) {
      am[n] = m.slice(off, off + size);
      av[n] = v.slice(off, off + size);
    }
    off += size;
  });
  if (off !== P.length) throw new FileFormatError(path, `${off} parameter values`, `${P.length}`);
  run.surrogate.params.setWeights(weights, { strict: true });
  const optimizer = adam({ lr: weatherLr(decayOf(st.config), st.step) });
  optimizer.setState(run.surrogate.params, { step: st.adamStep, m: am, v: av });
  return { run, state: st, optimizer };
}

/** The learning-rate schedule of a config (see {@link weatherLr}). */
export function decayOf(c: WeatherTrainConfig): Pick<WeatherTrainOptions, 'lr' | 'lrDecay' | 'lrCosine'> {
  if (c.lrSchedule === 'cosine') return { lr: c.lr, lrCosine: { warmupSteps: c.warmupSteps, totalSteps: c.steps, minFactor: c.lrMinFactor } };
  return { lr: c.lr, lrDecay: c.lrDecayAt < 1 ? { atStep: Math.round(c.lrDecayAt * c.steps), factor: c.lrDecayFactor } : undefined };
}

/** Result of {@link runWeatherTraining}. */
export interface WeatherTrainOutcome {
  readonly run: WeatherRunModel;
  readonly state: WeatherCheckpointState;
  readonly finished: boolean;
  readonly resumedFrom: number;
}

/**
 * Trains (or resumes, when `config.checkpoint` exists with the same config hash) and writes a
 * checkpoint every `checkpointEvery` steps and at the end (or when `maxSeconds` is reached).
 * `trajectories` overrides the dataset (tests); `grid` must then be given too.
 */
export async function runWeatherTraining(
  config: WeatherTrainConfig,
  opts: {
    log?: (s: string) => void;
    onStep?: (step: number, loss: number) => void;
    trajectories?: WeatherTrajectory[];
    grid?: LatLonGrid;
    stats?: WeatherStats;
    /** Stop (with a checkpoint) once this many steps are done — simulates a kill (tests). */
    stopAtStep?: number;
  } = {},
): Promise<WeatherTrainOutcome> {
  const log = opts.log ?? (() => {});
  let grid = opts.grid;
  let trajs = opts.trajectories;
  if (!trajs || !grid) {
    if (!existsSync(config.data)) throw new ConfigError('data', 'an existing weather-swe dataset (run `gnnwb simulate` first)', JSON.stringify(config.data));
    const ds = await readWeatherDataset(config.data);
    grid = runGrid(ds, config.gridStride);
    trajs = datasetTrajectories(ds, 0, config.gridStride);
  }
  const ng = grid.nLat * grid.nLon;
  const hash = weatherConfigHash(config);
  let run: WeatherRunModel;
  let optimizer: Optimizer | undefined;
  let resume: { startStep: number; losses: { step: number; loss: number }[]; acc: number; accN: number } | undefined;
  let secondsBefore = 0;
  if (existsSync(config.checkpoint)) {
    const ck = loadWeatherCheckpoint(config.checkpoint, grid);
    if (ck.state.configHash !== hash) {
      throw new ConfigError('checkpoint', `a checkpoint of this config (hash ${hash})`, `hash ${ck.state.configHash} in ${config.checkpoint}`, 'Delete it or point "checkpoint" elsewhere');
    }
    run = ck.run;
    optimizer = ck.optimizer;
    resume = { startStep: ck.state.step, losses: [...ck.state.losses], acc: ck.state.acc, accN: ck.state.accN };
    secondsBefore = ck.state.trainSeconds;
    log(`resuming from step ${ck.state.step}/${config.steps} (${config.checkpoint})`);
  } else if (config.initFrom) {
    const init = loadWeatherCheckpoint(config.initFrom, grid);
    init.optimizer.dispose();
    const a = init.state.config;
    for (const k of ['meshLevel', 'latent', 'processorLayers', 'usePrevious', 'absoluteLongitude'] as const) {
      if (a[k] !== config[k]) throw new ConfigError(k, `${String(a[k])} (as in initFrom ${config.initFrom})`, String(config[k]));
    }
    run = init.run;
    secondsBefore = 0;
    log(`warm start from ${config.initFrom} (step ${init.state.step}, ${init.state.trainSeconds.toFixed(0)} s of training)`);
  } else {
    run = buildWeatherModel(config, grid, opts.stats ?? weatherStats(trajs, ng));
    log(`new run: ${run.surrogate.params.numParams()} parameters, mesh level ${config.meshLevel} (${run.host.numMesh} nodes, ${run.host.m2m.senders.length} multimesh edges), ${run.host.g2m.senders.length} grid2mesh edges, grid ${grid.nLat}×${grid.nLon}`);
  }
  const startStep = resume?.startStep ?? 0;
  // The training graph: batchSize disjoint copies (the run's own graph stays single).
  const trainGraph = config.batchSize > 1 ? graphCastTensors(run.host, config.batchSize) : run.graph;
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  // Train in chunks of `checkpointEvery` steps, yielding to the event loop between chunks
  // (signals, progress, test runners); each chunk resumes the previous one exactly.
  let step = startStep;
  let stop = false;
  let carry: { optimizer?: Optimizer; startStep: number; losses: { step: number; loss: number }[]; acc: number; accN: number } =
    { optimizer, startStep, losses: resume?.losses ?? [], acc: resume?.acc ?? 0, accN: resume?.accN ?? 0 };
  while (step < config.steps && !stop) {
    const chunkEnd = Math.min(config.steps, (Math.floor(step / config.checkpointEvery) + 1) * config.checkpointEvery);
    let here = step;
    const r = trainWeather(run.surrogate, trainGraph, grid, trajs, {
      steps: config.steps, unroll: config.unroll, seed: config.seed, logEvery: config.logEvery,
      ...decayOf(config), batchSize: config.batchSize, augment: config.augment,
      checkpointEvery: config.checkpointEvery,
      onProgress: (st, loss) => opts.onStep?.(st, loss),
      onCheckpoint: (snap) => saveWeatherCheckpoint(config.checkpoint, config, run.surrogate, snap, secondsBefore + seconds()),
      shouldStop: () => {
        here++;
        if ((config.maxSeconds > 0 && seconds() >= config.maxSeconds) || (opts.stopAtStep !== undefined && here >= opts.stopAtStep)) stop = true;
        return stop || here >= chunkEnd;
      },
    }, carry);
    step = r.stepsDone;
    carry = { optimizer: r.optimizer, startStep: step, losses: r.losses, acc: r.acc, accN: r.accN };
    await new Promise<void>((res) => setImmediate(res));
  }
  carry.optimizer?.dispose();
  if (trainGraph !== run.graph) disposeGraphCastGraph(trainGraph);
  const state = loadCheckpoint<WeatherCheckpointState>(config.checkpoint).state;
  return { run, state, finished: step >= config.steps, resumedFrom: startStep };
}

/** Disposes the tensors of a run (parameters and graph). */
export function disposeWeatherRun(r: WeatherRunModel): void {
  r.surrogate.params.dispose();
  const g = r.graph;
  g.meshFeatures.dispose();
  for (const s of [g.g2m, g.m2m, g.m2g]) {
    s.senders.dispose();
    s.receivers.dispose();
    s.features.dispose();
  }
}
