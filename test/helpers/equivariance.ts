/**
 * Equivariance testing (after e3nn's `util/test.py`): one function measures the error over
 * random trials, another asserts and prints a readable report.
 *
 * The function under test maps `(positions [N*d], features, graph) → { name: output }`, and
 * each output declares how it transforms under g = (Q, t) (Q orthogonal, t a translation):
 *
 * ```
 *   'scalar'        invariant                       f(gx) = f(x)
 *   'vector'        per-row vector (forces, ...)    f(gx) = Q f(x)               (t ignored)
 *   'pseudovector'  per-row axial vector            f(gx) = det(Q) Q f(x)
 *   'position'      per-row point                   f(gx) = Q f(x) + t   (periodic: wrapped)
 * ```
 *
 * Transforms tried per trial: a uniform rotation (SO(d)), a reflection (det −1 coset of
 * O(d)), a random translation, and for periodic inputs (`box`) a random shift wrapped into
 * the box (rotations are skipped there: a box is not rotation-symmetric). Errors are max-abs
 * differences, also reported relative to the largest |output| entry.
 */
import { Rng } from '../../src/engine/rng.js';
import type { GraphsTuple } from '../../src/geometry/graphs_tuple.js';
import { applyMatrix, determinant, randomOrthogonal } from '../../src/geometry/rotation.js';
import { TOLERANCES } from './tolerances.js';

export type OutputKind = 'scalar' | 'vector' | 'pseudovector' | 'position';
export type NumArray = Float64Array | Float32Array;
export type Transform = 'rotation' | 'reflection' | 'translation' | 'periodic-shift';

export interface SymmetryInput {
  /** [N * dim] positions. */
  readonly positions: NumArray;
  /** Per-node features (invariant under the group), passed through unchanged. */
  readonly features?: unknown;
  /** The graph (its connectivity must not depend on the transform). */
  readonly graph?: GraphsTuple;
  /** Periodic box lengths: enables 'periodic-shift' and disables rotations/reflections. */
  readonly box?: readonly number[] | Float64Array;
  /** 2 or 3 (default 3). */
  readonly dim?: number;
}

export type SymmetryFn = (
  positions: NumArray,
  features: unknown,
  graph: GraphsTuple | undefined,
) => Record<string, NumArray> | Promise<Record<string, NumArray>>;

export interface EquivarianceOptions {
  /** Declared kind of every output to check (outputs not listed are ignored). */
  readonly outputs: Readonly<Record<string, OutputKind>>;
  /** Random trials per transform (default 4). */
  readonly trials?: number;
  readonly seed?: number;
  /** Transforms to test (default: all that apply). */
  readonly transforms?: readonly Transform[];
  /** Scale of random translations (default 10). */
  readonly translationScale?: number;
}

export interface EquivarianceReport {
  /** worst[transform][output] = max-abs error over trials. */
  readonly worst: Record<string, Record<string, number>>;
  /** Largest |entry| of each output on the untransformed input (for relative errors). */
  readonly scale: Record<string, number>;
  readonly trials: number;
  readonly seed: number;
  /** The overall max-abs error. */
  readonly maxError: number;
}

/** Measures equivariance errors of `fn` on `input` over random group elements. */
export async function equivarianceError(fn: SymmetryFn, input: SymmetryInput, options: EquivarianceOptions): Promise<EquivarianceReport> {
  const dim = input.dim ?? (input.box ? input.box.length : 3);
  const seed = options.seed ?? 0;
  const rng = new Rng(seed);
  const trials = options.trials ?? 4;
  const tScale = options.translationScale ?? 10;
  const box = input.box ? Float64Array.from(input.box) : null;
  const transforms = options.transforms ?? (box ? (['periodic-shift'] as Transform[]) : (['rotation', 'reflection', 'translation'] as Transform[]));
  const base = await fn(input.positions, input.features, input.graph);
  const scale: Record<string, number> = {};
  for (const name of Object.keys(options.outputs)) {
    if (!(name in base)) throw new Error(`equivarianceError: output '${name}' declared but fn returned only [${Object.keys(base).join(', ')}]`);
    scale[name] = maxAbs(base[name]);
  }
  const worst: Record<string, Record<string, number>> = {};
  let maxError = 0;
  for (const tr of transforms) {
    worst[tr] = {};
    for (const name of Object.keys(options.outputs)) worst[tr][name] = 0;
    for (let trial = 0; trial < trials; trial++) {
      // Group element g = (Q, t).
      const Q = identity(dim);
      const t = new Float64Array(dim);
      if (tr === 'rotation') Q.set(randomOrthogonal(rng, dim, false));
      if (tr === 'reflection') Q.set(randomOrthogonal(rng, dim, true));
      if (tr === 'translation') for (let k = 0; k < dim; k++) t[k] = tScale * (2 * rng.uniform() - 1);
      if (tr === 'periodic-shift') {
        if (!box) throw new Error("equivarianceError: 'periodic-shift' needs input.box");
        for (let k = 0; k < dim; k++) t[k] = box[k] * (2 * rng.uniform() - 1);
      }
      const x = transformPoints(input.positions, Q, t, box);
      const out = await fn(x, input.features, input.graph);
      const detQ = determinant(Q);
      for (const [name, kind] of Object.entries(options.outputs)) {
        const f0 = base[name];
        const f1 = out[name];
        if (!f1 || f1.length !== f0.length) throw new Error(`equivarianceError: output '${name}' changed length under ${tr} (${f0.length} → ${f1?.length})`);
        // Expected: g acting on the base output.
        let expected: Float64Array;
        if (kind === 'scalar') expected = Float64Array.from(f0);
        else if (kind === 'vector') expected = applyMatrix(Q, Float64Array.from(f0));
        else if (kind === 'pseudovector') expected = applyMatrix(Q, Float64Array.from(f0)).map((v) => v * detQ);
        else expected = transformPoints(f0, Q, t, box);
        let err = 0;
        for (let i = 0; i < f0.length; i++) {
          let d = f1[i] - expected[i];
          if (kind === 'position' && box) d -= box[i % dim] * Math.round(d / box[i % dim]);
          err = Math.max(err, Math.abs(d));
          if (Number.isNaN(d)) err = Infinity;
        }
        worst[tr][name] = Math.max(worst[tr][name], err);
        maxError = Math.max(maxError, err);
      }
    }
  }
  return { worst, scale, trials, seed, maxError };
}

/** Tolerance: error ≤ atol + rtol · scale of the output. */
export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/**
 * Default tolerance from the shared table (test/helpers/tolerances.ts): the `value` row of the
 * positions' dtype (host code: the `cpu` row).
 */
export function defaultTolerance(positions: NumArray): Tolerance {
  const row = TOLERANCES[positions instanceof Float32Array ? 'float32' : 'float64'].cpu;
  return { atol: row.atol, rtol: row.rtol };
}

/**
 * Asserts equivariance within `tolerance` (default: {@link defaultTolerance}); on failure
 * throws an Error with a table of errors per transform and output, the seed, and the tolerance.
 */
export async function assertEquivariant(
  fn: SymmetryFn,
  input: SymmetryInput,
  opts: EquivarianceOptions & { readonly tolerance?: Tolerance },
): Promise<EquivarianceReport> {
  const options = { ...opts, tolerance: opts.tolerance ?? defaultTolerance(input.positions) };
  const rep = await equivarianceError(fn, input, options);
  const failures: string[] = [];
  for (const [tr, byOut] of Object.entries(rep.worst)) {
    for (const [name, err] of Object.entries(byOut)) {
      const lim = options.tolerance.atol + options.tolerance.rtol * rep.scale[name];
      if (!(err <= lim)) failures.push(`${tr}/${name}`);
    }
  }
  if (failures.length) throw new Error(`Not equivariant (${failures.join(', ')}):\n${formatReport(rep, options.outputs, options.tolerance)}`);
  return rep;
}

/** A readable table of a report. */
export function formatReport(rep: EquivarianceReport, outputs: Readonly<Record<string, OutputKind>>, tol?: Tolerance): string {
  const lines = [`  seed ${rep.seed}, ${rep.trials} trials per transform${tol ? `, tolerance ${tol.atol} + ${tol.rtol}·scale` : ''}`];
  lines.push(`  ${'transform'.padEnd(15)} ${'output'.padEnd(14)} ${'kind'.padEnd(13)} ${'max |err|'.padStart(11)} ${'relative'.padStart(10)}  ok`);
  for (const [tr, byOut] of Object.entries(rep.worst)) {
    for (const [name, err] of Object.entries(byOut)) {
      const rel = rep.scale[name] > 0 ? err / rep.scale[name] : err;
      const ok = tol ? (err <= tol.atol + tol.rtol * rep.scale[name] ? 'yes' : 'NO') : '';
      lines.push(`  ${tr.padEnd(15)} ${name.padEnd(14)} ${outputs[name].padEnd(13)} ${err.toExponential(3).padStart(11)} ${rel.toExponential(2).padStart(10)}  ${ok}`);
    }
  }
  return lines.join('\n');
}

function identity(d: number): Float64Array {
  const I = new Float64Array(d * d);
  for (let k = 0; k < d; k++) I[k * d + k] = 1;
  return I;
}

/** Q x + t per row, wrapped into `box` when given. Returns Float64. */
function transformPoints(x: NumArray, Q: Float64Array, t: Float64Array, box: Float64Array | null): Float64Array {
  const d = t.length;
  const y = applyMatrix(Q, Float64Array.from(x));
  for (let i = 0; i < y.length; i++) {
    let v = y[i] + t[i % d];
    if (box) v -= box[i % d] * Math.floor(v / box[i % d]);
    y[i] = v;
  }
  return y;
}

function maxAbs(a: NumArray): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
