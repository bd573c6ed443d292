/**
 * Interatomic geometry for the atomistic models (SchNet, PaiNN): edge vectors from
 * differentiable positions, radial basis expansions and smooth cutoffs.
 *
 * Edge convention (same as EGNN): an edge e carries information from sender j to receiver i,
 * and its vector is r_e = x_j − x_i + s_e, where s_e is the periodic image shift of the pair
 * (zero in free space), so a minimum-image neighbour list gives the right vectors while the
 * positions stay differentiable (forces = −∂E/∂x flow through r_e).
 *
 * - Gaussian RBF (SchNet): e_k(r) = exp(−γ (r − μ_k)²), μ_k evenly spaced on [0, r_c],
 *   γ = 1 / (2 Δμ²) (width = spacing Δμ, schnetpack's default).
 * - Bessel/sinc basis (PaiNN): e_n(r) = sin(n π r / r_c) / r, n = 1 … K.
 * - Cosine cutoff: f_c(r) = ½ (cos(π r / r_c) + 1) for r < r_c, else 0 (smooth at r_c).
 *
 * Shapes: positions `[N, 3]`, senders/receivers `[E]`, shifts `[E, 3]` → vectors `[E, 3]`,
 * distances `[E, 1]`, bases `[E, K]`. Units: those of the positions.
 */
import { tf } from '../../engine/tf.js';
import { ConfigError } from '../../util/errors.js';
import { gatherRows } from '../segment.js';
import { exp } from '../layers.js';

/** r_e = x[senders] − x[receivers] (+ shifts). Shapes: → `[E, 3]`. */
export function edgeVectors(positions: tf.Tensor2D, senders: tf.Tensor1D, receivers: tf.Tensor1D, shifts?: tf.Tensor2D): tf.Tensor2D {
  const d = tf.sub(gatherRows(positions, senders), gatherRows(positions, receivers)) as tf.Tensor2D; // [E, 3]
  return shifts ? (tf.add(d, shifts) as tf.Tensor2D) : d;
}

/**
 * |r_e| with a gradient that is finite at r = 0 (sqrt(|r|² + ε²) − ε would bias distances;
 * instead ε² = 1e-12 inside the root, negligible next to interatomic distances).
 * Shapes: `[E, 3]` → `[E, 1]`.
 */
export function edgeLengths(vectors: tf.Tensor2D): tf.Tensor2D {
  return tf.sqrt(tf.add(tf.sum(tf.square(vectors), 1, true), 1e-12)) as tf.Tensor2D;
}

/** Gaussian radial basis of K centres on [0, cutoff]. Shapes: `[E, 1]` → `[E, K]`. */
export function gaussianRbf(r: tf.Tensor2D, numBasis: number, cutoff: number): tf.Tensor2D {
  if (!Number.isInteger(numBasis) || numBasis < 2) throw new ConfigError('numBasis', 'an integer >= 2', String(numBasis));
  const mu = tf.reshape(tf.linspace(0, cutoff, numBasis), [1, numBasis]); // [1, K]
  const delta = cutoff / (numBasis - 1);
  const gamma = 0.5 / (delta * delta);
  return exp(tf.mul(tf.square(tf.sub(r, mu)), -gamma)) as tf.Tensor2D; // [E, K]
}

/** Sinc (Bessel-type) basis sin(nπr/r_c)/r, n = 1..K (PaiNN). Shapes: `[E, 1]` → `[E, K]`. */
export function sincBasis(r: tf.Tensor2D, numBasis: number, cutoff: number): tf.Tensor2D {
  const n = tf.reshape(tf.range(1, numBasis + 1, 1, 'float32'), [1, numBasis]); // [1, K]
  return tf.div(tf.sin(tf.mul(tf.mul(r, n), Math.PI / cutoff)), r) as tf.Tensor2D; // [E, K]
}

/** Cosine cutoff ½(cos(πr/r_c) + 1)·[r < r_c]. Shapes: `[E, 1]` → `[E, 1]`. */
export function cosineCutoff(r: tf.Tensor2D, cutoff: number): tf.Tensor2D {
  // Clamping r to r_c gives cos(π) = −1, i.e. exactly 0 beyond the cutoff, without a
  // comparison op in the graph (tfjs has no gradient for Less).
  const rc = tf.clipByValue(r, 0, cutoff);
  return tf.mul(tf.add(tf.cos(tf.mul(rc, Math.PI / cutoff)), 1), 0.5) as tf.Tensor2D;
}

/**
 * Periodic image shifts s_e = −L·round((x_j − x_i)/L) per axis (minimum image), so that
 * x_j − x_i + s_e is the minimum-image vector. Computed host-side in Float64; constants for
 * autodiff. Shapes: positions `[N·3]`, senders/receivers `[E]`, box `[3]` → `[E·3]` Float32.
 */
export function minimumImageShifts(positions: ArrayLike<number>, senders: Int32Array, receivers: Int32Array, box: ArrayLike<number>): Float32Array {
  const E = senders.length;
  const out = new Float32Array(E * 3);
  for (let e = 0; e < E; e++) {
    for (let k = 0; k < 3; k++) {
      const d = positions[senders[e] * 3 + k] - positions[receivers[e] * 3 + k];
      out[e * 3 + k] = -box[k] * Math.round(d / box[k]);
    }
  }
  return out;
}
