import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { latLonGrid } from '../../src/geometry/sphere/index.js';
import { adam } from '../../src/models/optim.js';
import {
  C, areaWeights, gridMass, oneStepLoss, scoreState, trainWeather, weatherStats, type WeatherTrajectory,
} from '../../src/train/weather.js';
import { leadScorer } from '../../src/train/weather_eval.js';
import {
  buildWeatherModel, disposeWeatherRun, loadWeatherCheckpoint, parseWeatherTrainConfig, runWeatherTraining, saveWeatherCheckpoint,
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

describe('weather baselines', () => {
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
