import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { gatherRows, segmentMax, segmentMean, segmentSoftmax, segmentSum, checkSegmentIds } from '../../src/models/segment.js';
import { checkGradients, expectNoLeaks, gradientError } from '../helpers/tf.js';
import { tolerance } from '../helpers/tolerances.js';

beforeAll(async () => {
  await initBackend();
});

/** Random segment problem: E rows of width F with ids in [0, S); includes E = 0, empty segments, duplicates. */
const problem = fc
  .record({ E: fc.integer({ min: 0, max: 40 }), S: fc.integer({ min: 1, max: 12 }), F: fc.integer({ min: 1, max: 4 }), seed: fc.integer() })
  .map(({ E, S, F, seed }) => {
    const rng = new Rng(seed);
    const ids = Int32Array.from({ length: E }, () => rng.int(S));
    const data = Float32Array.from({ length: E * F }, () => rng.normal());
    return { E, S, F, ids, data };
  });

type Oracle = (data: Float32Array, ids: Int32Array, S: number, F: number) => Float64Array;

const oracleSum: Oracle = (data, ids, S, F) => {
  const out = new Float64Array(S * F);
  ids.forEach((k, e) => {
    for (let j = 0; j < F; j++) out[k * F + j] += data[e * F + j];
  });
  return out;
};
const oracleMean: Oracle = (data, ids, S, F) => {
  const s = oracleSum(data, ids, S, F);
  const c = new Float64Array(S);
  ids.forEach((k) => c[k]++);
  return s.map((v, i) => (c[Math.floor(i / F)] > 0 ? v / c[Math.floor(i / F)] : 0));
};
const oracleMax: Oracle = (data, ids, S, F) => {
  const out = new Float64Array(S * F).fill(-Infinity);
  ids.forEach((k, e) => {
    for (let j = 0; j < F; j++) out[k * F + j] = Math.max(out[k * F + j], data[e * F + j]);
  });
  return out.map((v) => (v === -Infinity ? 0 : v));
};
const oracleSoftmax = (data: Float32Array, ids: Int32Array, S: number, F: number): Float64Array => {
  const mx = oracleMax(data, ids, S, F);
  const den = new Float64Array(S * F);
  ids.forEach((k, e) => {
    for (let j = 0; j < F; j++) den[k * F + j] += Math.exp(data[e * F + j] - mx[k * F + j]);
  });
  return Float64Array.from(data, (v, i) => {
    const e = Math.floor(i / F), j = i % F, k = ids[e];
    return Math.exp(v - mx[k * F + j]) / den[k * F + j];
  });
};

function closeTo(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  const { rtol, atol } = tolerance('float32', tf.getBackend());
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 10 * (atol + rtol * Math.abs(want[i])))) return `index ${i}: got ${got[i]}, want ${want[i]}`;
  }
  return null;
}

type Op = (d: tf.Tensor2D, ids: tf.Tensor1D, S: number) => tf.Tensor2D;

function run(op: Op, p: { E: number; S: number; F: number; ids: Int32Array; data: Float32Array }): Float32Array {
  const d = tf.tensor2d(p.data, [p.E, p.F]);
  const ids = tf.tensor1d(p.ids, 'int32');
  const y = op(d, ids, p.S);
  const out = Float32Array.from(y.dataSync() as Float32Array);
  tf.dispose([d, ids, y]);
  return out;
}

/** Property "op equals oracle"; returns the fast-check result so a broken op can be shown to fail. */
function oracleProperty(op: Op, oracle: Oracle, seed: number) {
  return fc.check(
    fc.property(problem, (p) => {
      const err = closeTo(run(op, p), oracle(p.data, p.ids, p.S, p.F));
      if (err) throw new Error(err);
    }),
    { seed, numRuns: 60 },
  );
}

describe('segment ops vs plain-loop oracles (fast-check)', () => {
  const cases: [string, Op, Oracle][] = [
    ['segmentSum', segmentSum, oracleSum],
    ['segmentMean', segmentMean, oracleMean],
    ['segmentMax', segmentMax, oracleMax],
    ['segmentSoftmax', segmentSoftmax, oracleSoftmax],
  ];
  for (const [name, op, oracle] of cases) {
    it(`${name} equals its oracle (E = 0, empty segments, duplicate ids)`, () => {
      const r = oracleProperty(op, oracle, 42);
      expect(r.failed, `seed 42: ${r.counterexample ? JSON.stringify({ E: r.counterexample[0].E, S: r.counterexample[0].S }) : ''} ${r.errorInstance}`).toBe(false);
    });
  }

  it('gatherRows equals x[idx] (incl. 0 indices, repeats)', () => {
    const r = fc.check(
      fc.property(problem, (p) => {
        const N = p.S;
        const x = Float32Array.from({ length: N * p.F }, (_, i) => Math.sin(i + 1));
        const xt = tf.tensor2d(x, [N, p.F]);
        const it = tf.tensor1d(p.ids, 'int32');
        const y = gatherRows(xt, it);
        const got = Float32Array.from(y.dataSync() as Float32Array);
        tf.dispose([xt, it, y]);
        const want = new Float64Array(p.E * p.F);
        p.ids.forEach((k, e) => {
          for (let j = 0; j < p.F; j++) want[e * p.F + j] = x[k * p.F + j];
        });
        const err = closeTo(got, want);
        if (err) throw new Error(err);
      }),
      { seed: 7, numRuns: 60 },
    );
    expect(r.failed, String(r.errorInstance)).toBe(false);
  });

  it('the oracle property catches a broken op (sum that drops the last row)', () => {
    const broken: Op = (d, ids, S) => (d.shape[0] > 0 ? segmentSum(tf.slice(d, 0, d.shape[0] - 1), tf.slice(ids, 0, ids.shape[0] - 1), S) : segmentSum(d, ids, S));
    const r = oracleProperty(broken, oracleSum, 42);
    expect(r.failed).toBe(true);
    // The printed seed reproduces it.
    expect(r.seed).toBe(42);
  });

  it('hand-computed case pins down ordering', () => {
    const d = tf.tensor2d([[1], [2], [3], [4]]);
    const ids = tf.tensor1d([2, 0, 2, 2], 'int32');
    expect(Array.from(segmentSum(d, ids, 4).dataSync())).toEqual([2, 0, 8, 0]);
    expect(Array.from(segmentMax(d, ids, 4).dataSync())).toEqual([2, 0, 4, 0]);
    expect(Array.from(segmentMean(d, ids, 4).dataSync())).toEqual([2, 0, 8 / 3, 0].map(Math.fround));
  });

  it('checkSegmentIds rejects out-of-range ids with expected/got', () => {
    expect(() => checkSegmentIds('receivers', Int32Array.of(0, 5), 3)).toThrow(/Expected 'receivers\[1\]' to be an index in \[0, 3\) \(got 5\)/);
  });
});

describe('segment op gradients vs finite differences', () => {
  // Fixed graph: 6 edges onto 4 nodes, node 3 isolated, duplicates on 1.
  const E = 6, N = 4, F = 3;
  const ids = () => tf.tensor1d([1, 0, 1, 2, 1, 0], 'int32');
  const rngData = (seed: number, n: number) => new Rng(seed).normalArray(n) as Float32Array;
  const w = (seed: number, n: number) => tf.tensor(rngData(seed, n));
  // A smooth scalar readout so every output entry matters: L = Σ w ⊙ tanh(y).
  const readout = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(tf.reshape(w(seed, y.size), y.shape), tf.sin(y))) as tf.Scalar;

  const first: [string, (d: tf.Tensor2D, i: tf.Tensor1D) => tf.Tensor][] = [
    ['gatherRows', (x, i) => gatherRows(tf.slice(x, [0, 0], [N, F]) as tf.Tensor2D, i)],
    ['segmentSum', (d, i) => segmentSum(d, i, N)],
    ['segmentMean', (d, i) => segmentMean(d, i, N)],
    ['segmentMax', (d, i) => segmentMax(d, i, N)],
    ['segmentSoftmax', (d, i) => segmentSoftmax(d, i, N)],
  ];
  for (const [name, op] of first) {
    it(`${name}: first derivative`, () => {
      const x = tf.tensor2d(rngData(3, E * F), [E, F]);
      const i = ids();
      checkGradients(([a]) => readout(op(a as tf.Tensor2D, i), 5), [x]);
      tf.dispose([x, i]);
    });
    it(`${name}: second derivative (Hessian-vector product)`, () => {
      const x = tf.tensor2d(rngData(4, E * F), [E, F]);
      const i = ids();
      const v = w(9, E * F);
      // g(x) = ⟨∇L(x), v⟩; its gradient is H·v.
      const g = ([a]: tf.Tensor[]) => tf.sum(tf.mul(tf.reshape(tf.grad((y: tf.Tensor) => readout(op(y as tf.Tensor2D, i), 6))(a), [-1]), v)) as tf.Scalar;
      checkGradients(g, [x]);
      tf.dispose([x, i, v]);
    });
  }

  it('a deliberately wrong gradient is caught (gather with a 10% scaled gradient)', () => {
    const x = tf.tensor2d(rngData(3, N * F), [N, F]);
    const i = ids();
    const wrong = tf.customGrad((...a: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: gatherRows(a[0] as tf.Tensor2D, i),
      gradFunc: (dy: tf.Tensor) => [tf.mul(segmentSum(dy as tf.Tensor2D, i, N), 1.1)],
    }));
    const r = gradientError(([a]) => readout(wrong(a) as tf.Tensor, 5), [x]);
    expect(r.ok, r.report).toBe(false);
    tf.dispose([x, i]);
  });

  it('segment ops leak no tensors (forward and backward)', async () => {
    const x = tf.tensor2d(rngData(3, E * F), [E, F]);
    const i = ids();
    await expectNoLeaks(() => {
      for (const [, op] of first) {
        const g = tf.grad((a: tf.Tensor) => readout(op(a as tf.Tensor2D, i), 5))(x);
        g.dispose();
        tf.tidy(() => {
          op(x, i);
        });
      }
    });
    tf.dispose([x, i]);
  });
});
