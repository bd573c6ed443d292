/**
 * Differentiable P1 divergence on the tensor side (for training losses), the tensor twin of
 * `weakDivergence` in p1.ts:
 *
 *   div(u)_i = (D u)_i / M_i = (1 / M_i) Σ_{T ∋ i} (|T|/3) Σ_{a ∈ T} u_a · ∇φ_a|_T     [N, 1]
 *
 * (velocity/length; M_i the lumped mass). Built from gatherRows / segmentSum, so gradients flow
 * to `u` (and second derivatives too). Geometry is computed in float64 on the host and stored
 * as float32 tensors.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../util/errors.js';
import { gatherRows, segmentSum } from '../segment.js';
import type { P1Operators } from './p1.js';

export interface NodalDivergence {
  /** `[N, 2]` velocity → `[N, 1]` nodal divergence (D u)_i / M_i. */
  apply(u: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

export function nodalDivergence(ops: P1Operators): NodalDivergence {
  const T = ops.area.length, N = ops.numNodes;
  const tri = tf.tensor1d(ops.triangles, 'int32');
  const grad = tf.tensor2d(Float32Array.from(ops.gradPhi), [3 * T, 2]);
  const third = tf.tensor2d(Float32Array.from(ops.area, (a) => a / 3), [T, 1]);
  const invMass = tf.tensor2d(Float32Array.from(ops.lumpedMass, (m) => 1 / m), [N, 1]);
  return {
    apply(u) {
      if (u.rank !== 2 || u.shape[0] !== N || u.shape[1] !== 2) throw new ShapeError('nodalDivergence: u', `[${N}, 2]`, JSON.stringify(u.shape));
      return tf.tidy(() => {
        const perVertex = tf.sum(tf.mul(gatherRows(u, tri), grad), 1, true); // [3T, 1]: u_a · ∇φ_a
        const divT = tf.sum(tf.reshape(perVertex, [T, 3]), 1, true); // [T, 1]
        const share = tf.reshape(tf.tile(tf.mul(divT, third), [1, 3]), [3 * T, 1]) as tf.Tensor2D;
        return tf.mul(segmentSum(share, tri, N), invMass) as tf.Tensor2D;
      });
    },
    dispose: () => tf.dispose([tri, grad, third, invMass]),
  };
}
