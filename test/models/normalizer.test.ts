import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { OnlineNormalizer } from '../../src/models/normalizer.js';

beforeAll(async () => {
  await initBackend();
});

describe('OnlineNormalizer', () => {
  it('running statistics over batches equal the statistics of all rows (any batch split)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4 }), (seed, sizes, F) => {
        const rng = new Rng(seed);
        const norm = new OnlineNormalizer({ size: F });
        const all: number[] = [];
        for (const rows of sizes) {
          // Large offset, small spread: exercises cancellation.
          const batch = Array.from({ length: rows * F }, () => 1000 + 0.01 * rng.normal());
          all.push(...batch);
          norm.accumulate(batch);
        }
        const R = all.length / F;
        if (R === 0) return norm.rows === 0;
        for (let f = 0; f < F; f++) {
          let m = 0;
          for (let r = 0; r < R; r++) m += all[r * F + f];
          m /= R;
          let v = 0;
          for (let r = 0; r < R; r++) v += (all[r * F + f] - m) ** 2;
          const sd = Math.max(Math.sqrt(v / R), 1e-8);
          if (Math.abs(norm.mean()[f] - m) > 1e-9 * Math.abs(m)) return false;
          if (Math.abs(norm.std()[f] - sd) > 1e-6 * sd + 1e-12) return false;
        }
        return true;
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('normalize/inverse round trip; normalised data has mean 0 and std 1', () => {
    const rng = new Rng(2);
    const norm = new OnlineNormalizer({ size: 3 });
    const data = Float32Array.from({ length: 300 }, (_, k) => (k % 3) * 5 + (1 + (k % 3)) * rng.normal());
    norm.accumulate(data);
    const x = tf.tensor2d(data, [100, 3]);
    const y = norm.normalize(x);
    const ya = y.dataSync();
    for (let f = 0; f < 3; f++) {
      let m = 0, v = 0;
      for (let r = 0; r < 100; r++) m += ya[r * 3 + f] / 100;
      for (let r = 0; r < 100; r++) v += (ya[r * 3 + f] - m) ** 2 / 100;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(Math.abs(Math.sqrt(v) - 1)).toBeLessThan(1e-4);
    }
    const back = norm.inverse(y).dataSync();
    for (let k = 0; k < data.length; k++) expect(Math.abs(back[k] - data[k])).toBeLessThan(1e-4 * (1 + Math.abs(data[k])));
    const hb = norm.inverseArray(norm.normalizeArray(data));
    for (let k = 0; k < data.length; k++) expect(Math.abs(hb[k] - data[k])).toBeLessThan(1e-4 * (1 + Math.abs(data[k])));
    tf.dispose([x, y]);
    norm.dispose();
  });

  it('freezes after maxAccumulations, honours row masks, floors σ, round-trips through JSON', () => {
    const norm = new OnlineNormalizer({ size: 1, maxAccumulations: 2, stdEpsilon: 1e-3, name: 'out' });
    norm.accumulate([1, 3, 100], [1, 1, 0]); // masked row ignored
    expect(Array.from(norm.mean())).toEqual([2]);
    expect(Array.from(norm.std())).toEqual([1]);
    norm.accumulate([2, 2]);
    expect(norm.mean()[0]).toBe(2);
    expect(norm.std()[0]).toBeCloseTo(Math.sqrt(0.5), 12);
    norm.accumulate([1000]); // frozen: no effect
    expect(norm.rows).toBe(4);
    expect(norm.accumulating).toBe(false);
    const copy = OnlineNormalizer.fromJSON(JSON.parse(JSON.stringify(norm.toJSON())));
    expect(Array.from(copy.mean())).toEqual(Array.from(norm.mean()));
    expect(Array.from(copy.std())).toEqual(Array.from(norm.std()));
    expect(copy.accumulating).toBe(false);
    const constant = new OnlineNormalizer({ size: 1, stdEpsilon: 1e-3 });
    constant.accumulate([5, 5, 5]);
    expect(constant.std()[0]).toBe(1e-3);
    expect(() => constant.normalize(tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(/\[rows, 1\]/);
  });
});
