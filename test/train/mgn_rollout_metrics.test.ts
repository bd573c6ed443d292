import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/engine/rng.js';
import { p1Operators } from '../../src/models/constraints/p1.js';
import { divergenceFreeProjection } from '../../src/models/constraints/projection.js';
import { driftSeries, fluidConservation, fluidKineticEnergy, momentumDrift, rmseSeries, rolloutRmse, sphereConservation, totalMomentum } from '../../src/train/rollout_metrics.js';
import { randomMesh } from '../models/constraints/fixtures.js';

describe('rollout conservation metrics', () => {
  it('hand-computed cases: momentum, drift, sphere mass/energy, RMSE', () => {
    expect(Array.from(totalMomentum([1, 2, 3, 4], 2, [2, 1]))).toEqual([5, 8]);
    const d = driftSeries('q', [2, 2.5, 1]);
    expect(d.drift).toEqual([0, 0.25, -0.5]);
    expect(d.maxAbsDrift).toBe(0.5);
    // Sphere: 2 cells, areas 1 and 2, h = 1 and 3, u = (1,0,0) and 0, g = 10, b = 0:
    // M = 1 + 6 = 7; E = 1·(½·1·1 + ½·10·1) + 2·(0 + ½·10·9) = 5.5 + 90 = 95.5.
    const s = sphereConservation([[1, 3]], [[1, 0, 0, 0, 0, 0]], { areas: [1, 2], g: 10, velocityDim: 3 });
    expect(s.mass.values).toEqual([7]);
    expect(s.energy.values[0]).toBeCloseTo(95.5, 12);
    expect(rmseSeries([[0, 0, 3, 4]], [[0, 0, 0, 0]], 2)).toEqual([Math.sqrt(25 / 4)]);
    expect(rmseSeries([[0, 0, 3, 4]], [[0, 0, 0, 0]], 2, [1, 0])).toEqual([0]);
    expect(rolloutRmse([[9], [1], [2]], [[0], [0], [0]], 1, 50)).toBeCloseTo(Math.sqrt(2.5), 12);
  });

  it('momentum drift is zero for a momentum-conserving exchange and detects a non-conserving one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (seed) => {
        const rng = new Rng(seed);
        const N = 6;
        const m = Float64Array.from({ length: N }, () => 0.5 + rng.uniform());
        let v = Float64Array.from(rng.normalArray(N * 2));
        const frames = [Float64Array.from(v)];
        for (let t = 0; t < 5; t++) {
          // Pairwise impulse J between particles i and j: m_i Δv_i = J, m_j Δv_j = −J.
          const i = rng.int(N), j = (i + 1 + rng.int(N - 1)) % N;
          const J = [rng.normal(), rng.normal()];
          v = Float64Array.from(v);
          for (let c = 0; c < 2; c++) {
            v[i * 2 + c] += J[c] / m[i];
            v[j * 2 + c] -= J[c] / m[j];
          }
          frames.push(v);
        }
        const good = momentumDrift(frames, 2, m).maxAbsDrift < 1e-12;
        const bad = frames.map((f) => Float64Array.from(f, (x, k) => (k === 0 ? x + 0.1 : x)));
        return good && momentumDrift(bad.slice(0, 1).concat(frames.slice(1)), 2, m).maxAbsDrift > 1e-3;
      }),
      { seed: 3, numRuns: 30 },
    );
  });

  it('fluid: divergence of a projected field is ~0 and KE of a rigid translation is ½|u|²·area', () => {
    const rng = new Rng(4);
    const m = randomMesh(rng, 40);
    const ops = p1Operators(m.positions, m.triangles);
    const N = ops.numNodes;
    const u = Float64Array.from(rng.normalArray(2 * N));
    const P = divergenceFreeProjection(ops);
    const c = fluidConservation(ops, [u, P.project(u)]);
    expect(c.rmsDivergence[0]).toBeGreaterThan(1);
    expect(c.rmsDivergence[1]).toBeLessThan(1e-8 * c.rmsDivergence[0]);
    // Uniform (1, 2): KE = ½ · 5 · area(unit square) = 2.5.
    const uni = Float64Array.from({ length: 2 * N }, (_, k) => (k % 2 === 0 ? 1 : 2));
    expect(fluidKineticEnergy(ops, uni)).toBeCloseTo(2.5, 12);
    expect(fluidConservation(ops, [uni, uni]).rmsDivergence[0]).toBeLessThan(1e-9);
  });
});
