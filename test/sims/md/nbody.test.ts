import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/engine/rng.js';
import {
  NBODY_DEFAULTS, chargedEnergy, chargedForces, integrateCharged, nbodyInitialState, nbodyOptions, simulateCharged,
} from '../../../src/sims/md/nbody.js';
import { generateNBodyDataset } from '../../../src/train/nbody_data.js';

describe('charged N-body generator (EGNN protocol)', () => {
  it('has the protocol defaults', () => {
    expect(NBODY_DEFAULTS).toMatchObject({ numParticles: 5, numSteps: 5000, sampleEvery: 100, dt: 0.001, locStd: 1, velNorm: 0.5, maxForce: 100 });
  });

  it('saves 49 frames of 5 particles with ±1 charges', () => {
    const t = simulateCharged(new Rng(1));
    expect(t.numFrames).toBe(49);
    expect(t.positions.length).toBe(49 * 5 * 3);
    for (const q of t.charges) expect(Math.abs(q)).toBe(1);
  });

  it('initial statistics: speed 0.5 per particle, charges ±1 with p = 1/2, positions ~ N(0,1)', () => {
    const rng = new Rng(7);
    const o = nbodyOptions();
    let pos = 0, cnt = 0, sum = 0, sum2 = 0, m = 0;
    for (let s = 0; s < 2000; s++) {
      const { x, v, q } = nbodyInitialState(rng, o);
      for (let i = 0; i < 5; i++) {
        expect(Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2])).toBeCloseTo(0.5, 12);
        if (q[i] > 0) pos++;
        cnt++;
      }
      for (const xi of x) { sum += xi; sum2 += xi * xi; m++; }
    }
    // Binomial(10000, 1/2): sd 50; 4 sd bound.
    expect(Math.abs(pos - cnt / 2)).toBeLessThan(200);
    expect(Math.abs(sum / m)).toBeLessThan(0.03);
    expect(Math.abs(sum2 / m - 1)).toBeLessThan(0.05);
  });

  it('forces: hand-computed two-particle case, clipping, Newton\'s third law', () => {
    const x = Float64Array.from([0, 0, 0, 2, 0, 0]);
    const q = Float64Array.from([1, 1]);
    const f = chargedForces(x, q, 1, 100, new Float64Array(6));
    // Like charges repel: F_0 = (x0 − x1)/|r|³ = (−2, 0, 0)/8.
    expect(Array.from(f)).toEqual([-0.25, 0, 0, 0.25, 0, 0]);
    const close = Float64Array.from([0, 0, 0, 0.01, 0, 0]);
    const g = chargedForces(close, Float64Array.from([1, -1]), 1, 100, new Float64Array(6));
    expect(Array.from(g)).toEqual([100, 0, 0, -100, 0, 0]);
  });

  it('kick-drift: one saved frame reproduces a hand-rolled loop', () => {
    const o = nbodyOptions({ numSteps: 4, sampleEvery: 2 });
    const x = Float64Array.from([0, 0, 0, 1, 0, 0]);
    const v = Float64Array.from([0, 0.5, 0, 0, 0, 0.5]);
    const q = Float64Array.from([1, -1]);
    const t = integrateCharged(x, v, q, o);
    expect(t.numFrames).toBe(1);
    // Kick, drift (step 1), kick, drift (step 2 → saved).
    const xs = Float64Array.from(x), vs = Float64Array.from(v), f = new Float64Array(6);
    const kick = () => { chargedForces(xs, q, 1, 100, f); for (let k = 0; k < 6; k++) vs[k] += 0.001 * f[k]; };
    const drift = () => { for (let k = 0; k < 6; k++) xs[k] += 0.001 * vs[k]; };
    kick(); drift(); kick(); drift();
    expect(Array.from(t.positions)).toEqual(Array.from(xs));
    expect(Array.from(t.velocities)).toEqual(Array.from(vs));
  });

  it('conserves total momentum (unclipped pair forces) and roughly energy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const o = nbodyOptions({ numSteps: 1000, sampleEvery: 100 });
        const { x, v, q } = nbodyInitialState(rng, o);
        // Keep particles apart so no clipping (the clip breaks the third law by design).
        for (let i = 0; i < 5; i++) x[3 * i] += 3 * i;
        const t = integrateCharged(x, v, q, o);
        const p0 = [0, 1, 2].map((d) => v[d] + v[3 + d] + v[6 + d] + v[9 + d] + v[12 + d]);
        const last = (t.numFrames - 1) * 15;
        const pT = [0, 1, 2].map((d) => [0, 1, 2, 3, 4].reduce((s, i) => s + t.velocities[last + 3 * i + d], 0));
        for (let d = 0; d < 3; d++) expect(Math.abs(pT[d] - p0[d])).toBeLessThan(1e-9);
        const e0 = chargedEnergy(x, v, q);
        const eT = chargedEnergy(t.positions.subarray(last, last + 15), t.velocities.subarray(last, last + 15), q);
        expect(Math.abs(eT - e0)).toBeLessThan(0.02);
      }),
      { seed: 11, numRuns: 20 },
    );
  });

  it('is deterministic in its seed and splits are independent streams', () => {
    const a = generateNBodyDataset({ numTrain: 5, numVal: 3, numTest: 3, seed: 3 });
    const b = generateNBodyDataset({ numTrain: 8, numVal: 3, numTest: 3, seed: 3 });
    expect(Array.from(a.val.xT)).toEqual(Array.from(b.val.xT));
    expect(Array.from(a.train.x0)).toEqual(Array.from(b.train.x0.subarray(0, a.train.x0.length)));
    expect(Array.from(a.val.x0)).not.toEqual(Array.from(a.test.x0));
  });

  it('rejects a step count that is not a multiple of the sampling interval', () => {
    expect(() => nbodyOptions({ numSteps: 5001 })).toThrow(/multiple of sampleEvery/);
  });
});
