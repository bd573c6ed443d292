/**
 * Dirichlet boundary layer: known values overwrite the predictions on boundary nodes,
 *
 *   y_i = m_i · b_i + (1 − m_i) · ŷ_i,      m_i ∈ {0, 1}
 *
 * used identically in training (so the loss never rewards the network for boundary values it
 * will not be allowed to set) and in rollout (walls stay at rest, inflow keeps its profile).
 * Gradient: ∂y_i/∂ŷ_i = 1 − m_i, so nothing flows into the network from boundary nodes, and
 * ∂y_i/∂b_i = m_i.
 *
 * The blend is written as a `where` on the mask, so boundary rows equal b exactly (no
 * arithmetic on them), even when ŷ is inf or NaN there.
 *
 * Shapes: prediction `[N, C]`, known `[N, C]`, mask `[N]` (1 = boundary); result `[N, C]`.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../util/errors.js';

/** Factory: a Dirichlet layer for a fixed boundary mask `[N]` (1 = value is known). */
export function dirichletBoundary(mask: Uint8Array): (prediction: tf.Tensor2D, known: tf.Tensor2D) => tf.Tensor2D {
  const N = mask.length;
  const m = tf.keep(tf.tensor2d(Int32Array.from(mask), [N, 1], 'int32'));
  const cond = tf.keep(tf.cast(m, 'bool'));
  return (prediction: tf.Tensor2D, known: tf.Tensor2D): tf.Tensor2D => {
    if (prediction.rank !== 2 || prediction.shape[0] !== N) {
      throw new ShapeError('prediction', `a tensor of shape [${N}, C]`, `shape [${prediction.shape.join(', ')}]`);
    }
    if (known.shape[0] !== N || known.shape[1] !== prediction.shape[1]) {
      throw new ShapeError('known', `shape [${prediction.shape.join(', ')}]`, `shape [${known.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const c = tf.tile(cond, [1, prediction.shape[1]]); // [N, C]
      return tf.where(c, known, prediction) as tf.Tensor2D;
    });
  };
}

/** The same overwrite on flat host arrays `[N*C]` (rollout without tensors); returns a copy. */
export function applyDirichlet(prediction: ArrayLike<number>, known: ArrayLike<number>, mask: Uint8Array, channels: number): Float32Array {
  const out = Float32Array.from(prediction);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < channels; c++) out[i * channels + c] = known[i * channels + c];
  }
  return out;
}
