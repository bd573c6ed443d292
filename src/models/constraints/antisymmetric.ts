/**
 * Antisymmetric pairwise values on a symmetric edge set: the building block of the
 * momentum-conserving messages (momentum.ts) and the mass-conserving fluxes (flux.ts).
 *
 * For an edge e = (s → r) with reverse edge ē = (r → s), a learned pair function ψ gives
 *
 *   y_e = ψ([h_s, h_r, a_e, b_e]),      f_e = y_e − y_ē
 *
 * (a_e: symmetric edge features, a_ē = a_e; b_e: optional antisymmetric ones, b_ē = −b_e, such
 * as the relative position x_r − x_s or velocity v_r − v_s). Then f_ē = y_ē − y_e = −f_e holds
 * *exactly* in floating point (x − y = −(y − x) in IEEE arithmetic) for any weights and any
 * inputs: the two values are formed from the same two numbers, y_ē being a copy (row gather) of
 * ψ's output for the reverse edge. When the features are symmetric/antisymmetric as stated,
 * f_e = ψ([h_s, h_r, a_e, b_e]) − ψ([h_r, h_s, a_e, −b_e]). Summed over a symmetric edge set,
 * Σ_e f_e = 0 up to summation rounding.
 *
 * ψ runs once per edge (`[E, K]` rows). An earlier version evaluated ψ on both orientations of
 * every edge (`[2E, K]` rows) and relied on ψ giving bit-identical results for identical rows at
 * different positions of the batch; OpenBLAS-backed matrix products (the native backend) do not
 * (tail rows take another kernel), which broke the exactness there.
 *
 * `reverse` (`[E]` int32, `rev[e]` = index of ē) can be passed in; otherwise it is computed from
 * senders/receivers (a data read and a hash map per call: pass it in a training loop).
 *
 * Shapes: h `[N, F]`, senders/receivers `[E]` int32, edgeSym `[E, K]` (optional), edgeAnti
 * `[E, K']` (optional), ψ: `[M, 2F+K+K']` → `[M, D]`; result `[E, D]`.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError, ValueError } from '../../util/errors.js';
import { gatherRows } from '../segment.js';

/** A learned function applied row-wise: `[M, K] → [M, D]` (e.g. an MLP). */
export type RowFunction = (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Index of the reverse edge of every edge (`rev[e]` is the edge r→s for e = s→r).
 * Throws when the edge set is not symmetric: antisymmetric messages conserve only then.
 * Self-loops are their own reverse (and then carry f_e = 0).
 */
export function reverseEdgeIndex(senders: ArrayLike<number>, receivers: ArrayLike<number>): Int32Array {
  const E = senders.length;
  if (receivers.length !== E) throw new ShapeError('receivers', `length ${E} (as senders)`, `length ${receivers.length}`);
  let n = 0;
  for (let e = 0; e < E; e++) n = Math.max(n, senders[e] + 1, receivers[e] + 1);
  const byPair = new Map<number, number>();
  for (let e = 0; e < E; e++) byPair.set(senders[e] * n + receivers[e], e);
  const rev = new Int32Array(E);
  for (let e = 0; e < E; e++) {
    const k = byPair.get(receivers[e] * n + senders[e]);
    if (k === undefined) {
      throw new ValueError(
        `edge ${e} (${senders[e]} → ${receivers[e]})`,
        'an edge whose reverse is also in the graph (a symmetric edge set)',
        'no reverse edge',
        'Add both directions of every edge, e.g. from the triangle edges of a mesh',
      );
    }
    rev[e] = k;
  }
  return rev;
}

/** The reverse-edge index as a tensor: `reverse` checked, or computed from senders/receivers. */
function reverseTensor(senders: tf.Tensor1D, receivers: tf.Tensor1D, reverse?: tf.Tensor1D): tf.Tensor1D {
  const E = senders.shape[0];
  if (reverse) {
    if (reverse.rank !== 1 || reverse.shape[0] !== E || reverse.dtype !== 'int32') {
      throw new ShapeError('reverse', `an int32 tensor of shape [${E}]`, `${reverse.dtype} shape [${reverse.shape.join(', ')}]`);
    }
    return reverse;
  }
  return tf.tensor1d(reverseEdgeIndex(senders.dataSync(), receivers.dataSync()), 'int32');
}

/** y_e = ψ([h_s, h_r, a_e, b_e]) for every edge: [E, D]. */
function edgeRows(psi: RowFunction, h: tf.Tensor2D, senders: tf.Tensor1D, receivers: tf.Tensor1D, edgeSym?: tf.Tensor2D, edgeAnti?: tf.Tensor2D): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [gatherRows(h, senders), gatherRows(h, receivers)]; // [E, F] each
  if (edgeSym) parts.push(edgeSym);
  if (edgeAnti) parts.push(edgeAnti);
  // [E, 2F+K+K'] → [E, D]
  return psi(tf.concat(parts, 1) as tf.Tensor2D);
}

/** f_e = y_e − y_ē with y_e = ψ([h_s, h_r, a_e, b_e]); see the module doc. */
export function antisymmetricEdgeValues(
  psi: RowFunction,
  h: tf.Tensor2D,
  senders: tf.Tensor1D,
  receivers: tf.Tensor1D,
  edgeSym?: tf.Tensor2D,
  edgeAnti?: tf.Tensor2D,
  reverse?: tf.Tensor1D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const rev = reverseTensor(senders, receivers, reverse);
    const y = edgeRows(psi, h, senders, receivers, edgeSym, edgeAnti); // [E, D]
    return tf.sub(y, gatherRows(y, rev)) as tf.Tensor2D; // [E, D]
  });
}

/** s_e = y_e + y_ē: symmetric (s_ē = s_e exactly, IEEE addition is commutative). */
export function symmetricEdgeValues(
  psi: RowFunction,
  h: tf.Tensor2D,
  senders: tf.Tensor1D,
  receivers: tf.Tensor1D,
  edgeSym?: tf.Tensor2D,
  edgeAnti?: tf.Tensor2D,
  reverse?: tf.Tensor1D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const rev = reverseTensor(senders, receivers, reverse);
    const y = edgeRows(psi, h, senders, receivers, edgeSym, edgeAnti); // [E, D]
    return tf.add(y, gatherRows(y, rev)) as tf.Tensor2D; // [E, D]
  });
}
