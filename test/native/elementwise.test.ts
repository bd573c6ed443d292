/**
 * Native element-wise kernels (src/engine/native_elementwise.ts) against the original wasm
 * kernels: binary ops in every operand layout, Sum/Mean over leading/trailing/all axes,
 * Concat on every axis, 2-D Transpose, and zero-copy Identity/Cast (shared data is freed
 * exactly once: no leak, no use after free).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { disableNativeKernels, loadNativeAddon, nativeKernelCounts, type NativeAddon } from '../../src/engine/native.js';
import { describeNotRun, onWasm } from './helpers.js';

const addon = loadNativeAddon();
const SEED = 7101;


function values(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

function close(a: number[], b: number[], tol: number): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])));
}

/** Runs `op` natively (asserting the native kernel ran) and on wasm; returns both results. */
function both(kernel: string, op: () => tf.Tensor): { got: number[]; want: number[]; shape: number[]; wantShape: number[] } {
  const before = nativeKernelCounts[kernel].native;
  const t = op();
  expect(nativeKernelCounts[kernel].native, `${kernel} ran natively`).toBeGreaterThan(before);
  const shape = t.shape;
  const got = values(t);
  const w = onWasm(addon as NativeAddon, op);
  const wantShape = w.shape;
  return { got, want: values(w), shape, wantShape };
}

if (!addon) {
  describeNotRun('native element-wise kernels');
} else {
  describe('native element-wise kernels', () => {
    beforeAll(async () => {
      expect((await initBackend({ backend: 'native' })).name).toBe('native');
    });
    afterAll(() => disableNativeKernels());

    it('Add/Sub/Multiply/RealDiv: full, row-vector, column and scalar operands on both sides', () => {
      const layouts = (r: number, c: number): number[][] => [[r, c], [c], [1, c], [r, 1], [1], []];
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.nat(5), fc.nat(5), fc.nat(3), fc.nat(1 << 30), (r, c, ia, ib, iop, seed) => {
          const rng = new Rng(seed);
          const sa = layouts(r, c)[ia];
          const sb = layouts(r, c)[ib];
          const mk = (s: number[]) => tf.tensor(Float32Array.from({ length: s.reduce((p, q) => p * q, 1) }, () => rng.normal() + 3), s);
          const a = mk(sa);
          const b = mk(sb);
          const [kernel, f] = ([['Add', tf.add], ['Sub', tf.sub], ['Multiply', tf.mul], ['RealDiv', tf.div]] as const)[iop];
          const { got, want, shape, wantShape } = both(kernel, () => f(a, b));
          tf.dispose([a, b]);
          expect(shape).toEqual(wantShape);
          expect(close(got, want, 1e-6)).toBe(true);
        }),
        { seed: SEED, numRuns: 200 },
      );
    });

    it('Sum/Mean over trailing, leading and all axes, with and without keepDims', () => {
      const rng = new Rng(3);
      const x = tf.tensor3d(Float32Array.from({ length: 5 * 7 * 300 }, () => rng.normal()), [5, 7, 300]);
      for (const axis of [2, -1, [1, 2], 0, [0, 1], undefined] as (number | number[] | undefined)[]) {
        for (const keepDims of [false, true]) {
          for (const [kernel, f] of [['Sum', tf.sum], ['Mean', tf.mean]] as const) {
            const { got, want, shape, wantShape } = both(kernel, () => f(x, axis, keepDims));
            expect(shape, `${kernel} axis ${axis} keepDims ${keepDims}`).toEqual(wantShape);
            expect(close(got, want, 1e-4), `${kernel} axis ${axis}`).toBe(true);
          }
        }
      }
      x.dispose();
    });

    it('Concat on every axis (float32 and int32) and 2-D Transpose equal wasm exactly', () => {
      const a = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i), [2, 3, 4]);
      const b = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => 100 + i), [2, 3, 4]);
      for (const axis of [0, 1, 2, -1]) {
        const { got, want, shape, wantShape } = both('Concat', () => tf.concat([a, b, a], axis));
        expect(shape).toEqual(wantShape);
        expect(got).toEqual(want);
      }
      const ai = tf.cast(a, 'int32');
      const { got: gi, want: wi } = both('Concat', () => tf.concat([ai, ai], 1));
      expect(gi).toEqual(wi);
      const m = tf.tensor2d(Float32Array.from({ length: 70 * 45 }, (_, i) => i * 0.5), [70, 45]);
      const { got, want, shape } = both('Transpose', () => tf.transpose(m));
      expect(shape).toEqual([45, 70]);
      expect(got).toEqual(want);
      tf.dispose([a, b, ai, m]);
    });

    it('Slice and SplitV: contiguous slices copy only their range (float32 and int32); other layouts fall back; equal to wasm', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
          fc.nat(1 << 30),
          fc.boolean(),
          (shape, seed, asInt) => {
            const rng = new Rng(seed);
            const n = shape.reduce((p, q) => p * q, 1);
            const x = tf.tensor(Float32Array.from({ length: n }, () => Math.round(rng.normal() * 100)), shape, asInt ? 'int32' : 'float32');
            // A contiguous slice: rows [b, b + k) of the leading axis, everything else whole.
            const b = Math.floor(rng.uniform() * shape[0]);
            const k = 1 + Math.floor(rng.uniform() * (shape[0] - b));
            const begin = shape.map((_, i) => (i === 0 ? b : 0));
            const size = shape.map((d, i) => (i === 0 ? k : -1));
            const s1 = both('Slice', () => tf.slice(x, begin, size));
            expect(s1.shape).toEqual(s1.wantShape);
            expect(s1.got).toEqual(s1.want);
            // Split along the leading axis into random sizes.
            const cuts: number[] = [];
            let left = shape[0];
            while (left > 0) {
              const c = 1 + Math.floor(rng.uniform() * left);
              cuts.push(c);
              left -= c;
            }
            const before = nativeKernelCounts.SplitV.native;
            const got = tf.split(x, cuts, 0);
            expect(nativeKernelCounts.SplitV.native).toBe(before + 1);
            const want = onWasm(addon as NativeAddon, () => tf.split(x, cuts, 0));
            got.forEach((g, i) => {
              expect(g.shape).toEqual(want[i].shape);
              expect(Array.from(g.dataSync())).toEqual(Array.from(want[i].dataSync()));
            });
            tf.dispose([x, ...got, ...want]);
          },
        ),
        { seed: SEED, numRuns: 100 },
      );
      // A non-contiguous slice (a column block) and a split along a later axis run the wasm kernels.
      const m = tf.tensor2d(Float32Array.from({ length: 4 * 5 }, (_, i) => i), [4, 5]);
      const fb = nativeKernelCounts.Slice.fallback;
      expect(Array.from(tf.slice(m, [1, 1], [2, 2]).dataSync())).toEqual([6, 7, 11, 12]);
      expect(nativeKernelCounts.Slice.fallback).toBe(fb + 1);
      const parts = tf.split(m, [2, 3], 1);
      expect(Array.from(parts[1].dataSync())).toEqual([2, 3, 4, 7, 8, 9, 12, 13, 14, 17, 18, 19]);
      // Empty pieces and a 1-D split like the optimiser's.
      const v = tf.tensor1d([1, 2, 3, 4, 5]);
      const vs = tf.split(v, [0, 2, 3]);
      expect(vs.map((t) => Array.from(t.dataSync()))).toEqual([[], [1, 2], [3, 4, 5]]);
      tf.dispose([m, ...parts, v, ...vs]);
    });

    it('Identity and same-dtype Cast share data: values survive disposing the input, nothing leaks', () => {
      const before = tf.memory().numBytes;
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const c = tf.cast(x, 'float32');
      const y = tf.clone(x);
      x.dispose();
      expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
      c.dispose();
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
      y.dispose();
      expect(tf.memory().numBytes).toBe(before);
    });
  });
}
