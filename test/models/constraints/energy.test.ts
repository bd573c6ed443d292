import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { gatherRows } from '../../../src/models/segment.js';
import { conservativeForces, type EnergyForces } from '../../../src/models/constraints/index.js';
import { mlpApply, randomMlp } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

/** All pairs i < j of n nodes. */
function pairs(n: number): { s: tf.Tensor1D; r: tf.Tensor1D } {
  const s: number[] = [], r: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { s.push(i); r.push(j); }
  return { s: tf.tensor1d(s, 'int32'), r: tf.tensor1d(r, 'int32') };
}

/** E = Σ_{i<j} φ_θ(|x_j − x_i|) + ½ k Σ|x_i|²  (a learned pair energy in a harmonic trap). */
function pairEnergy(w: tf.Tensor[], s: tf.Tensor1D, r: tf.Tensor1D, k = 0.5, act: 'tanh' | 'softplus' = 'tanh') {
  return (x: tf.Tensor2D): tf.Scalar => {
    const d = tf.sub(gatherRows(x, r), gatherRows(x, s)); // [P, D]
    const dist = tf.sqrt(tf.add(tf.sum(tf.square(d), 1, true), 1e-6)) as tf.Tensor2D; // [P, 1]
    return tf.add(tf.sum(mlpApply(w, dist, act)), tf.mul(0.5 * k, tf.sum(tf.square(x)))) as tf.Scalar;
  };
}

type Head = (x: tf.Tensor2D) => EnergyForces;

/** Broken head: adds a rotational (curl ≠ 0) force, which no energy can produce. */
function brokenHead(good: Head): Head {
  return (x) => {
    const out = good(x);
    const rot = tf.tidy(() => tf.mul(0.5, tf.concat([tf.neg(tf.slice(x, [0, 1], [-1, 1])), tf.slice(x, [0, 0], [-1, 1])], 1)));
    const forces = tf.add(out.forces, rot) as tf.Tensor2D;
    tf.dispose([rot, out.forces]);
    return { energy: out.energy, forces };
  };
}

/** Directional derivative check: (E(x+hv) − E(x−hv)) / 2h ≈ −F·v. */
function forcesAreMinusGradient(make: (w: tf.Tensor[], s: tf.Tensor1D, r: tf.Tensor1D) => Head) {
  return fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2, max: 8 }), (seed, n) => {
    const rng = new Rng(seed);
    const D = 2;
    const w = randomMlp(rng, [1, 16, 1]);
    const { s, r } = pairs(n);
    const head = make(w, s, r);
    const x0 = Float64Array.from(rng.normalArray(n * D));
    const v = Float64Array.from(rng.normalArray(n * D));
    const h = 1e-2;
    const at = (sign: number) => {
      const x = tf.tensor2d(Float32Array.from(x0, (xi, k) => xi + sign * h * v[k]), [n, D]);
      const out = head(x);
      const e = out.energy.dataSync()[0];
      const f = out.forces.dataSync();
      tf.dispose([x, out.energy, out.forces]);
      return { e, f };
    };
    const plus = at(1), minus = at(-1), mid = at(0);
    const fd = (plus.e - minus.e) / (2 * h);
    let fv = 0, fn = 0;
    for (let k = 0; k < n * D; k++) {
      fv += mid.f[k] * v[k];
      fn += Math.abs(mid.f[k] * v[k]);
    }
    tf.dispose([...w, s, r]);
    return Math.abs(fd + fv) <= 2e-2 * (fn + Math.abs(mid.e) + 1e-3);
  });
}

const goodMake = (w: tf.Tensor[], s: tf.Tensor1D, r: tf.Tensor1D): Head => conservativeForces(pairEnergy(w, s, r));

/** Velocity Verlet for `steps`; returns the max |H(t) − H(0)|. Masses 1. */
function nveDrift(head: Head, x0: Float32Array, v0: Float32Array, n: number, dt: number, steps: number): number {
  const D = 2;
  const x = Float64Array.from(x0), v = Float64Array.from(v0);
  const eval_ = () => {
    const xt = tf.tensor2d(Float32Array.from(x), [n, D]);
    const out = head(xt);
    const e = out.energy.dataSync()[0];
    const f = Float64Array.from(out.forces.dataSync());
    tf.dispose([xt, out.energy, out.forces]);
    return { e, f };
  };
  let { e, f } = eval_();
  const ke = () => { let k = 0; for (const vi of v) k += 0.5 * vi * vi; return k; };
  const h0 = e + ke();
  let drift = 0;
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < n * D; k++) { v[k] += 0.5 * dt * f[k]; x[k] += dt * v[k]; }
    ({ e, f } = eval_());
    for (let k = 0; k < n * D; k++) v[k] += 0.5 * dt * f[k];
    drift = Math.max(drift, Math.abs(e + ke() - h0));
  }
  return drift;
}

describe('conservativeForces', () => {
  it('forces are −∇E (directional finite differences) for random weights and positions', () => {
    fc.assert(forcesAreMinusGradient(goodMake), { seed: 31, numRuns: 20 });
  });

  it('the property catches a force with a curl (not the gradient of any energy)', () => {
    expect(fc.check(forcesAreMinusGradient((w, s, r) => brokenHead(goodMake(w, s, r))), { seed: 31, numRuns: 20 }).failed).toBe(true);
  });

  it('pair energies give zero net force (translation invariance ⇒ momentum conservation)', () => {
    const rng = new Rng(2);
    const n = 7;
    const w = randomMlp(rng, [1, 16, 1]);
    const { s, r } = pairs(n);
    const head = conservativeForces(pairEnergy(w, s, r, 0)); // no trap: translation invariant
    const x = tf.tensor2d(rng.normalArray(n * 2) as Float32Array, [n, 2]);
    const out = head(x);
    const f = out.forces.dataSync();
    let sx = 0, sy = 0, a = 0;
    for (let i = 0; i < n; i++) { sx += f[2 * i]; sy += f[2 * i + 1]; a += Math.abs(f[2 * i]) + Math.abs(f[2 * i + 1]); }
    expect(a).toBeGreaterThan(0);
    expect(Math.hypot(sx, sy)).toBeLessThan(1e-5 * a);
    tf.dispose([x, out.energy, out.forces, ...w, s, r]);
  });

  it('NVE velocity Verlet: energy error is O(dt²) with the conservative head, not with the broken one', () => {
    const rng = new Rng(8);
    const n = 6;
    const w = randomMlp(rng, [1, 16, 1]);
    const { s, r } = pairs(n);
    const head = conservativeForces(pairEnergy(w, s, r, 1));
    const x0 = rng.normalArray(n * 2) as Float32Array;
    const v0 = rng.normalArray(n * 2, 0.5) as Float32Array;
    const T = 2; // time units
    const e1 = nveDrift(head, x0, v0, n, 0.02, T / 0.02);
    const e2 = nveDrift(head, x0, v0, n, 0.01, T / 0.01);
    const ratio = e1 / e2;
    // Second order: halving dt divides the energy error by ~4.
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(6);
    const b1 = nveDrift(brokenHead(head), x0, v0, n, 0.02, T / 0.02);
    const b2 = nveDrift(brokenHead(head), x0, v0, n, 0.01, T / 0.01);
    expect(b2).toBeGreaterThan(20 * e2); // the curl pumps energy at any dt
    expect(b1 / b2).toBeLessThan(2.5);
    tf.dispose([...w, s, r]);
  });

  it('pins a tfjs 4.22 limitation: through tanh, the bias before it gets no second-order gradient', () => {
    // Tanh's gradient is computed from its saved *output*, which tfjs does not connect back to
    // the bias on the outer tape. If this test starts failing, tfjs fixed it: update energy.ts.
    const rng = new Rng(4);
    const n = 5;
    const w = randomMlp(rng, [1, 8, 1]);
    const { s, r } = pairs(n);
    const x = tf.tensor2d(rng.normalArray(n * 2) as Float32Array, [n, 2]);
    const vars = w.slice(0, -1).map((t, k) => tf.variable(t, true, `energy_tanh_w${k}`));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(conservativeForces(pairEnergy([...vars, w[w.length - 1]], s, r))(x).forces)) as tf.Scalar, vars);
    expect(Object.keys(grads).sort()).toEqual(['energy_tanh_w0', 'energy_tanh_w2']);
    tf.dispose([value, ...vars, ...Object.values(grads), ...w, s, r, x]);
  });

  it('second-order gradients: a force-matching loss has nonzero gradients for every weight (softplus MLP)', () => {
    const rng = new Rng(4);
    const n = 5;
    const w = randomMlp(rng, [1, 8, 1]);
    const { s, r } = pairs(n);
    const x = tf.tensor2d(rng.normalArray(n * 2) as Float32Array, [n, 2]);
    const target = tf.tensor2d(rng.normalArray(n * 2) as Float32Array, [n, 2]);
    const act = 'softplus' as const;
    // Trainable weights as variables; the last bias shifts E by a constant and cannot affect
    // forces, so it is kept constant.
    const vars = w.slice(0, -1).map((t, k) => tf.variable(t, true, `energy_test_w${k}`));
    const { value, grads: gmap } = tf.variableGrads(() => {
      const out = conservativeForces(pairEnergy([...vars, w[w.length - 1]], s, r, 0.5, act))(x);
      return tf.mean(tf.square(tf.sub(out.forces, target))) as tf.Scalar;
    }, vars);
    const grads = Object.values(gmap);
    expect(grads.length).toBe(w.length - 1);
    for (const g of grads) {
      const n2 = tf.sum(tf.square(g)).dataSync()[0];
      expect(Number.isFinite(n2)).toBe(true);
      expect(n2).toBeGreaterThan(0);
    }
    tf.dispose([value, ...vars, ...grads]);
    tf.dispose([...grads, ...w, s, r, x, target]);
  });
});
