import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { latLonGrid } from '../../src/geometry/sphere/index.js';
import { adam } from '../../src/models/optim.js';
import {
  C, areaWeights, gridMass, oneStepLoss, scoreState, trainWeather, transformGridField, weatherLr, weatherStats, type WeatherTrajectory,
} from '../../src/train/weather.js';
import { graphCastTensors, disposeGraphCastGraph } from '../../src/models/graphcast_graph.js';
import type { WeatherDataset } from '../../src/sims/weather/dataset.js';
import { fitLinearBaseline, leadScorer, rolloutStep, solveSmall } from '../../src/train/weather_eval.js';
import { kindOf } from '../../src/train/weather_cli.js';
import {
  buildWeatherModel, datasetTrajectories, disposeWeatherRun, loadWeatherCheckpoint, parseWeatherTrainConfig, runGrid, runWeatherTraining,
  saveWeatherCheckpoint, weatherConfigHash,
} from '../../src/train/weather_run.js';

// Tiny problem: 30° grid with poles (7 × 12 = 84 points), multimesh level 1, latent 8.
const GRID = latLonGrid({ resolutionDeg: 30 });
const NG = GRID.nLat * GRID.nLon;

/** Smooth synthetic "weather": a wave travelling east with a jet, frames every step. */
function syntheticTrajectories(n: number, T: number): WeatherTrajectory[] {
  const out: WeatherTrajectory[] = [];
  for (let k = 0; k < n; k++) {
    const frames = new Float32Array(T * NG * C);
    const orography = new Float32Array(NG);
    for (let f = 0; f < T; f++) {
      for (let i = 0; i < GRID.nLat; i++) {
        const lat = (GRID.latDeg[i] * Math.PI) / 180;
        for (let j = 0; j < GRID.nLon; j++) {
          const lon = (GRID.lonDeg[j] * Math.PI) / 180;
          const g = i * GRID.nLon + j;
          const phase = lon - 0.3 * f - 0.7 * k;
          const o = (f * NG + g) * C;
          frames[o] = 8000 + 200 * Math.cos(lat) ** 2 * Math.cos(2 * phase) + 20 * k;
          frames[o + 1] = 30 * Math.cos(lat) + 5 * Math.sin(phase) * Math.cos(lat);
          frames[o + 2] = 5 * Math.cos(phase) * Math.cos(lat);
          if (f === 0) orography[g] = 300 * Math.max(0, Math.cos(lat) * Math.cos(lon - k));
        }
      }
    }
    out.push({ frames, numFrames: T, orography });
  }
  return out;
}

const TRAJS = syntheticTrajectories(3, 6);
/** Yields to the event loop (keeps vitest's worker RPC alive during long training loops). */
const tick = () => new Promise<void>((r) => setImmediate(r));

/** trainWeather in chunks of `opts.logEvery` steps (each chunk resumes the previous one). */
async function trainChunked(run: ReturnType<typeof buildWeatherModel>, opts: { steps: number; lr: number; unroll: number; seed: number; logEvery: number }) {
  let carry: Parameters<typeof trainWeather>[5] = {};
  let r: ReturnType<typeof trainWeather> | null = null;
  for (let s = opts.logEvery; s <= opts.steps; s += opts.logEvery) {
    r = trainWeather(run.surrogate, run.graph, GRID, TRAJS, { ...opts, steps: s }, carry);
    carry = { optimizer: r.optimizer, startStep: r.stepsDone, losses: r.losses, acc: r.acc, accN: r.accN };
    await tick();
  }
  return r!;
}
let dir = '';

function config(over: Record<string, unknown>) {
  return parseWeatherTrainConfig({
    kind: 'weather-graphcast', data: 'synthetic', meshLevel: 1, latent: 8, processorLayers: 1, steps: 6, lr: 3e-3,
    lrDecayAt: 0.5, lrDecayFactor: 0.5, logEvery: 2, checkpointEvery: 2, seed: 3, ...over,
  });
}

beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-weather-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('weather metrics (hand-computed cases)', () => {
  it('area weights of a 90° grid with poles: bands [-90,-45], [-45,45], [45,90], mean 1', () => {
    const g = latLonGrid({ resolutionDeg: 90 });
    const w = areaWeights(g);
    expect(g.nLat).toBe(3);
    const pole = 1 - Math.SQRT1_2, eq = Math.SQRT2;
    const mean = (2 * pole + eq) / 3;
    expect(w[0]).toBeCloseTo(pole / mean, 6);
    expect(w[g.nLon]).toBeCloseTo(eq / mean, 6);
    expect(w[2 * g.nLon + 1]).toBeCloseTo(pole / mean, 6);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(w.length, 4);
  });

  it('scoreState: weighted RMSE of h and wind, uncentred ACC, mass drift', () => {
    const w = Float32Array.of(1, 3);
    // (h, u, v) at two points
    const pred = Float32Array.of(1, 3, 0, 2, 0, 4);
    const truth = Float32Array.of(2, 0, 0, 1, 0, 0);
    const clim = new Float32Array(6);
    const initial = Float32Array.of(2, 0, 0, 1, 0, 0);
    const m0 = gridMass(initial, w);
    expect(m0).toBe(5);
    const s = scoreState(pred, truth, w, clim, m0);
    expect(s.rmseH).toBeCloseTo(1, 12); // sqrt((1·1 + 3·1) / 4)
    expect(s.rmseWind).toBeCloseTo(Math.sqrt(57 / 4), 6); // (1·9 + 3·16) / 4
    expect(s.accH).toBeCloseTo(8 / Math.sqrt(13 * 7), 6); // Σw a'â' = 2 + 6, Σw â'² = 1 + 12, Σw a'² = 4 + 3
    expect(s.massDrift).toBeCloseTo(7 / 5 - 1, 6);
    // A perfect forecast: zero errors, ACC 1.
    const p = scoreState(truth, truth, w, clim, m0);
    expect([p.rmseH, p.rmseWind, p.accH, p.massDrift]).toEqual([0, 0, 1, 0]);
  });

  it('kindOf: the initial-state kind of a dataset label', () => {
    expect(kindOf('rossby-haurwitz(R=3,omega=8.36e-6,K=7.16e-6)+mountains(2)')).toBe('rossby-haurwitz');
    expect(kindOf('jet(lat=-27.4,umax=79.7,pert=94)')).toBe('jet');
    expect(kindOf('bumps(u0=7.2,alpha=0.33,n=3)')).toBe('bumps');
    expect(kindOf(undefined)).toBe('unlabelled');
    expect(kindOf('')).toBe('unlabelled');
  });

  it('leadScorer averages MSE over forecasts before the square root', () => {
    const g = latLonGrid({ resolutionDeg: 90 });
    const n = g.nLat * g.nLon;
    const truth = new Float32Array(n * C);
    const off = (d: number) => Float32Array.from(truth, (_, i) => (i % C === 0 ? d : 0));
    const sc = leadScorer(g, new Float32Array(n * C), 1, 6);
    sc.add([off(1)], [truth], truth.map((_, i) => (i % C === 0 ? 1 : 0)));
    sc.add([off(3)], [truth], truth.map((_, i) => (i % C === 0 ? 1 : 0)));
    const t = sc.table();
    expect(t.leadHours).toEqual([6]);
    expect(t.rmseH[0]).toBeCloseTo(Math.sqrt((1 + 9) / 2), 5);
    expect(t.massDrift[0]).toBeCloseTo((0 + 2) / 2, 5);
    expect(t.perForecastRmseH.length).toBe(2);
    expect(t.perForecastRmseH[0][0]).toBeCloseTo(1, 5);
    expect(t.perForecastRmseH[1][0]).toBeCloseTo(3, 5);
  });
});

describe('weather training', () => {
  it('training steps decrease the one-step loss on a tiny dataset', async () => {
    const c = config({ steps: 16, lrDecayAt: 1 });
    const run = buildWeatherModel(c, GRID, weatherStats(TRAJS, NG));
    const before = oneStepLoss(run.surrogate, run.graph, GRID, TRAJS);
    await tick();
    const r = await trainChunked(run, { steps: 16, lr: 1e-2, unroll: 1, seed: 1, logEvery: 4 });
    const after = oneStepLoss(run.surrogate, run.graph, GRID, TRAJS);
    r.optimizer.dispose();
    disposeWeatherRun(run);
    expect(r.losses.map((l) => l.step)).toEqual([4, 8, 12, 16]);
    expect(after).toBeLessThan(0.5 * before);
  }, 180_000);

  it('multi-step (unroll 2) training runs and decreases the loss too', async () => {
    const c = config({ steps: 10, unroll: 2, lrDecayAt: 1 });
    const run = buildWeatherModel(c, GRID, weatherStats(TRAJS, NG));
    const before = oneStepLoss(run.surrogate, run.graph, GRID, TRAJS);
    await tick();
    const r = await trainChunked(run, { steps: 10, lr: 1e-2, unroll: 2, seed: 1, logEvery: 5 });
    const after = oneStepLoss(run.surrogate, run.graph, GRID, TRAJS);
    r.optimizer.dispose();
    disposeWeatherRun(run);
    expect(after).toBeLessThan(0.7 * before);
  }, 180_000);

  it('checkpoint save → load → save is byte-identical (weights, Adam state, stats)', async () => {
    const c = config({ checkpoint: join(dir, 'rt.ckpt'), steps: 3 });
    const r = await runWeatherTraining(c, { trajectories: TRAJS, grid: GRID });
    disposeWeatherRun(r.run);
    const { run, state, optimizer } = loadWeatherCheckpoint(c.checkpoint, GRID);
    expect(state.step).toBe(3);
    expect(optimizer.getState().step).toBe(3);
    const again = join(dir, 'rt2.ckpt');
    saveWeatherCheckpoint(again, state.config, run.surrogate, { step: state.step, losses: state.losses, acc: state.acc, accN: state.accN, optimizer }, state.trainSeconds);
    expect(Buffer.compare(readFileSync(c.checkpoint), readFileSync(again))).toBe(0);
    optimizer.dispose();
    disposeWeatherRun(run);
  }, 180_000);

  it('resume after a stop at step 3 equals the uninterrupted 6-step run (weights bitwise, losses)', async () => {
    const a = config({ checkpoint: join(dir, 'a.ckpt') });
    const ra = await runWeatherTraining(a, { trajectories: TRAJS, grid: GRID });
    const wa = ra.run.surrogate.params.getWeights();
    disposeWeatherRun(ra.run);

    const b = config({ checkpoint: join(dir, 'b.ckpt') });
    const rb1 = await runWeatherTraining(b, { trajectories: TRAJS, grid: GRID, stopAtStep: 3 });
    expect(rb1.finished).toBe(false);
    expect(rb1.state.step).toBe(3);
    disposeWeatherRun(rb1.run);
    // lr decays at step 3 (lrDecayAt 0.5): the resumed optimiser must pick the decayed rate.
    const rb2 = await runWeatherTraining(b, { trajectories: TRAJS, grid: GRID });
    expect(rb2.resumedFrom).toBe(3);
    expect(rb2.finished).toBe(true);
    const wb = rb2.run.surrogate.params.getWeights();
    disposeWeatherRun(rb2.run);
    expect(rb2.state.losses).toEqual(ra.state.losses);
    for (const name of Object.keys(wa)) expect(Array.from(wb[name].data), name).toEqual(Array.from(wa[name].data));

    // The check can fail: a different optimiser state (fresh Adam) at the resume point diverges.
    const c = config({ checkpoint: join(dir, 'c.ckpt') });
    const rc1 = await runWeatherTraining(c, { trajectories: TRAJS, grid: GRID, stopAtStep: 3 });
    const r2 = trainWeather(rc1.run.surrogate, rc1.run.graph, GRID, TRAJS,
      { steps: 6, lr: c.lr, unroll: 1, seed: c.seed, logEvery: 2, lrDecay: { atStep: 3, factor: 0.5 } },
      { optimizer: adam({ lr: c.lr * 0.5 }), startStep: 3, losses: [...rc1.state.losses], acc: rc1.state.acc, accN: rc1.state.accN });
    r2.optimizer.dispose();
    const wc = rc1.run.surrogate.params.getWeights();
    disposeWeatherRun(rc1.run);
    const differs = Object.keys(wa).some((n) => wa[n].data.some((x, i) => x !== wc[n].data[i]));
    expect(differs).toBe(true);
  }, 120_000);
});

describe('weather training options (session 2)', () => {
  it('weatherLr: linear warm-up then cosine to lr·minFactor (hand-computed); step decay unchanged', () => {
    const o = { lr: 1e-3, lrCosine: { warmupSteps: 4, totalSteps: 14, minFactor: 0.1 } };
    expect(weatherLr(o, 0)).toBeCloseTo(2.5e-4, 12);
    expect(weatherLr(o, 3)).toBeCloseTo(1e-3, 12);
    expect(weatherLr(o, 4)).toBeCloseTo(1e-3, 12);
    // halfway through the decay: 0.1 + 0.9·0.5 = 0.55
    expect(weatherLr(o, 9)).toBeCloseTo(5.5e-4, 12);
    expect(weatherLr(o, 14)).toBeCloseTo(1e-4, 12);
    expect(weatherLr(o, 20)).toBeCloseTo(1e-4, 12);
    expect(weatherLr({ lr: 1e-3, lrDecay: { atStep: 5, factor: 0.1 } }, 4)).toBe(1e-3);
    expect(weatherLr({ lr: 1e-3, lrDecay: { atStep: 5, factor: 0.1 } }, 5)).toBeCloseTo(1e-4, 12);
  });

  it('configs without the new fields keep their hash (old checkpoints resume); new fields change it', () => {
    const base = config({});
    const key = JSON.stringify({ data: base.data, meshLevel: 1, latent: 8, processorLayers: 1, usePrevious: false, absoluteLongitude: true, steps: 6, lr: 3e-3, lrDecayAt: 0.5, lrDecayFactor: 0.5, unroll: 1, seed: 3 });
    expect(weatherConfigHash(base)).toBe(createHash('sha256').update(key).digest('hex').slice(0, 16));
    expect(weatherConfigHash(config({ batchSize: 2 }))).not.toBe(weatherConfigHash(base));
    expect(weatherConfigHash(config({ gridStride: 2 }))).not.toBe(weatherConfigHash(base));
    expect(weatherConfigHash(config({ lrSchedule: 'cosine' }))).not.toBe(weatherConfigHash(base));
  });

  it('datasetTrajectories with gridStride 2 samples every other row/column of the dataset grid (poles kept)', () => {
    const g = latLonGrid({ resolutionDeg: 30 });
    const ng = g.nLat * g.nLon;
    const T = 2;
    const f = (t: number, lat: number, lon: number, c: number) => 1000 * t + 10 * lat + lon / 10 + c / 100;
    const h = new Float32Array(T * ng), u = new Float32Array(T * ng), v = new Float32Array(T * ng), topo = new Float32Array(ng);
    for (let t = 0; t < T; t++) for (let i = 0; i < g.nLat; i++) for (let j = 0; j < g.nLon; j++) {
      const k = t * ng + i * g.nLon + j;
      h[k] = f(t, g.latDeg[i], g.lonDeg[j], 0);
      u[k] = f(t, g.latDeg[i], g.lonDeg[j], 1);
      v[k] = f(t, g.latDeg[i], g.lonDeg[j], 2);
      if (t === 0) topo[i * g.nLon + j] = g.latDeg[i] + g.lonDeg[j];
    }
    const ds = { nLat: g.nLat, nLon: g.nLon, numTrajectories: 1, framesPerTrajectory: T, latDeg: g.latDeg, lonDeg: g.lonDeg, h, u, v, topography: topo } as unknown as WeatherDataset;
    const coarse = runGrid(ds, 2);
    expect([coarse.nLat, coarse.nLon, coarse.spec.resolutionDeg]).toEqual([4, 6, 60]);
    expect(Array.from(coarse.latDeg)).toEqual([-90, -30, 30, 90]);
    const [tr] = datasetTrajectories(ds, 0, 2);
    const n2 = coarse.nLat * coarse.nLon;
    for (let t = 0; t < T; t++) for (let i = 0; i < coarse.nLat; i++) for (let j = 0; j < coarse.nLon; j++) {
      for (let c = 0; c < C; c++) expect(tr.frames[(t * n2 + i * coarse.nLon + j) * C + c]).toBeCloseTo(f(t, coarse.latDeg[i], coarse.lonDeg[j], c), 2);
      expect(tr.orography[i * coarse.nLon + j]).toBe(coarse.latDeg[i] + coarse.lonDeg[j]);
    }
    // stride 1 is the dataset itself; a stride that does not divide the grid is refused
    expect(datasetTrajectories(ds)[0].frames.length).toBe(T * ng * C);
    expect(() => runGrid(ds, 4)).toThrow(/gridStride/);
  });

  it('transformGridField: longitude shift and equatorial mirror (v → −v) on a hand-made 3 × 4 grid', () => {
    const g = { nLat: 3, nLon: 4 };
    // value = 100·row + 10·col + channel
    const x = new Float32Array(12 * 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let c = 0; c < 3; c++) x[(i * 4 + j) * 3 + c] = 100 * i + 10 * j + c;
    const sh = transformGridField(x, g, 3, 1, false, 2);
    // out(i, j) = x(i, j + 1 mod 4)
    expect(Array.from(sh.subarray(0, 3))).toEqual([10, 11, 12]);
    expect(Array.from(sh.subarray(9, 12))).toEqual([0, 1, 2]);
    const mi = transformGridField(x, g, 3, 0, true, 2);
    // out(0, 2) = x(2, 2) with v negated
    expect(Array.from(mi.subarray(6, 9))).toEqual([220, 221, -222]);
    // the middle row is its own mirror image except for v
    expect(Array.from(mi.subarray(12, 15))).toEqual([100, 101, -102]);
    // involution / group structure: mirror twice = identity; 4 shifts of 1 = identity
    expect(Array.from(transformGridField(mi, g, 3, 0, true, 2))).toEqual(Array.from(x));
    let y: Float32Array = x;
    for (let k = 0; k < 4; k++) y = transformGridField(y, g, 3, 1, false, 2);
    expect(Array.from(y)).toEqual(Array.from(x));
    // written at an offset into a larger buffer (batch staging)
    const big = transformGridField(x, g, 3, 0, false, 2, new Float32Array(72), 36);
    expect(Array.from(big.subarray(36))).toEqual(Array.from(x));
  });

  it('augmentation draws new samples (the same config with augment differs) and resumes exactly', async () => {
    const over = { augment: true, batchSize: 2, checkpointEvery: 3, absoluteLongitude: false };
    const a = config({ ...over, checkpoint: join(dir, 'aug-a.ckpt') });
    const ra = await runWeatherTraining(a, { trajectories: TRAJS, grid: GRID });
    const wa = ra.run.surrogate.params.getWeights();
    disposeWeatherRun(ra.run);
    const b = config({ ...over, checkpoint: join(dir, 'aug-b.ckpt') });
    disposeWeatherRun((await runWeatherTraining(b, { trajectories: TRAJS, grid: GRID, stopAtStep: 3 })).run);
    const rb = await runWeatherTraining(b, { trajectories: TRAJS, grid: GRID });
    const wb = rb.run.surrogate.params.getWeights();
    disposeWeatherRun(rb.run);
    for (const name of Object.keys(wa)) expect(Array.from(wb[name].data), name).toEqual(Array.from(wa[name].data));
    const c = config({ ...over, augment: false, checkpoint: join(dir, 'aug-c.ckpt') });
    const rc = await runWeatherTraining(c, { trajectories: TRAJS, grid: GRID });
    const wc = rc.run.surrogate.params.getWeights();
    disposeWeatherRun(rc.run);
    expect(Object.keys(wa).some((n) => wa[n].data.some((x, i) => x !== wc[n].data[i]))).toBe(true);
  }, 120_000);

  it('a batch of 2 copies of the same sample trains exactly like batch 1 (disjoint graph copies)', () => {
    const one = [{ ...TRAJS[0], numFrames: 2, frames: TRAJS[0].frames.slice(0, 2 * NG * C) }];
    const c = config({});
    const stats = weatherStats(one, NG);
    const r1 = buildWeatherModel(c, GRID, stats);
    const r2 = buildWeatherModel(c, GRID, stats);
    const g2 = graphCastTensors(r2.host, 2);
    const a = trainWeather(r1.surrogate, r1.graph, GRID, one, { steps: 3, lr: 3e-3, unroll: 1, seed: 0, logEvery: 1 });
    const b = trainWeather(r2.surrogate, g2, GRID, one, { steps: 3, lr: 3e-3, unroll: 1, seed: 0, logEvery: 1, batchSize: 2 });
    expect(() => trainWeather(r2.surrogate, r2.graph, GRID, one, { steps: 1, lr: 1e-3, unroll: 1, seed: 0, batchSize: 2 })).toThrow(/graph.numGrid/);
    const wa = r1.surrogate.params.getWeights(), wb = r2.surrogate.params.getWeights();
    let err = 0, moved = 0;
    const w0 = buildWeatherModel(c, GRID, stats);
    const wi = w0.surrogate.params.getWeights();
    for (const n of Object.keys(wa)) wa[n].data.forEach((x, i) => {
      err = Math.max(err, Math.abs(x - wb[n].data[i]));
      moved = Math.max(moved, Math.abs(x - wi[n].data[i]));
    });
    a.losses.forEach((l, i) => expect(b.losses[i].loss).toBeCloseTo(l.loss, 4));
    expect(err).toBeLessThan(1e-5);
    // The check can fail: training moved the weights by far more than the tolerance.
    expect(moved).toBeGreaterThan(1e-3);
    for (const r of [a, b]) r.optimizer.dispose();
    disposeGraphCastGraph(g2);
    for (const r of [r1, r2, w0]) disposeWeatherRun(r);
  }, 60_000);

  it('resume with warm-up/cosine lr and batch 2 equals the uninterrupted run (bitwise)', async () => {
    // checkpointEvery 3: the uninterrupted run carries its optimiser across a chunk boundary at
    // step 3 (rate of step 2), the resumed one loads it from the checkpoint (rate of step 3) —
    // both must train step 3 at the rate of step 3.
    const over = { lrSchedule: 'cosine', warmupSteps: 2, lrMinFactor: 0.1, batchSize: 2, usePrevious: true, checkpointEvery: 3 };
    const a = config({ ...over, checkpoint: join(dir, 'ca.ckpt') });
    const ra = await runWeatherTraining(a, { trajectories: TRAJS, grid: GRID });
    const wa = ra.run.surrogate.params.getWeights();
    disposeWeatherRun(ra.run);
    const b = config({ ...over, checkpoint: join(dir, 'cb.ckpt') });
    const rb1 = await runWeatherTraining(b, { trajectories: TRAJS, grid: GRID, stopAtStep: 3 });
    expect(rb1.state.step).toBe(3);
    disposeWeatherRun(rb1.run);
    const rb2 = await runWeatherTraining(b, { trajectories: TRAJS, grid: GRID });
    expect(rb2.resumedFrom).toBe(3);
    const wb = rb2.run.surrogate.params.getWeights();
    disposeWeatherRun(rb2.run);
    expect(rb2.state.losses).toEqual(ra.state.losses);
    for (const name of Object.keys(wa)) expect(Array.from(wb[name].data), name).toEqual(Array.from(wa[name].data));
  }, 120_000);
});

describe('weather baselines', () => {
  it('solveSmall solves a hand-made 3 × 3 system (with a pivot swap)', () => {
    // [[0, 2, 1], [1, 1, 0], [2, 0, 3]] · [1, 2, 3] = [7, 3, 11]; the zero first pivot forces a swap
    const x = solveSmall(Float64Array.from([0, 2, 1, 1, 1, 0, 2, 0, 3]), [7, 3, 11], 3);
    expect(Array.from(x).map((v) => +v.toFixed(10))).toEqual([1, 2, 3]);
  });

  it('the per-grid-point linear baseline recovers an exactly linear local map and rolls it out', () => {
    const g = latLonGrid({ resolutionDeg: 60 });
    const ng = g.nLat * g.nLon;
    const T = 8;
    // x_{t+1} = x_t + a_g·x_t(h) + b_g, different per point: h decays towards a point-dependent level.
    const a = (gi: number) => -0.1 - 0.01 * gi;
    const b = (gi: number) => 50 + gi;
    const trajs: WeatherTrajectory[] = [0, 1, 2].map((k) => {
      const frames = new Float32Array(T * ng * C);
      for (let gi = 0; gi < ng; gi++) {
        frames[gi * C] = 1000 + 300 * k + 7 * gi;
        frames[gi * C + 1] = 5 + k;
        frames[gi * C + 2] = -2;
      }
      for (let f = 1; f < T; f++) for (let gi = 0; gi < ng; gi++) {
        const h = frames[((f - 1) * ng + gi) * C];
        frames[(f * ng + gi) * C] = h + a(gi) * h + b(gi);
        frames[(f * ng + gi) * C + 1] = frames[((f - 1) * ng + gi) * C + 1];
        frames[(f * ng + gi) * C + 2] = -2;
      }
      return { frames, numFrames: T, orography: new Float32Array(ng) };
    });
    const st = weatherStats(trajs, ng);
    const lin = fitLinearBaseline(trajs, ng, st.mean, st.std);
    const fc = rolloutStep((x) => lin.step(x), trajs[1], T - 1);
    let err = 0;
    fc.forEach((x, k) => x.forEach((v, i) => (err = Math.max(err, Math.abs(v - trajs[1].frames[(k + 1) * ng * C + i])))));
    expect(err).toBeLessThan(0.5); // m, against h ~ 1000–2000 m (float32 data, ridge 1e-3)
    // The check can fail: persistence is far off.
    expect(Math.abs(trajs[1].frames[0] - trajs[1].frames[(T - 1) * ng * C])).toBeGreaterThan(50);
  });

  it('solverForecast recomputes the dataset initial states: at the data level it reproduces the stored frames exactly', async () => {
    const { parseWeatherConfig, simulateWeatherDataset, readWeatherDataset, datasetGrid } = await import('../../src/sims/weather/dataset.js');
    const { solverForecast } = await import('../../src/train/weather_eval.js');
    const { datasetTrajectories } = await import('../../src/train/weather_run.js');
    const cfg = parseWeatherConfig({ kind: 'weather-swe', level: 3, gridResolutionDeg: 10, trajectories: 2, days: 0.5, sampleHours: 6, seed: 5 });
    const path = join(dir, 'tiny.h5');
    await simulateWeatherDataset(cfg, path);
    const ds = await readWeatherDataset(path);
    const grid = datasetGrid(ds);
    const trajs = datasetTrajectories(ds);
    for (const k of [0, 1]) {
      const f = solverForecast(cfg, k, 3, grid, 2);
      await tick();
      for (let t = 0; t <= 2; t++) {
        const stored = trajs[k].frames.subarray(t * f.frames[t].length, (t + 1) * f.frames[t].length);
        expect(Array.from(f.frames[t]), `trajectory ${k} frame ${t}`).toEqual(Array.from(stored));
      }
    }
    // A coarser level runs from the same (recomputed) initial state: close to but not equal to the data.
    const coarse = solverForecast(cfg, 0, 2, grid, 2);
    const n = coarse.frames[0].length;
    let maxDiff0 = 0;
    for (let i = 0; i < n; i += C) maxDiff0 = Math.max(maxDiff0, Math.abs(coarse.frames[0][i] - trajs[0].frames[i]));
    expect(maxDiff0).toBeGreaterThan(0);
    expect(maxDiff0).toBeLessThan(1000); // same state, different interpolation mesh (m)
    // The check can fail: another trajectory's initial state does not match trajectory 0's data.
    const other = solverForecast(cfg, 1, 3, grid, 0);
    expect(Array.from(other.frames[0])).not.toEqual(Array.from(trajs[0].frames.subarray(0, n)));
  }, 180_000);
});
