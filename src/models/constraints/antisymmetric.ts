/**
 * Antisymmetric pairwise values on a symmetric edge set: the building block of the
 * momentum-conserving messages (momentum.ts) and the mass-conserving fluxes (flux.ts).
 *
 * For an edge e = (s → r) with reverse edge ē = (r → s), a learned pair function ψ gives
 *
 *   f_e = ψ([h_s, h_r, a_e]) − ψ([h_r, h_s, a_e])          (a_e: symmetric edge features, a_ē = a_e)
 *
 * so f_ē = −f_e holds *exactly* in floating point (x − y = −(y − x) in IEEE arithmetic), for
 * any weights of ψ. Summed over a symmetric edge set, Σ_e f_e = 0 up to summation rounding.
 * Both halves go through ψ in one call (`[2E, K]` rows), so ψ runs once per layer.
 *
 * Shapes: h `[N, F]`, senders/receivers `[E]` int32, edgeSym `[E, K]` (optional),
 * ψ: `[M, 2F+K]` → `[M, D]`; result `[E, D]`.
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

/** f_e = ψ([h_s, h_r, a_e]) − ψ([h_r, h_s, a_e]); see the module doc. */
export function antisymmetricEdgeValues(
  psi: RowFunction,
  h: tf.Tensor2D,
  senders: tf.Tensor1D,
  receivers: tf.Tensor1D,
  edgeSym?: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const E = senders.shape[0];
    const hs = gatherRows(h, senders); // [E, F]
    const hr = gatherRows(h, receivers); // [E, F]
    const fwd = edgeSym ? tf.concat([hs, hr, edgeSym], 1) : tf.concat([hs, hr], 1); // [E, 2F+K]
    const bwd = edgeSym ? tf.concat([hr, hs, edgeSym], 1) : tf.concat([hr, hs], 1); // [E, 2F+K]
    const y = psi(tf.concat([fwd, bwd], 0) as tf.Tensor2D); // [2E, D]
    const D = y.shape[1];
    // [E, D]
    return tf.sub(tf.slice(y, [0, 0], [E, D]), tf.slice(y, [E, 0], [E, D])) as tf.Tensor2D;
  });
}

/** s_e = ψ([h_s, h_r, a_e]) + ψ([h_r, h_s, a_e]): a symmetric pair value (s_ē = s_e exactly). */
export function symmetricEdgeValues(
  psi: RowFunction,
  h: tf.Tensor2D,
  senders: tf.Tensor1D,
  receivers: tf.Tensor1D,
  edgeSym?: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const E = senders.shape[0];
    const hs = gatherRows(h, senders);
    const hr = gatherRows(h, receivers);
    const fwd = edgeSym ? tf.concat([hs, hr, edgeSym], 1) : tf.concat([hs, hr], 1);
    const bwd = edgeSym ? tf.concat([hr, hs, edgeSym], 1) : tf.concat([hr, hs], 1);
    const y = psi(tf.concat([fwd, bwd], 0) as tf.Tensor2D); // [2E, D]
    const D = y.shape[1];
    // [E, D]; addition is commutative in IEEE, so s_ē = s_e exactly.
    return tf.add(tf.slice(y, [0, 0], [E, D]), tf.slice(y, [E, 0], [E, D])) as tf.Tensor2D;
  });
}
