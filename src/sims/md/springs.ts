/**
 * Harmonic springs between random pairs of particles (the "springs" system of Kipf et al.,
 * Neural Relational Inference, 2018).
 *
 * ```
 *   each pair (i<j) is connected with probability p;   U = ½ Σ_springs k |x_i − x_j − ℓ|²-type
 *   NRI uses rest length 0:   U = ½ k Σ_(i,j) |x_i − x_j|²,   F_i = −k Σ_j (x_i − x_j)
 *   with rest length ℓ > 0:   U = ½ k Σ (|r_ij| − ℓ)²,      F_i = −k (|r_ij| − ℓ) r̂_ij
 * ```
 * Free space (NRI's reflecting box walls are not modelled). Units: arbitrary consistent.
 */
import type { Rng } from '../../engine/rng.js';
import { ValueError } from '../../util/errors.js';
import type { ForceField, ForceResult } from './integrators.js';

/** Spring list: pair indices `[S]` and stiffnesses `[S]`. */
export interface Springs {
  readonly i: Int32Array;
  readonly j: Int32Array;
  readonly k: Float64Array;
  readonly restLength: number;
}

/** Random springs: each unordered pair with probability `probability`, stiffness `stiffness`. */
export function randomSprings(rng: Rng, opts: { numParticles: number; probability: number; stiffness: number; restLength?: number }): Springs {
  const { numParticles: N, probability, stiffness } = opts;
  if (!(probability >= 0 && probability <= 1)) throw new ValueError('probability', 'a number in [0, 1]', String(probability));
  if (!(stiffness > 0)) throw new ValueError('stiffness', 'a number > 0', String(stiffness));
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) if (rng.uniform() < probability) {
    a.push(i);
    b.push(j);
  }
  return { i: Int32Array.from(a), j: Int32Array.from(b), k: new Float64Array(a.length).fill(stiffness), restLength: opts.restLength ?? 0 };
}

/** Spring force field (free space). Virial W = Σ r_ij·F_ij. */
export function springForceField(springs: Springs, dim = 3): ForceField {
  const result: ForceResult = { energy: 0, virial: 0 };
  const l0 = springs.restLength;
  return {
    compute(R: Float64Array, F: Float64Array): ForceResult {
      F.fill(0);
      let energy = 0;
      let virial = 0;
      const d = new Float64Array(dim);
      for (let s = 0; s < springs.i.length; s++) {
        const i = springs.i[s];
        const j = springs.j[s];
        let r2 = 0;
        for (let c = 0; c < dim; c++) {
          d[c] = R[i * dim + c] - R[j * dim + c];
          r2 += d[c] * d[c];
        }
        const k = springs.k[s];
        let fr: number; // F_i = fr * r_ij
        if (l0 === 0) {
          energy += 0.5 * k * r2;
          fr = -k;
        } else {
          const r = Math.sqrt(r2);
          energy += 0.5 * k * (r - l0) ** 2;
          fr = r > 0 ? (-k * (r - l0)) / r : 0;
        }
        virial += fr * r2;
        for (let c = 0; c < dim; c++) {
          F[i * dim + c] += fr * d[c];
          F[j * dim + c] -= fr * d[c];
        }
      }
      result.energy = energy;
      result.virial = virial;
      return result;
    },
  };
}
