/**
 * Mass-conserving flux layer (finite-volume form) for meshes and the sphere.
 *
 * The network predicts an antisymmetric flux per edge, F_e = y_e − y_ē = ψ(s, r) − ψ(r, s) (mass per
 * unit time leaving s towards r, see antisymmetric.ts), and each node's cell updates by the
 * area-weighted divergence of those fluxes plus a prescribed boundary inflow b_i:
 *
 *   A_i Δh_i = Δt ( Σ_{e : r(e) = i} F_e + b_i )
 *
 * Total mass M = Σ_i A_i h_i then changes by exactly Δt Σ_i b_i for any weights and inputs:
 * on a closed surface (the icosahedral sphere mesh, no boundary) it does not change at all,
 * up to floating-point rounding. A_i are the cell (dual) areas: P1 lumped masses on a planar
 * mesh (p1.ts), spherical dual-cell areas on the sphere.
 *
 * Shapes: h `[N, F]`, senders/receivers `[E]` (symmetric set), edgeSym `[E, K]`,
 * areas `[N, 1]`, boundaryFlux `[N, C]`; result Δh `[N, C]` (C = width of ψ's output).
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../util/errors.js';
import { segmentSum } from '../segment.js';
import { antisymmetricEdgeValues, type RowFunction } from './antisymmetric.js';

/** Inputs of one application of the flux layer. */
export interface FluxInputs {
  readonly h: tf.Tensor2D;
  readonly senders: tf.Tensor1D;
  readonly receivers: tf.Tensor1D;
  readonly numNodes: number;
  /** [N, 1] cell areas, > 0. */
  readonly areas: tf.Tensor2D;
  readonly edgeSym?: tf.Tensor2D;
  /** [N, C] prescribed inflow through the domain boundary (mass per unit time); default 0. */
  readonly boundaryFlux?: tf.Tensor2D;
  /** Time step Δt (default 1). */
  readonly dt?: number;
  /** [E] int32 index of each edge's reverse (`reverseEdgeIndex`); computed when absent. */
  readonly reverse?: tf.Tensor1D;
}

/** Result: the per-node increment and the per-edge fluxes it sums. */
export interface FluxUpdate {
  /** [N, C] Δh */
  readonly delta: tf.Tensor2D;
  /** [E, C] F_e, F_ē = −F_e */
  readonly fluxes: tf.Tensor2D;
}

/** Factory: the mass-conserving update for a flux network ψ. */
export function massConservingUpdate(psi: RowFunction): (inputs: FluxInputs) => FluxUpdate {
  return (x: FluxInputs): FluxUpdate =>
    tf.tidy(() => {
      if (x.areas.rank !== 2 || x.areas.shape[0] !== x.numNodes || x.areas.shape[1] !== 1) {
        throw new ShapeError('areas', `a tensor of shape [${x.numNodes}, 1]`, `shape [${x.areas.shape.join(', ')}]`);
      }
      const fluxes = antisymmetricEdgeValues(psi, x.h, x.senders, x.receivers, x.edgeSym, undefined, x.reverse); // [E, C]
      let net = segmentSum(fluxes, x.receivers, x.numNodes); // [N, C]
      if (x.boundaryFlux) net = tf.add(net, x.boundaryFlux) as tf.Tensor2D;
      const dt = x.dt ?? 1;
      const delta = tf.div(tf.mul(net, dt), x.areas) as tf.Tensor2D; // [N, C]
      return { delta, fluxes };
    });
}

/**
 * Total of an extensive quantity, Σ_i A_i h_i, per channel, accumulated in Float64.
 * @param h `[N*C]` row-major values; @param areas `[N]` cell areas.
 */
export function totalMass(h: ArrayLike<number>, areas: ArrayLike<number>, channels = 1): Float64Array {
  const N = areas.length;
  if (h.length !== N * channels) throw new ShapeError('h', `length ${N * channels} (N·C)`, `length ${h.length}`);
  const out = new Float64Array(channels);
  for (let i = 0; i < N; i++) for (let c = 0; c < channels; c++) out[c] += areas[i] * h[i * channels + c];
  return out;
}
