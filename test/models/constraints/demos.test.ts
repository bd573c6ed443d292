/**
 * The issue-9 demonstrations (a) and (c) on tiny budgets: the conserving variants keep their
 * conserved quantity through a trained, autoregressive rollout; the plain ones do not.
 * (The full runs are `gnnwb rollout` kinds constraints-momentum-trained / constraints-flux-weather.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { latLonGrid } from '../../../src/geometry/sphere/latlon_grid.js';
import { buildGraphCastGraph, graphCastTensors } from '../../../src/models/graphcast_graph.js';
import { latLonFaces } from '../../../src/models/constraints/grid_flux.js';
import { momentumTrainedDemo } from '../../../src/train/constraint_demos_particles.js';
import { FLUX_WEATHER_DEFAULTS, buildFluxDemoModel, cellMass, rolloutFluxDemo, trainFluxDemoModel } from '../../../src/train/constraint_demos_weather.js';
import { weatherStats, type WeatherTrajectory } from '../../../src/train/weather.js';

beforeAll(async () => {
  await initBackend();
});

describe('demo (a): particle surrogate with/without momentum-conserving messages', () => {
  it('after training, the conserving rollout keeps total momentum to float rounding and the plain one drifts', () => {
    const r = momentumTrainedDemo({ trainTrajectories: 4, testTrajectories: 2, hidden: 16, steps: 15, batchSize: 8, sim: { numSteps: 1000, sampleEvery: 100 } });
    expect(r.steps).toBe(8);
    expect(r.plain.drift.length).toBe(9);
    expect(r.plain.mse[0]).toBe(0);
    expect(r.conserving.maxAbsDrift).toBeLessThan(1e-6);
    expect(r.plain.maxAbsDrift).toBeGreaterThan(1e-4);
    expect(r.training.plain.losses.at(-1)!.step).toBe(15);
    for (const x of [...r.plain.mse, ...r.conserving.mse]) expect(Number.isFinite(x)).toBe(true);
  }, 60_000);
});

describe('demo (c): GraphCast-style model with/without the lat-lon flux head', () => {
  it('the flux variant conserves Σ A h over a rollout to Float64 rounding; the plain one does not', () => {
    const grid = latLonGrid({ resolutionDeg: 30 });
    const ng = grid.nLat * grid.nLon;
    const rng = new Rng(12);
    // Synthetic smooth trajectories: h = 5000 + waves, u, v = waves (enough to train and roll out).
    const trajs: WeatherTrajectory[] = [0, 1].map((k) => {
      const T = 6;
      const frames = new Float32Array(T * ng * 3);
      const a = rng.uniformIn(50, 150), p = rng.uniformIn(0, 6);
      for (let f = 0; f < T; f++) {
        for (let i = 0; i < grid.nLat; i++) {
          for (let j = 0; j < grid.nLon; j++) {
            const g = i * grid.nLon + j, lat = (grid.latDeg[i] * Math.PI) / 180, lon = (grid.lonDeg[j] * Math.PI) / 180;
            frames[(f * ng + g) * 3] = 5000 + a * Math.cos(lat) * Math.sin(2 * lon - 0.3 * f + p + k);
            frames[(f * ng + g) * 3 + 1] = 10 * Math.cos(lat) * Math.cos(lon - 0.2 * f);
            frames[(f * ng + g) * 3 + 2] = 5 * Math.sin(lon + 0.1 * f);
          }
        }
      }
      return { frames, numFrames: T, orography: new Float32Array(ng) };
    });
    const stats = weatherStats(trajs, ng);
    const host = buildGraphCastGraph(grid, { meshLevel: 1 });
    const graph = graphCastTensors(host);
    const faces = latLonFaces(grid);
    const c = { ...FLUX_WEATHER_DEFAULTS, latent: 8, processorLayers: 1, steps: 4 };
    const drift: Record<string, number> = {};
    for (const variant of ['plain', 'flux'] as const) {
      const m = buildFluxDemoModel(variant, c, stats, host.meshInDim, faces, grid);
      const t = trainFluxDemoModel(m, graph, grid, trajs, c, () => {});
      expect(t.losses.at(-1)!.step).toBe(4);
      const out = rolloutFluxDemo(m, graph, grid, trajs[0], 5);
      const m0 = cellMass(trajs[0].frames.subarray(0, ng * 3), faces);
      drift[variant] = Math.max(...out.map((s) => Math.abs(cellMass(s, faces) / m0 - 1)));
      m.params.dispose();
    }
    expect(drift.flux).toBeLessThan(1e-13);
    expect(drift.plain).toBeGreaterThan(1e-9);
    graph.meshFeatures.dispose();
    for (const s of [graph.g2m, graph.m2m, graph.m2g]) tf.dispose([s.senders, s.receivers, s.features]);
  }, 60_000);
});
