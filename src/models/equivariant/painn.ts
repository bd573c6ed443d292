/**
 * PaiNN (Schütt, Unke & Gastegger, "Equivariant message passing for the prediction of tensorial
 * properties and molecular spectra", ICML 2021): scalar features s_i ∈ R^F and vector features
 * V_i ∈ R^{3×F}, updated by equivariant message and update blocks.
 *
 * Message block (eqs. 7–8), edge j → i with r = r_ij = x_j − x_i (+ shift), u = r/|r|:
 *   [a, b, c] = φ(s_j) ⊙ (W·sinc(|r|)) f_c(|r|)              φ: Dense → SiLU → Dense(3F)
 *   Δs_i = Σ_j a,     ΔV_i = Σ_j (V_j ⊙ b + u ⊗ c)
 * Update block (eqs. 9–10):
 *   U V_i, W V_i (channel mixing, no bias),  [a_vv, a_sv, a_ss] = MLP(s_i, ‖W V_i‖)
 *   ΔV_i = a_vv ⊙ U V_i,  Δs_i = a_sv ⊙ ⟨U V_i, W V_i⟩ + a_ss
 * Heads: per-atom energy ε_i = MLP(s_i) (→ E = Σ ε_i, forces −∂E/∂x), and an equivariant
 * per-atom vector μ_i = V_i · w (w ∈ R^F, no bias).
 *
 * V starts at 0. Only polar vectors enter (no cross products), so the model is
 * O(3)-equivariant: scalars invariant and vectors rotate (and reflect) with the input.
 *
 * Layout: V is kept as three `[N, F]` tensors (x, y, z components).
 * Shapes: see {@link AtomsInputs}; atomEnergies → `[N, 1]`, vectors → `[N, 3]`.
 */
import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { ConfigError } from '../../util/errors.js';
import { gatherRows, segmentSum } from '../segment.js';
import { Params, applyDense, applyMlp, dense, mlp, type Dense, type Mlp } from './nn.js';
import { cosineCutoff, edgeLengths, edgeVectors, sincBasis } from './radial.js';
import type { AtomEnergyModel, AtomsInputs } from './heads.js';

export interface PaiNNConfig {
  readonly numSpecies: number;
  /** Feature width F (paper: 128). */
  readonly features: number;
  /** Message + update blocks (paper: 3). */
  readonly layers: number;
  /** Radial basis size (paper: 20). */
  readonly numBasis: number;
  readonly cutoff: number;
}

export interface PaiNN extends AtomEnergyModel {
  readonly config: PaiNNConfig;
  /** Final scalar [N, F] and vector (3 × [N, F]) features. */
  represent(inp: AtomsInputs): { s: tf.Tensor2D; V: tf.Tensor2D[] };
  /** Equivariant per-atom vectors [N, 3]. */
  vectors(inp: AtomsInputs): tf.Tensor2D;
}

export function createPaiNN(config: PaiNNConfig, rng: Rng, params: Params = new Params()): PaiNN {
  for (const k of ['numSpecies', 'features', 'layers', 'numBasis'] as const) {
    if (!Number.isInteger(config[k]) || config[k] < 1) throw new ConfigError(`painn.${k}`, 'an integer >= 1', String(config[k]));
  }
  if (!(config.cutoff > 0)) throw new ConfigError('painn.cutoff', 'a number > 0', String(config.cutoff));
  const F = config.features;
  const r = rng.fork('painn');
  const emb = new Float32Array(config.numSpecies * F);
  for (let i = 0; i < emb.length; i++) emb[i] = r.normal();
  const embedding = params.add('painn/embedding', [config.numSpecies, F], emb);
  const blocks: { phi: Mlp; filter: Dense; U: Dense; W: Dense; upd: Mlp }[] = [];
  for (let l = 0; l < config.layers; l++) {
    blocks.push({
      phi: mlp(params, r, `painn/l${l}/phi`, [F, F, 3 * F]),
      filter: dense(params, r, `painn/l${l}/filter`, config.numBasis, 3 * F),
      U: dense(params, r, `painn/l${l}/U`, F, F, { bias: false }),
      W: dense(params, r, `painn/l${l}/W`, F, F, { bias: false }),
      upd: mlp(params, r, `painn/l${l}/update`, [2 * F, F, 3 * F]),
    });
  }
  const energyHead = mlp(params, r, 'painn/energy', [F, F, 1]);
  const vectorHead = dense(params, r, 'painn/vector', F, 1, { bias: false });

  const represent = (inp: AtomsInputs): { s: tf.Tensor2D; V: tf.Tensor2D[] } => {
    const N = inp.positions.shape[0];
    let s = gatherRows(embedding as tf.Tensor as tf.Tensor2D, inp.species); // [N, F]
    let V: tf.Tensor2D[] = [0, 1, 2].map(() => tf.zeros([N, F]) as tf.Tensor2D); // 3 × [N, F]
    const rv = edgeVectors(inp.positions, inp.senders, inp.receivers, inp.shifts); // [E, 3]
    const d = edgeLengths(rv); // [E, 1]
    const unit = tf.div(rv, d) as tf.Tensor2D; // [E, 3]
    const u = tf.split(unit, 3, 1) as tf.Tensor2D[]; // 3 × [E, 1]
    const basis = sincBasis(d, config.numBasis, config.cutoff); // [E, K]
    const fc = cosineCutoff(d, config.cutoff); // [E, 1]
    for (const b of blocks) {
      // Message block.
      const x = tf.mul(gatherRows(applyMlp(b.phi, s), inp.senders), tf.mul(applyDense(b.filter, basis), fc)) as tf.Tensor2D; // [E, 3F]
      const [a, bb, c] = tf.split(x, 3, 1) as tf.Tensor2D[]; // 3 × [E, F]
      s = tf.add(s, segmentSum(a, inp.receivers, N)) as tf.Tensor2D;
      V = V.map((Vk, k) => {
        const msg = tf.add(tf.mul(gatherRows(Vk, inp.senders), bb), tf.mul(c, u[k])) as tf.Tensor2D; // [E, F]
        return tf.add(Vk, segmentSum(msg, inp.receivers, N)) as tf.Tensor2D;
      });
      // Update block.
      const UV = V.map((Vk) => applyDense(b.U, Vk)); // 3 × [N, F]
      const WV = V.map((Vk) => applyDense(b.W, Vk)); // 3 × [N, F]
      const norm = tf.sqrt(tf.add(tf.addN(WV.map((t) => tf.square(t))), 1e-8)) as tf.Tensor2D; // [N, F]
      const [avv, asv, ass] = tf.split(applyMlp(b.upd, tf.concat([s, norm], 1) as tf.Tensor2D), 3, 1) as tf.Tensor2D[]; // 3 × [N, F]
      const dot = tf.addN(UV.map((t, k) => tf.mul(t, WV[k]))) as tf.Tensor2D; // [N, F]
      V = V.map((Vk, k) => tf.add(Vk, tf.mul(avv, UV[k])) as tf.Tensor2D);
      s = tf.add(s, tf.add(tf.mul(asv, dot), ass)) as tf.Tensor2D;
    }
    return { s, V };
  };
  return {
    config,
    params,
    represent,
    atomEnergies: (inp) => applyMlp(energyHead, represent(inp).s),
    vectors: (inp) => tf.concat(represent(inp).V.map((Vk) => applyDense(vectorHead, Vk)), 1) as tf.Tensor2D, // [N, 3]
  };
}
