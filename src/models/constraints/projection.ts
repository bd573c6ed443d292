/**
 * Divergence-free projection of a predicted nodal velocity on a triangle mesh (Chorin's
 * projection step, discretised with P1 elements), with exact gradients through it.
 *
 * With the weak divergence D (p1.ts), the lumped mass M, a mask V of nodes whose velocity may
 * change (walls and inflow are fixed: Dirichlet) and a mask P of nodes where the divergence
 * constraint is enforced (the pressure is free; outflow nodes hold p = 0):
 *
 *   D_P = diag(P) D,   S = diag(V) M⁻¹ D_Pᵀ,   L = D_P S = D_P diag(V) M⁻¹ D_Pᵀ   (symmetric ≥ 0)
 *   p   = L⁻¹ D_P u,   u' = Π u = u − S p            ⇒   D_P u' = 0
 *
 * L is solved by conjugate gradients in Float64 (host side, matrix-free, O(T) per iteration).
 * Π is linear, so its vector–Jacobian product is exact and needs one more solve:
 *
 *   Πᵀ g = g − D_Pᵀ L⁻¹ D_P diag(V) M⁻¹ g
 *
 * The layer is a `tf.customGrad` op: gradients flow to the network that predicted u, and
 * Π(Π u) = Π u (a projector, M-orthogonal on the free nodes).
 *
 * P excludes the Dirichlet nodes as well (they carry no pressure unknown): the divergence
 * vanishes on the dual cell of every node whose velocity and pressure are free (`constrained`).
 *
 * Solvability: D_P u must lie in the range of L. It does when every node is free (range(L) =
 * range(D)), or when outflow nodes hold p = 0. With all boundary velocities fixed and no
 * p = 0 node, the fixed boundary velocities must carry zero net flux; otherwise CG stops at the
 * least-squares residual, which {@link ProjectionInfo} reports.
 *
 * Shapes: u `[N, 2]` float32 → `[N, 2]` float32. Not supported: batches of several meshes in
 * one call (project each graph separately), 3D.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError, ValueError, describe } from '../../util/errors.js';
import { type P1Operators, weakDivergence, weakDivergenceT } from './p1.js';

/** Options of {@link divergenceFreeProjection}. */
export interface ProjectionOptions {
  /** [N] 1 where the velocity is prescribed (walls, inflow): Π leaves those nodes unchanged. */
  readonly velocityFixed?: Uint8Array;
  /** [N] 1 where the pressure is zero (outflow): the divergence is not constrained there. */
  readonly pressureZero?: Uint8Array;
  /** CG stops when ‖r‖ ≤ tol·‖b‖ (default 1e-10). */
  readonly tol?: number;
  /** CG iteration cap (default 10·N). */
  readonly maxIter?: number;
}

/** Diagnostics of the last solve. */
export interface ProjectionInfo {
  iterations: number;
  /** ‖L p − b‖ / ‖b‖ of the last solve (0 when b = 0). */
  relResidual: number;
  /** Free-pressure nodes left unconstrained: none of their triangle neighbours has a free velocity. */
  readonly droppedRows: number;
}

/** A projection layer with access to its host-side operator (for tests and metrics). */
export interface Projection {
  /** Π u, differentiable: u `[N, 2]` → `[N, 2]`. */
  (u: tf.Tensor2D): tf.Tensor2D;
  /** Π u on a flat Float64 `[N*2]` array (no tensors). */
  readonly project: (u: ArrayLike<number>) => Float64Array;
  /** Πᵀ g on a flat `[N*2]` array. */
  readonly projectT: (g: ArrayLike<number>) => Float64Array;
  readonly info: ProjectionInfo;
  /** [N] 1 on the nodes where D(Π u) = 0 is enforced. */
  readonly constrained: Uint8Array;
}

/** Builds Π for one mesh; see the module doc. */
export function divergenceFreeProjection(ops: P1Operators, options: ProjectionOptions = {}): Projection {
  const N = ops.numNodes;
  const vFixed = options.velocityFixed ?? new Uint8Array(N);
  const pZeroIn = options.pressureZero ?? new Uint8Array(N);
  if (vFixed.length !== N) throw new ShapeError('velocityFixed', `a Uint8Array of length ${N}`, describe(vFixed));
  if (pZeroIn.length !== N) throw new ShapeError('pressureZero', `a Uint8Array of length ${N}`, describe(pZeroIn));
  // Nodes with a prescribed velocity carry no pressure unknown: the divergence constraint is
  // enforced on the dual cells of the nodes whose velocity is free and whose pressure is free.
  // (Constraining Dirichlet nodes too makes the system inconsistent on many meshes: rows
  // dominated by prescribed values cannot be met by the few free velocities around them.)
  const pZero = Uint8Array.from(pZeroIn, (z, i) => (z || vFixed[i] ? 1 : 0));
  // Row i of D restricted to free velocities is zero when no *other* vertex of the triangles
  // around i is free (∫∇φ_i = 0 makes i's own coefficient vanish): such a row cannot be met
  // by any correction and is dropped (`info.droppedRows`).
  const freeNeighbour = new Uint8Array(N);
  const tri = ops.triangles;
  for (let t = 0; t < tri.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = tri[t + k], b = tri[t + ((k + 1) % 3)], c = tri[t + ((k + 2) % 3)];
      if (!vFixed[b] || !vFixed[c]) freeNeighbour[a] = 1;
    }
  }
  let dropped = 0;
  for (let i = 0; i < N; i++) {
    if (!pZero[i] && !freeNeighbour[i]) {
      pZero[i] = 1;
      dropped++;
    }
  }
  const constrained = Uint8Array.from(pZero, (z) => 1 - z);
  const tol = options.tol ?? 1e-10;
  const maxIter = options.maxIter ?? 10 * N;
  if (!(tol > 0)) throw new ValueError('tol', 'a positive number', String(tol));
  const info: ProjectionInfo = { iterations: 0, relResidual: 0, droppedRows: dropped };
  const invM = new Float64Array(N);
  for (let i = 0; i < N; i++) invM[i] = ops.lumpedMass[i] > 0 ? 1 / ops.lumpedMass[i] : 0;

  // D_P x: weak divergence, zero on p = 0 rows.
  const Dp = (x: ArrayLike<number>): Float64Array => {
    const d = weakDivergence(ops, x);
    for (let i = 0; i < N; i++) if (pZero[i]) d[i] = 0;
    return d;
  };
  // D_Pᵀ p.
  const DpT = (p: Float64Array): Float64Array => {
    const q = Float64Array.from(p);
    for (let i = 0; i < N; i++) if (pZero[i]) q[i] = 0;
    return weakDivergenceT(ops, q);
  };
  // diag(V) M⁻¹ x (in place on a copy).
  const Sv = (x: ArrayLike<number>): Float64Array => {
    const y = new Float64Array(2 * N);
    for (let i = 0; i < N; i++) {
      if (vFixed[i]) continue;
      y[2 * i] = x[2 * i] * invM[i];
      y[2 * i + 1] = x[2 * i + 1] * invM[i];
    }
    return y;
  };
  const L = (p: Float64Array): Float64Array => Dp(Sv(DpT(p)));

  const solve = (b: Float64Array): Float64Array => {
    const x = new Float64Array(N);
    const r = Float64Array.from(b);
    const bn = Math.sqrt(dot(b, b));
    if (bn === 0) {
      info.iterations = 0;
      info.relResidual = 0;
      return x;
    }
    const d = Float64Array.from(r);
    let rr = dot(r, r);
    // Keep the iterate of smallest residual: on an inconsistent (singular) system CG drifts
    // away once the consistent part is solved, so stop when the residual grows 10⁴-fold.
    let best = Float64Array.from(x);
    let bestRR = rr;
    let it = 0;
    for (; it < maxIter && Math.sqrt(rr) > tol * bn; it++) {
      const Ld = L(d);
      const dLd = dot(d, Ld);
      if (!(dLd > 0)) break; // d in the null space: b is not (fully) in range(L)
      const alpha = rr / dLd;
      for (let i = 0; i < N; i++) {
        x[i] += alpha * d[i];
        r[i] -= alpha * Ld[i];
      }
      const rrNew = dot(r, r);
      if (rrNew < bestRR) {
        bestRR = rrNew;
        best.set(x);
      } else if (rrNew > 1e8 * bestRR) break;
      const beta = rrNew / rr;
      rr = rrNew;
      for (let i = 0; i < N; i++) d[i] = r[i] + beta * d[i];
    }
    x.set(best);
    // True residual (not the recursive one).
    const Lx = L(x);
    let res = 0;
    for (let i = 0; i < N; i++) res += (Lx[i] - b[i]) ** 2;
    info.iterations = it;
    info.relResidual = Math.sqrt(res) / bn;
    return x;
  };

  const apply = (u: ArrayLike<number>): Float64Array => {
    if (u.length !== 2 * N) throw new ShapeError('u', `a flat array of length ${2 * N}`, `length ${u.length}`);
    const p = solve(Dp(u));
    const corr = Sv(DpT(p));
    const out = new Float64Array(2 * N);
    for (let k = 0; k < 2 * N; k++) out[k] = u[k] - corr[k];
    return out;
  };
  const applyT = (g: ArrayLike<number>): Float64Array => {
    if (g.length !== 2 * N) throw new ShapeError('g', `a flat array of length ${2 * N}`, `length ${g.length}`);
    const z = solve(Dp(Sv(g)));
    const corr = DpT(z);
    const out = new Float64Array(2 * N);
    for (let k = 0; k < 2 * N; k++) out[k] = g[k] - corr[k];
    return out;
  };

  const layer = ((u: tf.Tensor2D): tf.Tensor2D => {
    if (u.rank !== 2 || u.shape[0] !== N || u.shape[1] !== 2) {
      throw new ShapeError('u', `a tensor of shape [${N}, 2]`, `shape [${u.shape.join(', ')}]`);
    }
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor2D;
      const value = tf.tensor2d(Float32Array.from(apply(x.dataSync())), [N, 2]);
      return {
        value,
        gradFunc: (dy: tf.Tensor) => [tf.tensor2d(Float32Array.from(applyT(dy.dataSync())), [N, 2])],
      };
    });
    return f(u) as tf.Tensor2D;
  }) as Projection;
  Object.defineProperty(layer, 'project', { value: apply });
  Object.defineProperty(layer, 'projectT', { value: applyT });
  Object.defineProperty(layer, 'info', { value: info });
  Object.defineProperty(layer, 'constrained', { value: constrained });
  return layer;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
