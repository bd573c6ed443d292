/**
 * Baselines of the EGNN paper's N-body experiment (reference `n_body_system/model.py`):
 *
 * - **Linear dynamics**: x' = x + t·v with one learnable time t (initialised to 0.7), the
 *   paper's "Linear" row (test MSE 0.0819).
 * - **GNN**: a plain (non-equivariant) message-passing network on node features [x, v] and
 *   edge attributes q_i q_j: linear embedding, `layers` GCL blocks
 *   (m_ij = φ_e(h_i, h_j, a_ij), h_i ← h_i + φ_h(h_i, Σ_j m_ij)), and a decoder
 *   Linear → SiLU → Linear(3) that predicts the positions directly (paper: 0.0107).
 *
 * Shapes: x, v [N, 3]; edgeAttr [E, edgeIn]; senders/receivers [E] → x' [N, 3].
 */
import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { segmentSum } from '../segment.js';
import { Params, applyDense, applyMlp, applyMlpPairs, dense, mlp, type Mlp } from './nn.js';

/** Inputs shared by the N-body models (a subset of {@link EgnnInputs}). */
export interface DynamicsInputs {
  readonly x: tf.Tensor2D;
  readonly v: tf.Tensor2D;
  readonly edgeAttr?: tf.Tensor2D;
  readonly senders: tf.Tensor1D;
  readonly receivers: tf.Tensor1D;
}

export interface LinearDynamics {
  readonly params: Params;
  apply(inp: DynamicsInputs): tf.Tensor2D;
}

/** x' = x + t v, t learnable (init 0.7 as in the reference). */
export function createLinearDynamics(params: Params = new Params()): LinearDynamics {
  const t = params.add('linear/time', [1], Float32Array.of(0.7));
  return { params, apply: (inp) => tf.add(inp.x, tf.mul(inp.v, t)) as tf.Tensor2D };
}

export interface GnnConfig {
  /** Node input width (N-body: 6 = [x, v]). */
  readonly nodeIn: number;
  /** Edge attribute width (N-body: 1 = q_i q_j). */
  readonly edgeIn: number;
  readonly hidden: number;
  readonly layers: number;
}

export const GNN_NBODY_CONFIG: GnnConfig = Object.freeze({ nodeIn: 6, edgeIn: 1, hidden: 64, layers: 4 });

export interface Gnn {
  readonly config: GnnConfig;
  readonly params: Params;
  apply(inp: DynamicsInputs): tf.Tensor2D;
}

/** The non-equivariant GNN baseline. */
export function createGnn(config: GnnConfig, rng: Rng, params: Params = new Params()): Gnn {
  const H = config.hidden;
  const embed = dense(params, rng, 'gnn/embed', config.nodeIn, H);
  const layers: { edge: Mlp; node: Mlp }[] = [];
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      edge: mlp(params, rng, `gnn/gcl${l}/edge`, [2 * H + config.edgeIn, H, H], { activateLast: true }),
      node: mlp(params, rng, `gnn/gcl${l}/node`, [2 * H, H, H]),
    });
  }
  const decoder = mlp(params, rng, 'gnn/decoder', [H, H, 3]);
  const apply = (inp: DynamicsInputs): tf.Tensor2D => {
    const N = inp.x.shape[0];
    let h = applyDense(embed, tf.concat([inp.x, inp.v], 1) as tf.Tensor2D); // [N, H]
    for (const L of layers) {
      // φ_e on [h_i, h_j, a_ij] → [E, H]
      const m = applyMlpPairs(L.edge, h, inp.receivers, inp.senders, inp.edgeAttr ?? null);
      const agg = segmentSum(m, inp.receivers, N); // [N, H]
      h = tf.add(h, applyMlp(L.node, tf.concat([h, agg], 1) as tf.Tensor2D)) as tf.Tensor2D; // [N, H]
    }
    return applyMlp(decoder, h); // [N, 3]
  };
  return { config, params, apply };
}
