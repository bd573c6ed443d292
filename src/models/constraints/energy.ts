/**
 * Conservative energy head: forces are the negative gradient of a learned scalar energy,
 *
 *   E = E_θ(x),        F = −∇ₓ E_θ(x)
 *
 * so F is curl-free by construction and Newtonian dynamics with these forces conserve
 * E_kin + E_θ exactly in continuous time; a symplectic integrator (velocity Verlet) then keeps
 * the energy error bounded and O(Δt²). If E_θ depends on positions only through differences
 * x_j − x_i, then Σ_i F_i = 0 as well (translation invariance ⇒ momentum conservation).
 *
 * Training on forces needs ∂F/∂θ, a second derivative of E_θ: the segment ops and the tfjs
 * gradients used here are differentiable again, so `tf.variableGrads(() => loss(F))` works.
 *
 * Limitation (tfjs 4.22, pinned by a test): ops whose gradient is computed from their saved
 * *output* (tanh, sigmoid, exp) lose the second-order path to the parameters before them:
 * through a tanh MLP the first-layer bias gets no gradient from a force loss. Use activations
 * whose gradient is recomputed from the input, such as softplus (SchNet's shifted softplus),
 * in energy networks trained on forces.
 *
 * Shapes: positions `[N, D]`; energy: `[N, D] → scalar`; forces `[N, D]`.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../util/errors.js';

/** A learned energy: positions `[N, D]` (and anything it closes over) → scalar. */
export type EnergyFunction = (positions: tf.Tensor2D) => tf.Scalar;

/** Energy and forces of one configuration. */
export interface EnergyForces {
  /** scalar E */
  readonly energy: tf.Scalar;
  /** [N, D] F = −∇E */
  readonly forces: tf.Tensor2D;
}

/**
 * Factory: wraps an energy function into a head returning `{energy, forces}`.
 * Differentiable with respect to the energy's weights (second order), so it can be trained on
 * forces, energies or both.
 */
export function conservativeForces(energy: EnergyFunction): (positions: tf.Tensor2D) => EnergyForces {
  const vg = tf.valueAndGrad((x: tf.Tensor) => energy(x as tf.Tensor2D));
  return (positions: tf.Tensor2D): EnergyForces => {
    if (positions.rank !== 2) throw new ShapeError('positions', 'a rank-2 tensor [N, D]', `shape [${positions.shape.join(', ')}]`);
    return tf.tidy(() => {
      const { value, grad } = vg(positions);
      return { energy: value as tf.Scalar, forces: tf.neg(grad) as tf.Tensor2D };
    });
  };
}
