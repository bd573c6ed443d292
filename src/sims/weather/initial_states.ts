/**
 * Randomised, balanced initial states for the weather-like training data.
 *
 * Every state is built from a zonal (or tilted solid-body) flow in gradient-wind balance,
 *   g ∂h_s/∂θ = −u (a f + u tan θ),   f = 2Ω sin θ,
 * integrated in latitude and shifted to a chosen mean surface height, plus:
 * - 'jet': a Galewsky-like jet u = u_max/e_n · exp(1/((θ−θ0)(θ−θ1))) with random position,
 *   width, strength and sign, and a Gaussian height perturbation that starts barotropic
 *   instability (Galewsky et al. 2004);
 * - 'rossby-haurwitz': the Rossby–Haurwitz wave of Williamson TC6 with random wavenumber 2–5,
 *   amplitude and phase (an exact balanced state of the nondivergent flow);
 * - 'bumps': solid-body flow about a random axis plus 1–3 Gaussian height bumps (unbalanced:
 *   they radiate gravity waves);
 * - random mountains (cones/Gaussians up to 2 km) on top of any of them, with the fluid depth
 *   reduced so the *surface* stays balanced (as in TC5).
 */
import type { Rng } from '../../engine/rng.js';
import { EARTH_OMEGA, GRAVITY } from './units.js';
import type { VoronoiGeometry } from './voronoi.js';
import { velocityFromEastNorth, type SweInitialState } from './williamson.js';

export type InitialKind = 'jet' | 'rossby-haurwitz' | 'bumps';

export interface RandomStateOptions {
  readonly kinds: readonly InitialKind[];
  /** Probability of adding random mountains. */
  readonly mountainProbability: number;
}

/** Surface height (m) balancing a zonal wind profile u(θ) on a 1D latitude grid; mean ≈ h0. */
function balancedSurface(a: number, uOf: (lat: number) => number, h0: number, n = 4001): (lat: number) => number {
  const lat = new Float64Array(n), hs = new Float64Array(n);
  for (let k = 0; k < n; k++) lat[k] = -Math.PI / 2 + (Math.PI * k) / (n - 1);
  const rhs = (t: number) => { const u = uOf(t); return (-u * (a * 2 * EARTH_OMEGA * Math.sin(t) + u * Math.tan(Math.max(-1.5707, Math.min(1.5707, t))))) / GRAVITY; };
  for (let k = 1; k < n; k++) hs[k] = hs[k - 1] + 0.5 * (lat[k] - lat[k - 1]) * (rhs(lat[k - 1]) + rhs(lat[k]));
  let m = 0, w = 0;
  for (let k = 0; k < n; k++) { const c = Math.cos(lat[k]); m += c * hs[k]; w += c; }
  const shift = h0 - m / w;
  return (t: number) => {
    const x = ((t + Math.PI / 2) / Math.PI) * (n - 1);
    const k = Math.max(0, Math.min(n - 2, Math.floor(x))), f = x - k;
    return hs[k] * (1 - f) + hs[k + 1] * f + shift;
  };
}

const latLon = (c: Float64Array, i: number): [number, number] => [Math.asin(Math.max(-1, Math.min(1, c[3 * i + 2]))), Math.atan2(c[3 * i + 1], c[3 * i])];

/** One random initial state on the solver geometry; `label` describes what was drawn. */
export function randomInitialState(geo: VoronoiGeometry, rng: Rng, opts: RandomStateOptions): SweInitialState & { label: string } {
  const a = geo.radius, c = geo.centres, n = geo.numCells;
  const kind = opts.kinds[rng.int(opts.kinds.length)];
  const h = new Float64Array(n);
  let u: Float64Array;
  let label: string;
  if (kind === 'jet') {
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    const centre = sign * rng.uniformIn(25, 55) * Math.PI / 180;
    const half = rng.uniformIn(10, 20) * Math.PI / 180;
    const t0 = centre - half, t1 = centre + half;
    const umax = rng.uniformIn(40, 80);
    const en = Math.exp(-4 / ((t1 - t0) ** 2));
    const uOf = (t: number) => (t > t0 && t < t1 ? (umax / en) * Math.exp(1 / ((t - t0) * (t - t1))) : 0);
    const h0 = rng.uniformIn(8000, 10000);
    const hs = balancedSurface(a, uOf, h0);
    const pert = rng.uniformIn(60, 150), l2 = centre, lon0 = rng.uniformIn(-Math.PI, Math.PI);
    for (let i = 0; i < n; i++) {
      const [lt, ln] = latLon(c, i);
      let dl = ln - lon0; dl = Math.atan2(Math.sin(dl), Math.cos(dl));
      h[i] = hs(lt) + pert * Math.cos(lt) * Math.exp(-((dl / (1 / 3)) ** 2) - (((l2 - lt) / (1 / 15)) ** 2));
    }
    u = velocityFromEastNorth(c, (lt) => [uOf(lt), 0]);
    label = `jet(lat=${(centre * 180 / Math.PI).toFixed(1)},umax=${umax.toFixed(1)},pert=${pert.toFixed(0)})`;
  } else if (kind === 'rossby-haurwitz') {
    const R = 2 + rng.int(4);
    const w = rng.uniformIn(0.5, 1.2) * 7.848e-6, K = rng.uniformIn(0.5, 1.2) * 7.848e-6, h0 = rng.uniformIn(7000, 9000);
    const phase = rng.uniformIn(0, 2 * Math.PI);
    const Om = EARTH_OMEGA;
    for (let i = 0; i < n; i++) {
      const [lt, ln0] = latLon(c, i);
      const ln = ln0 + phase, cl = Math.cos(lt), c2 = cl * cl;
      const A = (w / 2) * (2 * Om + w) * c2 + 0.25 * K * K * cl ** (2 * R - 2) * ((R + 1) * c2 * c2 + (2 * R * R - R - 2) * c2 - 2 * R * R);
      const B = ((2 * (Om + w) * K) / ((R + 1) * (R + 2))) * cl ** R * (R * R + 2 * R + 2 - (R + 1) ** 2 * c2);
      const C = 0.25 * K * K * cl ** (2 * R) * ((R + 1) * c2 - (R + 2));
      h[i] = h0 + (a * a * (A + B * Math.cos(R * ln) + C * Math.cos(2 * R * ln))) / GRAVITY;
    }
    u = velocityFromEastNorth(c, (lt, ln0) => {
      const ln = ln0 + phase, cl = Math.cos(lt), sl = Math.sin(lt);
      return [a * w * cl + a * K * cl ** (R - 1) * (R * sl * sl - cl * cl) * Math.cos(R * ln), -a * K * R * cl ** (R - 1) * sl * Math.sin(R * ln)];
    });
    label = `rossby-haurwitz(R=${R},omega=${w.toExponential(2)},K=${K.toExponential(2)})`;
  } else {
    const u0 = rng.uniformIn(0, 40), alpha = rng.uniformIn(0, Math.PI / 2), h0 = rng.uniformIn(5000, 9000);
    const ax = [-Math.sin(alpha), 0, Math.cos(alpha)];
    const nb = 1 + rng.int(3);
    const bumps: [number, number, number, number, number][] = [];
    for (let k = 0; k < nb; k++) {
      const z = rng.uniformIn(-1, 1), lon = rng.uniformIn(0, 2 * Math.PI), r = Math.sqrt(1 - z * z);
      bumps.push([r * Math.cos(lon), r * Math.sin(lon), z, rng.uniformIn(-400, 400), rng.uniformIn(0.1, 0.3)]);
    }
    u = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const x = c[3 * i], y = c[3 * i + 1], zz = c[3 * i + 2];
      // with u along a tilted axis the Coriolis axis stays z: balance only holds for α = 0, so
      // this family is deliberately unbalanced (gravity waves), as its name says
      const s = ax[0] * x + ax[2] * zz;
      h[i] = h0 - ((a * EARTH_OMEGA * u0 + 0.5 * u0 * u0) * s * s) / GRAVITY;
      for (const [bx, by, bz, amp, wdt] of bumps) {
        const d2 = (x - bx) ** 2 + (y - by) ** 2 + (zz - bz) ** 2;
        h[i] += amp * Math.exp(-d2 / (wdt * wdt));
      }
      u[3 * i] = u0 * (ax[1] * zz - ax[2] * y);
      u[3 * i + 1] = u0 * (ax[2] * x - ax[0] * zz);
      u[3 * i + 2] = u0 * (ax[0] * y - ax[1] * x);
    }
    label = `bumps(u0=${u0.toFixed(1)},alpha=${alpha.toFixed(2)},n=${nb})`;
  }
  const b = new Float64Array(n);
  if (rng.uniform() < opts.mountainProbability) {
    const nm = 1 + rng.int(3);
    for (let k = 0; k < nm; k++) {
      const z = rng.uniformIn(-0.9, 0.9), lon = rng.uniformIn(0, 2 * Math.PI), r = Math.sqrt(1 - z * z);
      const mx = r * Math.cos(lon), my = r * Math.sin(lon), height = rng.uniformIn(500, 2000), R = rng.uniformIn(0.15, 0.4);
      for (let i = 0; i < n; i++) {
        const d = Math.acos(Math.max(-1, Math.min(1, c[3 * i] * mx + c[3 * i + 1] * my + c[3 * i + 2] * z)));
        b[i] += height * Math.max(0, 1 - d / R);
      }
    }
    let minDepth = Infinity;
    for (let i = 0; i < n; i++) { h[i] -= b[i]; minDepth = Math.min(minDepth, h[i]); }
    if (minDepth < 1000) for (let i = 0; i < n; i++) h[i] += 1000 - minDepth;
    label += `+mountains(${nm})`;
  }
  return { h, u, b, rotationAxis: [0, 0, 1], label };
}
