/**
 * Compressed sparse row matrices in Float64 and a preconditioned conjugate-gradient solver
 * that allocates nothing per call (work vectors live in a `PcgWorkspace`).
 *
 * ```
 *   rowPtr [n + 1]   entries of row i are rowPtr[i] .. rowPtr[i+1]-1
 *   colIdx [nnz]     column of each entry, sorted within a row
 *   values [nnz]
 * ```
 */
import { ValueError } from '../../util/errors.js';

export interface Csr {
  readonly n: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  /** Mutable values (pattern fixed): matrices are re-filled in place. */
  readonly values: Float64Array;
}

/** CSR pattern from (row, col) pairs (duplicates merged), values zero. */
export function csrPattern(n: number, rows: ArrayLike<number>, cols: ArrayLike<number>): Csr {
  const m = rows.length;
  // [m] keys row * n + col, sorted and deduplicated
  const keys = new Float64Array(m);
  for (let k = 0; k < m; k++) keys[k] = rows[k] * n + cols[k];
  keys.sort();
  let u = 0;
  for (let k = 0; k < m; k++) if (k === 0 || keys[k] !== keys[k - 1]) keys[u++] = keys[k];
  const rowPtr = new Int32Array(n + 1);
  const colIdx = new Int32Array(u);
  for (let k = 0; k < u; k++) {
    const r = Math.floor(keys[k] / n);
    colIdx[k] = keys[k] - r * n;
    rowPtr[r + 1]++;
  }
  for (let i = 0; i < n; i++) rowPtr[i + 1] += rowPtr[i];
  return { n, rowPtr, colIdx, values: new Float64Array(u) };
}

/** Index of entry (i, j) in `a`, or -1 (binary search). */
export function csrFind(a: Csr, i: number, j: number): number {
  let lo = a.rowPtr[i], hi = a.rowPtr[i + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = a.colIdx[mid];
    if (c === j) return mid;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** out = A x. */
export function csrMatVec(a: Csr, x: Float64Array, out: Float64Array): Float64Array {
  const { rowPtr, colIdx, values } = a;
  for (let i = 0; i < a.n; i++) {
    let s = 0;
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) s += values[k] * x[colIdx[k]];
    out[i] = s;
  }
  return out;
}

/** A copy with the same pattern (shared rowPtr/colIdx) and copied values. */
export function csrClone(a: Csr): Csr {
  return { n: a.n, rowPtr: a.rowPtr, colIdx: a.colIdx, values: Float64Array.from(a.values) };
}

/**
 * Symmetric elimination of Dirichlet rows/columns in place: for `fixed[i] = 1`, row i and
 * column i become zero except A[i,i] = 1. Keep the original matrix to lift the right-hand
 * side with {@link liftDirichlet}.
 */
export function eliminateDirichlet(a: Csr, fixed: Uint8Array): void {
  for (let i = 0; i < a.n; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      if (fixed[i] || fixed[j]) a.values[k] = i === j ? 1 : 0;
    }
  }
}

/** rhs[i] -= Σ_{j fixed} A[i,j] g[j] for free i; rhs[i] = g[i] for fixed i (A the original matrix). */
export function liftDirichlet(a: Csr, fixed: Uint8Array, g: Float64Array, rhs: Float64Array): void {
  for (let i = 0; i < a.n; i++) {
    if (fixed[i]) {
      rhs[i] = g[i];
      continue;
    }
    let s = 0;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      if (fixed[j]) s += a.values[k] * g[j];
    }
    rhs[i] -= s;
  }
}

export interface PcgWorkspace {
  readonly r: Float64Array;
  readonly z: Float64Array;
  readonly p: Float64Array;
  readonly q: Float64Array;
  /** Jacobi preconditioner 1/diag(A). */
  readonly invDiag: Float64Array;
}

export function pcgWorkspace(a: Csr): PcgWorkspace {
  const n = a.n;
  const ws = { r: new Float64Array(n), z: new Float64Array(n), p: new Float64Array(n), q: new Float64Array(n), invDiag: new Float64Array(n) };
  updateJacobi(a, ws);
  return ws;
}

/** Recomputes the Jacobi preconditioner after the values of `a` changed. */
export function updateJacobi(a: Csr, ws: PcgWorkspace): void {
  for (let i = 0; i < a.n; i++) {
    const k = csrFind(a, i, i);
    const d = k >= 0 ? a.values[k] : 0;
    if (!(d > 0)) throw new ValueError(`diagonal[${i}]`, 'a positive number (SPD matrix)', String(d));
    ws.invDiag[i] = 1 / d;
  }
}

export interface PcgResult {
  readonly iterations: number;
  /** Final ‖b − A x‖₂. */
  readonly residual: number;
  /** ‖b‖₂. */
  readonly rhsNorm: number;
  readonly converged: boolean;
}

/**
 * Preconditioned conjugate gradients for SPD `a`: solves A x = b starting from the given x
 * (warm start), until ‖r‖₂ ≤ max(rtol·‖b‖₂, atol). Jacobi by default; `precond(r, z)` (e.g.
 * an AMG V-cycle, amg.ts) replaces it and must be symmetric positive definite. Allocation-free.
 */
export function pcg(
  a: Csr, b: Float64Array, x: Float64Array, ws: PcgWorkspace, rtol: number, atol = 0, maxIter = 10 * a.n,
  precond?: (r: Float64Array, z: Float64Array) => void,
): PcgResult {
  const n = a.n;
  const { r, z, p, q, invDiag } = ws;
  csrMatVec(a, x, q);
  let bn = 0, rr = 0, rz = 0;
  for (let i = 0; i < n; i++) {
    bn += b[i] * b[i];
    r[i] = b[i] - q[i];
    rr += r[i] * r[i];
    z[i] = r[i] * invDiag[i];
  }
  if (precond) precond(r, z);
  for (let i = 0; i < n; i++) {
    p[i] = z[i];
    rz += r[i] * z[i];
  }
  bn = Math.sqrt(bn);
  const tol = Math.max(rtol * bn, atol);
  let it = 0;
  while (Math.sqrt(rr) > tol && it < maxIter) {
    csrMatVec(a, p, q);
    let pq = 0;
    for (let i = 0; i < n; i++) pq += p[i] * q[i];
    const alpha = rz / pq;
    rr = 0;
    let rzNew = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      rr += r[i] * r[i];
      z[i] = r[i] * invDiag[i];
    }
    if (precond) precond(r, z);
    for (let i = 0; i < n; i++) rzNew += r[i] * z[i];
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    it++;
  }
  const res = Math.sqrt(rr);
  return { iterations: it, residual: res, rhsNorm: bn, converged: res <= tol };
}
