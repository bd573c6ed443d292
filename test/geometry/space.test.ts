import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { free, periodic } from '../../src/geometry/space.js';
import { pointsInBox } from '../helpers/arbitraries.js';

const SEED = 20261122;

describe('space', () => {
  it('free displacement is a - b and shift adds', () => {
    const s = free();
    const a = Float64Array.of(1, 2, 3);
    const b = Float64Array.of(0.5, -1, 4);
    const out = new Float64Array(3);
    expect(s.displacement(a, 0, b, 0, out)).toBeCloseTo(0.25 + 9 + 1, 12);
    expect([...out]).toEqual([0.5, 3, -1]);
    expect([...s.shift(a, b)]).toEqual([1.5, 1, 7]);
  });

  it('periodic displacement uses the minimum image (hand case)', () => {
    const s = periodic([10, 10, 10]);
    const a = Float64Array.of(9.5, 0.2, 5);
    const b = Float64Array.of(0.5, 9.9, 5);
    const out = new Float64Array(3);
    s.displacement(a, 0, b, 0, out);
    expect(out[0]).toBeCloseTo(-1, 12);
    expect(out[1]).toBeCloseTo(0.3, 12);
    expect(out[2]).toBe(0);
  });

  it('periodic shift wraps into [0, L) and rejects bad boxes', () => {
    const s = periodic([2, 3]);
    const w = s.shift(Float64Array.of(1.5, 2.5), Float64Array.of(1, -3));
    expect(w[0]).toBeCloseTo(0.5, 12);
    expect(w[1]).toBeCloseTo(2.5, 12);
    const tiny = s.wrap(Float64Array.of(-1e-18, -1e-18));
    expect(tiny[0]).toBeGreaterThanOrEqual(0);
    expect(tiny[0]).toBeLessThan(2);
    expect(() => periodic([1, 0, 1])).toThrow(/box\[1\]/);
  });

  it('property: minimum image equals the shortest of the 27 images', () => {
    fc.assert(
      fc.property(pointsInBox({ minPoints: 2, maxPoints: 6 }), ({ box, positions }) => {
        const s = periodic(box);
        const n = positions.length / 3;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          let best = Infinity;
          for (let ix = -2; ix <= 2; ix++) for (let iy = -2; iy <= 2; iy++) for (let iz = -2; iz <= 2; iz++) {
            const dx = positions[3 * i] - positions[3 * j] + ix * box[0];
            const dy = positions[3 * i + 1] - positions[3 * j + 1] + iy * box[1];
            const dz = positions[3 * i + 2] - positions[3 * j + 2] + iz * box[2];
            best = Math.min(best, dx * dx + dy * dy + dz * dz);
          }
          expect(s.distanceSq(positions, i, positions, j)).toBeCloseTo(best, 9);
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('property: shift then minimum-image displacement recovers dR', () => {
    fc.assert(
      fc.property(pointsInBox({ minPoints: 1, maxPoints: 10 }), fc.double({ min: -0.4, max: 0.4, noNaN: true }), ({ box, positions }, t) => {
        const s = periodic(box);
        const dR = positions.map((_, i) => t * box[i % 3] * 0.9);
        const moved = s.shift(positions, dR);
        const out = new Float64Array(3);
        for (let i = 0; i < positions.length / 3; i++) {
          s.displacement(moved, i, positions, i, out);
          for (let k = 0; k < 3; k++) {
            expect(out[k]).toBeCloseTo(dR[3 * i + k], 9);
            expect(moved[3 * i + k]).toBeGreaterThanOrEqual(0);
            expect(moved[3 * i + k]).toBeLessThan(box[k]);
          }
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
