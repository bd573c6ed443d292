/**
 * Smoothed-aggregation algebraic multigrid (Vaněk, Mandel & Brezina 1996) as a symmetric
 * preconditioner for conjugate gradients on SPD CSR matrices (here: the pressure Poisson
 * matrix). One V-cycle per CG iteration: forward Gauss–Seidel pre-smoothing, backward
 * Gauss–Seidel post-smoothing (so the preconditioner is symmetric), Galerkin coarse operators
 * `A_c = Pᵀ A P`, dense Cholesky on the coarsest level (≤ `maxCoarse` unknowns).
 *
 * Setup: strength of connection |a_ij| ≥ θ·sqrt(a_ii a_jj); greedy aggregation (roots with an
 * all-free strong neighbourhood, then attach leftovers to a neighbouring aggregate, then group
 * the rest); tentative prolongator = aggregate indicator; smoothed prolongator
 * `P = (I − ω D⁻¹A) P_tent`, ω = 4/(3ρ), ρ ≈ ρ(D⁻¹A) by power iteration. Rows without
 * off-diagonal entries (eliminated Dirichlet rows) get no aggregate: the smoother solves them.
 * All work vectors are allocated at setup; `apply` allocates nothing.
 */
import type { Csr } from './sparse.js';
import { ValueError } from '../../util/errors.js';

interface Level {
  readonly A: Csr;
  readonly P: Csr | null;
  readonly R: Csr | null;
  readonly x: Float64Array;
  readonly b: Float64Array;
  readonly r: Float64Array;
}

export interface Amg {
  readonly levels: number;
  /** Unknowns per level, finest first. */
  readonly sizes: number[];
  /** Sum of nnz over levels / nnz of the finest. */
  readonly operatorComplexity: number;
  /** z = M⁻¹ r (one V-cycle from zero). */
  apply(r: Float64Array, z: Float64Array): void;
}

function transpose(a: Csr, cols: number): Csr {
  const rowPtr = new Int32Array(cols + 1);
  for (let k = 0; k < a.colIdx.length; k++) rowPtr[a.colIdx[k] + 1]++;
  for (let i = 0; i < cols; i++) rowPtr[i + 1] += rowPtr[i];
  const next = rowPtr.slice(0, cols);
  const colIdx = new Int32Array(a.colIdx.length), values = new Float64Array(a.colIdx.length);
  for (let i = 0; i < a.n; i++) for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
    const q = next[a.colIdx[k]]++;
    colIdx[q] = i;
    values[q] = a.values[k];
  }
  return { n: cols, rowPtr, colIdx, values };
}

/** C = A B (A: n×m, B: m×p) with a dense accumulator; columns sorted. */
function spgemm(a: Csr, b: Csr, p: number): Csr {
  const acc = new Float64Array(p), mark = new Int32Array(p).fill(-1);
  const rowPtr = new Int32Array(a.n + 1);
  const cols: number[] = [], vals: number[] = [];
  const list: number[] = [];
  for (let i = 0; i < a.n; i++) {
    list.length = 0;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k], av = a.values[k];
      for (let q = b.rowPtr[j]; q < b.rowPtr[j + 1]; q++) {
        const c = b.colIdx[q];
        if (mark[c] !== i) {
          mark[c] = i;
          acc[c] = 0;
          list.push(c);
        }
        acc[c] += av * b.values[q];
      }
    }
    list.sort((x, y) => x - y);
    for (const c of list) {
      cols.push(c);
      vals.push(acc[c]);
    }
    rowPtr[i + 1] = cols.length;
  }
  return { n: a.n, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
}

function diagonal(a: Csr): Float64Array {
  const d = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) if (a.colIdx[k] === i) d[i] = a.values[k];
  return d;
}

/** Aggregates: agg[i] = aggregate id or −1 (isolated rows). Returns [agg, count]. */
function aggregate(a: Csr, theta: number): [Int32Array, number] {
  const n = a.n, d = diagonal(a);
  const strongPtr = new Int32Array(n + 1);
  const strong: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      if (j !== i && a.values[k] !== 0 && Math.abs(a.values[k]) >= theta * Math.sqrt(Math.abs(d[i] * d[j]))) strong.push(j);
    }
    strongPtr[i + 1] = strong.length;
  }
  const agg = new Int32Array(n).fill(-2); // −2 unassigned, −1 isolated
  let count = 0;
  for (let i = 0; i < n; i++) if (strongPtr[i + 1] === strongPtr[i]) agg[i] = -1;
  // pass 1: roots whose strong neighbourhood is entirely unassigned
  for (let i = 0; i < n; i++) {
    if (agg[i] !== -2) continue;
    let free = true;
    for (let k = strongPtr[i]; k < strongPtr[i + 1]; k++) if (agg[strong[k]] !== -2) {
      free = false;
      break;
    }
    if (!free) continue;
    agg[i] = count;
    for (let k = strongPtr[i]; k < strongPtr[i + 1]; k++) agg[strong[k]] = count;
    count++;
  }
  // pass 2: attach to a neighbouring aggregate (from pass 1 only)
  const pass1 = Int32Array.from(agg);
  for (let i = 0; i < n; i++) {
    if (agg[i] !== -2) continue;
    for (let k = strongPtr[i]; k < strongPtr[i + 1]; k++) if (pass1[strong[k]] >= 0) {
      agg[i] = pass1[strong[k]];
      break;
    }
  }
  // pass 3: group the rest with their unassigned strong neighbours
  for (let i = 0; i < n; i++) {
    if (agg[i] !== -2) continue;
    agg[i] = count;
    for (let k = strongPtr[i]; k < strongPtr[i + 1]; k++) if (agg[strong[k]] === -2) agg[strong[k]] = count;
    count++;
  }
  return [agg, count];
}

/** Spectral radius estimate of D⁻¹A by power iteration. */
function spectralRadius(a: Csr, d: Float64Array, iters = 15): number {
  let v = new Float64Array(a.n).map((_, i) => 1 + ((i * 7919) % 13) / 13);
  let w = new Float64Array(a.n);
  let rho = 1;
  for (let it = 0; it < iters; it++) {
    let nv = 0, nw = 0;
    for (let i = 0; i < a.n; i++) {
      let s = 0;
      for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) s += a.values[k] * v[a.colIdx[k]];
      w[i] = s / d[i];
      nv += v[i] * v[i];
      nw += w[i] * w[i];
    }
    rho = Math.sqrt(nw / nv);
    [v, w] = [w, v];
  }
  return rho;
}

function smoothedProlongator(a: Csr, agg: Int32Array, count: number): Csr {
  const d = diagonal(a);
  const omega = 4 / (3 * spectralRadius(a, d));
  const pt: Csr = (() => {
    const rowPtr = new Int32Array(a.n + 1), cols: number[] = [];
    for (let i = 0; i < a.n; i++) {
      if (agg[i] >= 0) cols.push(agg[i]);
      rowPtr[i + 1] = cols.length;
    }
    return { n: a.n, rowPtr, colIdx: Int32Array.from(cols), values: new Float64Array(cols.length).fill(1) };
  })();
  // S = I − ω D⁻¹ A (only rows with aggregates are smoothed; isolated rows stay empty)
  const rowPtr = new Int32Array(a.n + 1), cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < a.n; i++) {
    if (agg[i] >= 0) for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      cols.push(j);
      vals.push((j === i ? 1 : 0) - (omega * a.values[k]) / d[i]);
    }
    rowPtr[i + 1] = cols.length;
  }
  const s: Csr = { n: a.n, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
  return spgemm(s, pt, count);
}

function gaussSeidel(a: Csr, b: Float64Array, x: Float64Array, backward: boolean): void {
  const n = a.n;
  for (let t = 0; t < n; t++) {
    const i = backward ? n - 1 - t : t;
    let s = b[i], dii = 0;
    for (let k = a.rowPtr[i]; k < a.rowPtr[i + 1]; k++) {
      const j = a.colIdx[k];
      if (j === i) dii = a.values[k];
      else s -= a.values[k] * x[j];
    }
    x[i] = s / dii;
  }
}

/** Builds the hierarchy for SPD `a` (positive diagonal required). */
export function buildAmg(a: Csr, o: { theta?: number; maxCoarse?: number; maxLevels?: number } = {}): Amg {
  const theta = o.theta ?? 0.08, maxCoarse = o.maxCoarse ?? 150, maxLevels = o.maxLevels ?? 12;
  const levels: Level[] = [];
  let A = a;
  for (;;) {
    const mk = (n: number) => new Float64Array(n);
    if (A.n <= maxCoarse || levels.length + 1 >= maxLevels) {
      levels.push({ A, P: null, R: null, x: mk(A.n), b: mk(A.n), r: mk(A.n) });
      break;
    }
    const [agg, count] = aggregate(A, theta);
    if (count === 0 || count >= 0.8 * A.n) {
      levels.push({ A, P: null, R: null, x: mk(A.n), b: mk(A.n), r: mk(A.n) });
      break;
    }
    const P = smoothedProlongator(A, agg, count);
    const R = transpose(P, count);
    levels.push({ A, P, R, x: mk(A.n), b: mk(A.n), r: mk(A.n) });
    A = spgemm(R, spgemm(A, P, count), count);
  }
  // dense Cholesky of the coarsest operator
  const C = levels[levels.length - 1].A, m = C.n;
  const L = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let k = C.rowPtr[i]; k < C.rowPtr[i + 1]; k++) L[i * m + C.colIdx[k]] = C.values[k];
  const scale = Math.max(...Array.from({ length: m }, (_, i) => Math.abs(L[i * m + i])), 1e-300);
  for (let j = 0; j < m; j++) {
    let s = L[j * m + j];
    for (let k = 0; k < j; k++) s -= L[j * m + k] ** 2;
    if (!(s > 1e-14 * scale)) {
      if (s < -1e-8 * scale) throw new ValueError('matrix', 'symmetric positive definite (AMG coarse Cholesky)', `pivot ${s} at ${j}`);
      s = 1e-14 * scale; // singular direction (e.g. pure-Neumann constant): regularise
    }
    const ljj = Math.sqrt(s);
    L[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let t = L[i * m + j];
      for (let k = 0; k < j; k++) t -= L[i * m + k] * L[j * m + k];
      L[i * m + j] = t / ljj;
    }
  }
  const coarseSolve = (b: Float64Array, x: Float64Array) => {
    for (let i = 0; i < m; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= L[i * m + k] * x[k];
      x[i] = s / L[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = x[i];
      for (let k = i + 1; k < m; k++) s -= L[k * m + i] * x[k];
      x[i] = s / L[i * m + i];
    }
  };
  const cycle = (l: number) => {
    const lv = levels[l];
    if (!lv.P) {
      coarseSolve(lv.b, lv.x);
      return;
    }
    const { A: Al, x, b, r } = lv;
    x.fill(0);
    gaussSeidel(Al, b, x, false);
    for (let i = 0; i < Al.n; i++) {
      let s = b[i];
      for (let k = Al.rowPtr[i]; k < Al.rowPtr[i + 1]; k++) s -= Al.values[k] * x[Al.colIdx[k]];
      r[i] = s;
    }
    const next = levels[l + 1], R = lv.R!, P = lv.P;
    for (let c = 0; c < R.n; c++) {
      let s = 0;
      for (let k = R.rowPtr[c]; k < R.rowPtr[c + 1]; k++) s += R.values[k] * r[R.colIdx[k]];
      next.b[c] = s;
    }
    cycle(l + 1);
    for (let i = 0; i < P.n; i++) {
      let s = 0;
      for (let k = P.rowPtr[i]; k < P.rowPtr[i + 1]; k++) s += P.values[k] * next.x[P.colIdx[k]];
      x[i] += s;
    }
    gaussSeidel(Al, b, x, true);
  };
  const nnz0 = a.values.length;
  return {
    levels: levels.length,
    sizes: levels.map((l) => l.A.n),
    operatorComplexity: levels.reduce((s, l) => s + l.A.values.length, 0) / nnz0,
    apply(r, z) {
      levels[0].b.set(r);
      cycle(0);
      z.set(levels[0].x);
    },
  };
}
