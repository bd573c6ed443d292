/**
 * Spaces (after JAX-MD's `space.py`): a space is a pair of functions, `displacement` and
 * `shift`, over flat Float64 position arrays `[x0, y0, z0, x1, y1, z1, ...]`.
 *
 * ```
 *   free()            R^d, no boundary:   d(a, b) = a - b,         shift(R, dR) = R + dR
 *   periodic(box)     orthorhombic torus: d(a, b) = a - b - L round((a - b)/L)   (minimum image)
 *                     [0, L0) x [0, L1) x [0, L2)   shift(R, dR) = (R + dR) mod L  (wrapped)
 * ```
 *
 * Units: positions and box lengths in the simulation's length unit (σ for LJ).
 * Dimension `dim` is 2 or 3 (the box length array decides it for periodic spaces).
 * The minimum image is exact only for distances below L/2 along each axis; neighbour lists
 * check that their cutoff respects that.
 *
 * Not supported: triclinic (sheared) boxes, mixed periodic/free axes.
 */
import { ShapeError, ValueError, describe } from '../util/errors.js';

/** Flat position-like array: `[N * dim]`. */
export type Positions = Float64Array | Float32Array;

export interface Space {
  /** `'free'` or `'periodic'`. */
  readonly kind: 'free' | 'periodic';
  /** Spatial dimension (2 or 3). */
  readonly dim: number;
  /** [dim] box lengths of a periodic space; `null` for free space. */
  readonly box: Float64Array | null;
  /**
   * Displacement `a[ia] - b[ib]` (minimum image in a periodic box) written to
   * `out[io .. io+dim)`. `ia`, `ib` are particle indices (not offsets). Returns |d|².
   */
  displacement(a: Positions, ia: number, b: Positions, ib: number, out: Float64Array, io?: number): number;
  /** Squared (minimum-image) distance between particle `ia` of `a` and `ib` of `b`. */
  distanceSq(a: Positions, ia: number, b: Positions, ib: number): number;
  /**
   * `R + dR`, wrapped into the box for periodic spaces. Writes into `out` (may be `R`
   * itself, for in-place updates) or a new Float64Array. Shapes: R, dR, out `[N * dim]`.
   */
  shift(R: Positions, dR: Positions, out?: Float64Array): Float64Array;
  /** Positions wrapped into the box (a copy, or into `out`); identity copy in free space. */
  wrap(R: Positions, out?: Float64Array): Float64Array;
}

/** Free space of dimension `dim` (default 3). */
export function free(dim = 3): Space {
  checkDim(dim);
  return Object.freeze({
    kind: 'free' as const,
    dim,
    box: null,
    displacement(a: Positions, ia: number, b: Positions, ib: number, out: Float64Array, io = 0): number {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = a[ia * dim + k] - b[ib * dim + k];
        out[io + k] = d;
        s += d * d;
      }
      return s;
    },
    distanceSq(a: Positions, ia: number, b: Positions, ib: number): number {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = a[ia * dim + k] - b[ib * dim + k];
        s += d * d;
      }
      return s;
    },
    shift(R: Positions, dR: Positions, out?: Float64Array): Float64Array {
      checkSame('dR', R, dR);
      const o = out ?? new Float64Array(R.length);
      for (let i = 0; i < R.length; i++) o[i] = R[i] + dR[i];
      return o;
    },
    wrap(R: Positions, out?: Float64Array): Float64Array {
      const o = out ?? new Float64Array(R.length);
      if (o !== R) o.set(R);
      return o;
    },
  });
}

/**
 * Periodic orthorhombic box with side lengths `box` (`[Lx, Ly]` or `[Lx, Ly, Lz]`), the
 * fundamental cell being `[0, L)` per axis.
 */
export function periodic(box: ArrayLike<number>): Space {
  const L = Float64Array.from(box);
  const dim = L.length;
  checkDim(dim, 'box');
  for (let k = 0; k < dim; k++) {
    if (!(L[k] > 0) || !Number.isFinite(L[k])) throw new ValueError(`box[${k}]`, 'a finite length > 0', String(L[k]));
  }
  const inv = L.map((x) => 1 / x);
  const minImage = (d: number, k: number): number => d - L[k] * Math.round(d * inv[k]);
  const wrap1 = (x: number, k: number): number => {
    let y = x - L[k] * Math.floor(x * inv[k]);
    // Rounding can give exactly L for tiny negative x: fold it back.
    if (y >= L[k]) y -= L[k];
    return y;
  };
  return Object.freeze({
    kind: 'periodic' as const,
    dim,
    box: L,
    displacement(a: Positions, ia: number, b: Positions, ib: number, out: Float64Array, io = 0): number {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = minImage(a[ia * dim + k] - b[ib * dim + k], k);
        out[io + k] = d;
        s += d * d;
      }
      return s;
    },
    distanceSq(a: Positions, ia: number, b: Positions, ib: number): number {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = minImage(a[ia * dim + k] - b[ib * dim + k], k);
        s += d * d;
      }
      return s;
    },
    shift(R: Positions, dR: Positions, out?: Float64Array): Float64Array {
      checkSame('dR', R, dR);
      const o = out ?? new Float64Array(R.length);
      for (let i = 0; i < R.length; i++) o[i] = wrap1(R[i] + dR[i], i % dim);
      return o;
    },
    wrap(R: Positions, out?: Float64Array): Float64Array {
      const o = out ?? new Float64Array(R.length);
      for (let i = 0; i < R.length; i++) o[i] = wrap1(R[i], i % dim);
      return o;
    },
  });
}

/** `free(dim)` when `box` is null/undefined, else `periodic(box)`. */
export function spaceFor(box: ArrayLike<number> | null | undefined, dim = 3): Space {
  return box ? periodic(box) : free(dim);
}

function checkDim(dim: number, what = 'dim'): void {
  if (dim !== 2 && dim !== 3) throw new ShapeError(what, 'of dimension 2 or 3', String(dim));
}

function checkSame(what: string, R: Positions, dR: Positions): void {
  if (dR.length !== R.length) throw new ShapeError(what, `an array of length ${R.length} (same as R)`, describe(dR));
}
