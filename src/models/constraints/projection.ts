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
}

/** Builds Π for one mesh; see the module doc. */
export function divergenceFreeProjection(ops: P1Operators, options: ProjectionOptions = {}): Projection {
  const N = ops.numNodes;
  const vFixed = options.velocityFixed ?? new Uint8Array(N);
  const pZero = options.pressureZero ?? new Uint8Array(N);
  if (vFixed.length !== N) throw new ShapeError('velocityFixed', `a Uint8Array of length ${N}`, describe(vFixed));
  if (pZero.length !== N) throw new ShapeError('pressureZero', `a Uint8Array of length ${N}`, describe(pZero));
  const tol = options.tol ?? 1e-10;
  const maxIter = options.maxIter ?? 10 * N;
  if (!(tol > 0)) throw new ValueError('tol', 'a positive number', String(tol));
  const info: ProjectionInfo = { iterations: 0, relResidual: 0 };
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
      const beta = rrNew / rr;
      rr = rrNew;
      for (let i = 0; i < N; i++) d[i] = r[i] + beta * d[i];
    }
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
  return layer;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
