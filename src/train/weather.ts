/**
 * The weather surrogate: a GraphCast-style model trained on shallow-water trajectories sampled
 * on a lat-lon grid every Δt (6 h), rolled out autoregressively, scored against the reference.
 *
 * Data: each trajectory holds frames `[T, Ng, 3]` of (h [m], u_east, v_north [m/s]) on the grid,
 * plus static orography `[Ng]` (m). The model maps
 *
 *   inputs  = [ norm(x_t) (3), norm(x_t − x_{t−1}) (3, optional), static (6) ]        [Ng, 6|9]
 *   outputs = norm_Δ(x_{t+1} − x_t)                                                 [Ng, 3]
 *
 * with static = (cos lat, sin lat = f / 2Ω (Coriolis), cos lon, sin lon, orography normalised,
 * 1). Loss: area(latitude)-weighted MSE of normalised increments (GraphCast's weighting with
 * equal channel weights), averaged over the optional multi-step unroll.
 *
 * Metrics (per lead time, over held-out trajectories): latitude-weighted RMSE of h and of the
 * wind vector, anomaly correlation of h against the training climatology, total-mass drift.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import type { LatLonGrid } from '../geometry/sphere/index.js';
import { graphCast, type GraphCastGraph, type GraphCastModel } from '../models/graphcast.js';
import { ParamStore } from '../models/params.js';
import { adam, type Optimizer } from '../models/optim.js';
import { ShapeError, ValueError } from '../util/errors.js';

/** Channels of a weather state: depth and the east/north wind. */
export const WEATHER_CHANNELS = ['h', 'u', 'v'] as const;
export const C = WEATHER_CHANNELS.length;
/** Static feature count (see module doc). */
export const STATIC_DIM = 6;

/** One trajectory on the grid. */
export interface WeatherTrajectory {
  /** [T, Ng, 3] h (m), u_east, v_north (m/s). */
  readonly frames: Float32Array;
  readonly numFrames: number;
  /** [Ng] orography (m). */
  readonly orography: Float32Array;
}

/** Normalisation statistics (from training trajectories only). */
export interface WeatherStats {
  /** Per channel mean and std of states. */
  readonly mean: number[];
  readonly std: number[];
  /** Per channel mean and std of one-step increments. */
  readonly dMean: number[];
  readonly dStd: number[];
  readonly orographyStd: number;
  /** [Ng, 3] climatology (time mean of training states), for anomaly correlation. */
  readonly climatology: Float32Array;
}

/** Area weights of grid rows, normalised to mean 1 over all grid points: [Ng]. */
export function areaWeights(grid: LatLonGrid): Float32Array {
  const { nLat, nLon, latDeg } = grid;
  const d = grid.spec.resolutionDeg;
  const w = new Float64Array(nLat);
  let total = 0;
  for (let i = 0; i < nLat; i++) {
    const hi = Math.min(90, latDeg[i] + d / 2);
    const lo = Math.max(-90, latDeg[i] - d / 2);
    w[i] = Math.sin((hi * Math.PI) / 180) - Math.sin((lo * Math.PI) / 180);
    total += w[i] * nLon;
  }
  const out = new Float32Array(nLat * nLon);
  const mean = total / (nLat * nLon);
  for (let i = 0; i < nLat; i++) for (let j = 0; j < nLon; j++) out[i * nLon + j] = w[i] / mean;
  return out;
}

function checkTrajectory(t: WeatherTrajectory, ng: number, k: number): void {
  if (t.frames.length !== t.numFrames * ng * C) {
    throw new ShapeError(`trajectories[${k}].frames`, `[${t.numFrames}, ${ng}, ${C}] (length ${t.numFrames * ng * C})`, `length ${t.frames.length}`);
  }
  if (t.orography.length !== ng) throw new ShapeError(`trajectories[${k}].orography`, `length ${ng}`, `length ${t.orography.length}`);
  if (t.numFrames < 2) throw new ValueError(`trajectories[${k}].numFrames`, 'at least 2', String(t.numFrames));
}

/** Statistics over the training trajectories (Float64 sums). */
export function weatherStats(trajs: readonly WeatherTrajectory[], ng: number): WeatherStats {
  const s = new Float64Array(C), s2 = new Float64Array(C), d = new Float64Array(C), d2 = new Float64Array(C);
  const clim = new Float64Array(ng * C);
  let n = 0, nd = 0, o2 = 0, no = 0;
  trajs.forEach((t, k) => {
    checkTrajectory(t, ng, k);
    for (let f = 0; f < t.numFrames; f++) {
      const base = f * ng * C;
      for (let i = 0; i < ng * C; i++) {
        const x = t.frames[base + i];
        s[i % C] += x;
        s2[i % C] += x * x;
        clim[i] += x;
        if (f > 0) {
          const dx = x - t.frames[base - ng * C + i];
          d[i % C] += dx;
          d2[i % C] += dx * dx;
        }
      }
      n += ng;
      if (f > 0) nd += ng;
    }
    for (let i = 0; i < ng; i++) {
      o2 += t.orography[i] * t.orography[i];
      no++;
    }
  });
  const frames = trajs.reduce((a, t) => a + t.numFrames, 0);
  const mean = [...s].map((x) => x / n);
  const std = [...s2].map((x, c) => Math.sqrt(Math.max(x / n - mean[c] ** 2, 1e-12)));
  const dMean = [...d].map((x) => x / nd);
  const dStd = [...d2].map((x, c) => Math.sqrt(Math.max(x / nd - dMean[c] ** 2, 1e-12)));
  return {
    mean,
    std,
    dMean,
    dStd,
    orographyStd: Math.max(Math.sqrt(o2 / no), 1),
    climatology: Float32Array.from(clim, (x) => x / frames),
  };
}

/** Static grid features [Ng, 6] (see module doc). */
export function staticFeatures(grid: LatLonGrid, orography: Float32Array, stats: WeatherStats, absoluteLongitude = true): Float32Array {
  const ng = grid.nLat * grid.nLon;
  const out = new Float32Array(ng * STATIC_DIM);
  for (let i = 0; i < grid.nLat; i++) {
    const lat = (grid.latDeg[i] * Math.PI) / 180;
    for (let j = 0; j < grid.nLon; j++) {
      const lon = (grid.lonDeg[j] * Math.PI) / 180;
      const g = i * grid.nLon + j;
      const o = g * STATIC_DIM;
      out[o] = Math.cos(lat);
      out[o + 1] = Math.sin(lat);
      out[o + 2] = absoluteLongitude ? Math.cos(lon) : 0;
      out[o + 3] = absoluteLongitude ? Math.sin(lon) : 0;
      out[o + 4] = orography[g] / stats.orographyStd;
      out[o + 5] = 1;
    }
  }
  return out;
}

/** Options of the surrogate (model size and inputs). */
export interface WeatherModelOptions {
  readonly latent: number;
  readonly processorLayers: number;
  /** Also feed the previous increment x_t − x_{t−1} (default true). */
  readonly usePrevious: boolean;
  readonly seed: number;
  /** cos/sin of longitude among the static features (default true). */
  readonly absoluteLongitude?: boolean;
}

/** A model plus the normalisation it was trained with. */
export interface WeatherSurrogate {
  readonly model: GraphCastModel;
  readonly params: ParamStore;
  readonly stats: WeatherStats;
  readonly options: WeatherModelOptions;
  readonly inDim: number;
}

export function makeWeatherSurrogate(options: WeatherModelOptions, stats: WeatherStats, meshInDim: number): WeatherSurrogate {
  const inDim = C * (options.usePrevious ? 2 : 1) + STATIC_DIM;
  const params = new ParamStore(new Rng(options.seed).fork('weather-init'));
  const model = graphCast({ gridInDim: inDim, gridOutDim: C, meshInDim, edgeDim: 4, latent: options.latent, processorLayers: options.processorLayers }, params);
  return { model, params, stats, options, inDim };
}

/** Model inputs [Ng, inDim] for state `cur` (and `prev`), host-side. */
export function modelInputs(s: WeatherSurrogate, cur: Float32Array, prev: Float32Array | null, stat: Float32Array): Float32Array {
  const ng = cur.length / C;
  const { mean, std, dStd } = s.stats;
  const w = s.inDim;
  const out = new Float32Array(ng * w);
  for (let g = 0; g < ng; g++) {
    const o = g * w;
    for (let c = 0; c < C; c++) out[o + c] = (cur[g * C + c] - mean[c]) / std[c];
    let k = C;
    if (s.options.usePrevious) {
      for (let c = 0; c < C; c++) out[o + k + c] = prev ? (cur[g * C + c] - prev[g * C + c]) / dStd[c] : 0;
      k += C;
    }
    for (let q = 0; q < STATIC_DIM; q++) out[o + k + q] = stat[g * STATIC_DIM + q];
  }
  return out;
}

/** One autoregressive step on the host: x_{t+1} = x_t + denorm(model(inputs)). */
export function predictNext(s: WeatherSurrogate, graph: GraphCastGraph, cur: Float32Array, prev: Float32Array | null, stat: Float32Array): Float32Array {
  const ng = cur.length / C;
  const x = tf.tensor2d(modelInputs(s, cur, prev, stat), [ng, s.inDim]);
  const y = s.model(x, graph);
  const d = y.dataSync();
  x.dispose();
  y.dispose();
  const next = new Float32Array(cur.length);
  for (let i = 0; i < cur.length; i++) {
    const c = i % C;
    next[i] = cur[i] + d[i] * s.stats.dStd[c] + s.stats.dMean[c];
  }
  return next;
}

/** Training options. */
export interface WeatherTrainOptions {
  /** Total optimiser steps (one sample per step). */
  readonly steps: number;
  readonly lr: number;
  /** Autoregressive unroll length in the loss (1 = one-step training). */
  readonly unroll: number;
  readonly seed: number;
  /** Called every `logEvery` steps with (step, mean loss since the last call). */
  readonly onProgress?: (step: number, loss: number) => void;
  readonly logEvery?: number;
  /** Called after every `checkpointEvery` steps (and when stopping) with the resumable state. */
  readonly onCheckpoint?: (snapshot: WeatherTrainSnapshot) => void;
  readonly checkpointEvery?: number;
  /** Polled after each step; `true` stops training (a checkpoint is written first). */
  readonly shouldStop?: () => boolean;
  /** Step-decay of the learning rate: lr·factor from step `atStep` on (default: none). */
  readonly lrDecay?: { readonly atStep: number; readonly factor: number };
  /**
   * Linear warm-up then cosine decay (replaces `lrDecay` when given): see {@link weatherLr}.
   */
  readonly lrCosine?: { readonly warmupSteps: number; readonly totalSteps: number; readonly minFactor: number };
  /** Samples per optimiser step, stacked as disjoint graph copies (default 1). `graph` must
   * then hold `batchSize` copies ({@link graphCastTensors}(host, batchSize)). */
  readonly batchSize?: number;
  /**
   * Symmetry augmentation (default false): each sample gets a random longitude rotation by a
   * whole number of grid columns and, with probability ½, the equatorial mirror
   * ({@link transformGridField}), applied to states, targets and orography alike.
   */
  readonly augment?: boolean;
}

/**
 * The learning rate at `step` (0-based: the rate of the step that makes update `step + 1`):
 *
 * - `lrCosine` {warmupSteps W, totalSteps S, minFactor m}: `lr·(step+1)/W` for step < W, then
 *   `lr·(m + (1 − m)·½(1 + cos(π·(step − W)/(S − W))))`;
 * - else `lrDecay` {atStep, factor}: `lr·factor` from `atStep` on;
 * - else constant.
 */
export function weatherLr(opts: Pick<WeatherTrainOptions, 'lr' | 'lrDecay' | 'lrCosine'>, step: number): number {
  const c = opts.lrCosine;
  if (c) {
    if (step < c.warmupSteps) return (opts.lr * (step + 1)) / c.warmupSteps;
    const span = Math.max(1, c.totalSteps - c.warmupSteps);
    const x = Math.min(1, (step - c.warmupSteps) / span);
    return opts.lr * (c.minFactor + (1 - c.minFactor) * 0.5 * (1 + Math.cos(Math.PI * x)));
  }
  return opts.lrDecay && step >= opts.lrDecay.atStep ? opts.lr * opts.lrDecay.factor : opts.lr;
}

/** Everything needed to resume training exactly (besides the parameters and the optimiser). */
export interface WeatherTrainSnapshot {
  /** Steps completed. */
  readonly step: number;
  readonly losses: readonly { step: number; loss: number }[];
  /** Running loss sum and count of the current log interval. */
  readonly acc: number;
  readonly accN: number;
  readonly optimizer: Optimizer;
}

/** Where a (resumed) training run starts. */
export interface WeatherTrainResume {
  readonly optimizer?: Optimizer;
  readonly startStep?: number;
  readonly losses?: readonly { step: number; loss: number }[];
  readonly acc?: number;
  readonly accN?: number;
}

/** One training sample: trajectory, start frame and (with augmentation) the symmetry applied. */
interface Sample {
  readonly ti: number;
  readonly f0: number;
  /** Longitude shift in grid columns (0 = none). */
  readonly shift: number;
  /** North–south mirror (with v → −v). */
  readonly mirror: boolean;
}

/**
 * Draws the sample of one step: trajectory index and start frame (f0 ∈ [0, T−1−unroll]), and
 * with `augment` a longitude shift in [0, nLon) and a mirror flag (two more draws; without
 * `augment` the draw sequence is the one of earlier versions, so old runs resume exactly).
 */
function drawSample(rng: Rng, trajs: readonly WeatherTrajectory[], unroll: number, augment = false, nLon = 1): Sample {
  const ti = rng.int(trajs.length);
  const maxStart = trajs[ti].numFrames - 1 - unroll;
  if (maxStart < 0) throw new ValueError(`trajectories[${ti}].numFrames`, `at least ${unroll + 1} for unroll ${unroll}`, String(trajs[ti].numFrames));
  const f0 = Math.min(maxStart, Math.floor(rng.uniform() * (maxStart + 1)));
  if (!augment) return { ti, f0, shift: 0, mirror: false };
  const shift = rng.int(nLon);
  const mirror = rng.uniform() < 0.5;
  return { ti, f0, shift, mirror };
}

/**
 * Applies a symmetry of the shallow-water equations on the rotating sphere to a grid field
 * with `channels` values per point, writing into `out` at `offset`:
 *
 * - rotation about the polar axis by `shift` grid columns: out(i, j) = x(i, (j + shift) mod nLon)
 *   (the equations do not depend on longitude; orography moves with the state);
 * - `mirror`, reflection through the equator: out(i, j) = x(nLat−1−i, j) with the northward wind
 *   negated (channel `vChannel`, −1 for none). Reflection maps φ → −φ, so f = 2Ω sin φ → −f, and
 *   the Coriolis term −f k̂×(u, v) of the mirrored flow (u, −v) is the mirror image of the
 *   original's: mirrored solutions are solutions.
 *
 * The grid must be symmetric about the equator (true for grids with or without poles).
 * Shapes: x `[nLat·nLon, channels]` → out `[nLat·nLon, channels]` (from `offset`).
 */
export function transformGridField(
  x: Float32Array, grid: Pick<LatLonGrid, 'nLat' | 'nLon'>, channels: number, shift: number, mirror: boolean, vChannel: number,
  out: Float32Array = new Float32Array(x.length), offset = 0,
): Float32Array {
  const { nLat, nLon } = grid;
  for (let i = 0; i < nLat; i++) {
    const si = mirror ? nLat - 1 - i : i;
    for (let j = 0; j < nLon; j++) {
      const src = (si * nLon + ((j + shift) % nLon)) * channels;
      const dst = offset + (i * nLon + j) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = mirror && c === vChannel ? -x[src + c] : x[src + c];
    }
  }
  return out;
}

/**
 * Trains `s` on `trajs` (in place) and returns the loss curve (mean per log interval).
 * Each step draws `batchSize` samples (trajectory, start frame) uniformly with the seeded RNG
 * and stacks them as disjoint graph copies; the loss is the
 * area-weighted MSE of normalised increments, averaged over `unroll` autoregressive steps
 * (gradients flow through the unroll). With `usePrevious`, a start at frame 0 gets a zero
 * previous increment, exactly as a rollout from an initial state does.
 *
 * Resume: pass the saved optimiser, `startStep`, losses and running sums; the sample RNG is
 * replayed up to `startStep`, so a resumed run equals an uninterrupted one (tested).
 */
export function trainWeather(
  s: WeatherSurrogate,
  graph: GraphCastGraph,
  grid: LatLonGrid,
  trajs: readonly WeatherTrajectory[],
  opts: WeatherTrainOptions,
  state: WeatherTrainResume = {},
): { losses: { step: number; loss: number }[]; optimizer: Optimizer; stepsDone: number; stopped: boolean; acc: number; accN: number } {
  const ng = grid.nLat * grid.nLon;
  const B = opts.batchSize ?? 1;
  if (!(Number.isInteger(B) && B >= 1)) throw new ValueError('batchSize', 'a positive integer', String(B));
  if (graph.numGrid !== B * ng) throw new ShapeError('graph.numGrid', `${B * ng} (batchSize ${B} × ${ng} grid points)`, String(graph.numGrid), 'Build the graph with graphCastTensors(host, batchSize)');
  trajs.forEach((t, k) => checkTrajectory(t, ng, k));
  if (!(Number.isInteger(opts.unroll) && opts.unroll >= 1)) throw new ValueError('unroll', 'a positive integer', String(opts.unroll));
  const rng = new Rng(opts.seed).fork('weather-batches');
  // A passed-in optimiser may carry another step's rate: re-create it at the first step.
  let lrNow = state.optimizer ? NaN : weatherLr(opts, state.startStep ?? 0);
  let optimizer = state.optimizer ?? adam({ lr: lrNow });
  // [B·Ng, 1] area weights, repeated per sample (the mean over rows averages the samples).
  const w1 = areaWeights(grid);
  const wB = new Float32Array(B * ng);
  for (let b = 0; b < B; b++) wB.set(w1, b * ng);
  const weights = tf.tensor2d(wB, [B * ng, 1]);
  const dStd = tf.tensor1d(s.stats.dStd);
  const dMean = tf.tensor1d(s.stats.dMean);
  const mean = tf.tensor1d(s.stats.mean);
  const std = tf.tensor1d(s.stats.std);
  const zeros = tf.zeros([B * ng, C]) as tf.Tensor2D;
  const statics = trajs.map((t) => staticFeatures(grid, t.orography, s.stats, s.options.absoluteLongitude ?? true));
  const names = s.params.names();
  const vars = names.map((n) => s.params.variable(n));
  const losses: { step: number; loss: number }[] = [...(state.losses ?? [])];
  let acc = state.acc ?? 0;
  let accN = state.accN ?? 0;
  const logEvery = opts.logEvery ?? 50;
  const ckEvery = opts.checkpointEvery ?? 0;
  const start = state.startStep ?? 0;
  // Replay the RNG draws of steps already taken (exact resume).
  const augment = opts.augment ?? false;
  for (let k = 0; k < start * B; k++) drawSample(rng, trajs, opts.unroll, augment, grid.nLon);
  const usePrev = s.options.usePrevious;
  let step = start;
  let stopped = false;
  const snapshot = (): WeatherTrainSnapshot => ({ step, losses: [...losses], acc, accN, optimizer });
  // Host staging buffers of one batch: [B·Ng, 3] states, [B·Ng, STATIC_DIM] statics.
  const stageState = (samples: readonly Sample[], dt: number): Float32Array => {
    const out = new Float32Array(B * ng * C);
    samples.forEach(({ ti, f0, shift, mirror }, b) => {
      const x = trajs[ti].frames.subarray((f0 + dt) * ng * C, (f0 + dt + 1) * ng * C);
      if (shift === 0 && !mirror) out.set(x, b * ng * C);
      else transformGridField(x, grid, C, shift, mirror, 2, out, b * ng * C);
    });
    return out;
  };
  while (step < opts.steps) {
    const lrStep = weatherLr(opts, step);
    if (lrStep !== lrNow) {
      // Same Adam moments, new rate (m, v and the step count do not depend on lr).
      const st = optimizer.getState();
      optimizer.dispose();
      optimizer = adam({ lr: lrStep });
      optimizer.setState(s.params, st);
      lrNow = lrStep;
    }
    const samples = Array.from({ length: B }, () => drawSample(rng, trajs, opts.unroll, augment, grid.nLon));
    // With usePrevious, samples starting at frame 0 get a zero previous increment.
    const prevMask = samples.map(({ f0 }) => usePrev && f0 > 0);
    const anyPrev = prevMask.some((x) => x);
    const stat = new Float32Array(B * ng * STATIC_DIM);
    samples.forEach(({ ti, shift, mirror }, b) => {
      if (shift === 0 && !mirror) stat.set(statics[ti], b * ng * STATIC_DIM);
      else stat.set(staticFeatures(grid, transformGridField(trajs[ti].orography, grid, 1, shift, mirror, -1), s.stats, s.options.absoluteLongitude ?? true), b * ng * STATIC_DIM);
    });
    const statT = tf.tensor2d(stat, [B * ng, STATIC_DIM]);
    const frame = (dt: number) => stageState(samples, dt);
    // frame f0 − 1, or the current frame itself (zero increment) where f0 = 0
    const prevHost = (): Float32Array => stageState(samples.map((x, b) => ({ ...x, f0: prevMask[b] ? x.f0 - 1 : x.f0 })), 0);
    const lossFn = (): tf.Scalar => {
      // State tensors in physical units [B·Ng, 3]
      let cur = tf.tensor2d(frame(0), [B * ng, C]);
      let prev: tf.Tensor2D | null = anyPrev ? tf.tensor2d(prevHost(), [B * ng, C]) : null;
      let total: tf.Scalar = tf.scalar(0);
      for (let k = 0; k < opts.unroll; k++) {
        const parts: tf.Tensor2D[] = [tf.div(tf.sub(cur, mean), std) as tf.Tensor2D];
        if (usePrev) parts.push(prev ? (tf.div(tf.sub(cur, prev), dStd) as tf.Tensor2D) : zeros);
        parts.push(statT);
        // [Ng, inDim]
        const inp = tf.concat(parts, 1) as tf.Tensor2D;
        // [Ng, 3] normalised increments
        const out = s.model(inp, graph);
        const target = tf.div(tf.sub(tf.sub(tf.tensor2d(frame(k + 1), [B * ng, C]), cur), dMean), dStd);
        const l = tf.mean(tf.mul(tf.square(tf.sub(out, target)), weights)) as tf.Scalar;
        total = tf.add(total, l) as tf.Scalar;
        if (k + 1 < opts.unroll) {
          const next = tf.add(cur, tf.add(tf.mul(out, dStd), dMean)) as tf.Tensor2D;
          prev = cur;
          cur = next;
        }
      }
      return tf.div(total, opts.unroll) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(lossFn, vars);
    const byName: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (byName[n] = grads[vars[i].name]));
    optimizer.apply(s.params, byName);
    const lv = value.dataSync()[0];
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    statT.dispose();
    if (!Number.isFinite(lv)) throw new ValueError('training loss', 'a finite number', `${lv} at step ${step}`, 'Lower the learning rate');
    acc += lv;
    accN++;
    step++;
    if (step % logEvery === 0 || step === opts.steps) {
      losses.push({ step, loss: acc / accN });
      opts.onProgress?.(step, acc / accN);
      acc = 0;
      accN = 0;
    }
    stopped = step < opts.steps && (opts.shouldStop?.() ?? false);
    if (opts.onCheckpoint && ((ckEvery > 0 && step % ckEvery === 0) || step === opts.steps || stopped)) opts.onCheckpoint(snapshot());
    if (stopped) break;
  }
  for (const x of [weights, dStd, dMean, mean, std, zeros]) x.dispose();
  return { losses, optimizer, stepsDone: step, stopped, acc, accN };
}

/** Scores of one forecast against the truth, per lead time. */
export interface LeadScores {
  /** Latitude-weighted RMSE of h (m). */
  readonly rmseH: number;
  /** Latitude-weighted RMSE of the wind vector (m/s). */
  readonly rmseWind: number;
  /** Anomaly correlation of h against the climatology. */
  readonly accH: number;
  /** Relative total-mass drift Σ w h / Σ w h(0) − 1. */
  readonly massDrift: number;
}

/** Scores a forecast state against the truth (both [Ng, 3]). */
export function scoreState(pred: Float32Array, truth: Float32Array, w: Float32Array, clim: Float32Array, mass0: number): LeadScores {
  const ng = w.length;
  let eh = 0, ew = 0, wsum = 0, num = 0, dp = 0, dt = 0, mass = 0;
  for (let g = 0; g < ng; g++) {
    const wi = w[g];
    const dh = pred[g * C] - truth[g * C];
    const du = pred[g * C + 1] - truth[g * C + 1];
    const dv = pred[g * C + 2] - truth[g * C + 2];
    eh += wi * dh * dh;
    ew += wi * (du * du + dv * dv);
    wsum += wi;
    const ap = pred[g * C] - clim[g * C];
    const at = truth[g * C] - clim[g * C];
    num += wi * ap * at;
    dp += wi * ap * ap;
    dt += wi * at * at;
    mass += wi * pred[g * C];
  }
  return {
    rmseH: Math.sqrt(eh / wsum),
    rmseWind: Math.sqrt(ew / wsum),
    accH: num / Math.sqrt(Math.max(dp * dt, 1e-300)),
    massDrift: mass / mass0 - 1,
  };
}

/** Total area-weighted mass proxy Σ w h of a state [Ng, 3]. */
export function gridMass(state: Float32Array, w: Float32Array): number {
  let m = 0;
  for (let g = 0; g < w.length; g++) m += w[g] * state[g * C];
  return m;
}

/**
 * The one-step training loss (area-weighted MSE of normalised increments) averaged over every
 * (trajectory, frame) pair of `trajs` — a deterministic score of a model (no sampling).
 */
export function oneStepLoss(s: WeatherSurrogate, graph: GraphCastGraph, grid: LatLonGrid, trajs: readonly WeatherTrajectory[]): number {
  const ng = grid.nLat * grid.nLon;
  const w = areaWeights(grid);
  let total = 0, n = 0;
  trajs.forEach((t, k) => {
    checkTrajectory(t, ng, k);
    const stat = staticFeatures(grid, t.orography, s.stats, s.options.absoluteLongitude ?? true);
    for (let f = 0; f + 1 < t.numFrames; f++) {
      const cur = t.frames.subarray(f * ng * C, (f + 1) * ng * C);
      const prev = s.options.usePrevious && f > 0 ? t.frames.subarray((f - 1) * ng * C, f * ng * C) : null;
      const next = t.frames.subarray((f + 1) * ng * C, (f + 2) * ng * C);
      const pred = predictNext(s, graph, cur, prev, stat);
      let e = 0;
      for (let i = 0; i < ng * C; i++) {
        const c = i % C;
        const d = (pred[i] - next[i]) / s.stats.dStd[c];
        e += w[(i - c) / C] * d * d;
      }
      total += e / (ng * C);
      n++;
    }
  });
  return total / n;
}
