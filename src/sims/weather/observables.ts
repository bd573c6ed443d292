/**
 * Observables of the shallow-water state (Williamson et al. 1992, §2): area integrals over the
 * Voronoi cells, I(q) = Σ_i A_i q_i.
 *
 * - total mass  M = I(h)                                   (m³)
 * - total energy E = I(½ h |u|² + ½ g ((h + b)² − b²))     (m⁵ s⁻², i.e. energy / density)
 * - potential enstrophy Z = I((ζ + f)² / (2h))             (m s⁻²·…; per Williamson)
 * - normalised height errors against a reference h_T:
 *   l1 = I(|h − h_T|) / I(|h_T|),  l2 = √I((h − h_T)²) / √I(h_T²),  l∞ = max|h − h_T| / max|h_T|.
 */
import type { ShallowWaterSolver, SweState } from './swe.js';

export interface SweInvariants {
  readonly mass: number;
  readonly energy: number;
  readonly potentialEnstrophy: number;
}

export function invariants(solver: ShallowWaterSolver, s: SweState): SweInvariants {
  const { areas } = solver.geo;
  const zeta = solver.vorticity(s.u);
  let mass = 0, energy = 0, ens = 0;
  const g = solver.g, b = solver.b, f = solver.f;
  for (let i = 0; i < areas.length; i++) {
    const h = s.h[i], ux = s.u[3 * i], uy = s.u[3 * i + 1], uz = s.u[3 * i + 2];
    mass += areas[i] * h;
    energy += areas[i] * (0.5 * h * (ux * ux + uy * uy + uz * uz) + 0.5 * g * ((h + b[i]) ** 2 - b[i] ** 2));
    const q = zeta[i] + f[i];
    ens += areas[i] * (q * q) / (2 * h);
  }
  return { mass, energy, potentialEnstrophy: ens };
}

/** Total mass Σ A_i h_i (m³), summed in a fixed order (Neumaier compensated). */
export function totalMass(areas: Float64Array, h: Float64Array): number {
  let s = 0, c = 0;
  for (let i = 0; i < h.length; i++) {
    const x = areas[i] * h[i];
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}

export interface NormalisedErrors { readonly l1: number; readonly l2: number; readonly linf: number }

/** Williamson's normalised l1, l2, l∞ errors of h against h_T (area-weighted). */
export function normalisedErrors(areas: Float64Array, h: ArrayLike<number>, hT: ArrayLike<number>): NormalisedErrors {
  let a1 = 0, b1 = 0, a2 = 0, b2 = 0, ai = 0, bi = 0;
  for (let i = 0; i < areas.length; i++) {
    const d = Math.abs(h[i] - hT[i]), r = Math.abs(hT[i]);
    a1 += areas[i] * d; b1 += areas[i] * r;
    a2 += areas[i] * d * d; b2 += areas[i] * r * r;
    ai = Math.max(ai, d); bi = Math.max(bi, r);
  }
  return { l1: a1 / b1, l2: Math.sqrt(a2 / b2), linf: ai / bi };
}
