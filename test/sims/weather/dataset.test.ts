import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameFields, framePairs, parseWeatherConfig, readWeatherDataset, simulateWeatherDataset, datasetGrid } from '../../../src/sims/weather/dataset.js';
import { randomInitialState } from '../../../src/sims/weather/initial_states.js';
import { solverGeometry } from '../../../src/sims/weather/cases.js';
import { ShallowWaterSolver } from '../../../src/sims/weather/swe.js';
import { Rng } from '../../../src/engine/rng.js';
import { ConfigError } from '../../../src/util/errors.js';

const base = { kind: 'weather-swe', level: 3, gridResolutionDeg: 10, trajectories: 2, days: 1, sampleHours: 6, seed: 3 };

describe('weather dataset', () => {
  it('config: defaults, JSON round trip, errors that name the field', () => {
    const c = parseWeatherConfig(base);
    expect(c.poles).toBe('include');
    expect(parseWeatherConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(() => parseWeatherConfig({ ...base, level: 9 })).toThrow(ConfigError);
    expect(() => parseWeatherConfig({ ...base, levle: 3 })).toThrow(/levle/);
  });

  it('random initial states are nearly balanced: jets and RH waves start with small tendencies', () => {
    const geo = solverGeometry(4);
    for (const kind of ['jet', 'rossby-haurwitz'] as const) {
      const ic = randomInitialState(geo, new Rng(1), { kinds: [kind], mountainProbability: 0 });
      const s = new ShallowWaterSolver(geo, { topography: ic.b });
      const dh = new Float64Array(geo.numCells), du = new Float64Array(3 * geo.numCells);
      s.rhs(ic.h, ic.u, dh, du);
      let maxDu = 0, maxU = 0;
      for (let i = 0; i < du.length; i++) { maxDu = Math.max(maxDu, Math.abs(du[i])); maxU = Math.max(maxU, Math.abs(ic.u[i])); }
      expect(maxU).toBeGreaterThan(10);
      // an unbalanced state (winds without the balancing height field) has much larger tendencies
      const flat = new Float64Array(geo.numCells).fill(ic.h.reduce((a, b) => a + b, 0) / geo.numCells);
      s.rhs(flat, ic.u, dh, du);
      let maxDu2 = 0;
      for (let i = 0; i < du.length; i++) maxDu2 = Math.max(maxDu2, Math.abs(du[i]));
      console.log(`${kind}: max |du/dt| balanced ${maxDu.toExponential(2)}, unbalanced ${maxDu2.toExponential(2)} m/s²`);
      // RH waves propagate (their tendency is physical), so the margin is smaller than for jets
      expect(maxDu2).toBeGreaterThan((kind === 'jet' ? 4 : 3) * maxDu);
    }
  });

  it('writes, reads back (shapes, mass conserved per trajectory), and resume after a kill gives identical arrays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnnwb-weather-'));
    try {
      const config = parseWeatherConfig(base);
      const full = join(dir, 'full.h5');
      const created = '2026-01-01T00:00:00Z';
      expect(await simulateWeatherDataset(config, full, { created })).toBe(10);
      const ds = await readWeatherDataset(full);
      expect([ds.nLat, ds.nLon, ds.numTrajectories, ds.framesPerTrajectory]).toEqual([19, 36, 2, 5]);
      expect(ds.h.length).toBe(10 * 19 * 36);
      for (let k = 0; k < 2; k++) for (let f = 1; f < 5; f++) {
        const m0 = ds.mass[k * 5], m = ds.mass[k * 5 + f];
        expect(Math.abs(m - m0) / m0).toBeLessThan(1e-12);
      }
      expect(ds.time[4]).toBeCloseTo(86400, 6);
      const x = frameFields(ds, 1, 2);
      expect(x.length).toBe(19 * 36 * 3);
      expect(Math.min(...Array.from({ length: 19 * 36 }, (_, i) => x[3 * i]))).toBeGreaterThan(0);
      expect(framePairs(ds).length).toBe(8);
      expect(datasetGrid(ds).points.length).toBe(19 * 36 * 3);
      // kill after 7 frames (an exception from the progress callback), then resume
      const part = join(dir, 'part.h5');
      await expect(simulateWeatherDataset(config, part, { created, onProgress: (d) => { if (d === 7) throw new Error('killed'); } })).rejects.toThrow('killed');
      expect(await simulateWeatherDataset(config, part, { created, resume: true })).toBe(3);
      const ds2 = await readWeatherDataset(part);
      for (const name of ['h', 'u', 'v', 'mass', 'energy', 'time', 'topography'] as const) {
        expect(Buffer.from(ds2[name].buffer).equals(Buffer.from(ds[name].buffer))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
