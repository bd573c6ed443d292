/**
 * TensorFlow.js test helpers: finite-difference gradient checks (any order, by nesting) and
 * tensor-leak checks.
 *
 * `checkGradients(f, xs)` compares the analytic gradient of a scalar function with central
 * finite differences along random directions u (seeded):
 *
 * ```
 *   ⟨∇f(x), u⟩  vs  (f(x + h·u) − f(x − h·u)) / 2h        (Richardson-extrapolated: h and h/2)
 * ```
 *
 * Directional checks keep float32 noise low (one difference quotient per direction instead of
 * one per coordinate) while still catching any wrong component with probability 1. A second
 * derivative is checked by passing a function that itself takes a gradient:
 * `checkGradients(x => sum(grad(f)(x) · w), [x])` compares the Hessian–vector product.
 */
import { expect } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { tolerance } from './tolerances.js';

export interface GradCheckOptions {
  /** Random directions tried (default 3). */
  readonly directions?: number;
  readonly seed?: number;
  /** Override the table's step / tolerances. */
  readonly step?: number;
  readonly rtol?: number;
  readonly atol?: number;
}

export interface GradCheckResult {
  readonly analytic: number[];
  readonly numeric: number[];
  readonly worst: number;
  readonly ok: boolean;
  readonly report: string;
}

function scalarOf(f: (xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): number {
  const t = tf.tidy(() => f(xs));
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Measures analytic vs finite-difference directional derivatives (does not assert). */
export function gradientError(f: (xs: tf.Tensor[]) => tf.Scalar, xs: readonly tf.Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const row = tolerance('float32', tf.getBackend());
  const h = options.step ?? row.fdStep;
  const rtol = options.rtol ?? row.gradRtol;
  const atol = options.atol ?? row.gradAtol;
  const rng = new Rng(options.seed ?? 1234);
  const grads = tf.tidy(() => tf.grads((...a: tf.Tensor[]) => f(a))(xs as tf.Tensor[]));
  const gData = grads.map((g) => g.dataSync().slice());
  grads.forEach((g) => g.dispose());
  const analytic: number[] = [];
  const numeric: number[] = [];
  const lines: string[] = [];
  let worst = 0;
  const n = options.directions ?? 3;
  for (let d = 0; d < n; d++) {
    const us = xs.map((x) => rng.normalArray(x.size) as Float32Array);
    let a = 0;
    us.forEach((u, i) => {
      for (let k = 0; k < u.length; k++) a += gData[i][k] * u[k];
    });
    const at = (s: number): number => {
      const shifted = xs.map((x, i) => tf.tidy(() => tf.add(x, tf.mul(tf.tensor(us[i], x.shape), s))));
      const v = scalarOf(f, shifted);
      shifted.forEach((t) => t.dispose());
      return v;
    };
    const dq = (hh: number): number => (at(hh) - at(-hh)) / (2 * hh);
    // Richardson: D = (4 D(h/2) − D(h)) / 3 cancels the h² term.
    const num = (4 * dq(h / 2) - dq(h)) / 3;
    analytic.push(a);
    numeric.push(num);
    const err = Math.abs(a - num) / (atol + rtol * Math.max(Math.abs(a), Math.abs(num)));
    worst = Math.max(worst, err);
    lines.push(`  direction ${d}: analytic ${a.toPrecision(7)}, finite-difference ${num.toPrecision(7)}, error/tolerance ${err.toFixed(3)}`);
  }
  const ok = worst <= 1;
  return { analytic, numeric, worst, ok, report: `gradient check (h=${h}, rtol=${rtol}, atol=${atol}, seed=${options.seed ?? 1234}) ${ok ? 'passed' : 'FAILED'}\n${lines.join('\n')}` };
}

/** Asserts that analytic gradients match finite differences; prints the report on failure. */
export function checkGradients(f: (xs: tf.Tensor[]) => tf.Scalar, xs: readonly tf.Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const r = gradientError(f, xs, options);
  if (!r.ok) throw new Error(r.report);
  return r;
}

/**
 * Gradient check with respect to trainable variables (e.g. every parameter of a ParamStore):
 * analytic `tf.variableGrads(loss, vars)` against central differences obtained by assigning
 * `v + h·u` to the variables (restored afterwards).
 */
export function checkVariableGradients(loss: () => tf.Scalar, vars: readonly tf.Variable[], options: GradCheckOptions = {}): GradCheckResult {
  const row = tolerance('float32', tf.getBackend());
  const h = options.step ?? row.fdStep;
  const rtol = options.rtol ?? row.gradRtol;
  const atol = options.atol ?? row.gradAtol;
  const rng = new Rng(options.seed ?? 4321);
  const { value, grads } = tf.variableGrads(loss, vars as tf.Variable[]);
  value.dispose();
  const gData = vars.map((v) => (grads[v.name] ? grads[v.name].dataSync().slice() : new Float32Array(v.size)));
  tf.dispose(Object.values(grads));
  const originals = vars.map((v) => tf.clone(v));
  const lines: string[] = [];
  let worst = 0;
  const analytic: number[] = [];
  const numeric: number[] = [];
  for (let d = 0; d < (options.directions ?? 3); d++) {
    const us = vars.map((v) => rng.normalArray(v.size) as Float32Array);
    let a = 0;
    us.forEach((u, i) => {
      for (let k = 0; k < u.length; k++) a += gData[i][k] * u[k];
    });
    const at = (s: number): number => {
      vars.forEach((v, i) => tf.tidy(() => v.assign(tf.add(originals[i], tf.mul(tf.tensor(us[i], v.shape), s)))));
      const t = tf.tidy(loss);
      const val = t.dataSync()[0];
      t.dispose();
      return val;
    };
    const dq = (hh: number): number => (at(hh) - at(-hh)) / (2 * hh);
    const num = (4 * dq(h / 2) - dq(h)) / 3;
    analytic.push(a);
    numeric.push(num);
    const err = Math.abs(a - num) / (atol + rtol * Math.max(Math.abs(a), Math.abs(num)));
    worst = Math.max(worst, err);
    lines.push(`  direction ${d}: analytic ${a.toPrecision(7)}, finite-difference ${num.toPrecision(7)}, error/tolerance ${err.toFixed(3)}`);
  }
  vars.forEach((v, i) => v.assign(originals[i]));
  tf.dispose(originals);
  const ok = worst <= 1;
  const report = `variable gradient check (h=${h}, rtol=${rtol}, atol=${atol}, seed=${options.seed ?? 4321}) ${ok ? 'passed' : 'FAILED'}\n${lines.join('\n')}`;
  if (!ok) throw new Error(report);
  return { analytic, numeric, worst, ok, report };
}

/** Runs `fn` and asserts that the number of live tensors is unchanged afterwards. */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  expect(after - before, `tensors leaked (before ${before}, after ${after})`).toBe(0);
  return out;
}

/** Reads a tensor to a plain Float32Array copy and disposes nothing. */
export function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}
