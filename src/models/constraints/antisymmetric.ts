/**
 * Antisymmetric pairwise values on a symmetric edge set: the building block of the
 * momentum-conserving messages (momentum.ts) and the mass-conserving fluxes (flux.ts).
 *
 * For an edge e = (s → r) with reverse edge ē = (r → s), a learned pair function ψ gives
 *
 *   f_e = ψ([h_s, h_r, a_e]) − ψ([h_r, h_s, a_e])          (a_e: symmetric edge features, a_ē = a_e)
 *
 * so f_ē = −f_e holds *exactly* in floating point (x − y = −(y − x) in IEEE arithmetic), for
 * any weights of ψ. Optional *antisymmetric* edge features b_e (b_ē = −b_e, e.g. the relative
 * position x_r − x_s or velocity v_r − v_s) enter negated in the second half:
 *
 *   f_e = ψ([h_s, h_r, a_e, b_e]) − ψ([h_r, h_s, a_e, −b_e])
 *
 * and the second term is exactly the first term of the reverse edge, so f_ē = −f_e still holds. Summed over a symmetric edge set, Σ_e f_e = 0 up to summation rounding.
 * Both halves go through ψ in one call (`[2E, K]` rows), so ψ runs once per layer.
 *
 * Shapes: h `[N, F]`, senders/receivers `[E]` int32, edgeSym `[E, K]` (optional), edgeAnti
 * `[E, K']` (optional), ψ: `[M, 2F+K+K']` → `[M, D]`; result `[E, D]`.
 */
import { tf } from '../../engine/tf.js';
import { ValueError } from '../../util/errors.js';
import { gatherRows } from '../segment.js';

/** A learned function applied row-wise: `[M, K] → [M, D]` (e.g. an MLP). */
export type RowFunction = (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Index of the reverse edge of every edge (`rev[e]` is the edge r→s for e = s→r).
 * Throws when the edge set is not symmetric: antisymmetric messages conserve only then.
 * Self-loops are their own reverse (and then carry f_e = 0).
 */
export function reverseEdgeIndex(senders: Int32Array, receivers: Int32Array): Int32Array {
  const E = senders.length;
  const key = (s: number, r: number): string => `${s},${r}`;
  const byPair = new Map<string, number>();
  for (let e = 0; e < E; e++) byPair.set(key(senders[e], receivers[e]), e);
  const rev = new Int32Array(E);
  for (let e = 0; e < E; e++) {
    const k = byPair.get(key(receivers[e], senders[e]));
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

/** ψ on the forward rows [h_s, h_r, a, b] stacked over the backward rows [h_r, h_s, a, −b]: [2E, D]. */
function pairRows(psi: RowFunction, h: tf.Tensor2D, senders: tf.Tensor1D, receivers: tf.Tensor1D, edgeSym?: tf.Tensor2D, edgeAnti?: tf.Tensor2D): tf.Tensor2D {
  const hs = gatherRows(h, senders); // [E, F]
  const hr = gatherRows(h, receivers); // [E, F]
  const fwd: tf.Tensor2D[] = [hs, hr];
  const bwd: tf.Tensor2D[] = [hr, hs];
  if (edgeSym) {
    fwd.push(edgeSym);
    bwd.push(edgeSym);
  }
  if (edgeAnti) {
    fwd.push(edgeAnti);
    bwd.push(tf.neg(edgeAnti));
  }
  // [2E, 2F+K+K'] → [2E, D]
  return psi(tf.concat([tf.concat(fwd, 1), tf.concat(bwd, 1)], 0) as tf.Tensor2D);
}

/** f_e = ψ([h_s, h_r, a_e, b_e]) − ψ([h_r, h_s, a_e, −b_e]); see the module doc. */
export function antisymmetricEdgeValues(
  psi: RowFunction,
  h: tf.Tensor2D,
  senders: tf.Tensor1D,
  receivers: tf.Tensor1D,
  edgeSym?: tf.Tensor2D,
  edgeAnti?: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const E = senders.shape[0];
    const y = pairRows(psi, h, senders, receivers, edgeSym, edgeAnti); // [2E, D]
    const D = y.shape[1];
    // [E, D]
    return tf.sub(tf.slice(y, [0, 0], [E, D]), tf.slice(y, [E, 0], [E, D])) as tf.Tensor2D;
  });
}

/** s_e = ψ([h_s, h_r, a_e, b_e]) + ψ([h_r, h_s, a_e, −b_e]): symmetric (s_ē = s_e exactly). */
export function symmetricEdgeValues(
  psi: RowFunction,
  h: tf.Tensor2D,
  senders: tf.Tensor1D,
  receivers: tf.Tensor1D,
  edgeSym?: tf.Tensor2D,
  edgeAnti?: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const E = senders.shape[0];
    const y = pairRows(psi, h, senders, receivers, edgeSym, edgeAnti); // [2E, D]
    const D = y.shape[1];
    // [E, D]; addition is commutative in IEEE, so s_ē = s_e exactly.
    return tf.add(tf.slice(y, [0, 0], [E, D]), tf.slice(y, [E, 0], [E, D])) as tf.Tensor2D;
  });
}
