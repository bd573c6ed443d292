/**
 * MD observables in reduced units (k_B = 1).
 *
 * ```
 *   KE = ½ Σ m v²                    T = 2 KE / N_dof,  N_dof = dim·N − dim (momentum removed)
 *   P  = (2 KE + W) / (dim · V)      W = Σ_pairs r_ij·F_ij (virial; LAMMPS' convention)
 *   p  = Σ m v                       total momentum [dim]
 *   g(r) = n(r) / (N · ρ · V_shell(r))    pair histogram over ideal-gas shells (×2 for a half list)
 * ```
 */
import { allocateNeighborList } from '../../geometry/neighbor_list.js';
import { ValueError } from '../../util/errors.js';

/** Kinetic energy ½ Σ m v². Shapes: v `[N*dim]`, m `[N]`. */
export function kineticEnergy(v: Float64Array, m: Float64Array, dim = 3): number {
  let ke = 0;
  for (let i = 0; i < m.length; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += v[i * dim + k] ** 2;
    ke += m[i] * s;
  }
  return 0.5 * ke;
}

/** Degrees of freedom with the total momentum removed (LAMMPS' default): dim·N − dim. */
export function degreesOfFreedom(N: number, dim = 3): number {
  return Math.max(dim * N - dim, 1);
}

/** Instantaneous temperature 2 KE / N_dof (k_B = 1). */
export function temperature(v: Float64Array, m: Float64Array, dim = 3, dof = degreesOfFreedom(m.length, dim)): number {
  return (2 * kineticEnergy(v, m, dim)) / dof;
}

/** Virial pressure (2 KE + W) / (dim V); `box` `[dim]` lengths. */
export function pressure(kinetic: number, virial: number, box: ArrayLike<number>): number {
  let V = 1;
  for (let k = 0; k < box.length; k++) V *= box[k];
  return (2 * kinetic + virial) / (box.length * V);
}

/** Total momentum Σ m v `[dim]`. */
export function momentum(v: Float64Array, m: Float64Array, dim = 3): Float64Array {
  const p = new Float64Array(dim);
  for (let i = 0; i < m.length; i++) for (let k = 0; k < dim; k++) p[k] += m[i] * v[i * dim + k];
  return p;
}

/** Radial distribution function on `bins` shells of [0, rMax). */
export interface Rdf {
  /** [bins] shell centres. */
  readonly r: Float64Array;
  /** [bins] g(r). */
  readonly g: Float64Array;
}

/**
 * g(r) of a periodic configuration, from a cell-list neighbour search within `rMax`
 * (rMax < L/2). Shapes: positions `[N*3]`, box `[3]`.
 */
export function radialDistribution(positions: Float64Array, box: ArrayLike<number>, opts: { rMax: number; bins: number }): Rdf {
  const { rMax, bins } = opts;
  if (!(bins >= 1 && Number.isInteger(bins))) throw new ValueError('bins', 'a positive integer', String(bins));
  const dim = box.length;
  const N = positions.length / dim;
  const nl = allocateNeighborList(positions, { cutoff: rMax, skin: 0, box: Array.from(box) });
  const hist = new Float64Array(bins);
  const dr = rMax / bins;
  for (let i = 0; i < N; i++) {
    for (let p = nl.offsets[i]; p < nl.offsets[i + 1]; p++) {
      const j = nl.indices[p];
      let s = 0;
      for (let k = 0; k < dim; k++) {
        let d = positions[i * dim + k] - positions[j * dim + k];
        d -= box[k] * Math.round(d / box[k]);
        s += d * d;
      }
      const b = Math.floor(Math.sqrt(s) / dr);
      if (b < bins) hist[b] += 2; // each half-list pair counts for both particles
    }
  }
  let V = 1;
  for (let k = 0; k < dim; k++) V *= box[k];
  const rho = N / V;
  const r = new Float64Array(bins);
  const g = new Float64Array(bins);
  for (let b = 0; b < bins; b++) {
    const r0 = b * dr;
    const r1 = r0 + dr;
    const shell = dim === 3 ? ((4 * Math.PI) / 3) * (r1 ** 3 - r0 ** 3) : Math.PI * (r1 ** 2 - r0 ** 2);
    r[b] = r0 + dr / 2;
    g[b] = hist[b] / (N * rho * shell);
  }
  return { r, g };
}
