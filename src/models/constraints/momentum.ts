/**
 * Momentum-conserving pairwise updates (Newton's third law by construction).
 *
 * Each edge e = (s → r) of a symmetric edge set carries a force/update f_e on its receiver with
 * f_ē = −f_e for the reverse edge, and a node's update is the sum over its incoming edges:
 *
 *   F_i = Σ_{e : r(e) = i} f_e          ⇒   Σ_i F_i = Σ_e f_e = Σ_{pairs} (f_e + f_ē) = 0
 *
 * for any inputs and weights. Two constructions:
 *
 * - `'vector'`: f_e = y_e − y_ē, y_e = ψ([h_s, h_r, a_e, b_e]), ψ: `[·] → [D]`, i.e.
 *   ψ([h_s, h_r, a_e, b_e]) − ψ([h_r, h_s, a_e, −b_e]) (antisymmetric.ts)
 *   (a: symmetric edge features, b: optional antisymmetric ones such as x_r − x_s)
 *   (conserves momentum; not rotation-equivariant unless the inputs make it so);
 * - `'radial'`: f_e = (y_e + y_ē) · (x_r − x_s), i.e. (ψ([h_s, h_r, a_e]) + ψ([h_r, h_s, a_e])) · (x_r − x_s), ψ: `[·] → [1]`
 *   (a central force: conserves linear *and* angular momentum, rotation-equivariant when h and a
 *   are invariant). `relPos` must be x_r − x_s per edge, computed so that the reverse edge gets
 *   the exact negative (true of a plain difference, and of a minimum-image difference).
 *
 * The momentum change of a particle update v ← v + Δt F/m is Δt Σ F_i = 0: with equal or
 * unequal masses the total momentum Σ m v is conserved up to floating-point rounding.
 *
 * Shapes: h `[N, F]`, senders/receivers `[E]` int32 (symmetric set, see
 * {@link reverseEdgeIndex}), edgeSym `[E, K]` symmetric edge features (e.g. |r|), relPos
 * `[E, D]`; result `[N, D]`.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError, ValueError } from '../../util/errors.js';
import { segmentSum } from '../segment.js';
import { antisymmetricEdgeValues, symmetricEdgeValues, type RowFunction } from './antisymmetric.js';

export type MomentumMode = 'vector' | 'radial';

/** Options of {@link momentumConservingUpdate}. */
export interface MomentumOptions {
  /** The pair network ψ (e.g. an MLP). Output width D for 'vector', 1 for 'radial'. */
  readonly psi: RowFunction;
  readonly mode: MomentumMode;
}

/** Inputs of one application. */
export interface PairInputs {
  readonly h: tf.Tensor2D;
  readonly senders: tf.Tensor1D;
  readonly receivers: tf.Tensor1D;
  readonly numNodes: number;
  readonly edgeSym?: tf.Tensor2D;
  /** [E, K'] antisymmetric edge features (b_ē = −b_e, e.g. x_r − x_s, v_r − v_s); see antisymmetric.ts. */
  readonly edgeAnti?: tf.Tensor2D;
  /** [E, D] x_r − x_s; required by 'radial'. */
  readonly relPos?: tf.Tensor2D;
  /** [E] int32 index of each edge's reverse ({@link reverseEdgeIndex}); computed when absent. */
  readonly reverse?: tf.Tensor1D;
}

/** Result: per-node update and the per-edge antisymmetric values it sums. */
export interface PairUpdate {
  /** [N, D] */
  readonly nodes: tf.Tensor2D;
  /** [E, D] f_e, with f_ē = −f_e. */
  readonly edges: tf.Tensor2D;
}

/** Factory: returns the momentum-conserving update `inputs → {nodes, edges}`. */
export function momentumConservingUpdate(options: MomentumOptions): (inputs: PairInputs) => PairUpdate {
  if (options.mode !== 'vector' && options.mode !== 'radial') {
    throw new ValueError('mode', "'vector' or 'radial'", JSON.stringify(options.mode));
  }
  const { psi, mode } = options;
  return (x: PairInputs): PairUpdate =>
    tf.tidy(() => {
      let f: tf.Tensor2D;
      if (mode === 'vector') {
        f = antisymmetricEdgeValues(psi, x.h, x.senders, x.receivers, x.edgeSym, x.edgeAnti, x.reverse); // [E, D]
      } else {
        if (!x.relPos) throw new ValueError('relPos', "an [E, D] tensor for mode 'radial'", 'undefined');
        const s = symmetricEdgeValues(psi, x.h, x.senders, x.receivers, x.edgeSym, x.edgeAnti, x.reverse); // [E, 1]
        if (s.shape[1] !== 1) throw new ShapeError('psi output', "width 1 for mode 'radial'", `width ${s.shape[1]}`);
        f = tf.mul(s, x.relPos) as tf.Tensor2D; // [E, D]
      }
      const nodes = segmentSum(f, x.receivers, x.numNodes); // [N, D]
      return { nodes, edges: f };
    });
}
