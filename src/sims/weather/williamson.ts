/**
 * Initial states of the Williamson et al. (1992) test cases on a Voronoi geometry.
 *
 * - TC1: cosine bell (h0 = 1000 m, radius a/3, centre λ = 3π/2, θ = 0) advected by solid-body
 *   rotation u0 = 2πa / 12 days about an axis tilted by α; exact solution: the bell rotated.
 * - TC2: steady zonal geostrophic flow, u0 = 2πa / 12 days, g h0 = 2.94e4 m² s⁻²; exact: steady.
 * - TC5: zonal flow over an isolated mountain: u0 = 20 m/s, h0 = 5960 m (surface), mountain of
 *   2000 m, radius π/9, centred at λ = 3π/2, θ = π/6; h = surface − b.
 * - TC6: Rossby–Haurwitz wave of wavenumber R = 4, ω = K = 7.848e-6 s⁻¹, h0 = 8000 m.
 *
 * Solid-body flows with a tilted axis ẑ' = (−sin α, 0, cos α) are written as u = u0 ẑ' × r̂ and
 * h = h0 − (aΩu0 + u0²/2)(ẑ'·r̂)²/g, with the solver's rotation axis set to ẑ' (TC2) — the same
 * flow as Williamson's rotated formulas, without trigonometry in rotated coordinates.
 */
import type { VoronoiGeometry } from './voronoi.js';
import { DAY, EARTH_OMEGA, GRAVITY } from './units.js';

export interface SweInitialState {
  /** [numCells] depth (m) */
  readonly h: Float64Array;
  /** [numCells, 3] velocity (m/s) */
  readonly u: Float64Array;
  /** [numCells] topography (m), zeros when flat */
  readonly b: Float64Array;
  /** Rotation axis for the Coriolis term. */
  readonly rotationAxis: [number, number, number];
}

/** Unit east and north vectors at unit position (x, y, z); at the poles east = +y. */
export function eastNorth(x: number, y: number, z: number): [number, number, number, number, number, number] {
  const rho = Math.hypot(x, y);
  const cl = rho > 0 ? x / rho : 1, sl = rho > 0 ? y / rho : 0;
  return [-sl, cl, 0, -z * cl, -z * sl, rho];
}

/** Velocity [n, 3] from east and north components at cell centres. */
export function velocityFromEastNorth(centres: Float64Array, fn: (lat: number, lon: number) => [number, number]): Float64Array {
  const n = centres.length / 3;
  const u = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const x = centres[3 * i], y = centres[3 * i + 1], z = centres[3 * i + 2];
    const lat = Math.asin(Math.max(-1, Math.min(1, z))), lon = Math.atan2(y, x);
    const [ue, vn] = fn(lat, lon);
    const [ex, ey, ez, nx, ny, nz] = eastNorth(x, y, z);
    u[3 * i] = ue * ex + vn * nx; u[3 * i + 1] = ue * ey + vn * ny; u[3 * i + 2] = ue * ez + vn * nz;
  }
  return u;
}

function solidBody(geo: VoronoiGeometry, u0: number, axis: [number, number, number]): Float64Array {
  const c = geo.centres, n = geo.numCells, u = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const x = c[3 * i], y = c[3 * i + 1], z = c[3 * i + 2];
    u[3 * i] = u0 * (axis[1] * z - axis[2] * y);
    u[3 * i + 1] = u0 * (axis[2] * x - axis[0] * z);
    u[3 * i + 2] = u0 * (axis[0] * y - axis[1] * x);
  }
  return u;
}

const tilted = (alpha: number): [number, number, number] => [-Math.sin(alpha), 0, Math.cos(alpha)];

/** Cosine-bell depth at unit positions [n, 3] (TC1), bell centre `centre` (unit vector). */
export function cosineBell(points: Float64Array, a: number, centre: [number, number, number], h0 = 1000): Float64Array {
  const n = points.length / 3, h = new Float64Array(n), R = a / 3;
  for (let i = 0; i < n; i++) {
    const d = points[3 * i] * centre[0] + points[3 * i + 1] * centre[1] + points[3 * i + 2] * centre[2];
    const r = a * Math.acos(Math.max(-1, Math.min(1, d)));
    h[i] = r < R ? (h0 / 2) * (1 + Math.cos((Math.PI * r) / R)) : 0;
  }
  return h;
}

/** TC1 initial state and its exact solution at time t (s). */
export function williamsonTC1(geo: VoronoiGeometry, alpha = 0): SweInitialState & { exact: (t: number) => Float64Array } {
  const a = geo.radius, u0 = (2 * Math.PI * a) / (12 * DAY);
  const axis = tilted(alpha);
  const c0: [number, number, number] = [0, -1, 0]; // λ = 3π/2, θ = 0
  const exact = (t: number): Float64Array => {
    // rotate the bell centre about the axis by +u0 t / a (Rodrigues)
    const th = (u0 * t) / a, cs = Math.cos(th), sn = Math.sin(th);
    const k = axis, v = c0;
    const kv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
    const kxv = [k[1] * v[2] - k[2] * v[1], k[2] * v[0] - k[0] * v[2], k[0] * v[1] - k[1] * v[0]];
    const c = [0, 1, 2].map((d) => v[d] * cs + kxv[d] * sn + k[d] * kv * (1 - cs)) as [number, number, number];
    return cosineBell(geo.centres, a, c);
  };
  return { h: exact(0), u: solidBody(geo, u0, axis), b: new Float64Array(geo.numCells), rotationAxis: axis, exact };
}

/** TC2 steady geostrophic zonal flow (flow and Coriolis axes tilted by α). */
export function williamsonTC2(geo: VoronoiGeometry, alpha = 0): SweInitialState {
  const a = geo.radius, u0 = (2 * Math.PI * a) / (12 * DAY), gh0 = 2.94e4;
  const axis = tilted(alpha);
  const c = geo.centres, h = new Float64Array(geo.numCells);
  for (let i = 0; i < geo.numCells; i++) {
    const s = axis[0] * c[3 * i] + axis[1] * c[3 * i + 1] + axis[2] * c[3 * i + 2];
    h[i] = (gh0 - (a * EARTH_OMEGA * u0 + 0.5 * u0 * u0) * s * s) / GRAVITY;
  }
  return { h, u: solidBody(geo, u0, axis), b: new Float64Array(geo.numCells), rotationAxis: axis };
}

/** TC5 zonal flow over an isolated mountain. */
export function williamsonTC5(geo: VoronoiGeometry): SweInitialState {
  const a = geo.radius, u0 = 20, hs0 = 5960, b0 = 2000, R = Math.PI / 9;
  const lc = (3 * Math.PI) / 2, tc = Math.PI / 6;
  const c = geo.centres, n = geo.numCells;
  const h = new Float64Array(n), b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = c[3 * i + 2];
    const lat = Math.asin(Math.max(-1, Math.min(1, z))), lon = Math.atan2(c[3 * i + 1], c[3 * i]);
    let dl = lon - lc;
    dl = Math.atan2(Math.sin(dl), Math.cos(dl));
    const r = Math.min(R * R, dl * dl + (lat - tc) ** 2);
    b[i] = b0 * (1 - Math.sqrt(r) / R);
    h[i] = hs0 - (a * EARTH_OMEGA * u0 + 0.5 * u0 * u0) * z * z / GRAVITY - b[i];
  }
  return { h, u: solidBody(geo, u0, [0, 0, 1]), b, rotationAxis: [0, 0, 1] };
}

/** TC6 Rossby–Haurwitz wave (R = 4). */
export function williamsonTC6(geo: VoronoiGeometry, R = 4): SweInitialState {
  const a = geo.radius, w = 7.848e-6, K = 7.848e-6, h0 = 8000, Om = EARTH_OMEGA;
  const c = geo.centres, n = geo.numCells, h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lat = Math.asin(Math.max(-1, Math.min(1, c[3 * i + 2]))), lon = Math.atan2(c[3 * i + 1], c[3 * i]);
    const cl = Math.cos(lat), c2 = cl * cl;
    const A = (w / 2) * (2 * Om + w) * c2 + 0.25 * K * K * cl ** (2 * R - 2) * ((R + 1) * c2 * c2 + (2 * R * R - R - 2) * c2 - 2 * R * R);
    const B = ((2 * (Om + w) * K) / ((R + 1) * (R + 2))) * cl ** R * (R * R + 2 * R + 2 - (R + 1) ** 2 * c2);
    const C = 0.25 * K * K * cl ** (2 * R) * ((R + 1) * c2 - (R + 2));
    h[i] = h0 + (a * a * (A + B * Math.cos(R * lon) + C * Math.cos(2 * R * lon))) / GRAVITY;
  }
  const u = velocityFromEastNorth(c, (lat, lon) => {
    const cl = Math.cos(lat), sl = Math.sin(lat);
    return [
      a * w * cl + a * K * cl ** (R - 1) * (R * sl * sl - cl * cl) * Math.cos(R * lon),
      -a * K * R * cl ** (R - 1) * sl * Math.sin(R * lon),
    ];
  });
  return { h, u, b: new Float64Array(n), rotationAxis: [0, 0, 1] };
}
