/**
 * Shallow-water equations on the rotating sphere, finite volume on the Voronoi dual of an
 * icosahedral mesh, collocated (all unknowns at cell centres), NICAM-style (Tomita et al. 2001)
 * with a 3D Cartesian velocity kept tangent to the sphere.
 *
 *   ∂h/∂t = −∇·(h u)                                  (flux form on control volumes)
 *   ∂u/∂t = −(ζ + f) r̂ × u − ∇(g (h + b) + |u|²/2)     (vector-invariant form)
 *
 * h: fluid depth (m), b: topography (m), u: velocity (m/s, a 3-vector tangent to the sphere),
 * ζ = r̂·∇×u relative vorticity, f = 2 Ω·r̂ the Coriolis parameter (the rotation axis may be
 * tilted, so Williamson's rotated cases need no rotated grid).
 *
 * Discretisation on cell i of area A_i, Voronoi edges e with normal n_e, tangent t_e, length l_e:
 *   mass:      dh_i/dt = −(1/A_i) Σ_e l_e ⟨h u⟩_e · n_e            (exactly conservative)
 *   gradient:  ∇φ_i   = P_i (1/A_i) Σ_e l_e (⟨φ⟩_e − φ_i) n_e       (Green–Gauss, P_i = tangent projector)
 *   vorticity: ζ_i    = (1/A_i) Σ_e l_e ⟨u⟩_e · t_e                  (Stokes)
 * where ⟨·⟩_e is the mean of the two circumcentre values, each interpolated linearly from its
 * triangle. Optional ∇⁴ hyperdiffusion (coefficient ν4, m⁴ s⁻¹) with the conservative
 * two-point Laplacian (1/A_i) Σ_e (l_e/d_e)(φ_j − φ_i) damps the grid-scale noise a
 * collocated scheme cannot otherwise remove. Time stepping: classical RK4.
 *
 * Every hot loop works on preallocated Float64Arrays: no allocation per step.
 */
import { SimulationError, ValueError } from '../../util/errors.js';
import type { VoronoiGeometry } from './voronoi.js';
import { EARTH_OMEGA, GRAVITY } from './units.js';

/** Prognostic state on the cells. */
export interface SweState {
  /** [numCells] fluid depth (m). */
  readonly h: Float64Array;
  /** [numCells, 3] velocity (m/s), tangent to the sphere. */
  readonly u: Float64Array;
  /** Simulated time (s). */
  time: number;
  /** Steps taken. */
  steps: number;
  /** Set when a non-finite or non-positive depth appears (the step loop never throws). */
  blownUp: boolean;
}

export interface SweOptions {
  /** [numCells] topography b (m); default flat. */
  readonly topography?: Float64Array;
  /** Rotation vector direction (unit); default +z. f = 2Ω (axis · r̂). */
  readonly rotationAxis?: readonly [number, number, number];
  /** Ω (s⁻¹), default 7.292e-5. */
  readonly omega?: number;
  /** g (m s⁻²), default 9.80616. */
  readonly gravity?: number;
  /** ∇⁴ hyperdiffusion coefficient ν4 (m⁴ s⁻¹), default 0. */
  readonly nu4?: number;
  /**
   * Depth on the edges in the mass flux: 'upwind' (default) — the upwind cell's linear
   * reconstruction h_i + ∇h_i·(x_e − x_i), a second-order upwind-biased (MUSCL without limiter)
   * flux whose dissipation acts on grid-scale noise only; 'centred' — mean of the two
   * circumcentre values (no dissipation, dispersive for sharp fields such as TC1's bell).
   */
  readonly massFlux?: 'upwind' | 'centred';
  /** Advection only (Williamson TC1): u is prescribed and frozen, only h evolves. */
  readonly advectionOnly?: boolean;
}

export class ShallowWaterSolver {
  readonly geo: VoronoiGeometry;
  /** [numCells] topography (m). */
  readonly b: Float64Array;
  /** [numCells] Coriolis parameter (s⁻¹). */
  readonly f: Float64Array;
  readonly g: number;
  readonly nu4: number;
  readonly advectionOnly: boolean;
  readonly upwind: boolean;
  // work buffers
  private readonly gh: Float64Array;
  private readonly hT: Float64Array; private readonly uT: Float64Array; private readonly phiT: Float64Array;
  private readonly phi: Float64Array; private readonly zeta: Float64Array; private readonly lap: Float64Array;
  private readonly kh: Float64Array; private readonly ku: Float64Array;
  private readonly ah: Float64Array; private readonly au: Float64Array;
  private readonly th: Float64Array; private readonly tu: Float64Array;
  /** per-edge l_e / d_e */
  private readonly lapW: Float64Array;

  constructor(geo: VoronoiGeometry, opts: SweOptions = {}) {
    const n = geo.numCells;
    this.geo = geo;
    if (opts.topography && opts.topography.length !== n) throw new ValueError('topography', `a Float64Array of length ${n}`, `length ${opts.topography.length}`);
    this.b = opts.topography ?? new Float64Array(n);
    this.g = opts.gravity ?? GRAVITY;
    this.nu4 = opts.nu4 ?? 0;
    this.advectionOnly = opts.advectionOnly ?? false;
    this.upwind = (opts.massFlux ?? 'upwind') === 'upwind';
    this.gh = new Float64Array(3 * n);
    const om = opts.omega ?? EARTH_OMEGA;
    const ax = opts.rotationAxis ?? [0, 0, 1];
    this.f = new Float64Array(n);
    const c = geo.centres;
    for (let i = 0; i < n; i++) this.f[i] = 2 * om * (ax[0] * c[3 * i] + ax[1] * c[3 * i + 1] + ax[2] * c[3 * i + 2]);
    const nt = geo.numTriangles;
    this.hT = new Float64Array(nt); this.uT = new Float64Array(3 * nt); this.phiT = new Float64Array(nt);
    this.phi = new Float64Array(n); this.zeta = new Float64Array(n); this.lap = new Float64Array(4 * n);
    this.kh = new Float64Array(n); this.ku = new Float64Array(3 * n);
    this.ah = new Float64Array(n); this.au = new Float64Array(3 * n);
    this.th = new Float64Array(n); this.tu = new Float64Array(3 * n);
    this.lapW = new Float64Array(geo.numEdges);
    for (let e = 0; e < geo.numEdges; e++) this.lapW[e] = geo.edgeLength[e] / geo.edgeDistance[e];
  }

  /** A state from depth [numCells] and velocity [numCells, 3] (copied; u projected tangent). */
  init(h: ArrayLike<number>, u: ArrayLike<number>, time = 0): SweState {
    const n = this.geo.numCells;
    if (h.length !== n) throw new ValueError('h', `length ${n}`, `length ${h.length}`);
    if (u.length !== 3 * n) throw new ValueError('u', `length ${3 * n} ([numCells, 3])`, `length ${u.length}`);
    const s: SweState = { h: Float64Array.from(h), u: Float64Array.from(u), time, steps: 0, blownUp: false };
    this.projectTangent(s.u);
    return s;
  }

  /** Removes the radial component of a [numCells, 3] vector field in place. */
  projectTangent(u: Float64Array): void {
    const c = this.geo.centres;
    for (let i = 0; i < this.geo.numCells; i++) {
      const d = u[3 * i] * c[3 * i] + u[3 * i + 1] * c[3 * i + 1] + u[3 * i + 2] * c[3 * i + 2];
      u[3 * i] -= d * c[3 * i]; u[3 * i + 1] -= d * c[3 * i + 1]; u[3 * i + 2] -= d * c[3 * i + 2];
    }
  }

  /**
   * Tendencies dh/dt [numCells] and du/dt [numCells, 3] of (h, u), written into dh, du.
   */
  rhs(h: Float64Array, u: Float64Array, dh: Float64Array, du: Float64Array): void {
    const geo = this.geo, n = geo.numCells, nt = geo.numTriangles, ne = geo.numEdges;
    const { triangles: tri, triWeights: w, edgeCells: ec, edgeTris: et, edgeNormal: en, edgeTangent: etg, edgeLength: el, areas, centres: c } = geo;
    const { hT, uT, phiT, phi, zeta, b, f, g } = this;
    const mom = !this.advectionOnly;
    if (mom) for (let i = 0; i < n; i++) {
      const ux = u[3 * i], uy = u[3 * i + 1], uz = u[3 * i + 2];
      phi[i] = g * (h[i] + b[i]) + 0.5 * (ux * ux + uy * uy + uz * uz);
    }
    for (let t = 0; t < nt; t++) {
      const a0 = tri[3 * t], a1 = tri[3 * t + 1], a2 = tri[3 * t + 2];
      const w0 = w[3 * t], w1 = w[3 * t + 1], w2 = w[3 * t + 2];
      hT[t] = w0 * h[a0] + w1 * h[a1] + w2 * h[a2];
      uT[3 * t] = w0 * u[3 * a0] + w1 * u[3 * a1] + w2 * u[3 * a2];
      uT[3 * t + 1] = w0 * u[3 * a0 + 1] + w1 * u[3 * a1 + 1] + w2 * u[3 * a2 + 1];
      uT[3 * t + 2] = w0 * u[3 * a0 + 2] + w1 * u[3 * a1 + 2] + w2 * u[3 * a2 + 2];
      if (mom) phiT[t] = w0 * phi[a0] + w1 * phi[a1] + w2 * phi[a2];
    }
    const upw = this.upwind, gh = this.gh, em = geo.edgeMidpoint, a = geo.radius;
    if (upw) {
      // ∇h at cells (Green–Gauss, tangent-projected), in m⁻¹·m = dimensionless per unit a
      gh.fill(0);
      for (let e = 0; e < ne; e++) {
        const i = ec[2 * e], j = ec[2 * e + 1];
        const he = 0.5 * (hT[et[2 * e]] + hT[et[2 * e + 1]]), l = el[e];
        const gi = l * (he - h[i]), gj = l * (he - h[j]);
        gh[3 * i] += gi * en[3 * e]; gh[3 * i + 1] += gi * en[3 * e + 1]; gh[3 * i + 2] += gi * en[3 * e + 2];
        gh[3 * j] -= gj * en[3 * e]; gh[3 * j + 1] -= gj * en[3 * e + 1]; gh[3 * j + 2] -= gj * en[3 * e + 2];
      }
      for (let i = 0; i < n; i++) {
        const s = a / areas[i], rx = c[3 * i], ry = c[3 * i + 1], rz = c[3 * i + 2];
        let x = gh[3 * i] * s, y = gh[3 * i + 1] * s, z = gh[3 * i + 2] * s;
        const d = x * rx + y * ry + z * rz;
        x -= d * rx; y -= d * ry; z -= d * rz;
        gh[3 * i] = x; gh[3 * i + 1] = y; gh[3 * i + 2] = z;
      }
    }
    dh.fill(0);
    du.fill(0);
    zeta.fill(0);
    for (let e = 0; e < ne; e++) {
      const i = ec[2 * e], j = ec[2 * e + 1], t1 = et[2 * e], t2 = et[2 * e + 1];
      const nx = en[3 * e], ny = en[3 * e + 1], nz = en[3 * e + 2], l = el[e];
      const un1 = uT[3 * t1] * nx + uT[3 * t1 + 1] * ny + uT[3 * t1 + 2] * nz;
      const un2 = uT[3 * t2] * nx + uT[3 * t2 + 1] * ny + uT[3 * t2 + 2] * nz;
      let F: number;
      if (upw) {
        const un = 0.5 * (un1 + un2);
        const k = un >= 0 ? i : j; // upwind cell
        const hk = h[k] + gh[3 * k] * (em[3 * e] - c[3 * k]) + gh[3 * k + 1] * (em[3 * e + 1] - c[3 * k + 1]) + gh[3 * k + 2] * (em[3 * e + 2] - c[3 * k + 2]);
        F = l * un * hk;
      } else {
        F = 0.5 * l * (hT[t1] * un1 + hT[t2] * un2);
      }
      dh[i] -= F;
      dh[j] += F;
      if (mom) {
        const pe = 0.5 * (phiT[t1] + phiT[t2]);
        const gi = l * (pe - phi[i]), gj = l * (pe - phi[j]);
        du[3 * i] += gi * nx; du[3 * i + 1] += gi * ny; du[3 * i + 2] += gi * nz;
        du[3 * j] -= gj * nx; du[3 * j + 1] -= gj * ny; du[3 * j + 2] -= gj * nz;
        const circ = 0.5 * l * ((uT[3 * t1] + uT[3 * t2]) * etg[3 * e] + (uT[3 * t1 + 1] + uT[3 * t2 + 1]) * etg[3 * e + 1] + (uT[3 * t1 + 2] + uT[3 * t2 + 2]) * etg[3 * e + 2]);
        zeta[i] += circ;
        zeta[j] -= circ;
      }
    }
    for (let i = 0; i < n; i++) {
      const ia = 1 / areas[i];
      dh[i] *= ia;
      if (!mom) continue;
      const rx = c[3 * i], ry = c[3 * i + 1], rz = c[3 * i + 2];
      const q = zeta[i] * ia + f[i];
      const ux = u[3 * i], uy = u[3 * i + 1], uz = u[3 * i + 2];
      // −(ζ+f) r̂×u − ∇Φ
      let ax = -q * (ry * uz - rz * uy) - du[3 * i] * ia;
      let ay = -q * (rz * ux - rx * uz) - du[3 * i + 1] * ia;
      let az = -q * (rx * uy - ry * ux) - du[3 * i + 2] * ia;
      const d = ax * rx + ay * ry + az * rz;
      ax -= d * rx; ay -= d * ry; az -= d * rz;
      du[3 * i] = ax; du[3 * i + 1] = ay; du[3 * i + 2] = az;
    }
    if (this.nu4 > 0) this.addHyperdiffusion(h, u, dh, du);
  }

  /** Relative vorticity ζ [numCells] (s⁻¹) of a velocity field (Stokes on each cell). */
  vorticity(u: Float64Array, out = new Float64Array(this.geo.numCells)): Float64Array {
    const geo = this.geo;
    const { triangles: tri, triWeights: w, edgeCells: ec, edgeTris: et, edgeTangent: etg, edgeLength: el, areas } = geo;
    const uT = this.uT;
    for (let t = 0; t < geo.numTriangles; t++) for (let d = 0; d < 3; d++) {
      uT[3 * t + d] = w[3 * t] * u[3 * tri[3 * t] + d] + w[3 * t + 1] * u[3 * tri[3 * t + 1] + d] + w[3 * t + 2] * u[3 * tri[3 * t + 2] + d];
    }
    out.fill(0);
    for (let e = 0; e < geo.numEdges; e++) {
      const t1 = et[2 * e], t2 = et[2 * e + 1];
      let s = 0;
      for (let d = 0; d < 3; d++) s += (uT[3 * t1 + d] + uT[3 * t2 + d]) * etg[3 * e + d];
      out[ec[2 * e]] += 0.5 * el[e] * s;
      out[ec[2 * e + 1]] -= 0.5 * el[e] * s;
    }
    for (let i = 0; i < geo.numCells; i++) out[i] /= areas[i];
    return out;
  }

  /** dh −= ν4 L²h, du −= ν4 P L²u (L: two-point Laplacian, conservative for h). */
  private addHyperdiffusion(h: Float64Array, u: Float64Array, dh: Float64Array, du: Float64Array): void {
    const geo = this.geo, n = geo.numCells, ec = geo.edgeCells, W = this.lapW, A = geo.areas, lap = this.lap;
    const momentum = !this.advectionOnly;
    // pass 1: lap[4i..4i+3] = L(h, ux, uy, uz)
    lap.fill(0);
    for (let e = 0; e < geo.numEdges; e++) {
      const i = ec[2 * e], j = ec[2 * e + 1], wv = W[e];
      const dH = wv * (h[j] - h[i]);
      lap[4 * i] += dH; lap[4 * j] -= dH;
      if (momentum) for (let d = 0; d < 3; d++) {
        const x = wv * (u[3 * j + d] - u[3 * i + d]);
        lap[4 * i + 1 + d] += x; lap[4 * j + 1 + d] -= x;
      }
    }
    for (let i = 0; i < n; i++) { const ia = 1 / A[i]; for (let d = 0; d < 4; d++) lap[4 * i + d] *= ia; }
    // pass 2: accumulate −ν4 L(lap) (fluxes antisymmetric: Σ A_i dh_i unchanged)
    const nu = this.nu4;
    for (let e = 0; e < geo.numEdges; e++) {
      const i = ec[2 * e], j = ec[2 * e + 1], wv = nu * W[e];
      const dH = wv * (lap[4 * j] - lap[4 * i]);
      dh[i] -= dH / A[i]; dh[j] += dH / A[j];
      if (momentum) for (let d = 0; d < 3; d++) {
        const x = wv * (lap[4 * j + 1 + d] - lap[4 * i + 1 + d]);
        du[3 * i + d] -= x / A[i]; du[3 * j + d] += x / A[j];
      }
    }
    if (momentum) this.projectTangent(du);
  }

  /** Advances `s` by one RK4 step of `dt` seconds, in place. Sets `s.blownUp` on NaN / h ≤ 0. */
  stepInPlace(s: SweState, dt: number): void {
    const n = this.geo.numCells;
    const { kh, ku, ah, au, th, tu } = this;
    const h = s.h, u = s.u;
    const stage = (coef: number, weight: number, last: boolean): void => {
      // acc += weight·k ; tmp = y + coef·k
      for (let i = 0; i < n; i++) { ah[i] += weight * kh[i]; if (!last) th[i] = h[i] + coef * kh[i]; }
      if (!this.advectionOnly) for (let k = 0; k < 3 * n; k++) { au[k] += weight * ku[k]; if (!last) tu[k] = u[k] + coef * ku[k]; }
    };
    ah.fill(0); au.fill(0);
    this.rhs(h, u, kh, ku);
    stage(dt / 2, 1, false);
    this.rhs(th, this.advectionOnly ? u : tu, kh, ku);
    stage(dt / 2, 2, false);
    this.rhs(th, this.advectionOnly ? u : tu, kh, ku);
    stage(dt, 2, false);
    this.rhs(th, this.advectionOnly ? u : tu, kh, ku);
    stage(0, 1, true);
    let bad = false;
    for (let i = 0; i < n; i++) {
      h[i] += (dt / 6) * ah[i];
      if (!(h[i] > 0) && !this.advectionOnly) bad = true;
      if (!Number.isFinite(h[i])) bad = true;
    }
    if (!this.advectionOnly) {
      for (let k = 0; k < 3 * n; k++) u[k] += (dt / 6) * au[k];
      this.projectTangent(u);
    }
    s.time += dt;
    s.steps++;
    if (bad) s.blownUp = true;
  }

  /** Runs `nSteps` steps in place; throws SimulationError (at the boundary) if the state blew up. */
  run(s: SweState, dt: number, nSteps: number, onStep?: (s: SweState) => void): SweState {
    for (let k = 0; k < nSteps; k++) {
      this.stepInPlace(s, dt);
      if (s.blownUp) throw new SimulationError(`shallow-water state blew up (non-finite or non-positive depth) at t = ${(s.time / 86400).toFixed(3)} days, step ${s.steps}; reduce dt or raise nu4`);
      onStep?.(s);
    }
    return s;
  }

  /** A stable RK4 time step (s) for this state: cfl · min d_e / (max |u| + √(g max h)). */
  stableDt(s: SweState, cfl = 0.8): number {
    let umax = 0, hmax = 0;
    for (let i = 0; i < this.geo.numCells; i++) {
      umax = Math.max(umax, Math.hypot(s.u[3 * i], s.u[3 * i + 1], s.u[3 * i + 2]));
      hmax = Math.max(hmax, s.h[i]);
    }
    let dmin = Infinity;
    for (const d of this.geo.edgeDistance) dmin = Math.min(dmin, d);
    const speed = this.advectionOnly ? umax : umax + Math.sqrt(this.g * hmax);
    return (cfl * dmin) / speed;
  }
}
