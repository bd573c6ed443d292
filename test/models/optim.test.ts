import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { ParamStore } from '../../src/models/params.js';
import { mlp } from '../../src/models/layers.js';
import { adam, valueAndGrads, disposeGrads } from '../../src/models/optim.js';
import { expectNoLeaks } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

function setup(seed: number) {
  const p = new ParamStore(new Rng(seed));
  const m = mlp({ sizes: [3, 8, 2], layerNorm: true, name: 'm' }, p);
  const rng = new Rng(99);
  const x = tf.tensor2d(rng.normalArray(10 * 3) as Float32Array, [10, 3]);
  const y = tf.tensor2d(rng.normalArray(10 * 2) as Float32Array, [10, 2]);
  const loss = () => tf.mean(tf.square(tf.sub(m(x), y))) as tf.Scalar;
  return { p, loss, dispose: () => { tf.dispose([x, y]); p.dispose(); } };
}

function train(fused: boolean | 'tfjs', steps: number) {
  const s = setup(1);
  const losses: number[] = [];
  if (fused === 'tfjs') {
    const opt = tf.train.adam(1e-2, 0.9, 0.999, 1e-8);
    for (let i = 0; i < steps; i++) {
      const l = opt.minimize(s.loss, true, s.p.variables())!;
      losses.push(l.dataSync()[0]);
      l.dispose();
    }
    opt.dispose();
  } else {
    const opt = adam({ lr: 1e-2, fused });
    for (let i = 0; i < steps; i++) {
      const { value, grads } = valueAndGrads(s.p, s.loss);
      losses.push(value.dataSync()[0]);
      value.dispose();
      opt.apply(s.p, grads);
      disposeGrads(grads);
    }
    opt.dispose();
  }
  const w = s.p.getWeights();
  s.dispose();
  return { losses, w };
}

describe('adam', () => {
  it('fused, per-variable and tf.train.adam give the same trajectory', () => {
    const a = train(true, 20), b = train(false, 20), c = train('tfjs', 20);
    expect(a.losses[19]).toBeLessThan(a.losses[0] * 0.8);
    // Same update rule, different float32 summation orders (fused concat vs per variable, and
    // native kernels when selected): agree to 2e-4 relative over 20 steps.
    const close = (x: number, y: number) => Math.abs(x - y) <= 2e-4 * Math.max(1, Math.abs(y));
    for (let i = 0; i < 20; i++) {
      expect(close(a.losses[i], b.losses[i]), `step ${i}: fused ${a.losses[i]} vs per-variable ${b.losses[i]}`).toBe(true);
      expect(close(a.losses[i], c.losses[i]), `step ${i}: fused ${a.losses[i]} vs tf.train.adam ${c.losses[i]}`).toBe(true);
    }
    for (const k of Object.keys(a.w)) {
      const d = a.w[k].data.reduce((mx, v, i) => Math.max(mx, Math.abs(v - c.w[k].data[i])), 0);
      expect(d, k).toBeLessThan(1e-4);
    }
  });

  it('getState/setState resumes exactly', () => {
    const s1 = setup(1);
    const opt = adam({ lr: 1e-2 });
    const step = (o: ReturnType<typeof adam>, s: ReturnType<typeof setup>) => {
      const { value, grads } = valueAndGrads(s.p, s.loss);
      value.dispose();
      o.apply(s.p, grads);
      disposeGrads(grads);
    };
    for (let i = 0; i < 3; i++) step(opt, s1);
    const state = opt.getState();
    const weights = s1.p.getWeights();
    step(opt, s1);
    const s2 = setup(2);
    s2.p.setWeights(weights);
    const opt2 = adam({ lr: 1e-2 });
    opt2.setState(s2.p, state);
    expect(opt2.steps).toBe(3);
    step(opt2, s2);
    expect(s2.p.getWeights()).toEqual(s1.p.getWeights());
    opt.dispose(); opt2.dispose(); s1.dispose(); s2.dispose();
  });

  it('setLr changes the rate of the next steps only, like a new optimiser carrying the state', () => {
    const step = (o: ReturnType<typeof adam>, s: ReturnType<typeof setup>) => {
      const { value, grads } = valueAndGrads(s.p, s.loss);
      value.dispose();
      o.apply(s.p, grads);
      disposeGrads(grads);
    };
    const s1 = setup(1), s2 = setup(1), s3 = setup(1);
    const a = adam({ lr: 1e-2 }), b = adam({ lr: 1e-2 }), c = adam({ lr: 1e-2 });
    for (let i = 0; i < 3; i++) { step(a, s1); step(b, s2); step(c, s3); }
    a.setLr(2e-3);
    expect(a.lr).toBe(2e-3);
    // b: a fresh optimiser at the new rate with the moments of step 3
    const st = b.getState();
    b.dispose();
    const b2 = adam({ lr: 2e-3 });
    b2.setState(s2.p, st);
    for (let i = 0; i < 2; i++) { step(a, s1); step(b2, s2); step(c, s3); }
    expect(s1.p.getWeights()).toEqual(s2.p.getWeights());
    // and the rate did change something (c kept 1e-2)
    const w1 = s1.p.getWeights(), w3 = s3.p.getWeights();
    expect(Object.keys(w1).some((k) => w1[k].data.some((v, i) => v !== w3[k].data[i]))).toBe(true);
    expect(() => a.setLr(0)).toThrow(/adam.lr/);
    expect(() => a.setLr(Number.NaN)).toThrow(/adam.lr/);
    a.dispose(); b2.dispose(); c.dispose(); s1.dispose(); s2.dispose(); s3.dispose();
  });

  it('rejects bad options; a step leaks no tensors', async () => {
    expect(() => adam({ lr: -1 })).toThrow(/adam.lr/);
    expect(() => adam({ lr: 1, beta1: 1 })).toThrow(/adam.beta1/);
    const s = setup(1);
    const opt = adam({ lr: 1e-3 });
    const once = () => {
      const { value, grads } = valueAndGrads(s.p, s.loss);
      value.dispose();
      opt.apply(s.p, grads);
      disposeGrads(grads);
    };
    once(); // creates the state
    await expectNoLeaks(() => once());
    opt.dispose();
    s.dispose();
  });
});
