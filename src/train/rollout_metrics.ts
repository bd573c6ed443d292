/**
 * Conservation drift as a standard rollout metric, for the three domains, plus the error
 * series every rollout reports. Pure functions over host arrays (one frame per time step);
 * sums in Float64. Every rollout (model and reference) reports these over time:
 *
 * - particles: total momentum P(t) = Σ_i m_i v_i, drift |P(t) − P(0)|, relative to Σ m|v|(0);
 * - fluid: kinetic energy KE(t) = ½ Σ_i M_i |u_i|² (M_i lumped mass = dual cell area) and the
 *   area-weighted RMS of the P1 nodal divergence (D u)_i / M_i over the constrained nodes;
 * - sphere (shallow water): total mass M(t) = Σ A_i h_i and total energy
 *   E(t) = Σ A_i (½ h_i |u_i|² + ½ g ((h_i + b_i)² − b_i²))  (Williamson et al. 1992),
 *   with relative drifts (q(t) − q(0)) / |q(0)|.
 *
 * Shapes: frames are flat row-major arrays: velocities `[N*D]`, depth `[N]`, masses/areas `[N]`.
 */
import { type P1Operators, rmsDivergence } from '../models/constraints/p1.js';
import { ShapeError } from '../util/errors.js';

/** A named quantity over the rollout and its drift from the first frame. */
export interface ConservationSeries {
  readonly name: string;
  /** [T] the quantity per frame. */
  readonly values: number[];
  /** [T] (q(t) − q(0)) / scale: relative drift (scale = |q(0)|, or the given reference scale). */
  readonly drift: number[];
  /** max_t |drift(t)|. */
  readonly maxAbsDrift: number;
}

/** Relative drift series of a scalar quantity; `scale` defaults to |q(0)| (1 if that is 0). */
export function driftSeries(name: string, values: number[], scale?: number): ConservationSeries {
  const q0 = values.length > 0 ? values[0] : 0;
  const s = scale ?? (Math.abs(q0) > 0 ? Math.abs(q0) : 1);
  const drift = values.map((q) => (q - q0) / s);
  return { name, values, drift, maxAbsDrift: drift.reduce((m, d) => Math.max(m, Math.abs(d)), 0) };
}

/** Σ_i m_i v_i `[D]` (masses default to 1). */
export function totalMomentum(v: ArrayLike<number>, dim: number, masses?: ArrayLike<number>): Float64Array {
  if (v.length % dim !== 0) throw new ShapeError('v', `a flat [N*${dim}] array`, `length ${v.length}`);
  const N = v.length / dim;
  if (masses && masses.length !== N) throw new ShapeError('masses', `length ${N}`, `length ${masses.length}`);
  const p = new Float64Array(dim);
  for (let i = 0; i < N; i++) {
    const m = masses ? masses[i] : 1;
    for (let d = 0; d < dim; d++) p[d] += m * v[i * dim + d];
  }
  return p;
}

/**
 * Momentum drift over a particle rollout: |P(t) − P(0)| / Σ_i m_i |v_i(0)|.
 * @param frames velocities per frame `[N*D]`.
 */
export function momentumDrift(frames: readonly ArrayLike<number>[], dim: number, masses?: ArrayLike<number>): ConservationSeries {
  if (frames.length === 0) return driftSeries('momentum', []);
  const p0 = totalMomentum(frames[0], dim, masses);
  let scale = 0;
  const v0 = frames[0];
  for (let i = 0; i < v0.length / dim; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v0[i * dim + d] ** 2;
    scale += (masses ? masses[i] : 1) * Math.sqrt(s);
  }
  if (!(scale > 0)) scale = 1;
  const values: number[] = [];
  const drift: number[] = [];
  for (const f of frames) {
    const p = totalMomentum(f, dim, masses);
    let d2 = 0;
    for (let d = 0; d < dim; d++) d2 += (p[d] - p0[d]) ** 2;
    values.push(Math.hypot(...p));
    drift.push(Math.sqrt(d2) / scale);
  }
  return { name: 'momentum', values, drift, maxAbsDrift: drift.reduce((m, x) => Math.max(m, x), 0) };
}

/** ½ Σ_i M_i |u_i|² of a 2D nodal velocity `[N*2]` on a P1 mesh. */
export function fluidKineticEnergy(ops: P1Operators, u: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < ops.numNodes; i++) e += 0.5 * ops.lumpedMass[i] * (u[2 * i] ** 2 + u[2 * i + 1] ** 2);
  return e;
}

/** Fluid conservation series: kinetic energy (drift vs the first frame) and RMS divergence. */
export interface FluidConservation {
  readonly kineticEnergy: ConservationSeries;
  /** [T] area-weighted RMS of (D u)_i / M_i over the constrained nodes. */
  readonly rmsDivergence: number[];
}

/**
 * KE and divergence per frame. `constrained` `[N]` marks nodes whose divergence counts
 * (default: nodes that are not Dirichlet or outflow — pass the solver's mask).
 */
export function fluidConservation(ops: P1Operators, frames: readonly ArrayLike<number>[], constrained?: Uint8Array): FluidConservation {
  const ke = frames.map((u) => fluidKineticEnergy(ops, u));
  const div = frames.map((u) => rmsDivergence(ops, u, constrained));
  return { kineticEnergy: driftSeries('kineticEnergy', ke), rmsDivergence: div };
}

/** Options of {@link sphereConservation}. */
export interface SphereConservationOptions {
  /** [N] cell areas. */
  readonly areas: ArrayLike<number>;
  /** Gravity g (same units as the solver). */
  readonly g: number;
  /** [N] bottom topography b (default 0). */
  readonly topography?: ArrayLike<number>;
  /** Velocity components per node (3 for Cartesian tangent vectors, 2 for (u, v)). */
  readonly velocityDim: number;
}

/** Shallow-water mass and energy per frame, with relative drifts. */
export function sphereConservation(
  h: readonly ArrayLike<number>[],
  u: readonly ArrayLike<number>[],
  o: SphereConservationOptions,
): { mass: ConservationSeries; energy: ConservationSeries } {
  if (h.length !== u.length) throw new ShapeError('u', `${h.length} frames (as h)`, `${u.length} frames`);
  const N = o.areas.length;
  const D = o.velocityDim;
  const mass: number[] = [];
  const energy: number[] = [];
  for (let t = 0; t < h.length; t++) {
    const ht = h[t], ut = u[t];
    if (ht.length !== N || ut.length !== N * D) throw new ShapeError(`frame ${t}`, `h [${N}] and u [${N * D}]`, `[${ht.length}], [${ut.length}]`);
    let m = 0, e = 0;
    for (let i = 0; i < N; i++) {
      const b = o.topography ? o.topography[i] : 0;
      let u2 = 0;
      for (let d = 0; d < D; d++) u2 += ut[i * D + d] ** 2;
      m += o.areas[i] * ht[i];
      e += o.areas[i] * (0.5 * ht[i] * u2 + 0.5 * o.g * ((ht[i] + b) ** 2 - b * b));
    }
    mass.push(m);
    energy.push(e);
  }
  return { mass: driftSeries('mass', mass), energy: driftSeries('energy', energy) };
}

/**
 * RMSE per frame between predicted and reference frames over the rows where `mask` is 1:
 * sqrt(mean over masked rows and components of (p − r)²).
 */
export function rmseSeries(pred: readonly ArrayLike<number>[], ref: readonly ArrayLike<number>[], width: number, mask?: ArrayLike<number>): number[] {
  if (pred.length !== ref.length) throw new ShapeError('ref', `${pred.length} frames (as pred)`, `${ref.length} frames`);
  return pred.map((p, t) => {
    const r = ref[t];
    if (p.length !== r.length) throw new ShapeError(`ref[${t}]`, `length ${p.length}`, `length ${r.length}`);
    let s = 0, n = 0;
    for (let i = 0; i < p.length / width; i++) {
      if (mask && !mask[i]) continue;
      for (let c = 0; c < width; c++) s += (p[i * width + c] - r[i * width + c]) ** 2;
      n += width;
    }
    return n > 0 ? Math.sqrt(s / n) : 0;
  });
}

/** RMSE over frames 1..k (inclusive) of a series of per-frame squared means (MeshGraphNets' rollout-k). */
export function rolloutRmse(pred: readonly ArrayLike<number>[], ref: readonly ArrayLike<number>[], width: number, upTo: number, mask?: ArrayLike<number>): number {
  const k = Math.min(upTo, pred.length - 1);
  const per = rmseSeries(pred.slice(1, k + 1), ref.slice(1, k + 1), width, mask);
  if (per.length === 0) return 0;
  return Math.sqrt(per.reduce((s, x) => s + x * x, 0) / per.length);
}
