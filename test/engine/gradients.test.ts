import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { matMulExplicit } from '../../src/engine/gradients.js';
import { checkGradients } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

const randn = (seed: number, shape: number[]) => tf.tensor(new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1)) as Float32Array, shape);
const readout = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(randn(seed, y.shape), tf.sin(y))) as tf.Scalar;

describe('BatchMatMul gradient override (explicit transposes)', () => {
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    it(`transposeA=${ta}, transposeB=${tb}: first and second derivatives vs finite differences`, () => {
      const a = randn(1, ta ? [3, 5] : [5, 3]);
      const b = randn(2, tb ? [4, 3] : [3, 4]);
      checkGradients(([x, y]) => readout(tf.matMul(x, y, ta, tb), 3), [a, b]);
      const v = randn(4, a.shape);
      checkGradients(([x, y]) => tf.sum(tf.mul(tf.grad((z: tf.Tensor) => readout(tf.matMul(z, y, ta, tb), 3))(x), v)) as tf.Scalar, [a, b]);
    });
  }

  it('rank-3 batched products', () => {
    const a = randn(5, [2, 4, 3]);
    const b = randn(6, [2, 3, 5]);
    checkGradients(([x, y]) => readout(tf.matMul(x, y), 7), [a, b]);
  });

  it('matMulExplicit equals matMul with flags in both evaluation orders', () => {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      // Tall-skinny shapes make the swapped order the cheaper one for some flags.
      const x = randn(8, ta ? [4, 50] : [50, 4]);
      const y = randn(9, tb ? [6, 4] : [4, 6]);
      const d = tf.max(tf.abs(tf.sub(matMulExplicit(x, y, ta, tb), tf.matMul(x, y, ta, tb)))).dataSync()[0];
      expect(d).toBeLessThan(1e-4);
    }
    const x = randn(10, [500, 12]), dy = randn(11, [500, 3]);
    // xᵀ·dy: transposing dy (500·3 + 3·12 elements) is cheaper than x (500·12).
    expect(tf.max(tf.abs(tf.sub(matMulExplicit(x, dy, true, false), tf.matMul(x, dy, true, false)))).dataSync()[0]).toBeLessThan(1e-4);
  });
});
