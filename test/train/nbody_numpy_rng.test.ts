/**
 * The reference's random stream: NumPy's legacy `np.random` (MT19937, random_sample, polar
 * Gaussian) and the EGNN authors' N-body draw with `np.random.seed(43)`. Literal values were
 * printed by NumPy 1.24 (`/usr/bin/python3`): `np.random.seed(43); np.random.random_sample(3)`
 * etc., and for the dataset by replaying `generate_dataset.py --num-train 10000 --seed 43`'s
 * draws (first simulation of each split, and training simulation 2,999).
 */
import { describe, expect, it } from 'vitest';
import { NumpyLegacyRandom } from '../../src/train/nbody_numpy_rng.js';
import { NBODY_REFERENCE_DRAWS, generateNBodyDataset, numpyInitialState } from '../../src/train/nbody_data.js';
import { nbodyOptions } from '../../src/sims/md/nbody.js';

describe('NumpyLegacyRandom', () => {
  it('random_sample matches NumPy bit for bit (seeds 43 and 2^32 - 1, and after 700 draws)', () => {
    const r = new NumpyLegacyRandom(43);
    expect([r.randomSample(), r.randomSample(), r.randomSample()]).toEqual([0.11505456638977896, 0.6090665392794814, 0.13339096418598828]);
    const r2 = new NumpyLegacyRandom(4294967295);
    expect([r2.randomSample(), r2.randomSample()]).toEqual([0.0976320289940138, 0.9123828453026218]);
    // 700 doubles = 1,400 words: crosses the 624-word state refill twice.
    const r3 = new NumpyLegacyRandom(43);
    for (let i = 0; i < 700; i++) r3.randomSample();
    expect(r3.randomSample()).toBe(0.9021869034066404);
  });

  it('randn (polar method with the cached second deviate) matches NumPy', () => {
    const r = new NumpyLegacyRandom(43);
    const g = r.randn(5, new Float64Array(5))!;
    const want = [0.25739992534469336, -0.9084814327806611, -0.37850310605882326, -0.5349155987755707, 0.8580733460716252];
    for (let i = 0; i < 5; i++) expect(Math.abs(g[i] - want[i])).toBeLessThan(1e-15);
  });

  it('rejects seeds NumPy rejects', () => {
    expect(() => new NumpyLegacyRandom(-1)).toThrow(/seed/);
    expect(() => new NumpyLegacyRandom(2 ** 32)).toThrow(/seed/);
    expect(() => new NumpyLegacyRandom(1.5)).toThrow(/seed/);
  });
});

describe("the EGNN authors' N-body draw (np.random.seed(43), 10,000 / 2,000 / 2,000 simulations)", () => {
  const o = nbodyOptions();
  const ref = {
    train0: { q: [-1, 1, -1, -1, -1], x: [0.406094210414111, 1.4914010444010783, -0.5188505063060542, 0.8780990348347582, -0.631228322864457, -0.2253957757156569, -0.4713833167038588, 0.7763725474579257, 0.20821626314756758, 0.04119692074890438, -0.46880013538838006, 0.20480637874638702, -0.67025794292186, -1.376495997664468, -0.08190336061730151], v: [0.36757418167112893, -0.33604761322279314, 0.04428569313067078] },
    train2999: { q: [-1, -1, -1, -1, 1], x: [-0.24742781699225805, 0.2371750333266408, 0.6958135834032809], v: [-0.3231353960053573, 0.3451163591636706, -0.16272127852887971] },
    val0: { q: [-1, 1, -1, -1, -1], x: [0.08943662217299271, 1.4013793137028039, -0.22226613119324323], v: [-0.24725910844258278, -0.08954639262508189, -0.4252580121056084] },
    test0: { q: [1, 1, -1, -1, 1], x: [0.9836382618806896, 1.4708538889023985, 1.0787517921653302], v: [0.204167580904165, 0.09091247184890992, -0.44727007654219664] },
  };
  const close = (got: ArrayLike<number>, want: number[]): void => {
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `component ${i}`).toBeLessThan(1e-13);
  };

  it('replays the initial states of simulations 0 and 2,999 (train), then validation 0 and test 0', () => {
    const r = new NumpyLegacyRandom(43);
    const states: ReturnType<typeof numpyInitialState>[] = [];
    for (let s = 0; s < NBODY_REFERENCE_DRAWS.train + NBODY_REFERENCE_DRAWS.val + NBODY_REFERENCE_DRAWS.test; s++) {
      const st = numpyInitialState(r, o);
      if (s === 0 || s === 2999 || s === 10000 || s === 12000) states.push(st);
    }
    const cases = [ref.train0, ref.train2999, ref.val0, ref.test0];
    cases.forEach((c, k) => {
      expect(Array.from(states[k].q), `case ${k} charges`).toEqual(c.q);
      close(states[k].x, c.x);
      close(states[k].v, c.v);
    });
  });

  it('generateNBodyDataset uses that draw by default and keeps the reference split layout', () => {
    const d = generateNBodyDataset({ numTrain: 2, numVal: 1, numTest: 1 });
    expect(d.options.rng).toBe('numpy-legacy');
    expect(Array.from(d.train.charges.subarray(0, 5))).toEqual(ref.train0.q);
    // Validation and test come after all 10,000 training draws whatever numTrain is.
    expect(Array.from(d.val.charges)).toEqual(ref.val0.q);
    expect(Array.from(d.test.charges)).toEqual(ref.test0.q);
    // The gnnwb stream is a different draw.
    const g = generateNBodyDataset({ numTrain: 2, numVal: 1, numTest: 1, rng: 'gnnwb' });
    expect(Array.from(g.train.x0)).not.toEqual(Array.from(d.train.x0));
    expect(() => generateNBodyDataset({ numTrain: 1, numVal: 1, numTest: 1, rng: 'mt' as never })).toThrow(/rng/);
  });
});

describe('NumpyLegacyRandom.randn without output', () => {
  it('advances the stream exactly like drawing the deviates (odd and even counts, with a cached deviate)', () => {
    for (const [pre, count] of [[0, 7], [1, 7], [0, 8], [1, 8], [3, 1], [0, 0]]) {
      const a = new NumpyLegacyRandom(11);
      const b = new NumpyLegacyRandom(11);
      a.randn(pre, new Float64Array(pre));
      b.randn(pre, new Float64Array(pre));
      a.randn(count, new Float64Array(count));
      b.randn(count);
      expect(b.randn(3, new Float64Array(3)), `pre ${pre} count ${count}`).toEqual(a.randn(3, new Float64Array(3)));
    }
  });
});
