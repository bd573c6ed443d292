/**
 * Maxwell–Boltzmann initial velocities.
 *
 * ```
 *   v_ik ~ N(0, k_B T / m_i)   then   v_i ← v_i − P/M   (zero total momentum)
 *   exact: rescale so T_inst = 2 KE / (dim·N − dim) equals T exactly (LAMMPS `velocity create`
 *   rescales the same way)
 * ```
 */
import type { Rng } from '../../engine/rng.js';
import { ValueError } from '../../util/errors.js';
import { temperature as instTemperature } from './observables.js';

/**
 * Velocities `[N*dim]` at `temperature` (k_B T, reduced units) with zero total momentum.
 * `masses` `[N]` (or a number). With `exact` (default true) the instantaneous temperature is
 * rescaled to exactly `temperature`.
 */
export function maxwellBoltzmann(rng: Rng, opts: { numParticles: number; temperature: number; masses?: Float64Array | number; dim?: number; exact?: boolean }): Float64Array {
  const N = opts.numParticles;
  const dim = opts.dim ?? 3;
  const T = opts.temperature;
  if (!(T >= 0) || !Number.isFinite(T)) throw new ValueError('temperature', 'a finite number >= 0', String(T));
  if (!(Number.isInteger(N) && N >= 0)) throw new ValueError('numParticles', 'an integer >= 0', String(N));
  const m = typeof opts.masses === 'object' ? opts.masses : new Float64Array(N).fill(opts.masses ?? 1);
  // [N*dim]
  const v = new Float64Array(N * dim);
  for (let i = 0; i < N; i++) {
    const sd = Math.sqrt(T / m[i]);
    for (let k = 0; k < dim; k++) v[i * dim + k] = sd * rng.normal();
  }
  // Remove the centre-of-mass velocity.
  let M = 0;
  const P = new Float64Array(dim);
  for (let i = 0; i < N; i++) {
    M += m[i];
    for (let k = 0; k < dim; k++) P[k] += m[i] * v[i * dim + k];
  }
  if (N > 1) for (let i = 0; i < N; i++) for (let k = 0; k < dim; k++) v[i * dim + k] -= P[k] / M;
  if ((opts.exact ?? true) && N > 1 && T > 0) {
    const t = instTemperature(v, m, dim);
    const s = Math.sqrt(T / t);
    for (let i = 0; i < v.length; i++) v[i] *= s;
  }
  return v;
}
