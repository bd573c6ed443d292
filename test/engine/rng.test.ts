import { describe, expect, it } from 'vitest';
import { Rng, hashSeed } from '../../src/engine/rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.nextU32());
    const xb = Array.from({ length: 5 }, () => b.nextU32());
    const xc = Array.from({ length: 5 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('pins the first values of seed 0 (cross-platform stream)', () => {
    const r = new Rng(0);
    const first = [r.nextU32(), r.nextU32(), r.nextU32()];
    // Pinned on first implementation; a change here changes every dataset.
    expect(first).toMatchSnapshot();
  });

  it('uniform has mean 1/2 and variance 1/12; normal has mean 0 and variance 1', () => {
    const r = new Rng(7);
    const n = 200_000;
    let s = 0, s2 = 0, t = 0, t2 = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) outOfRange++;
      s += u; s2 += u * u;
      const z = r.normal();
      t += z; t2 += z * z;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(s / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(t / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(t2 / n - 1)).toBeLessThan(0.02);
  });

  it('int(n) is uniform over [0, n)', () => {
    const r = new Rng(3);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('fork depends only on (seed, label), not on draws made before', () => {
    const a = new Rng(5);
    const f1 = a.fork('init').nextU32();
    a.uniform(); a.uniform();
    expect(a.fork('init').nextU32()).toBe(f1);
    expect(a.fork('noise').nextU32()).not.toBe(f1);
    expect(hashSeed(5, 'x')).toBe(hashSeed(5, 'x'));
  });

  it('permutation is a permutation', () => {
    const p = new Rng(1).permutation(100);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects non-integer seeds with a clear message', () => {
    expect(() => new Rng(1.5)).toThrow(/Expected 'seed' to be an integer \(got 1.5\)/);
  });
});
