import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { applyDirichlet, dirichletBoundary, positive, positiveInverse } from '../../../src/models/constraints/index.js';

beforeAll(async () => {
  await initBackend();
});

type Dirichlet = (p: tf.Tensor2D, k: tf.Tensor2D) => tf.Tensor2D;

function holdsBoundary(make: (mask: Uint8Array) => Dirichlet) {
  return fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (seed, N, C) => {
    const rng = new Rng(seed);
    const mask = Uint8Array.from({ length: N }, () => (rng.uniform() < 0.4 ? 1 : 0));
    const predArr = rng.normalArray(N * C, 3) as Float32Array;
    const knownArr = rng.normalArray(N * C) as Float32Array;
    const pred = tf.tensor2d(predArr, [N, C]);
    const known = tf.tensor2d(knownArr, [N, C]);
    const layer = make(mask);
    const out = layer(pred, known);
    const y = out.dataSync();
    // d/dpred of Σ y·g: g on interior rows, 0 on boundary rows.
    const g = tf.tensor2d(rng.normalArray(N * C) as Float32Array, [N, C]);
    const grad = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(layer(p as tf.Tensor2D, known), g)) as tf.Scalar)(pred);
    const gd = grad.dataSync(), gg = g.dataSync();
    let ok = true;
    for (let i = 0; i < N && ok; i++) {
      for (let c = 0; c < C; c++) {
        const k = i * C + c;
        if (mask[i] ? y[k] !== knownArr[k] || gd[k] !== 0 : y[k] !== predArr[k] || gd[k] !== gg[k]) ok = false;
      }
    }
    tf.dispose([pred, known, out, g, grad]);
    return ok;
  });
}

describe('dirichletBoundary', () => {
  it('boundary rows equal the known values exactly; gradients reach only interior predictions', () => {
    fc.assert(holdsBoundary(dirichletBoundary), { seed: 77, numRuns: 40 });
  });

  it('the property catches a layer that forgets the mask', () => {
    const forgetful = (): Dirichlet => (p) => tf.clone(p);
    expect(fc.check(holdsBoundary(forgetful), { seed: 77, numRuns: 40 }).failed).toBe(true);
  });

  it('boundary values stay exact even where the prediction is NaN; host version agrees', () => {
    const layer = dirichletBoundary(Uint8Array.of(1, 0));
    const y = layer(tf.tensor2d([NaN, NaN, 2, 3], [2, 2]), tf.tensor2d([0.1, 0.2, 9, 9], [2, 2]));
    expect(Array.from(y.dataSync())).toEqual([Math.fround(0.1), Math.fround(0.2), 2, 3]);
    expect(Array.from(applyDirichlet([NaN, NaN, 2, 3], [0.1, 0.2, 9, 9], Uint8Array.of(1, 0), 2))).toEqual([Math.fround(0.1), Math.fround(0.2), 2, 3]);
    y.dispose();
  });
});

describe('positive', () => {
  const prop = (f: (x: tf.Tensor1D) => tf.Tensor1D, yMin: number) =>
    fc.property(fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
      const x = tf.tensor1d(xs);
      const y = f(x).dataSync();
      const g = tf.grad((t: tf.Tensor) => tf.sum(f(t as tf.Tensor1D)) as tf.Scalar)(x).dataSync();
      const xf = x.dataSync();
      x.dispose();
      for (let i = 0; i < xs.length; i++) {
        if (!(y[i] >= Math.fround(yMin) && (yMin === 0 ? y[i] >= 0 : y[i] > 0))) return false;
        const sig = 1 / (1 + Math.exp(-xf[i]));
        if (!(Math.abs(g[i] - sig) <= 1e-6 + 1e-5 * sig)) return false; // dy/dx = sigmoid(x)
      }
      return true;
    });

  it('softplus + y_min > 0 for any input, with gradient sigmoid(x)', () => {
    fc.assert(prop(positive(1e-6), 1e-6), { seed: 5, numRuns: 60 });
  });

  it('the property catches an identity "positivity"', () => {
    expect(fc.check(prop((x) => tf.clone(x), 1e-6), { seed: 5, numRuns: 60 }).failed).toBe(true);
  });

  it('positiveInverse inverts positive', () => {
    for (const y of [1e-4, 0.3, 2, 50]) {
      const x = positiveInverse(y, 1e-6);
      const back = positive(1e-6)(tf.scalar(x)).dataSync()[0];
      expect(back).toBeCloseTo(y, 4);
    }
  });
});
