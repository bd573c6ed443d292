/**
 * SchNet (Schütt et al., "SchNet – a deep learning architecture for molecules and materials",
 * J. Chem. Phys. 148, 241722 (2018)): continuous-filter convolutions on interatomic distances.
 *
 *   x_i⁰    = embedding(Z_i)                                     [F]
 *   W_e     = Dense(ssp(Dense(rbf(r_e)))) · f_c(r_e)             filter network, cosine cutoff
 *   m_i     = Σ_{e: j→i} (Dense_noBias(x)_j ⊙ W_e)               cfconv, sum aggregation
 *   x_i    ← x_i + Dense(ssp(Dense(m_i)))                        interaction block (residual)
 *   ε_i     = Dense(ssp(Dense(x_i)))  →  E = Σ_i ε_i             per-atom energy head
 *
 * ssp is the shifted softplus ln(½eˣ + ½). The model sees positions only through distances
 * |r_e|, so E is invariant under O(3) (rotations and reflections), translations, and
 * periodic image shifts (with minimum-image shifts), and forces −∂E/∂x are O(3)-equivariant.
 *
 * Shapes: see {@link AtomsInputs}; `atomEnergies` → `[N, 1]`, `features` → `[N, F]`.
 */
import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { ConfigError } from '../../util/errors.js';
import { gatherRows, segmentSum } from '../segment.js';
import { Params, applyDense, applyMlp, dense, mlp, type Dense, type Mlp } from './nn.js';
import { cosineCutoff, edgeLengths, edgeVectors, gaussianRbf } from './radial.js';
import type { AtomEnergyModel, AtomsInputs } from './heads.js';

export interface SchNetConfig {
  readonly numSpecies: number;
  /** Feature width F (paper: 64). */
  readonly features: number;
  /** Interaction blocks (paper: 3 or 6). */
  readonly interactions: number;
  /** Gaussians in the distance expansion (schnetpack: 20–25). */
  readonly numRbf: number;
  /** Cutoff radius r_c, in the positions' unit. */
  readonly cutoff: number;
  /** TEST ONLY: add a dense function of absolute positions to the embedding (breaks E(3)). */
  readonly brokenAbsolutePositions?: boolean;
}

export interface SchNet extends AtomEnergyModel {
  readonly config: SchNetConfig;
  /** Final atom features [N, F]. */
  features(inp: AtomsInputs): tf.Tensor2D;
}

export function createSchNet(config: SchNetConfig, rng: Rng, params: Params = new Params()): SchNet {
  for (const k of ['numSpecies', 'features', 'interactions', 'numRbf'] as const) {
    if (!Number.isInteger(config[k]) || config[k] < 1) throw new ConfigError(`schnet.${k}`, 'an integer >= 1', String(config[k]));
  }
  if (!(config.cutoff > 0)) throw new ConfigError('schnet.cutoff', 'a number > 0', String(config.cutoff));
  const F = config.features;
  const r = rng.fork('schnet');
  const emb = new Float32Array(config.numSpecies * F);
  for (let i = 0; i < emb.length; i++) emb[i] = r.normal();
  const embedding = params.add('schnet/embedding', [config.numSpecies, F], emb);
  const broken: Dense | null = config.brokenAbsolutePositions ? dense(params, r, 'schnet/broken', 3, F) : null;
  const blocks: { filter: Mlp; in2f: Dense; out: Mlp }[] = [];
  for (let l = 0; l < config.interactions; l++) {
    blocks.push({
      filter: mlp(params, r, `schnet/int${l}/filter`, [config.numRbf, F, F], { activation: 'ssp' }),
      in2f: dense(params, r, `schnet/int${l}/in2f`, F, F, { bias: false }),
      out: mlp(params, r, `schnet/int${l}/out`, [F, F, F], { activation: 'ssp' }),
    });
  }
  const head = mlp(params, r, 'schnet/head', [F, Math.max(1, F >> 1), 1], { activation: 'ssp' });

  const features = (inp: AtomsInputs): tf.Tensor2D => {
    const N = inp.positions.shape[0];
    let x = gatherRows(embedding as tf.Tensor as tf.Tensor2D, inp.species); // [N, F]
    if (broken) x = tf.add(x, applyDense(broken, inp.positions)) as tf.Tensor2D;
    const dist = edgeLengths(edgeVectors(inp.positions, inp.senders, inp.receivers, inp.shifts)); // [E, 1]
    const rbf = gaussianRbf(dist, config.numRbf, config.cutoff); // [E, K]
    const fc = cosineCutoff(dist, config.cutoff); // [E, 1]
    for (const b of blocks) {
      const W = tf.mul(applyMlp(b.filter, rbf), fc) as tf.Tensor2D; // [E, F]
      const y = applyDense(b.in2f, x); // [N, F]
      const m = segmentSum(tf.mul(gatherRows(y, inp.senders), W) as tf.Tensor2D, inp.receivers, N); // [N, F]
      x = tf.add(x, applyMlp(b.out, m)) as tf.Tensor2D; // [N, F]
    }
    return x;
  };
  return { config, params, features, atomEnergies: (inp) => applyMlp(head, features(inp)) };
}
