/**
 * E(n)-equivariant graph neural network (Satorras, Hoogeboom & Welling, "E(n) Equivariant
 * Graph Neural Networks", ICML 2021), as in the paper and its reference code
 * (vgsatorras/egnn, `models/gcl.py` `E_GCL_vel`, `n_body_system/model.py` `EGNN_vel`).
 *
 * One layer (eqs. 3–6 and the velocity variant, eq. 7), for every edge j → i:
 *
 *   m_ij   = φ_e(h_i, h_j, ‖x_i − x_j‖², a_ij)                     (edge MLP, SiLU after both layers)
 *   x_i   ← x_i + C Σ_j (x_i − x_j) φ_x(m_ij)                      (C = 1/(M−1): mean over incoming edges)
 *   x_i   ← x_i + φ_v(h_i) v_i                                      (velocity variant, optional)
 *   h_i   ← h_i + φ_h(h_i, Σ_j m_ij)                                (residual node update, sum aggregation)
 *
 * φ_x ends in a bias-free linear layer initialised with xavier-uniform gain 0.001 (reference
 * code), and each term (x_i − x_j) φ_x(m_ij) is clamped to ±100 as in the reference. The
 * input node features are embedded by a linear layer; the model returns updated coordinates
 * (and the final node features).
 *
 * Symmetries: E(n) — rotations, reflections and translations act on x (and rotations /
 * reflections on v); h is invariant. Node permutations permute outputs.
 *
 * Shapes:
 *   h0 [N, nodeIn], x [N, 3], v [N, 3] (velocity variant), edgeAttr [E, edgeIn],
 *   senders [E] (j), receivers [E] (i)  →  x' [N, 3], h [N, hidden].
 *
 * Not supported: attention weights, tanh-bounded coordinate updates, normalised differences
 * (off in the paper's N-body experiment).
 */
import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { ConfigError } from '../../util/errors.js';
import { gatherRows, segmentSum } from '../segment.js';
import { Params, applyDense, applyMlp, applyMlpPairs, applyMlpParts, dense, mlp, type Dense, type Mlp } from './nn.js';
import { egnnCoordUpdate, egnnRadial } from './egnn_ops.js';

/** EGNN hyper-parameters. */
export interface EgnnConfig {
  /** Width of the input node features (N-body: 1, the speed ‖v‖). */
  readonly nodeIn: number;
  /** Width of the edge attributes a_ij (N-body: 2, q_i q_j and the input ‖x_i − x_j‖²). */
  readonly edgeIn: number;
  /** Hidden width (paper: 64). */
  readonly hidden: number;
  /** Number of E_GCL layers (paper: 4). */
  readonly layers: number;
  /** Velocity variant: x_i += φ_v(h_i) v_i in every layer (paper's N-body model). */
  readonly velocity: boolean;
  /** Clamp of each coordinate message (reference: 100). */
  readonly coordClamp: number;
  /**
   * TEST ONLY: deliberately break equivariance by feeding absolute positions to the edge
   * MLP. The property tests keep a model with this flag to show that they catch it.
   */
  readonly brokenAbsolutePositions?: boolean;
}

export const EGNN_NBODY_CONFIG: EgnnConfig = Object.freeze({ nodeIn: 1, edgeIn: 2, hidden: 64, layers: 4, velocity: true, coordClamp: 100 });

interface EgnnLayer {
  readonly edge: Mlp;
  readonly node: Mlp;
  readonly coord: Mlp;
  readonly vel: Mlp | null;
}

/** A constructed EGNN: its parameters and a pure forward function. */
export interface Egnn {
  readonly config: EgnnConfig;
  readonly params: Params;
  /** Forward pass; see the file comment for shapes. */
  apply(inp: EgnnInputs): { x: tf.Tensor2D; h: tf.Tensor2D };
}

/** Tensors of one (batched) graph for the EGNN. */
export interface EgnnInputs {
  readonly h0: tf.Tensor2D;
  readonly x: tf.Tensor2D;
  readonly v?: tf.Tensor2D;
  readonly edgeAttr?: tf.Tensor2D;
  /** [E] int32 sender j of each edge. */
  readonly senders: tf.Tensor1D;
  /** [E] int32 receiver i of each edge (the node that aggregates). */
  readonly receivers: tf.Tensor1D;
  /** [N, 1] 1 / (number of incoming edges) (0 for isolated nodes); see {@link inverseInDegree}. */
  readonly invDegree: tf.Tensor2D;
}

/** [N, 1] float32 1/(in-degree), 0 where a node has no incoming edge. */
export function inverseInDegree(receivers: Int32Array, numNodes: number): tf.Tensor2D {
  const c = new Float32Array(numNodes);
  for (const r of receivers) c[r] += 1;
  for (let i = 0; i < numNodes; i++) c[i] = c[i] > 0 ? 1 / c[i] : 0;
  return tf.tensor2d(c, [numNodes, 1]);
}

function checkConfig(c: EgnnConfig): void {
  for (const k of ['nodeIn', 'hidden', 'layers'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ConfigError(`egnn.${k}`, 'an integer >= 1', String(c[k]));
  }
  if (!Number.isInteger(c.edgeIn) || c.edgeIn < 0) throw new ConfigError('egnn.edgeIn', 'an integer >= 0', String(c.edgeIn));
  if (!(c.coordClamp > 0)) throw new ConfigError('egnn.coordClamp', 'a number > 0', String(c.coordClamp));
}

/** Builds an EGNN with parameters drawn from `rng`. */
export function createEgnn(config: EgnnConfig, rng: Rng, params: Params = new Params()): Egnn {
  checkConfig(config);
  const H = config.hidden;
  const embed: Dense = dense(params, rng, 'egnn/embed', config.nodeIn, H);
  const extra = config.brokenAbsolutePositions ? 3 : 0;
  const layers: EgnnLayer[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `egnn/gcl${l}`;
    layers.push({
      edge: mlp(params, rng, `${p}/edge`, [2 * H + 1 + config.edgeIn + extra, H, H], { activateLast: true }),
      node: mlp(params, rng, `${p}/node`, [2 * H, H, H]),
      coord: mlp(params, rng, `${p}/coord`, [H, H, 1], { lastBias: false, lastInit: { kind: 'xavier', gain: 0.001 } }),
      vel: config.velocity ? mlp(params, rng, `${p}/vel`, [H, H, 1]) : null,
    });
  }

  const apply = (inp: EgnnInputs): { x: tf.Tensor2D; h: tf.Tensor2D } => {
    if (config.velocity && !inp.v) throw new ConfigError('egnn inputs.v', 'velocities [N, 3] (velocity variant)', 'none');
    const N = inp.x.shape[0];
    let h = applyDense(embed, inp.h0); // [N, H]
    let x = inp.x; // [N, 3]
    for (const L of layers) {
      // ‖x_i − x_j‖² and the coordinate update are one native op each when the native kernels
      // run (egnn_ops.ts), else the same tfjs ops as before.
      const radial = egnnRadial(x, inp.receivers, inp.senders); // [E, 1]
      const extra: tf.Tensor2D[] = [radial]; // [E, 1]
      if (inp.edgeAttr) extra.push(inp.edgeAttr);
      if (config.brokenAbsolutePositions) extra.push(gatherRows(x, inp.receivers));
      // φ_e on [h_i, h_j, ‖x_i − x_j‖², a_ij] (first layer split per node, see applyMlpPairs).
      const m = applyMlpPairs(L.edge, h, inp.receivers, inp.senders, extra); // [E, H]
      // x_i + C Σ_j clip((x_i − x_j) φ_x(m_ij)) (+ φ_v(h_i) v_i)
      const vel = L.vel ? { scale: applyMlp(L.vel, h), v: inp.v! } : undefined;
      x = egnnCoordUpdate(x, applyMlp(L.coord, m), inp.receivers, inp.senders, inp.invDegree, config.coordClamp, vel); // [N, 3]
      const agg = segmentSum(m, inp.receivers, N); // [N, H]
      h = tf.add(h, applyMlpParts(L.node, [h, agg])) as tf.Tensor2D; // [N, H]
    }
    return { x, h };
  };
  return { config, params, apply };
}
