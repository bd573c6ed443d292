/**
 * Native kernels (src/engine/native_kernels.ts) against a plain-loop oracle, the original wasm
 * kernels and the cpu backend: matMul in all transposed forms and batched, fused matMul with
 * bias and activation, row gather and scatter-add (empty and single-row inputs, duplicate
 * indices), out-of-range indices (a clear error, nothing written, nothing leaked), and first
 * and second derivatives through the segment ops.
 *
 * Without a built addon the file registers one test that says so (it fails when
 * GNNWB_REQUIRE_NATIVE=1, as CI sets it where the addon must build).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { disableNativeKernels, loadNativeAddon, nativeKernelCounts, type NativeAddon } from '../../src/engine/native.js';
import { describeNotRun, onWasm } from './helpers.js';
import { gatherRows, segmentSum } from '../../src/models/segment.js';
import { ValueError } from '../../src/util/errors.js';

const addon = loadNativeAddon();
const SEED = 20261122;

/** float32 tolerance for a K-term dot product of values of magnitude ~1 (native vs reference). */
const matmulTol = (k: number) => 1e-5 * Math.max(1, k);

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** C = op(A) op(B), row-major, float64 accumulation. */
function oracleMatmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

/** Reads a tensor's values and disposes it. */
function take(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  const copy = new Float32Array(v);
  t.dispose();
  return copy;
}


/** Oracle for scatter-add; `drop` simulates a broken kernel that keeps only the last duplicate. */
function oracleScatter(d: Float32Array, idx: Int32Array, n: number, f: number, drop = false): Float64Array {
  const out = new Float64Array(n * f);
  for (let e = 0; e < idx.length; e++)
    for (let j = 0; j < f; j++) {
      if (drop) out[idx[e] * f + j] = d[e * f + j];
      else out[idx[e] * f + j] += d[e * f + j];
    }
  return out;
}

const scatterCase = fc.record({
  n: fc.integer({ min: 1, max: 12 }),
  f: fc.integer({ min: 0, max: 40 }),
  e: fc.integer({ min: 0, max: 60 }),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

/** Property: ScatterNd (sum of duplicates) equals the oracle. Returns fast-check's result. */
function checkScatter(impl: (d: tf.Tensor2D, idx: tf.Tensor1D, n: number) => tf.Tensor, broken = false) {
  return fc.check(
    fc.property(scatterCase, ({ n, f, e, seed }) => {
      const rng = new Rng(seed);
      const d = randn(rng, e * f);
      const idx = Int32Array.from({ length: e }, () => Math.floor(rng.uniform() * n));
      const got = take(impl(tf.tensor2d(d, [e, f]), tf.tensor1d(idx, 'int32'), n));
      return maxAbsDiff(got, oracleScatter(d, idx, n, f, broken)) <= 1e-4;
    }),
    { seed: SEED, numRuns: 150 },
  );
}

if (!addon) {
  describeNotRun('native kernels');
} else {
  describe('native kernels', () => {
    beforeAll(async () => {
      await import('@tensorflow/tfjs-backend-cpu');
      const info = await initBackend({ backend: 'native' });
      expect(info.name).toBe('native');
    });
    afterAll(() => {
      disableNativeKernels();
    });

    it('matMul: every transpose form and shape (incl. 0 and 1) equals the oracle and the wasm kernel', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 33 }),
          fc.integer({ min: 0, max: 33 }),
          fc.integer({ min: 0, max: 70 }),
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 0, max: 1 << 30 }),
          (m, n, k, ta, tb, seed) => {
            const rng = new Rng(seed);
            const a = randn(rng, m * k);
            const b = randn(rng, k * n);
            const A = tf.tensor2d(a, ta ? [k, m] : [m, k]);
            const B = tf.tensor2d(b, tb ? [n, k] : [k, n]);
            const before = nativeKernelCounts.BatchMatMul.native;
            const got = take(tf.matMul(A, B, ta, tb));
            expect(nativeKernelCounts.BatchMatMul.native).toBe(before + 1);
            const ref = onWasm(addon as NativeAddon, () => take(tf.matMul(A, B, ta, tb)));
            A.dispose();
            B.dispose();
            const want = oracleMatmul(a, b, m, n, k, ta, tb);
            expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(matmulTol(k));
            expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(matmulTol(k));
          },
        ),
        { seed: SEED, numRuns: 120 },
      );
    });

    it('batched matMul with a broadcast operand equals per-batch products', () => {
      const rng = new Rng(3);
      const a = randn(rng, 4 * 5 * 6);
      const b = randn(rng, 6 * 7);
      const got = take(tf.matMul(tf.tensor3d(a, [4, 5, 6]), tf.tensor3d(b, [1, 6, 7])));
      for (let i = 0; i < 4; i++) {
        const want = oracleMatmul(a.subarray(i * 30, (i + 1) * 30), b, 5, 7, 6, false, false);
        expect(maxAbsDiff(got.subarray(i * 35, (i + 1) * 35), want)).toBeLessThan(1e-4);
      }
    });

    const ACT: Record<string, (y: tf.Tensor) => tf.Tensor> = {
      linear: (y) => y,
      relu: (y) => tf.relu(y),
      leakyrelu: (y) => tf.leakyRelu(y, 0.1),
      sigmoid: (y) => tf.sigmoid(y),
      elu: (y) => tf.elu(y),
      relu6: (y) => tf.relu6(y),
    };

    it('fused matMul: bias per column or scalar, linear/relu/leakyrelu/sigmoid/elu/relu6 equal the unfused wasm ops', () => {
      const rng = new Rng(5);
      const a = tf.tensor2d(randn(rng, 37 * 19), [37, 19]);
      const b = tf.tensor2d(randn(rng, 19 * 23), [19, 23]);
      const biases = [tf.tensor1d(randn(rng, 23)), tf.tensor1d([0.7]), undefined];
      for (const activation of ['linear', 'relu', 'leakyrelu', 'sigmoid', 'elu', 'relu6'] as const) {
        for (const bias of biases) {
          const before = nativeKernelCounts._FusedMatMul.native;
          const run = () => take(tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.1 }));
          const got = run();
          expect(nativeKernelCounts._FusedMatMul.native, `${activation} ran natively`).toBe(before + 1);
          // Reference: the unfused ops on the original wasm kernels.
          const ref = onWasm(addon as NativeAddon, () =>
            take(
              tf.tidy(() => {
                const y = bias ? tf.add(tf.matMul(a, b), bias) : tf.matMul(a, b);
                return ACT[activation](y);
              }),
            ),
          );
          expect(maxAbsDiff(got, ref), `${activation}, bias ${bias?.shape}`).toBeLessThan(1e-4);
        }
      }
      tf.dispose([a, b, ...biases.filter((x): x is tf.Tensor1D => x !== undefined)]);
    });

    it('gatherND rows: empty, single-row, duplicate indices, float32 and int32 equal the oracle and wasm', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 15 }),
          fc.integer({ min: 0, max: 40 }),
          fc.integer({ min: 0, max: 50 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 1 << 30 }),
          (n, f, e, asInt, seed) => {
            const rng = new Rng(seed);
            const x = randn(rng, n * f).map((v) => (asInt ? Math.round(10 * v) : v));
            const idx = Int32Array.from({ length: e }, () => Math.floor(rng.uniform() * n));
            const X = tf.tensor2d(x, [n, f], asInt ? 'int32' : 'float32');
            const I = tf.tensor2d(idx, [e, 1], 'int32');
            const gotT = tf.gatherND(X, I);
            expect(gotT.shape).toEqual([e, f]);
            const got = Array.from(gotT.dataSync());
            gotT.dispose();
            // tfjs's own kernels reject empty params; compare with them on non-empty inputs.
            const ref =
              e > 0 && f > 0
                ? onWasm(addon as NativeAddon, () => {
                    const t = tf.gatherND(X, I);
                    const v = Array.from(t.dataSync());
                    t.dispose();
                    return v;
                  })
                : got;
            tf.dispose([X, I]);
            const want: number[] = [];
            for (let r = 0; r < e; r++) for (let j = 0; j < f; j++) want.push(x[idx[r] * f + j] + 0); // + 0: int32 has no -0
            expect(got).toEqual(want);
            expect(got).toEqual(ref);
          },
        ),
        { seed: SEED, numRuns: 150 },
      );
    });

    it('scatterND (sums duplicates): equals the oracle; a broken kernel (duplicates overwritten) is caught', () => {
      const native = (d: tf.Tensor2D, idx: tf.Tensor1D, n: number) => {
        const before = nativeKernelCounts.ScatterNd.native;
        const r = tf.scatterND(tf.expandDims(idx, 1), d, [n, d.shape[1]]);
        if (d.shape[0] > 0) expect(nativeKernelCounts.ScatterNd.native).toBe(before + 1);
        tf.dispose([d, idx]);
        return r;
      };
      const ok = checkScatter(native);
      expect(ok.failed, fc.defaultReportMessage(ok) ?? '').toBe(false);
      const broken = checkScatter(native, true);
      expect(broken.failed, 'a scatter that overwrites duplicates must fail the property').toBe(true);
    });

    it('large inputs (threaded paths) equal the wasm kernels', () => {
      const rng = new Rng(11);
      const n = 3000, e = 18000, f = 128;
      const x = tf.tensor2d(randn(rng, n * f), [n, f]);
      const idx = tf.tensor2d(Int32Array.from({ length: e }, () => Math.floor(rng.uniform() * n)), [e, 1], 'int32');
      const d = tf.tensor2d(randn(rng, e * f), [e, f]);
      const w = tf.tensor2d(randn(rng, f * f), [f, f]);
      const gather = () => take(tf.gatherND(x, idx));
      const scatter = () => take(tf.scatterND(idx, d, [n, f]));
      const mm = () => take(tf.matMul(d, w));
      const g = gather(), s = scatter(), m = mm();
      const [g0, s0, m0] = onWasm(addon as NativeAddon, () => [gather(), scatter(), mm()]);
      expect(maxAbsDiff(g, g0)).toBe(0);
      expect(maxAbsDiff(s, s0)).toBeLessThan(1e-4);
      expect(maxAbsDiff(m, m0)).toBeLessThan(matmulTol(f));
      tf.dispose([x, idx, d, w]);
    });

    it('out-of-range and negative indices: a ValueError naming the position, no write, no leak', () => {
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
      const sentinel = tf.tensor2d([9, 9, 9, 9], [2, 2]);
      const tensorsBefore = tf.memory().numTensors;
      for (const bad of [[0, 3], [-1, 0], [2, 1 << 30]]) {
        const I = tf.tensor2d(bad, [2, 1], 'int32');
        const pos = bad.findIndex((v) => v < 0 || v >= 3);
        expect(() => tf.gatherND(x, I)).toThrow(ValueError);
        expect(() => tf.gatherND(x, I)).toThrow(`indices[${pos}]`);
        expect(() => tf.scatterND(I, tf.ones([2, 2]), [3, 2])).toThrow(/an index in \[0, 3\)/);
        I.dispose();
      }
      // The ones() made inside the failing scatterND calls are the only tensors left over.
      expect(tf.memory().numTensors - tensorsBefore).toBe(3);
      expect(Array.from(sentinel.dataSync())).toEqual([9, 9, 9, 9]);
      expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('the cpu backend gives the same matMul / gather / scatter results', async () => {
      const rng = new Rng(13);
      const a = randn(rng, 40 * 30), b = randn(rng, 40 * 20);
      const idx = Int32Array.from({ length: 50 }, () => Math.floor(rng.uniform() * 40));
      const run = () => {
        const A = tf.tensor2d(a, [40, 30]), B = tf.tensor2d(b, [40, 20]), I = tf.tensor2d(idx, [50, 1], 'int32');
        const out = [take(tf.matMul(A, B, true, false)), take(tf.gatherND(A, I)), take(tf.scatterND(I, tf.gatherND(B, I), [40, 20]))];
        tf.dispose([A, B, I]);
        return out;
      };
      const native = run();
      await tf.setBackend('cpu');
      const cpu = run();
      await tf.setBackend('wasm');
      expect(maxAbsDiff(native[0], cpu[0])).toBeLessThan(matmulTol(40));
      expect(maxAbsDiff(native[1], cpu[1])).toBe(0);
      expect(maxAbsDiff(native[2], cpu[2])).toBeLessThan(1e-4);
    });

    it('first and second derivatives through gatherRows/segmentSum/matMul equal the wasm kernels', () => {
      const rng = new Rng(17);
      const n = 30, e = 90, f = 8;
      const x0 = tf.tensor2d(randn(rng, n * f), [n, f]);
      const w = tf.tensor2d(randn(rng, f * f), [f, f]);
      const s = tf.tensor1d(Int32Array.from({ length: e }, () => Math.floor(rng.uniform() * n)), 'int32');
      const r = tf.tensor1d(Int32Array.from({ length: e }, () => Math.floor(rng.uniform() * n)), 'int32');
      // energy(x) = Σ tanh(segmentSum(gather(x,s) W ⊙ gather(x,r), r))
      const energy = (x: tf.Tensor) => {
        const msg = tf.mul(tf.matMul(gatherRows(x as tf.Tensor2D, s), w), gatherRows(x as tf.Tensor2D, r)) as tf.Tensor2D;
        return tf.sum(tf.tanh(segmentSum(msg, r, n)));
      };
      const force = tf.grad(energy);
      // Second derivative: d/dx of Σ force(x)²
      const hess = tf.grad((x: tf.Tensor) => tf.sum(tf.square(force(x))));
      const run = () => [take(force(x0)), take(hess(x0))];
      const [g1, h1] = run();
      const [g0, h0] = onWasm(addon as NativeAddon, run);
      expect(maxAbsDiff(g1, g0)).toBeLessThan(1e-4);
      expect(maxAbsDiff(h1, h0)).toBeLessThan(1e-3);
      expect(Math.max(...h1.map(Math.abs))).toBeGreaterThan(0);
      tf.dispose([x0, w, s, r]);
    });
  });
}
