/**
 * The native Adam step (native/src/gnnwb_native.cc adamStep, src/engine/native_fused.ts)
 * against the tfjs-op optimisers it replaces on the wasm backend: the per-variable Adam of
 * src/train/trainer.ts and the flat-state Adam of src/models/optim.ts, several steps on random
 * gradients (the same float32 operations in the same order: equal to the last bit or nearly).
 *
 * Without a built addon the file registers one test that says so (it fails when
 * GNNWB_REQUIRE_NATIVE=1, as CI sets it where the addon must build).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { disableNativeKernels, loadNativeAddon, type NativeAddon } from '../../src/engine/native.js';
import { describeNotRun, onWasm } from './helpers.js';
import { nativeAdamPerVariable } from '../../src/engine/native_fused.js';
import { Adam } from '../../src/train/trainer.js';
import { Params } from '../../src/models/equivariant/nn.js';
import { ParamStore } from '../../src/models/params.js';
import { adam } from '../../src/models/optim.js';
import { ShapeError } from '../../src/util/errors.js';

const addon = loadNativeAddon();


function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return d;
}

// 72,017 values in all: more than one chunk of the native step's pool split (32,768+ per
// thread), with a chunk boundary inside a tensor.
const SHAPES: number[][] = [[3, 4], [4], [1], [300, 70], [0, 5], [200, 255]];

/** Five steps of the trainer's Adam on fixed random gradients; returns the final parameters. */
function trainerRun(): Float32Array[] {
  const rng = new Rng(9);
  const params = new Params();
  SHAPES.forEach((s, i) => params.add(`p${i}`, s, randn(rng, s.reduce((a, b) => a * b, 1))));
  const opt = new Adam(params, { lr: 0.01 });
  for (let step = 0; step < 5; step++) {
    const grads: Record<string, tf.Tensor> = {};
    // p1 gets no gradient on odd steps (a missing gradient leaves the variable alone).
    SHAPES.forEach((s, i) => {
      if (!(i === 1 && step % 2 === 1)) grads[`p${i}`] = tf.tensor(randn(rng, s.reduce((a, b) => a * b, 1)), s);
    });
    opt.apply(grads);
    tf.dispose(Object.values(grads));
  }
  const out = params.names().map((n) => new Float32Array(params.get(n).dataSync()));
  params.dispose();
  return out;
}

/** Five steps of models/optim.ts's flat Adam; returns the final parameters. */
function flatRun(): Float32Array[] {
  const rng = new Rng(10);
  const store = new ParamStore(new Rng(1));
  SHAPES.forEach((s, i) => store.get(`q${i}`, s, 'zeros').assign(tf.tensor(randn(rng, s.reduce((a, b) => a * b, 1)), s)));
  const opt = adam({ lr: 0.003 });
  for (let step = 0; step < 5; step++) {
    const grads: Record<string, tf.Tensor> = {};
    SHAPES.forEach((s, i) => (grads[`q${i}`] = tf.tensor(randn(rng, s.reduce((a, b) => a * b, 1)), s)));
    opt.apply(store, grads);
    tf.dispose(Object.values(grads));
  }
  const out = store.names().map((n) => new Float32Array(store.variable(n).dataSync()));
  opt.dispose();
  store.dispose();
  return out;
}

if (!addon) {
  describeNotRun('native Adam');
} else {
  describe('native Adam', () => {
    beforeAll(async () => {
      expect((await initBackend({ backend: 'native' })).name).toBe('native');
    });
    afterAll(() => disableNativeKernels());

    it("trainer.ts's per-variable Adam: five steps equal the tfjs ops on wasm (incl. an empty tensor and a missing gradient)", () => {
      // The native step leaves no more tensors behind than the tfjs ops (the optimiser keeps
      // its moments, which the Adam class does not free).
      let before = tf.memory().numTensors;
      const got = trainerRun();
      const leftNative = tf.memory().numTensors - before;
      before = tf.memory().numTensors;
      const want = onWasm(addon as NativeAddon, trainerRun);
      expect(leftNative).toBe(tf.memory().numTensors - before);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(maxRel(g, want[i]), `parameter ${i}`).toBeLessThanOrEqual(1e-6));
      // The parameters moved (the comparison is not between two untouched copies).
      expect(got[3].some((v, i) => v !== 0 && Number.isFinite(v) && i >= 0)).toBe(true);
    });

    it("models/optim.ts's flat Adam: five steps equal the tfjs ops on wasm", () => {
      const got = flatRun();
      const want = onWasm(addon as NativeAddon, flatRun);
      got.forEach((g, i) => expect(maxRel(g, want[i]), `parameter ${i}`).toBeLessThanOrEqual(1e-6));
    });

    it('one step equals the formula by hand; a gradient of the wrong shape is a ShapeError', () => {
      const p = tf.tensor1d([1, -2]);
      const g = tf.tensor1d([0.5, 0.25]);
      const m = tf.tensor1d([0.1, 0.2]);
      const v = tf.tensor1d([0.01, 0.04]);
      const r = nativeAdamPerVariable([{ p, g, m, v }], { mode: 0, beta1: 0.9, beta2: 0.999, s1: 0.5, s2: 1e-8, s3: 0.1 });
      const m1 = [0.9 * 0.1 + 0.1 * 0.5, 0.9 * 0.2 + 0.1 * 0.25];
      const v1 = [0.999 * 0.01 + 0.001 * 0.25, 0.999 * 0.04 + 0.001 * 0.0625];
      const p1 = [1 - (m1[0] / (Math.sqrt(v1[0]) / 0.5 + 1e-8)) * 0.1, -2 - (m1[1] / (Math.sqrt(v1[1]) / 0.5 + 1e-8)) * 0.1];
      const close = (t: tf.Tensor, want: number[]) => Array.from(t.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
      close(r.m[0], m1);
      close(r.v[0], v1);
      close(r.p[0], p1);
      expect(() => nativeAdamPerVariable([{ p, g: tf.tensor1d([1, 2, 3]), m, v }], { mode: 0, beta1: 0.9, beta2: 0.999, s1: 1, s2: 1e-8, s3: 0.1 })).toThrow(ShapeError);
      tf.dispose([p, g, m, v, ...r.p, ...r.m, ...r.v]);
    });
  });
}
