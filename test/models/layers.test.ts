import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { ParamStore } from '../../src/models/params.js';
import { dense, layerNorm, matMul, mlp, tanh, sigmoid, exp, type Activation } from '../../src/models/layers.js';
import { checkGradients, checkVariableGradients, expectNoLeaks, gradientError } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

const randn = (seed: number, shape: [number, number]) => tf.tensor2d(new Rng(seed).normalArray(shape[0] * shape[1]) as Float32Array, shape);
const readout = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(tf.reshape(tf.tensor(new Rng(seed).normalArray(y.size) as Float32Array), y.shape), tf.sin(y))) as tf.Scalar;
/** Hessian-vector product as a scalar function: ⟨∇_x L(x), v⟩. */
const hvp = (L: (x: tf.Tensor) => tf.Scalar, v: tf.Tensor) => ([a]: tf.Tensor[]) => tf.sum(tf.mul(tf.grad(L)(a), v)) as tf.Scalar;

describe('dense', () => {
  it('computes activation(x·w + b) (hand check against the stored weights)', () => {
    const p = new ParamStore(new Rng(1));
    const d = dense({ inDim: 3, outDim: 2, activation: 'relu', name: 'd' }, p);
    p.setWeights({ 'd/w': { shape: [3, 2], data: Float32Array.of(1, -1, 2, 0, 0, 3) }, 'd/b': { shape: [2], data: Float32Array.of(0.5, -10) } });
    const y = d(tf.tensor2d([[1, 1, 1], [0, 1, 0]]));
    expect(Array.from(y.dataSync())).toEqual([3.5, 0, 2.5, 0]);
    p.dispose();
  });

  it('rejects bad options and inputs with expected/got messages', () => {
    const p = new ParamStore(new Rng(1));
    expect(() => dense({ inDim: 0, outDim: 2, name: 'd' }, p)).toThrow(/Expected 'dense.inDim' to be a positive integer \(got number 0\)/);
    expect(() => dense({ inDim: 2, outDim: 2, name: 'd', activation: 'gelu' as Activation }, p)).toThrow(/dense.activation/);
    const d = dense({ inDim: 2, outDim: 2, name: 'd' }, p);
    expect(() => d(tf.zeros([3, 4]) as tf.Tensor2D)).toThrow(/\[rows, 2\].*\[3, 4\]/);
    p.dispose();
  });

  it('applyParts equals the layer on the concatenation', () => {
    const p = new ParamStore(new Rng(2));
    const d = dense({ inDim: 5, outDim: 3, activation: 'tanh', name: 'd' }, p);
    const a = randn(1, [4, 2]), b = randn(2, [4, 3]);
    const diff = tf.max(tf.abs(tf.sub(d.applyParts([a, b]), d(tf.concat([a, b], 1) as tf.Tensor2D)))).dataSync()[0];
    expect(diff).toBeLessThan(1e-6);
    p.dispose();
  });

  for (const act of ['silu', 'tanh', 'sigmoid', 'relu', 'none'] as Activation[]) {
    it(`${act}: first derivatives w.r.t. input and weights`, () => {
      const p = new ParamStore(new Rng(3));
      const d = dense({ inDim: 4, outDim: 3, activation: act, name: 'd' }, p);
      const x = randn(4, [5, 4]);
      checkGradients(([a, w, b]) => readout(tf.add(matMul(a as tf.Tensor2D, w as tf.Tensor2D), b), 7), [x, d.w, d.b!]);
      checkGradients(([a]) => readout(d(a as tf.Tensor2D), 7), [x]);
      p.dispose();
    });
  }

  for (const act of ['silu', 'tanh', 'sigmoid'] as Activation[]) {
    it(`${act}: second derivative (forces from an energy) w.r.t. input and weights`, () => {
      const p = new ParamStore(new Rng(5));
      const d1 = dense({ inDim: 3, outDim: 8, activation: act, name: 'd1' }, p);
      const d2 = dense({ inDim: 8, outDim: 1, name: 'd2' }, p);
      const x = randn(6, [4, 3]);
      const v = randn(8, [4, 3]);
      const energy = (a: tf.Tensor) => tf.sum(d2(d1(a as tf.Tensor2D))) as tf.Scalar;
      // w.r.t. positions: H·v
      checkGradients(hvp(energy, v), [x]);
      // w.r.t. the first weight: d/dW ⟨F(x; W), v⟩, the gradient used to train on forces.
      const w0 = tf.clone(d1.w);
      const forceLoss = ([w]: tf.Tensor[]) => {
        const e = (a: tf.Tensor) => tf.sum(d2(activateDense(a as tf.Tensor2D, w as tf.Tensor2D, d1.b!, act))) as tf.Scalar;
        return tf.sum(tf.mul(tf.grad(e)(x), v)) as tf.Scalar;
      };
      checkGradients(forceLoss, [w0]);
      tf.dispose([x, v, w0]);
      p.dispose();
    });
  }

  it('a wrong matMul gradient (missing transpose scale) is caught by the checker', () => {
    const wrongMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [a, b] = args as tf.Tensor2D[];
      return { value: tf.matMul(a, b), gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(b)), tf.mul(tf.matMul(tf.transpose(a), dy as tf.Tensor2D), 0.9)] };
    });
    const x = randn(1, [4, 3]), w = randn(2, [3, 2]);
    const r = gradientError(([a, b]) => readout(wrongMatMul(a, b) as tf.Tensor, 3), [x, w]);
    expect(r.ok, r.report).toBe(false);
  });

  it('tanh/sigmoid/exp are exact to third order (tf.tanh is not: its saved output is detached)', () => {
    const x = tf.tensor1d([0.3, -0.7]);
    const t3 = tf.grad(tf.grad(tf.grad((a: tf.Tensor) => tf.sum(tanh(a)))))(x).dataSync();
    const th = Math.tanh(0.3);
    expect(t3[0]).toBeCloseTo(-2 * (1 - th * th) * (1 - 3 * th * th), 4);
    const s2 = tf.grad(tf.grad((a: tf.Tensor) => tf.sum(sigmoid(a))))(x).dataSync();
    const s = 1 / (1 + Math.exp(-0.3));
    expect(s2[0]).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 5);
    const e2 = tf.grad(tf.grad((a: tf.Tensor) => tf.sum(exp(a))))(x).dataSync();
    expect(e2[1]).toBeCloseTo(Math.exp(-0.7), 5);
    expect(() => tf.grad(tf.grad((a: tf.Tensor) => tf.sum(tf.tanh(a))))(x)).toThrow();
  });
});

/** dense with an explicit weight tensor (to differentiate w.r.t. it). */
function activateDense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor, act: Activation): tf.Tensor2D {
  const z = tf.add(matMul(x, w), b) as tf.Tensor2D;
  if (act === 'silu') return tf.mul(z, sigmoid(z)) as tf.Tensor2D;
  if (act === 'tanh') return tanh(z);
  if (act === 'sigmoid') return sigmoid(z);
  return z;
}

describe('mlp and layerNorm', () => {
  it('mlp has the documented parameter names and shapes', () => {
    const p = new ParamStore(new Rng(1));
    const m = mlp({ sizes: [3, 16, 4], layerNorm: true, name: 'm' }, p);
    expect(p.names()).toEqual(['m/dense0/b', 'm/dense0/w', 'm/dense1/b', 'm/dense1/w', 'm/norm/offset', 'm/norm/scale']);
    expect(m(randn(1, [7, 3])).shape).toEqual([7, 4]);
    expect(p.numParams()).toBe(3 * 16 + 16 + 16 * 4 + 4 + 8);
    expect(() => mlp({ sizes: [3], name: 'x' }, p)).toThrow(/mlp.sizes/);
    p.dispose();
  });

  it('layerNorm output has zero mean and unit variance per row', () => {
    const p = new ParamStore(new Rng(1));
    const ln = layerNorm({ dim: 16, name: 'ln' }, p);
    const y = ln(tf.add(tf.mul(randn(2, [5, 16]), 3), 7) as tf.Tensor2D);
    const mean = tf.mean(y, 1).dataSync();
    const variance = tf.moments(y, 1).variance.dataSync();
    for (let i = 0; i < 5; i++) {
      expect(Math.abs(mean[i])).toBeLessThan(1e-5);
      expect(variance[i]).toBeCloseTo(1, 3);
    }
    p.dispose();
  });

  it('mlp with layerNorm: first and second derivatives', () => {
    const p = new ParamStore(new Rng(9));
    const m = mlp({ sizes: [3, 8, 4], activation: 'silu', layerNorm: true, name: 'm' }, p);
    const x = randn(3, [5, 3]);
    checkGradients(([a]) => readout(m(a as tf.Tensor2D), 2), [x]);
    checkVariableGradients(() => readout(m(x), 2), p.variables());
    const v = randn(4, [5, 3]);
    checkGradients(hvp((a) => readout(m(a as tf.Tensor2D), 2), v), [x]);
    p.dispose();
  });

  it('layerNorm: first and second derivatives', () => {
    const p = new ParamStore(new Rng(9));
    const ln = layerNorm({ dim: 6, name: 'ln' }, p);
    const x = randn(3, [4, 6]);
    checkGradients(([a]) => readout(ln(a as tf.Tensor2D), 2), [x]);
    checkGradients(hvp((a) => readout(ln(a as tf.Tensor2D), 2), randn(5, [4, 6])), [x]);
    p.dispose();
  });

  it('layers leak no tensors (forward + backward)', async () => {
    const p = new ParamStore(new Rng(1));
    const m = mlp({ sizes: [3, 8, 4], activation: 'silu', layerNorm: true, name: 'm' }, p);
    const x = randn(3, [5, 3]);
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(() => readout(m(x), 1));
      value.dispose();
      tf.dispose(Object.values(grads));
      tf.tidy(() => {
        m(x);
      });
    });
    x.dispose();
    p.dispose();
  });
});
