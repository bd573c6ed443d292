/**
 * The fused native MLP (src/engine/native_fused.ts, native/src/gnnwb_native.cc mlpForward /
 * mlpBackward) against the composite MLP of src/models/layers.ts run on the original wasm
 * kernels: outputs, gradients with respect to every input and parameter, and second
 * derivatives (forces from a learned energy, differentiated again), for random MLP shapes,
 * every activation, with and without LayerNorm and last activation, inputs in parts gathered
 * by random (duplicate) indices, empty and single-row inputs; out-of-range indices give a
 * clear error and leak nothing.
 *
 * Without a built addon the file registers one test that says so (it fails when
 * GNNWB_REQUIRE_NATIVE=1, as CI sets it where the addon must build).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { disableNativeKernels, loadNativeAddon, type NativeAddon } from '../../src/engine/native.js';
import { describeNotRun, onWasm } from './helpers.js';
import { fusedCounts, fusedMlpEnabled } from '../../src/engine/native_fused.js';
import { ACTIVATIONS, mlp, type Activation } from '../../src/models/layers.js';
import { ParamStore } from '../../src/models/params.js';
import { ShapeError, ValueError } from '../../src/util/errors.js';

const addon = loadNativeAddon();
const SEED = 20261205;

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}


/** max |a − b| / (1 + max |b|) over all entries of several arrays. */
function relErr(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    expect(a[k].length).toBe(b[k].length);
    let scale = 0;
    for (const v of b[k]) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < a[k].length; i++) {
      const d = Math.abs(a[k][i] - b[k][i]) / (1 + scale);
      if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    }
  }
  return worst;
}

interface Case {
  sizes: number[];
  activation: Activation;
  activateLast: boolean;
  layerNorm: boolean;
  /** Per part: width, and the row count of its source (gathered) or -1 (ungathered). */
  parts: { width: number; source: number }[];
  rows: number;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    hidden: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 2 }),
    out: fc.integer({ min: 1, max: 7 }),
    activation: fc.constantFrom(...ACTIVATIONS),
    activateLast: fc.boolean(),
    layerNorm: fc.boolean(),
    // source 0: gathered from a tensor with one row per output row (shared with an
    // ungathered part of the same width, if any)
    parts: fc.array(fc.record({ width: fc.integer({ min: 1, max: 5 }), gathered: fc.boolean(), source: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 3 }),
    // 130-260 rows: split into row chunks across the native thread pool (64+ rows each)
    rows: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 2, max: 14 }), fc.integer({ min: 130, max: 260 })),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  })
  .map((r) => {
    const inDim = r.parts.reduce((s, p) => s + p.width, 0);
    return {
      sizes: [inDim, ...r.hidden, r.out],
      activation: r.activation,
      activateLast: r.activateLast,
      layerNorm: r.layerNorm && r.out > 1,
      parts: r.parts.map((p) => ({ width: p.width, source: p.gathered ? (p.source === 0 ? r.rows : p.source) : -1 })),
      rows: r.rows,
      seed: r.seed,
    };
  });

/** Output, and gradients of Σ y·c with respect to every part input and every parameter. */
function run(c: Case): Float32Array[] {
  const rng = new Rng(c.seed);
  const params = new ParamStore(new Rng(c.seed + 1));
  const m = mlp({ sizes: c.sizes, activation: c.activation, activateLast: c.activateLast, layerNorm: c.layerNorm, name: 'f' }, params);
  // Non-trivial biases and LayerNorm parameters (they start at 0 and 1).
  for (const v of params.variables()) v.assign(tf.tensor(randn(rng, v.size), v.shape));
  // Parts with the same source shape share one input tensor (like v in an edge MLP's sender
  // and receiver slots; an ungathered part and a part gathered from as many rows as the
  // output also share theirs).
  const sources = new Map<string, tf.Tensor2D>();
  const xs: tf.Tensor2D[] = [];
  const parts = c.parts.map((p) => {
    const srcRows = p.source > 0 ? p.source : c.rows;
    const key = `${srcRows}x${p.width}`;
    let x = sources.get(key);
    if (!x) {
      x = tf.tensor2d(randn(rng, srcRows * p.width), [srcRows, p.width]);
      sources.set(key, x);
      xs.push(x);
    }
    const idx = p.source > 0 ? tf.tensor1d(Int32Array.from({ length: c.rows }, () => Math.floor(rng.uniform() * p.source)), 'int32') : undefined;
    return { x, idx };
  });
  const coef = tf.tensor2d(randn(rng, c.rows * c.sizes[c.sizes.length - 1]), [c.rows, c.sizes[c.sizes.length - 1]]);
  const vars = params.variables();
  const loss = (...ts: tf.Tensor[]) => {
    const sub = new Map(xs.map((x, i) => [x, ts[i] as tf.Tensor2D]));
    const y = m.applyGathered(parts.map((p) => ({ x: sub.get(p.x)!, idx: p.idx })));
    return tf.sum(tf.mul(y, coef));
  };
  const y = m.applyGathered(parts);
  const gx = tf.grads(loss)(xs);
  const { grads } = tf.variableGrads(() => loss(...xs) as tf.Scalar, vars);
  const out = [y, ...gx, ...vars.map((v) => grads[v.name])].map((t) => new Float32Array(t.dataSync()));
  tf.dispose([y, ...gx, ...Object.values(grads), ...xs, coef, ...parts.map((p) => p.idx).filter(Boolean) as tf.Tensor[]]);
  params.dispose();
  return out;
}

if (!addon) {
  describeNotRun('fused native MLP');
} else {
  describe('fused native MLP', () => {
    beforeAll(async () => {
      const info = await initBackend({ backend: 'native' });
      expect(info.name).toBe('native');
    });
    afterAll(() => {
      disableNativeKernels();
    });

    it('output and every first derivative equal the composite MLP on wasm (random shapes, activations, parts, duplicates, 0 and 1 rows)', () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const f0 = fusedCounts.forward;
          const b0 = fusedCounts.backward;
          const got = run(c);
          expect(fusedCounts.forward).toBeGreaterThan(f0);
          expect(fusedCounts.backward).toBeGreaterThan(b0);
          const want = onWasm(addon as NativeAddon, () => run(c));
          expect(relErr(got, want)).toBeLessThan(2e-5 * c.sizes.length * (c.layerNorm ? 10 : 1));
        }),
        { seed: SEED, numRuns: 120 },
      );
    });

    it('a deliberately wrong backward (dropping one duplicate index) fails the same comparison', () => {
      // The comparison above would catch a scatter that overwrites duplicates: check that the
      // gradient of a gathered part really depends on every duplicate.
      const params = new ParamStore(new Rng(3));
      const m = mlp({ sizes: [2, 4, 3], name: 'dup' }, params);
      const x = tf.tensor2d([1, 2, -1, 0.5], [2, 2]);
      const idx = tf.tensor1d([1, 1, 1], 'int32');
      const g3 = tf.grad((v: tf.Tensor) => tf.sum(m.applyGathered([{ x: v as tf.Tensor2D, idx }])))(x);
      const idx1 = tf.tensor1d([1], 'int32');
      const g1 = tf.grad((v: tf.Tensor) => tf.sum(m.applyGathered([{ x: v as tf.Tensor2D, idx: idx1 }])))(x);
      const a = g3.dataSync();
      const b = g1.dataSync();
      for (let i = 2; i < 4; i++) expect(a[i]).toBeCloseTo(3 * b[i], 5);
      expect(a[0]).toBe(0);
      tf.dispose([x, idx, idx1, g3, g1]);
      params.dispose();
    });

    it('large inputs (threaded passes, 2 gathered parts) equal the composite MLP', () => {
      const c: Case = { sizes: [48, 64, 64, 64], activation: 'relu', activateLast: false, layerNorm: true, parts: [{ width: 16, source: -1 }, { width: 16, source: 3000 }, { width: 16, source: 3000 }], rows: 20000, seed: 7 };
      const got = run(c);
      const want = onWasm(addon as NativeAddon, () => run(c));
      expect(relErr(got, want)).toBeLessThan(1e-4);
    });

    it('second derivatives (forces from an energy, trained on forces) equal the composite MLP', () => {
      const grad2 = (): Float32Array[] => {
        const params = new ParamStore(new Rng(11));
        const energy = mlp({ sizes: [3, 8, 8, 1], activation: 'silu', name: 'energy' }, params);
        const norm = mlp({ sizes: [3, 6, 4], activation: 'tanh', layerNorm: true, name: 'norm' }, params);
        const rng = new Rng(5);
        const pos = tf.tensor2d(randn(rng, 15), [5, 3]);
        const target = tf.tensor2d(randn(rng, 15), [5, 3]);
        const vars = params.variables();
        const before = fusedCounts.composite;
        const { grads, value } = tf.variableGrads(() => {
          const force = tf.grad((p: tf.Tensor) => tf.add(tf.sum(energy(p as tf.Tensor2D)), tf.sum(tf.square(norm(p as tf.Tensor2D)))))(pos);
          return tf.mean(tf.square(tf.sub(force, target))) as tf.Scalar;
        }, vars);
        if (fusedMlpEnabled()) expect(fusedCounts.composite).toBeGreaterThan(before);
        // Variables the forces do not depend on (the energy's last bias) have no entry.
        const names = Object.keys(grads).sort();
        expect(names.length).toBeGreaterThanOrEqual(vars.length - 1);
        const out = [value, ...names.map((n) => grads[n])].map((t) => new Float32Array(t.dataSync()));
        tf.dispose([pos, target, value, ...Object.values(grads)]);
        params.dispose();
        return out;
      };
      const got = grad2();
      const want = onWasm(addon as NativeAddon, grad2);
      expect(relErr(got, want)).toBeLessThan(1e-4);
      for (const g of got.slice(1)) expect(g.some((v) => v !== 0)).toBe(true);
    });

    it('an out-of-range or negative index is a ValueError naming it; nothing leaks', () => {
      const params = new ParamStore(new Rng(1));
      const m = mlp({ sizes: [4, 5, 3], layerNorm: true, name: 'bad' }, params);
      const e = tf.zeros([3, 2]) as tf.Tensor2D;
      const v = tf.ones([4, 1]) as tf.Tensor2D;
      for (const bad of [[0, 4, 1], [0, 1, -1]]) {
        const idx = tf.tensor1d(bad, 'int32');
        const before = tf.memory().numTensors;
        const call = () => m.applyGathered([{ x: e }, { x: v, idx }, { x: v, idx: tf.tensor1d([0, 0, 0], 'int32') }]);
        expect(call).toThrow(ValueError);
        expect(call).toThrow(/indices of fused MLP input part 1 at position (1|2).*\[0, 4\)/);
        // The two index tensors created inside `call` above are the only new ones.
        expect(tf.memory().numTensors).toBe(before + 2);
        idx.dispose();
      }
      expect(() => m.applyGathered([{ x: e }, { x: v }])).toThrow(ShapeError);
      expect(() => m.applyGathered([{ x: tf.zeros([3, 3]) as tf.Tensor2D }])).toThrow(/widths summing to 4/);
      tf.dispose([e, v]);
      params.dispose();
    });
  });
}
