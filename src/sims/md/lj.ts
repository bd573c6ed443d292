/**
 * Lennard-Jones pair potential with a cutoff and an optional energy shift, on a Verlet
 * neighbour list (half list: each pair once, Newton's third law).
 *
 * ```
 *   U(r)  = 4ε [ (σ/r)¹² − (σ/r)⁶ ] − U_shift     for r < r_c, 0 beyond
 *   U_shift = 4ε [ (σ/r_c)¹² − (σ/r_c)⁶ ] if `shift` else 0
 *   F_i   = Σ_j 24ε/r² [ 2 (σ/r)¹² − (σ/r)⁶ ] r_ij        r_ij = r_i − r_j (minimum image)
 *   W     = Σ_pairs r_ij · F_ij                          (virial, for the pressure)
 * ```
 * Units: reduced LJ units (ε, σ, m = 1) unless ε, σ are given otherwise. LAMMPS `pair_style
 * lj/cut 2.5` is this potential without shift; `pair_modify shift yes` is `shift: true`.
 */
import {
  allocateNeighborList,
  needsRebuild,
  updateNeighborList,
  type NeighborList,
} from '../../geometry/neighbor_list.js';
import { ValueError } from '../../util/errors.js';
import type { ForceField, ForceResult } from './integrators.js';

export interface LJOptions {
  readonly epsilon?: number;
  readonly sigma?: number;
  /** Cutoff radius r_c (default 2.5 σ). */
  readonly cutoff?: number;
  /** Subtract U(r_c) so the energy is continuous at the cutoff (default false, as LAMMPS). */
  readonly shift?: boolean;
  /** Periodic box `[Lx, Ly, Lz]` (null: free space). */
  readonly box?: readonly number[] | Float64Array | null;
  /** Verlet skin (default 0.3 σ). */
  readonly skin?: number;
  /**
   * Neighbour rebuild policy: 0 (default) rebuilds when a particle moved more than skin/2;
   * k > 0 rebuilds every k force calls without checking (LAMMPS `neigh_modify every k check no`).
   */
  readonly rebuildEvery?: number;
  readonly dim?: number;
}

export const LJ_DEFAULTS = Object.freeze({ epsilon: 1, sigma: 1, cutoff: 2.5, shift: false, skin: 0.3, rebuildEvery: 0 });

/** A force field that owns its neighbour list; exposes it and rebuild counts for tests. */
export interface LJForceField extends ForceField {
  /** The current neighbour list (replaced by a larger one after an overflow). */
  readonly neighborList: () => NeighborList | null;
  /** Rebuilds and reallocations so far. */
  readonly stats: LJStats;
}

/** Counters of an {@link LJForceField}. */
export interface LJStats {
  /** Neighbour-list builds (including the first). */
  rebuilds: number;
  /** Re-allocations after a capacity overflow. */
  reallocations: number;
  /** Force evaluations. */
  calls: number;
  /**
   * With `rebuildEvery` > 0: forced rebuilds at which some particle had already moved more
   * than skin/2 since the previous build, so pairs may have been missed in between (LAMMPS'
   * "dangerous builds"). Raise the skin or rebuild more often if this is non-zero.
   */
  dangerousBuilds: number;
}

/** Energy of one pair at distance r (shift included). */
export function ljPairEnergy(r: number, o: LJOptions = {}): number {
  const eps = o.epsilon ?? LJ_DEFAULTS.epsilon;
  const sig = o.sigma ?? LJ_DEFAULTS.sigma;
  const rc = o.cutoff ?? LJ_DEFAULTS.cutoff;
  if (r >= rc) return 0;
  const s6 = (sig / r) ** 6;
  const c6 = (sig / rc) ** 6;
  return 4 * eps * (s6 * s6 - s6) - (o.shift ? 4 * eps * (c6 * c6 - c6) : 0);
}

/**
 * LJ forces `[N*dim]` and energy on a neighbour list. The list is allocated at the first call
 * and updated at each call; if a rebuild overflows its capacity the list is re-allocated
 * (outside the pair loop) and counted in `stats.reallocations`.
 */
export function ljForceField(options: LJOptions = {}): LJForceField {
  const eps = options.epsilon ?? LJ_DEFAULTS.epsilon;
  const sig = options.sigma ?? LJ_DEFAULTS.sigma;
  const rc = options.cutoff ?? LJ_DEFAULTS.cutoff;
  const skin = options.skin ?? LJ_DEFAULTS.skin;
  const every = options.rebuildEvery ?? LJ_DEFAULTS.rebuildEvery;
  if (!(eps > 0)) throw new ValueError('epsilon', 'a number > 0', String(eps));
  if (!(sig > 0)) throw new ValueError('sigma', 'a number > 0', String(sig));
  if (!(rc > 0)) throw new ValueError('cutoff', 'a number > 0', String(rc));
  if (!(Number.isInteger(every) && every >= 0)) throw new ValueError('rebuildEvery', 'an integer >= 0', String(every));
  const box = options.box ? Float64Array.from(options.box) : null;
  const dim = box ? box.length : (options.dim ?? 3);
  const c6 = (sig / rc) ** 6;
  const eShift = options.shift ? 4 * eps * (c6 * c6 - c6) : 0;
  const sig2 = sig * sig;
  const rc2 = rc * rc;
  let nl: NeighborList | null = null;
  const stats: LJStats = { rebuilds: 0, reallocations: 0, calls: 0, dangerousBuilds: 0 };
  const result: ForceResult = { energy: 0, virial: 0 };

  let scratch: Float64Array | null = null;
  const kernelOut = new Float64Array(3);

  const compute = (R0: Float64Array, F: Float64Array): ForceResult => {
    // The pair loop's minimum image needs positions inside [0, L): wrap a copy if they are not.
    let R = R0;
    if (box && !insideBox(R0, box)) {
      if (!scratch || scratch.length !== R0.length) scratch = new Float64Array(R0.length);
      for (let i = 0; i < R0.length; i++) {
        const L = box[i % dim];
        let x = R0[i] - L * Math.floor(R0[i] / L);
        if (x >= L) x -= L;
        scratch[i] = x;
      }
      R = scratch;
    }
    if (!nl) {
      nl = allocateNeighborList(R, { cutoff: rc, skin, box, dim });
      stats.rebuilds++;
    } else {
      if (every > 0) {
        if (stats.calls % every === 0) {
          if (needsRebuild(nl, R)) stats.dangerousBuilds++;
          updateNeighborList(nl, R, true);
          stats.rebuilds++;
        }
      } else if (updateNeighborList(nl, R)) stats.rebuilds++;
      if (nl.overflow) {
        nl = allocateNeighborList(R, { cutoff: rc, skin, box, dim });
        stats.reallocations++;
      }
    }
    stats.calls++;
    F.fill(0);
    const out = dim === 3
      ? ljKernel3(R, F, nl.offsets, nl.indices, nl.numParticles, box, eps, sig2, rc2, kernelOut)
      : ljKernel2(R, F, nl.offsets, nl.indices, nl.numParticles, box, eps, sig2, rc2, kernelOut);
    const energy = out[0];
    const virial = out[1];
    const pairs = out[2];
    result.energy = energy - pairs * eShift;
    result.virial = virial;
    return result;
  };
  return { compute, neighborList: () => nl, stats };
}

function insideBox(R: Float64Array, box: Float64Array): boolean {
  const d = box.length;
  for (let i = 0; i < R.length; i += d) {
    for (let k = 0; k < d; k++) {
      const x = R[i + k];
      if (!(x >= 0 && x < box[k])) return false;
    }
  }
  return true;
}

/**
 * The 3D pair loop over a half list (a top-level function: every constant is a local, which
 * V8 optimises better than closure captures). Writes [energy (unshifted), virial, pairs] to out.
 */
function ljKernel3(R: Float64Array, F: Float64Array, offsets: Int32Array, indices: Int32Array, N: number, box: Float64Array | null, eps: number, sig2: number, rc2: number, out: Float64Array): Float64Array {
  const periodicBox = box !== null;
  const Lx = box ? box[0] : 0, Ly = box ? box[1] : 0, Lz = box ? box[2] : 0;
  const hx = Lx / 2, hy = Ly / 2, hz = Lz / 2;
  const e4 = 4 * eps, e24 = 24 * eps;
  let energy = 0, virial = 0, pairs = 0;
  for (let i = 0; i < N; i++) {
    const i3 = 3 * i;
    const xi = R[i3], yi = R[i3 + 1], zi = R[i3 + 2];
    let fxi = 0, fyi = 0, fzi = 0;
    const end = offsets[i + 1];
    for (let p = offsets[i]; p < end; p++) {
      const j3 = 3 * indices[p];
      let dx = xi - R[j3], dy = yi - R[j3 + 1], dz = zi - R[j3 + 2];
      if (periodicBox) {
        // Minimum image; positions lie in [0, L).
        if (dx > hx) dx -= Lx; else if (dx < -hx) dx += Lx;
        if (dy > hy) dy -= Ly; else if (dy < -hy) dy += Ly;
        if (dz > hz) dz -= Lz; else if (dz < -hz) dz += Lz;
      }
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 < rc2) {
        const ir2 = 1 / r2;
        const s2 = sig2 * ir2;
        const s6 = s2 * s2 * s2;
        const fr = e24 * ir2 * s6 * (2 * s6 - 1); // |F|/r
        energy += e4 * s6 * (s6 - 1);
        virial += fr * r2;
        pairs++;
        const fx = fr * dx, fy = fr * dy, fz = fr * dz;
        fxi += fx; fyi += fy; fzi += fz;
        F[j3] -= fx; F[j3 + 1] -= fy; F[j3 + 2] -= fz;
      }
    }
    F[i3] += fxi; F[i3 + 1] += fyi; F[i3 + 2] += fzi;
  }
  out[0] = energy; out[1] = virial; out[2] = pairs;
  return out;
}

/** The 2D pair loop (see ljKernel3). */
function ljKernel2(R: Float64Array, F: Float64Array, offsets: Int32Array, indices: Int32Array, N: number, box: Float64Array | null, eps: number, sig2: number, rc2: number, out: Float64Array): Float64Array {
  const Lx = box ? box[0] : 0, Ly = box ? box[1] : 0;
  let energy = 0, virial = 0, pairs = 0;
  for (let i = 0; i < N; i++) {
    const xi = R[2 * i], yi = R[2 * i + 1];
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const j = indices[p];
      let dx = xi - R[2 * j], dy = yi - R[2 * j + 1];
      if (box) {
        dx -= Lx * Math.round(dx / Lx);
        dy -= Ly * Math.round(dy / Ly);
      }
      const r2 = dx * dx + dy * dy;
      if (r2 < rc2) {
        const ir2 = 1 / r2;
        const s6 = (sig2 * ir2) ** 3;
        const fr = 24 * eps * ir2 * s6 * (2 * s6 - 1);
        energy += 4 * eps * s6 * (s6 - 1);
        virial += fr * r2;
        pairs++;
        F[2 * i] += fr * dx; F[2 * i + 1] += fr * dy;
        F[2 * j] -= fr * dx; F[2 * j + 1] -= fr * dy;
      }
    }
  }
  out[0] = energy; out[1] = virial; out[2] = pairs;
  return out;
}
