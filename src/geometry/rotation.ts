/**
 * Random rotations and reflections, uniform (Haar) on SO(d) and O(d), from the seeded Rng.
 *
 * ```
 *   3D rotation:  unit quaternion q uniform on S³ (Shoemake 1992, "Uniform random rotations",
 *                 Graphics Gems III) → rotation matrix; q and −q give the same matrix, and a
 *                 uniform q gives the Haar measure on SO(3).
 *   2D rotation:  angle θ ~ U[0, 2π).
 *   O(d):         a uniform rotation times diag(−1, 1, 1) with probability ½ (the reflected
 *                 coset of SO(d) carries the same Haar measure).
 * ```
 *
 * Matrices are row-major Float64Array `[d * d]`; applying `Q` to a point `x` gives `Q x`.
 */
import type { Rng } from '../engine/rng.js';
import { ShapeError, describe } from '../util/errors.js';
import type { Positions } from './space.js';

/** Uniform random rotation of SO(3) as a row-major `[9]` matrix. */
export function randomRotation3(rng: Rng): Float64Array {
  // Shoemake: three uniforms → a uniform unit quaternion (w, x, y, z).
  const u1 = rng.uniform();
  const u2 = 2 * Math.PI * rng.uniform();
  const u3 = 2 * Math.PI * rng.uniform();
  const a = Math.sqrt(1 - u1);
  const b = Math.sqrt(u1);
  return quaternionToMatrix(a * Math.sin(u2), a * Math.cos(u2), b * Math.sin(u3), b * Math.cos(u3));
}

/** Rotation matrix `[9]` of the unit quaternion (w, x, y, z). */
export function quaternionToMatrix(w: number, x: number, y: number, z: number): Float64Array {
  const n = Math.hypot(w, x, y, z);
  w /= n;
  x /= n;
  y /= n;
  z /= n;
  return Float64Array.of(
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  );
}

/** Uniform random rotation of SO(2) as a row-major `[4]` matrix. */
export function randomRotation2(rng: Rng): Float64Array {
  const t = 2 * Math.PI * rng.uniform();
  const c = Math.cos(t);
  const s = Math.sin(t);
  return Float64Array.of(c, -s, s, c);
}

/** Uniform random rotation of SO(dim), dim 2 or 3. */
export function randomRotation(rng: Rng, dim = 3): Float64Array {
  if (dim === 3) return randomRotation3(rng);
  if (dim === 2) return randomRotation2(rng);
  throw new ShapeError('dim', '2 or 3', String(dim));
}

/**
 * Uniform random element of O(dim): a uniform rotation, reflected (first column negated,
 * i.e. `Q · diag(−1, 1, ...)`) with probability ½. `reflect` forces the coset (true: det −1).
 */
export function randomOrthogonal(rng: Rng, dim = 3, reflect?: boolean): Float64Array {
  const Q = randomRotation(rng, dim);
  const flip = reflect ?? rng.uniform() < 0.5;
  if (flip) for (let r = 0; r < dim; r++) Q[r * dim] = -Q[r * dim];
  return Q;
}

/** Determinant of a `[4]` or `[9]` row-major matrix. */
export function determinant(Q: ArrayLike<number>): number {
  if (Q.length === 4) return Q[0] * Q[3] - Q[1] * Q[2];
  if (Q.length === 9) {
    return Q[0] * (Q[4] * Q[8] - Q[5] * Q[7]) - Q[1] * (Q[3] * Q[8] - Q[5] * Q[6]) + Q[2] * (Q[3] * Q[7] - Q[4] * Q[6]);
  }
  throw new ShapeError('Q', 'a 2x2 or 3x3 matrix (length 4 or 9)', describe(Q));
}

/** max |QᵀQ − I| entry: 0 for an exactly orthogonal matrix. */
export function orthogonalityError(Q: ArrayLike<number>): number {
  const d = Q.length === 4 ? 2 : Q.length === 9 ? 3 : 0;
  if (!d) throw new ShapeError('Q', 'a 2x2 or 3x3 matrix (length 4 or 9)', describe(Q));
  let err = 0;
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += Q[k * d + a] * Q[k * d + b];
    err = Math.max(err, Math.abs(s - (a === b ? 1 : 0)));
  }
  return err;
}

/**
 * Applies `Q` (`[d*d]`) to every row of `x` (`[N * d]`): `out_i = Q x_i`. Writes into `out`
 * (may alias `x`) or a new array of `x`'s type.
 */
export function applyMatrix<T extends Positions>(Q: ArrayLike<number>, x: T, out?: T): T {
  const d = Q.length === 4 ? 2 : Q.length === 9 ? 3 : 0;
  if (!d) throw new ShapeError('Q', 'a 2x2 or 3x3 matrix (length 4 or 9)', describe(Q));
  if (x.length % d !== 0) throw new ShapeError('x', `a flat array of length N*${d}`, describe(x));
  const o = (out ?? new (x.constructor as { new (n: number): T })(x.length)) as T;
  const t = new Float64Array(d);
  for (let i = 0; i < x.length; i += d) {
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += Q[r * d + k] * x[i + k];
      t[r] = s;
    }
    for (let r = 0; r < d; r++) o[i + r] = t[r];
  }
  return o;
}

/** Matrix product `A B` of two `[d*d]` row-major matrices. */
export function composeMatrices(A: ArrayLike<number>, B: ArrayLike<number>): Float64Array {
  const d = A.length === 4 ? 2 : 3;
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += A[i * d + k] * B[k * d + j];
    C[i * d + j] = s;
  }
  return C;
}

/** Transpose (= inverse for orthogonal matrices) of a `[d*d]` matrix. */
export function transposeMatrix(Q: ArrayLike<number>): Float64Array {
  const d = Q.length === 4 ? 2 : 3;
  const T = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) T[j * d + i] = Q[i * d + j];
  return T;
}
