/**
 * Output heads of the atomistic models and their shared input record.
 *
 * - **Invariant per-graph scalar** (energy): E_g = Σ_{i ∈ g} ε_i, a segment sum of per-atom
 *   energies (`totalEnergy`).
 * - **Conservative forces**: F_i = −∂E/∂x_i by autodiff through the whole model
 *   (`energyAndForces`). Because the energy depends on positions only through edge vectors
 *   r_e = x_j − x_i (+ constant shifts), Σ_i F_i = 0 exactly in exact arithmetic (translation
 *   invariance), periodic or not. The forces are differentiable again with respect to the
 *   parameters, so a loss on forces trains the model (second derivatives, `forceMatchingLoss`).
 * - **Equivariant per-node vectors**: PaiNN's vector head (see `painn.ts`) and EGNN's
 *   displacement x′ − x.
 *
 * Shapes: positions `[N, 3]`, species `[N]` int32, senders/receivers `[E]`, shifts `[E, 3]`,
 * nodeGraph `[N]` int32 graph index of each atom → energy `[G, 1]`, forces `[N, 3]`.
 */
import { tf } from '../../engine/tf.js';
import { segmentSum } from '../segment.js';
import type { Params } from './nn.js';

/** Tensors of a batch of atomistic graphs. */
export interface AtomsInputs {
  /** [N, 3] positions (differentiated for forces). */
  readonly positions: tf.Tensor2D;
  /** [N] int32 species index in [0, numSpecies). */
  readonly species: tf.Tensor1D;
  /** [E] int32 sender j of each edge. */
  readonly senders: tf.Tensor1D;
  /** [E] int32 receiver i of each edge. */
  readonly receivers: tf.Tensor1D;
  /** [E, 3] periodic image shifts (r_e = x_j − x_i + s_e); absent in free space. */
  readonly shifts?: tf.Tensor2D;
  /** [N] int32 graph index of each atom. */
  readonly nodeGraph: tf.Tensor1D;
  readonly numGraphs: number;
}

/** A model that predicts per-atom energies (SchNet, PaiNN). */
export interface AtomEnergyModel {
  readonly params: Params;
  /** Per-atom energies [N, 1]. */
  atomEnergies(inp: AtomsInputs): tf.Tensor2D;
}

/** E_g = Σ_{i∈g} ε_i. Shapes: → `[G, 1]`. */
export function totalEnergy(model: AtomEnergyModel, inp: AtomsInputs): tf.Tensor2D {
  return segmentSum(model.atomEnergies(inp), inp.nodeGraph, inp.numGraphs); // [G, 1]
}

/**
 * Energy per graph and conservative forces F = −∂(Σ_g E_g)/∂x (each atom belongs to one
 * graph, so this is −∂E_g/∂x_i for its graph). Differentiable with respect to the parameters.
 * Shapes: → energy `[G, 1]`, forces `[N, 3]`.
 */
export function energyAndForces(model: AtomEnergyModel, inp: AtomsInputs): { energy: tf.Tensor2D; forces: tf.Tensor2D } {
  // The engine's gradients() returns the (non-scalar) value with the gradient of Σ_g E_g
  // (dy = 1), so energy and forces come from one forward and one backward pass.
  const ones = tf.ones([inp.numGraphs, 1]);
  const { value, grads } = tf.engine().gradients(() => totalEnergy(model, { ...inp, positions: inp.positions }), [inp.positions], ones);
  ones.dispose();
  const energy = value as tf.Tensor2D; // [G, 1]
  const dEdx = grads[0] as tf.Tensor2D; // [N, 3]
  const forces = tf.neg(dEdx) as tf.Tensor2D;
  dEdx.dispose();
  return { energy, forces };
}

/**
 * Energy + force matching loss: w_E·mean((E − E*)²/n_atoms²) + w_F·mean((F − F*)²).
 * Shapes: targetEnergy `[G, 1]`, targetForces `[N, 3]`, atomsPerGraph `[G, 1]`.
 */
export function forceMatchingLoss(
  model: AtomEnergyModel, inp: AtomsInputs, targetEnergy: tf.Tensor2D | null, targetForces: tf.Tensor2D,
  opts: { energyWeight: number; forceWeight: number; atomsPerGraph?: tf.Tensor2D },
): tf.Scalar {
  const { energy, forces } = energyAndForces(model, inp);
  let loss = tf.mul(tf.mean(tf.square(tf.sub(forces, targetForces))), opts.forceWeight) as tf.Scalar;
  if (targetEnergy && opts.energyWeight > 0) {
    let d = tf.sub(energy, targetEnergy) as tf.Tensor2D;
    if (opts.atomsPerGraph) d = tf.div(d, opts.atomsPerGraph) as tf.Tensor2D;
    loss = tf.add(loss, tf.mul(tf.mean(tf.square(d)), opts.energyWeight)) as tf.Scalar;
  }
  return loss;
}
