/**
 * Demonstration (c) of issue 9: the GraphCast-style weather model with and without the
 * mass-conserving flux head (src/models/constraints/grid_flux.ts), trained with the same small
 * budget on shallow-water data at a low resolution, then rolled out 10 days (40 × 6 h).
 *
 * Variants (same model built with `graphCast(...)` from src/models/graphcast.ts, same seed,
 * same data, same sampling, same loss):
 *
 * - `plain`: outputs `[Ng, 3]` = normalised increments of (h, u, v) (as src/train/weather.ts);
 *   h_{t+1} = h_t + dStd_h · o_h + dMean_h.
 * - `flux`: outputs `[Ng, 4]` = normalised increments of (u, v) and two face-flux channels
 *   z = (z_E, z_N); h_{t+1} = h_t + κ · div(z) with the area-weighted C-grid divergence of
 *   grid_flux.ts and κ = dStd_h · Δθ (Δθ: grid spacing in radians). Σ A h is conserved exactly.
 *
 * Loss (both): area-weighted MSE of the normalised (h, u, v) increments, one-step.
 * Rollout (both): autoregressive from frame 0 of each held-out trajectory, state kept in
 * Float64 on the host (the model sees Float32 inputs), so the flux variant's total mass is
 * conserved to Float64 rounding. Metrics per lead: relative total-mass drift Σ A h / Σ A h₀ − 1
 * (A: exact cell areas), area-weighted RMSE of h and wind, for both variants, persistence and
 * the reference itself (the reference's grid mass drifts a little: it conserves mass on its own
 * icosahedral mesh, and interpolation to the grid does not).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import type { LatLonGrid } from '../geometry/sphere/index.js';
import { graphCast, type GraphCastGraph, type GraphCastModel } from '../models/graphcast.js';
import { buildGraphCastGraph, graphCastTensors } from '../models/graphcast_graph.js';
import { ParamStore } from '../models/params.js';
import { adam, valueAndGrads, disposeGrads } from '../models/optim.js';
import { gridFluxDivergenceHost, gridFluxHead, latLonFaces, type LatLonFaces } from '../models/constraints/grid_flux.js';
import { datasetGrid, parseWeatherConfig, readWeatherDataset, simulateWeatherDataset } from '../sims/weather/dataset.js';
import { ValueError } from '../util/errors.js';
import { C, STATIC_DIM, areaWeights, staticFeatures, weatherStats, type WeatherStats, type WeatherTrajectory } from './weather.js';
import { datasetTrajectories } from './weather_run.js';

export type FluxVariant = 'plain' | 'flux';

/** Data of one split (a `weather-swe` simulate config, generated when missing). */
export interface FluxDemoData {
  readonly level: number;
  readonly gridResolutionDeg: number;
  readonly trajectories: number;
  readonly days: number;
  readonly seed: number;
}

/** Demo configuration (plain JSON). */
export interface FluxWeatherDemoConfig {
  /** Folder of the generated datasets. */
  readonly dataDir: string;
  readonly train: FluxDemoData;
  readonly heldout: FluxDemoData;
  readonly meshLevel: number;
  readonly latent: number;
  readonly processorLayers: number;
  /** Optimiser steps (one sample each), the same for both variants. */
  readonly steps: number;
  readonly lr: number;
  /** Fraction of steps after which lr is multiplied by 0.1. */
  readonly lrDecayAt: number;
  readonly seed: number;
  /** Rollout length in 6-h steps (40 = 10 days). */
  readonly rolloutSteps: number;
  readonly out: string;
}

export const FLUX_WEATHER_DEFAULTS: FluxWeatherDemoConfig = Object.freeze({
  dataDir: 'runs/constraints-flux-weather',
  train: { level: 3, gridResolutionDeg: 10, trajectories: 16, days: 5, seed: 0 },
  heldout: { level: 3, gridResolutionDeg: 10, trajectories: 4, days: 10, seed: 1 },
  meshLevel: 2,
  latent: 32,
  processorLayers: 4,
  steps: 600,
  lr: 1e-3,
  lrDecayAt: 0.75,
  seed: 0,
  rolloutSteps: 40,
  out: 'results/constraints_flux_weather.json',
});

/** Generates (if missing) and loads one split. */
export async function fluxDemoData(dir: string, name: string, d: FluxDemoData, log: (s: string) => void): Promise<{ grid: LatLonGrid; trajs: WeatherTrajectory[] }> {
  const path = `${dir}/${name}.h5`;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    log(`data: simulating ${name} (level ${d.level}, ${d.trajectories} × ${d.days} d, ${d.gridResolutionDeg}° grid) → ${path}`);
    const cfg = parseWeatherConfig({ kind: 'weather-swe', level: d.level, gridResolutionDeg: d.gridResolutionDeg, poles: 'include', trajectories: d.trajectories, days: d.days, sampleHours: 6, seed: d.seed, output: `${name}.h5` });
    await simulateWeatherDataset(cfg, path, { overwrite: true });
  }
  const ds = await readWeatherDataset(path);
  return { grid: datasetGrid(ds), trajs: datasetTrajectories(ds) };
}

/** A built variant: model, parameters and the pieces its step needs. */
export interface FluxDemoModel {
  readonly variant: FluxVariant;
  readonly model: GraphCastModel;
  readonly params: ParamStore;
  readonly stats: WeatherStats;
  readonly faces: LatLonFaces;
  /** κ of the flux head (m per unit z per radian). */
  readonly kappa: number;
}

export function buildFluxDemoModel(variant: FluxVariant, c: FluxWeatherDemoConfig, stats: WeatherStats, meshInDim: number, faces: LatLonFaces, grid: LatLonGrid): FluxDemoModel {
  const params = new ParamStore(new Rng(c.seed).fork('weather-init'));
  const model = graphCast({ gridInDim: C + STATIC_DIM, gridOutDim: variant === 'plain' ? C : 4, meshInDim, edgeDim: 4, latent: c.latent, processorLayers: c.processorLayers }, params);
  const kappa = stats.dStd[0] * ((grid.spec.resolutionDeg * Math.PI) / 180);
  return { variant, model, params, stats, faces, kappa };
}

/** Model inputs [Ng, 3 + 6] from a state [Ng·3] (normalised) and static features. */
function inputs(m: FluxDemoModel, cur: ArrayLike<number>, stat: Float32Array): Float32Array {
  const ng = cur.length / C;
  const w = C + STATIC_DIM;
  const out = new Float32Array(ng * w);
  for (let g = 0; g < ng; g++) {
    for (let c = 0; c < C; c++) out[g * w + c] = (cur[g * C + c] - m.stats.mean[c]) / m.stats.std[c];
    for (let q = 0; q < STATIC_DIM; q++) out[g * w + C + q] = stat[g * STATIC_DIM + q];
  }
  return out;
}

/**
 * The normalised (h, u, v) increment predicted by a variant, as a tensor [Ng, 3] (inside a
 * tidy or a gradient tape). For `flux`, the h column is (κ div(z) − dMean_h) / dStd_h.
 */
function normalisedIncrement(m: FluxDemoModel, head: ReturnType<typeof gridFluxHead> | null, x: tf.Tensor2D, graph: GraphCastGraph): tf.Tensor2D {
  const out = m.model(x, graph);
  if (m.variant === 'plain') return out;
  const ng = out.shape[0];
  // [Ng, 1] physical Δh from the face fluxes
  const dh = head!(tf.slice(out, [0, 2], [ng, 2]) as tf.Tensor2D, m.kappa);
  const hn = tf.div(tf.sub(dh, m.stats.dMean[0]), m.stats.dStd[0]);
  // [Ng, 3]
  return tf.concat([hn, tf.slice(out, [0, 0], [ng, 2])], 1) as tf.Tensor2D;
}

/** Trains a variant in place; returns the loss curve (mean per 25 steps) and seconds. */
export function trainFluxDemoModel(m: FluxDemoModel, graph: GraphCastGraph, grid: LatLonGrid, trajs: readonly WeatherTrajectory[], c: FluxWeatherDemoConfig, log: (s: string) => void): { losses: { step: number; loss: number }[]; seconds: number } {
  const ng = grid.nLat * grid.nLon;
  const rng = new Rng(c.seed).fork('flux-demo-batches');
  const weights = tf.tensor2d(areaWeights(grid), [ng, 1]);
  const head = m.variant === 'flux' ? gridFluxHead(m.faces) : null;
  const statics = trajs.map((t) => staticFeatures(grid, t.orography, m.stats));
  const decayAt = Math.round(c.lrDecayAt * c.steps);
  let opt = adam({ lr: c.lr });
  const losses: { step: number; loss: number }[] = [];
  let acc = 0, n = 0;
  const t0 = performance.now();
  for (let step = 0; step < c.steps; step++) {
    if (step === decayAt && step > 0) {
      const st = opt.getState();
      opt.dispose();
      opt = adam({ lr: c.lr * 0.1 });
      opt.setState(m.params, st);
    }
    const ti = rng.int(trajs.length);
    const t = trajs[ti];
    const f0 = rng.int(t.numFrames - 1);
    const cur = t.frames.subarray(f0 * ng * C, (f0 + 1) * ng * C);
    const next = t.frames.subarray((f0 + 1) * ng * C, (f0 + 2) * ng * C);
    const target = new Float32Array(ng * C);
    for (let i = 0; i < ng * C; i++) target[i] = (next[i] - cur[i] - m.stats.dMean[i % C]) / m.stats.dStd[i % C];
    const x = tf.tensor2d(inputs(m, cur, statics[ti]), [ng, C + STATIC_DIM]);
    const y = tf.tensor2d(target, [ng, C]);
    const { value, grads } = valueAndGrads(m.params, () => tf.mean(tf.mul(tf.square(tf.sub(normalisedIncrement(m, head, x, graph), y)), weights)) as tf.Scalar);
    opt.apply(m.params, grads);
    const lv = value.dataSync()[0];
    tf.dispose([value, x, y]);
    disposeGrads(grads);
    if (!Number.isFinite(lv)) throw new ValueError('training loss', 'a finite number', `${lv} at step ${step} (${m.variant})`, 'Lower lr');
    acc += lv;
    n++;
    if ((step + 1) % 25 === 0 || step + 1 === c.steps) {
      losses.push({ step: step + 1, loss: acc / n });
      log(`${m.variant}: step ${step + 1}/${c.steps} loss ${(acc / n).toExponential(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      acc = 0;
      n = 0;
    }
  }
  opt.dispose();
  weights.dispose();
  head?.dispose();
  return { losses, seconds: (performance.now() - t0) / 1000 };
}

/** Rolls a variant out `steps` × 6 h from frame 0; Float64 states [Ng·3] at leads 1…steps. */
export function rolloutFluxDemo(m: FluxDemoModel, graph: GraphCastGraph, grid: LatLonGrid, traj: WeatherTrajectory, steps: number): Float64Array[] {
  const ng = grid.nLat * grid.nLon;
  const stat = staticFeatures(grid, traj.orography, m.stats);
  let cur = Float64Array.from(traj.frames.subarray(0, ng * C));
  const out: Float64Array[] = [];
  for (let k = 0; k < steps; k++) {
    const x = tf.tensor2d(inputs(m, cur, stat), [ng, C + STATIC_DIM]);
    const y = m.model(x, graph);
    const o = y.dataSync();
    tf.dispose([x, y]);
    const next = new Float64Array(ng * C);
    const W = m.variant === 'plain' ? C : 4;
    for (let g = 0; g < ng; g++) {
      if (m.variant === 'plain') {
        for (let c = 0; c < C; c++) next[g * C + c] = cur[g * C + c] + o[g * W + c] * m.stats.dStd[c] + m.stats.dMean[c];
      } else {
        for (let c = 1; c < C; c++) next[g * C + c] = cur[g * C + c] + o[g * W + c - 1] * m.stats.dStd[c] + m.stats.dMean[c];
      }
    }
    if (m.variant === 'flux') {
      const z = new Float64Array(2 * ng);
      for (let g = 0; g < ng; g++) {
        z[2 * g] = o[g * W + 2];
        z[2 * g + 1] = o[g * W + 3];
      }
      const dh = gridFluxDivergenceHost(m.faces, z, m.kappa);
      for (let g = 0; g < ng; g++) next[g * C] = cur[g * C] + dh[g];
    }
    out.push(next);
    cur = next;
  }
  return out;
}

/** Σ_c A_c h_c of a state [Ng·3] (Float64). */
export function cellMass(state: ArrayLike<number>, faces: LatLonFaces): number {
  let m = 0;
  for (let g = 0; g < faces.numCells; g++) m += faces.areas[g] * state[g * C];
  return m;
}

/** Area-weighted RMSE of h and of the wind vector between two states [Ng·3]. */
export function stateErrors(a: ArrayLike<number>, b: ArrayLike<number>, faces: LatLonFaces): { h: number; wind: number } {
  let eh = 0, ew = 0, w = 0;
  for (let g = 0; g < faces.numCells; g++) {
    const A = faces.areas[g];
    eh += A * (a[g * C] - b[g * C]) ** 2;
    ew += A * ((a[g * C + 1] - b[g * C + 1]) ** 2 + (a[g * C + 2] - b[g * C + 2]) ** 2);
    w += A;
  }
  return { h: Math.sqrt(eh / w), wind: Math.sqrt(ew / w) };
}

/** Per-lead series of one forecaster, averaged over held-out trajectories. */
export interface LeadSeries {
  /** Mean over trajectories of Σ A h(τ) / Σ A h(0) − 1. */
  readonly massDrift: number[];
  readonly maxAbsMassDrift: number;
  /** RMSE over trajectories (mean square, then root), m. */
  readonly rmseH: number[];
  readonly rmseWind: number[];
}

/** Accumulates forecasts of one forecaster. */
export function leadAccumulator(faces: LatLonFaces, leads: number) {
  const drift = new Float64Array(leads), eh = new Float64Array(leads), ew = new Float64Array(leads);
  let n = 0, maxAbs = 0;
  return {
    add(forecast: readonly ArrayLike<number>[], truth: readonly ArrayLike<number>[], initial: ArrayLike<number>): void {
      const m0 = cellMass(initial, faces);
      for (let k = 0; k < leads; k++) {
        const d = cellMass(forecast[k], faces) / m0 - 1;
        drift[k] += d;
        maxAbs = Math.max(maxAbs, Math.abs(d));
        const e = stateErrors(forecast[k], truth[k], faces);
        eh[k] += e.h ** 2;
        ew[k] += e.wind ** 2;
      }
      n++;
    },
    series(): LeadSeries {
      return {
        massDrift: [...drift].map((x) => x / n),
        maxAbsMassDrift: maxAbs,
        rmseH: [...eh].map((x) => Math.sqrt(x / n)),
        rmseWind: [...ew].map((x) => Math.sqrt(x / n)),
      };
    },
  };
}

/** The result file's content. */
export interface FluxWeatherDemoResult {
  readonly demonstration: string;
  readonly config: FluxWeatherDemoConfig;
  readonly grid: { nLat: number; nLon: number; resolutionDeg: number; meshNodes: number; parameters: Record<FluxVariant, number> };
  readonly leadHours: number[];
  readonly training: Record<FluxVariant, { losses: { step: number; loss: number }[]; seconds: number; finalLoss: number }>;
  readonly plain: LeadSeries;
  readonly flux: LeadSeries;
  readonly persistence: LeadSeries;
  /** The reference interpolated to the grid (its grid mass drift: interpolation, not the solver). */
  readonly reference: Pick<LeadSeries, 'massDrift' | 'maxAbsMassDrift'>;
  /** rmseH / persistence rmseH at each lead. */
  readonly ratioToPersistence: Record<FluxVariant, number[]>;
}

/** Runs the whole demonstration (data → train both → roll out both → scores). */
export async function fluxWeatherDemo(partial: Partial<FluxWeatherDemoConfig>, log: (s: string) => void = () => {}): Promise<FluxWeatherDemoResult> {
  const c: FluxWeatherDemoConfig = { ...FLUX_WEATHER_DEFAULTS, ...partial };
  const tr = await fluxDemoData(c.dataDir, 'train', c.train, log);
  const ho = await fluxDemoData(c.dataDir, 'heldout', c.heldout, log);
  const grid = tr.grid;
  if (ho.grid.nLat !== grid.nLat || ho.grid.nLon !== grid.nLon) throw new ValueError('heldout.gridResolutionDeg', `${grid.spec.resolutionDeg} (as train)`, String(ho.grid.spec.resolutionDeg));
  const leads = c.rolloutSteps;
  if (ho.trajs[0].numFrames < leads + 1) throw new ValueError('heldout.days', `at least ${leads / 4} (${leads} × 6 h)`, String(c.heldout.days));
  const ng = grid.nLat * grid.nLon;
  const stats = weatherStats(tr.trajs, ng);
  const host = buildGraphCastGraph(grid, { meshLevel: c.meshLevel });
  const graph = graphCastTensors(host);
  const faces = latLonFaces(grid);
  const acc = { plain: leadAccumulator(faces, leads), flux: leadAccumulator(faces, leads), persistence: leadAccumulator(faces, leads), reference: leadAccumulator(faces, leads) };
  const training = {} as FluxWeatherDemoResult['training'];
  const parameters = {} as Record<FluxVariant, number>;
  for (const variant of ['plain', 'flux'] as const) {
    const m = buildFluxDemoModel(variant, c, stats, host.meshInDim, faces, grid);
    parameters[variant] = m.params.numParams();
    log(`${variant}: ${parameters[variant]} parameters, grid ${grid.nLat}×${grid.nLon}, mesh level ${c.meshLevel} (${host.numMesh} nodes)`);
    const t = trainFluxDemoModel(m, graph, grid, tr.trajs, c, log);
    training[variant] = { ...t, finalLoss: t.losses.at(-1)?.loss ?? NaN };
    for (const traj of ho.trajs) {
      const truth = Array.from({ length: leads }, (_, k) => traj.frames.subarray((k + 1) * ng * C, (k + 2) * ng * C));
      const init = traj.frames.subarray(0, ng * C);
      acc[variant].add(rolloutFluxDemo(m, graph, grid, traj, leads), truth, init);
      if (variant === 'plain') {
        acc.persistence.add(truth.map(() => init), truth, init);
        acc.reference.add(truth, truth, init);
      }
    }
    m.params.dispose();
  }
  graph.meshFeatures.dispose();
  for (const s of [graph.g2m, graph.m2m, graph.m2g]) tf.dispose([s.senders, s.receivers, s.features]);
  const plain = acc.plain.series(), flux = acc.flux.series(), persistence = acc.persistence.series(), ref = acc.reference.series();
  return {
    demonstration: 'issue 9 (c): GraphCast-style weather model with and without the mass-conserving flux head — total-mass drift and height RMSE over a 10-day (40 × 6 h) rollout',
    config: c,
    grid: { nLat: grid.nLat, nLon: grid.nLon, resolutionDeg: grid.spec.resolutionDeg, meshNodes: host.numMesh, parameters },
    leadHours: Array.from({ length: leads }, (_, k) => 6 * (k + 1)),
    training,
    plain,
    flux,
    persistence,
    reference: { massDrift: ref.massDrift, maxAbsMassDrift: ref.maxAbsMassDrift },
    ratioToPersistence: {
      plain: plain.rmseH.map((x, k) => x / persistence.rmseH[k]),
      flux: flux.rmseH.map((x, k) => x / persistence.rmseH[k]),
    },
  };
}
