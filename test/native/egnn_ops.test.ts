/**
 * The native EGNN coordinate ops (src/models/equivariant/egnn_ops.ts, native/src/gnnwb_native.cc
 * egnnRadial / egnnCoord and their gradients) against the same functions composed of tfjs ops
 * on the original wasm kernels: values and the gradients with respect to x, φ and the velocity
 * scale, for random graphs (duplicate edges, self-loops, isolated nodes, no edges), 1-4
 * coordinates, clamps small enough that the clip is active (and values exactly at the bound),
 * with and without the velocity term; second derivatives of the radial op; a whole EGNN's loss and parameter
 * gradients; out-of-range indices give a clear error and leak nothing.
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
import { egnnCoordUpdate, egnnNativeCounts, egnnRadial } from '../../src/models/equivariant/egnn_ops.js';
import { EGNN_NBODY_CONFIG, createEgnn, inverseInDegree } from '../../src/models/equivariant/egnn.js';
import { ValueError } from '../../src/util/errors.js';

const addon = loadNativeAddon();

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function maxErr(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((x, k) => {
    expect(x.length).toBe(b[k].length);
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - b[k][i]) / (1 + Math.abs(b[k][i]));
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
  });
  return worst;
}

interface Case {
  N: number;
  E: number;
  D: number;
  clamp: number;
  vel: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  N: fc.integer({ min: 1, max: 12 }),
  E: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
  D: fc.integer({ min: 1, max: 4 }),
  clamp: fc.constantFrom(0.05, 0.5, 100),
  vel: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

/** Values and gradients of Σ c ⊙ radial and Σ c' ⊙ update w.r.t. x, φ (and the scale). */
function run(c: Case): Float32Array[] {
  const rng = new Rng(c.seed);
  const r = tf.tensor1d(Int32Array.from({ length: c.E }, () => Math.floor(rng.uniform() * c.N)), 'int32');
  const s = tf.tensor1d(Int32Array.from({ length: c.E }, () => Math.floor(rng.uniform() * c.N)), 'int32');
  const x = tf.tensor2d(randn(rng, c.N * c.D), [c.N, c.D]);
  // φ with some entries exactly at the clip bound after the product with a unit difference is
  // unlikely; instead the small clamps make most products clip.
  const phi = tf.tensor2d(randn(rng, c.E), [c.E, 1]);
  const inv = inverseInDegree(r.dataSync() as Int32Array, c.N);
  const scale = tf.tensor2d(randn(rng, c.N), [c.N, 1]);
  const v = tf.tensor2d(randn(rng, c.N * c.D), [c.N, c.D]);
  const c1 = tf.tensor2d(randn(rng, c.E), [c.E, 1]);
  const c2 = tf.tensor2d(randn(rng, c.N * c.D), [c.N, c.D]);
  const vel = (a: tf.Tensor) => (c.vel ? { scale: a as tf.Tensor2D, v } : undefined);
  const radial = egnnRadial(x, r, s);
  const upd = egnnCoordUpdate(x, phi, r, s, inv, c.clamp, vel(scale));
  const [gr] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(egnnRadial(a as tf.Tensor2D, r, s), c1)))([x]);
  const gu = tf.grads((a: tf.Tensor, p: tf.Tensor, sc: tf.Tensor) => tf.sum(tf.mul(egnnCoordUpdate(a as tf.Tensor2D, p as tf.Tensor2D, r, s, inv, c.clamp, vel(sc)), c2)))(
    c.vel ? [x, phi, scale] : [x, phi, scale].slice(0, 2),
  );
  const out = [radial, upd, gr, ...gu].map((t) => new Float32Array(t.dataSync()));
  tf.dispose([r, s, x, phi, inv, scale, v, c1, c2, radial, upd, gr, ...gu]);
  return out;
}

if (!addon) {
  describeNotRun('native EGNN coordinate ops');
} else {
  describe('native EGNN coordinate ops', () => {
    beforeAll(async () => {
      const info = await initBackend({ backend: 'native' });
      expect(info.name).toBe('native');
    });
    afterAll(() => {
      disableNativeKernels();
    });

    it('values and gradients equal the composite ops on wasm (random graphs, widths, clamps, velocity term)', () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const before = { ...egnnNativeCounts };
          const got = run(c);
          expect(egnnNativeCounts.forward).toBeGreaterThan(before.forward);
          expect(egnnNativeCounts.backward).toBeGreaterThan(before.backward);
          const want = onWasm(addon as NativeAddon, () => run(c));
          expect(maxErr(got, want)).toBeLessThan(1e-5);
        }),
        { numRuns: 60, seed: 20261205 },
      );
    });

    it('second derivatives of the radial op (tape on in the backward pass: the composite ops) equal the composite on wasm', () => {
      // (The coordinate update's clip has no second derivative in tfjs: its gradient goes
      // through LogicalAnd, which has none; the composite path fails the same way.)
      const g2 = (): Float32Array[] => {
        const rng = new Rng(3);
        const r = tf.tensor1d([0, 1, 2, 2, 0], 'int32');
        const s = tf.tensor1d([1, 2, 0, 1, 2], 'int32');
        const x = tf.tensor2d(randn(rng, 9), [3, 3]);
        const w = tf.tensor2d(randn(rng, 5), [5, 1]);
        // d/dx of |∇_x Σ w ⊙ tanh(radial)|²
        const outer = tf.grad((a: tf.Tensor) => {
          const gx = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.tanh(egnnRadial(b as tf.Tensor2D, r, s)), w)))(a);
          return tf.sum(tf.square(gx));
        })(x);
        const out = [new Float32Array(outer.dataSync())];
        tf.dispose([r, s, x, w, outer]);
        return out;
      };
      const before = egnnNativeCounts.composite;
      const got = g2();
      expect(egnnNativeCounts.composite).toBeGreaterThan(before);
      const want = onWasm(addon as NativeAddon, g2);
      expect(got[0].some((v) => v !== 0)).toBe(true);
      expect(maxErr(got, want)).toBeLessThan(1e-4);
    });

    it('a whole EGNN (N-body configuration): loss and every parameter gradient equal the composite on wasm', () => {
      const lossAndGrads = (): Float32Array[] => {
        const rng = new Rng(21);
        const model = createEgnn(EGNN_NBODY_CONFIG, new Rng(22));
        const n = 5, B = 3;
        const rs: number[] = [], ss: number[] = [];
        for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) (rs.push(b * n + i), ss.push(b * n + j));
        const N = n * B, E = rs.length;
        const inp = {
          h0: tf.tensor2d(randn(rng, N), [N, 1]),
          x: tf.tensor2d(randn(rng, 3 * N), [N, 3]),
          v: tf.tensor2d(randn(rng, 3 * N), [N, 3]),
          edgeAttr: tf.tensor2d(randn(rng, 2 * E), [E, 2]),
          senders: tf.tensor1d(ss, 'int32'),
          receivers: tf.tensor1d(rs, 'int32'),
          invDegree: inverseInDegree(Int32Array.from(rs), N),
        };
        const target = tf.tensor2d(randn(rng, 3 * N), [N, 3]);
        const vars = model.params.list();
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(model.apply(inp).x, target))) as tf.Scalar, vars);
        // (the last layer's node MLP does not reach x: no gradient)
        const reached = vars.filter((v) => grads[v.name]);
        expect(reached.length).toBeGreaterThan(vars.length / 2);
        const out = [value, ...reached.map((v) => grads[v.name])].map((t) => new Float32Array(t.dataSync()));
        tf.dispose([value, ...Object.values(grads), target, ...Object.values(inp)]);
        model.params.dispose();
        return out;
      };
      const before = egnnNativeCounts.forward;
      const got = lossAndGrads();
      expect(egnnNativeCounts.forward).toBeGreaterThan(before);
      const want = onWasm(addon as NativeAddon, lossAndGrads);
      expect(maxErr(got, want)).toBeLessThan(1e-4);
    });

    it('an out-of-range receiver or sender is a ValueError naming it; nothing leaks', () => {
      const x = tf.tensor2d([0, 0, 0, 1, 1, 1], [2, 3]);
      const phi = tf.tensor2d([1, 1], [2, 1]);
      const inv = tf.tensor2d([1, 1], [2, 1]);
      const good = tf.tensor1d([0, 1], 'int32');
      const badR = tf.tensor1d([0, 2], 'int32');
      const badS = tf.tensor1d([-1, 0], 'int32');
      const before = tf.memory().numTensors;
      expect(() => egnnRadial(x, badR, good)).toThrow(ValueError);
      expect(() => egnnRadial(x, badR, good)).toThrow(/receivers\[1\]' to be a node index in \[0, 2\) \(got 2\)/);
      expect(() => egnnCoordUpdate(x, phi, good, badS, inv, 1)).toThrow(/senders\[0\]' to be a node index in \[0, 2\) \(got -1\)/);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, phi, inv, good, badR, badS]);
    });
  });
}
