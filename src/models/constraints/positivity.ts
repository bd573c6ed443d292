/**
 * Positivity for quantities such as fluid depth or density:
 *
 *   y = softplus(x) + y_min = log(1 + eˣ) + y_min,      dy/dx = sigmoid(x) = 1 / (1 + e⁻ˣ)
 *
 * y > y_min ≥ 0 for every finite x. The gradient is in (0, 1): never zero (unlike a ReLU or a
 * clamp, the network always learns), close to 1 for large positive x (y ≈ x), and vanishing like
 * eˣ for very negative x (a depth driven towards y_min stops being pushed). With y_min > 0 the
 * output is strictly positive even when softplus underflows to 0 in float32 (x < −103).
 * Inverse, to initialise or to normalise targets: x = log(expm1(y − y_min)).
 *
 * Shapes: any; elementwise.
 */
import { tf } from '../../engine/tf.js';
import { ValueError } from '../../util/errors.js';

/** Factory: the positivity map with floor `yMin` (default 0; must be ≥ 0). */
export function positive(yMin = 0): <T extends tf.Tensor>(x: T) => T {
  if (!(yMin >= 0) || !Number.isFinite(yMin)) throw new ValueError('yMin', 'a finite number >= 0', String(yMin));
  return <T extends tf.Tensor>(x: T): T => tf.tidy(() => (yMin === 0 ? tf.softplus(x) : tf.add(tf.softplus(x), yMin)) as T);
}

/** Inverse of {@link positive} on host numbers: x with softplus(x) + yMin = y (y > yMin). */
export function positiveInverse(y: number, yMin = 0): number {
  const z = y - yMin;
  if (!(z > 0)) throw new ValueError('y', `a number > yMin = ${yMin}`, String(y));
  return z > 30 ? z : Math.log(Math.expm1(z));
}
