/**
 * Integrators as `{init, step}` over plain typed-array state (after JAX-MD's `simulate.py`).
 *
 * ```
 *   velocityVerlet (NVE):   v ← v + ½ dt F/m;  x ← shift(x, dt v);  F ← F(x);  v ← v + ½ dt F/m
 *   langevin (NVT, BAOAB, Leimkuhler & Matthews 2013):
 *       B: v ← v + ½ dt F/m      A: x ← x + ½ dt v
 *       O: v ← c₁ v + √((1 − c₁²) kT/m) ξ,   c₁ = exp(−γ dt),  ξ ~ N(0, 1)
 *       A: x ← x + ½ dt v        F ← F(x)     B: v ← v + ½ dt F/m
 *   kickDrift (symplectic Euler, as in the EGNN N-body generator):
 *       F ← F(x);  v ← v + dt F/m;  x ← x + dt v
 * ```
 * `step` updates the state's arrays *in place* and returns the same object (hot loops write
 * into their buffers; copy the arrays to keep a frame). Positions are wrapped by the space's
 * `shift` in periodic boxes. Units: reduced (mass m, energy ε, length σ, time σ√(m/ε), k_B = 1).
 */
import type { Rng } from '../../engine/rng.js';
import type { Space } from '../../geometry/space.js';
import { ShapeError, ValueError, describe } from '../../util/errors.js';

/** Potential energy and virial W = Σ_pairs r_ij·F_ij of one force evaluation. */
export interface ForceResult {
  energy: number;
  virial: number;
}

/** A force field: writes forces `[N*dim]` into `forces` (overwriting) and returns energy/virial. */
export interface ForceField {
  compute(positions: Float64Array, forces: Float64Array): ForceResult;
}

/** MD state (arrays updated in place by `step`). */
export interface MDState {
  /** [N*dim] positions (wrapped into the box for periodic spaces). */
  readonly positions: Float64Array;
  /** [N*dim] velocities. */
  readonly velocities: Float64Array;
  /** [N*dim] forces at `positions`. */
  readonly forces: Float64Array;
  /** [N] masses. */
  readonly masses: Float64Array;
  readonly dim: number;
  /** Steps taken. */
  step: number;
  /** Potential energy at `positions`. */
  potentialEnergy: number;
  /** Virial W at `positions`. */
  virial: number;
}

export interface Integrator {
  /** Copies the inputs into a fresh state and evaluates the forces. `masses` default 1. */
  init(positions: Float64Array, velocities: Float64Array, masses?: Float64Array | number): MDState;
  /** Advances one time step in place. */
  step(state: MDState): MDState;
  readonly dt: number;
}

function makeState(space: Space, force: ForceField, R: Float64Array, V: Float64Array, m: Float64Array | number | undefined): MDState {
  const dim = space.dim;
  if (R.length % dim !== 0) throw new ShapeError('positions', `a flat array of length N*${dim}`, describe(R));
  if (V.length !== R.length) throw new ShapeError('velocities', `an array of length ${R.length} (same as positions)`, describe(V));
  const N = R.length / dim;
  const masses = typeof m === 'object' ? Float64Array.from(m) : new Float64Array(N).fill(m ?? 1);
  if (masses.length !== N) throw new ShapeError('masses', `an array of length ${N}`, describe(masses));
  for (let i = 0; i < N; i++) if (!(masses[i] > 0)) throw new ValueError(`masses[${i}]`, 'a mass > 0', String(masses[i]));
  const positions = space.wrap(R);
  const forces = new Float64Array(R.length);
  const r = force.compute(positions, forces);
  return { positions, velocities: Float64Array.from(V), forces, masses, dim, step: 0, potentialEnergy: r.energy, virial: r.virial };
}

function checkDt(dt: number): void {
  if (!(dt > 0) || !Number.isFinite(dt)) throw new ValueError('dt', 'a finite time step > 0', String(dt));
}

/** Half kick v += ½ dt F/m (or a full kick with `scale` = dt). */
function kick(s: MDState, scale: number): void {
  const { velocities: v, forces: f, masses: m, dim } = s;
  const N = m.length;
  for (let i = 0; i < N; i++) {
    const a = scale / m[i];
    for (let k = 0; k < dim; k++) v[i * dim + k] += a * f[i * dim + k];
  }
}

/** Drift x ← shift(x, h v), wrapping in periodic boxes. */
function drift(space: Space, s: MDState, h: number, scratch: Float64Array): void {
  const { positions: x, velocities: v } = s;
  for (let i = 0; i < x.length; i++) scratch[i] = h * v[i];
  space.shift(x, scratch, x);
}

/** Velocity Verlet (NVE), time-reversible and symplectic; error O(dt²). */
export function velocityVerlet(opts: { force: ForceField; space: Space; dt: number }): Integrator {
  const { force, space, dt } = opts;
  checkDt(dt);
  let scratch = new Float64Array(0);
  return {
    dt,
    init: (R, V, m) => makeState(space, force, R, V, m),
    step(s) {
      if (scratch.length !== s.positions.length) scratch = new Float64Array(s.positions.length);
      kick(s, 0.5 * dt);
      drift(space, s, dt, scratch);
      const r = force.compute(s.positions, s.forces);
      s.potentialEnergy = r.energy;
      s.virial = r.virial;
      kick(s, 0.5 * dt);
      s.step++;
      return s;
    },
  };
}

/**
 * Langevin dynamics (NVT) with the BAOAB splitting: samples the canonical distribution at
 * `temperature` (k_B T in energy units) with friction `gamma` (1/time). Uses `rng` for the
 * noise (one normal per degree of freedom per step).
 */
export function langevin(opts: { force: ForceField; space: Space; dt: number; temperature: number; gamma: number; rng: Rng }): Integrator {
  const { force, space, dt, temperature, gamma, rng } = opts;
  checkDt(dt);
  if (!(temperature >= 0)) throw new ValueError('temperature', 'a number >= 0', String(temperature));
  if (!(gamma > 0)) throw new ValueError('gamma', 'a friction > 0', String(gamma));
  const c1 = Math.exp(-gamma * dt);
  const c2 = Math.sqrt(1 - c1 * c1);
  let scratch = new Float64Array(0);
  return {
    dt,
    init: (R, V, m) => makeState(space, force, R, V, m),
    step(s) {
      if (scratch.length !== s.positions.length) scratch = new Float64Array(s.positions.length);
      const { velocities: v, masses: m, dim } = s;
      kick(s, 0.5 * dt);
      drift(space, s, 0.5 * dt, scratch);
      for (let i = 0; i < m.length; i++) {
        const sd = c2 * Math.sqrt(temperature / m[i]);
        for (let k = 0; k < dim; k++) v[i * dim + k] = c1 * v[i * dim + k] + sd * rng.normal();
      }
      drift(space, s, 0.5 * dt, scratch);
      const r = force.compute(s.positions, s.forces);
      s.potentialEnergy = r.energy;
      s.virial = r.virial;
      kick(s, 0.5 * dt);
      s.step++;
      return s;
    },
  };
}

/**
 * Kick-drift (symplectic Euler): forces at the current positions, then v ← v + dt F/m,
 * x ← x + dt v. After a step, `forces` and `potentialEnergy` belong to the positions
 * *before* the drift (as in the EGNN N-body protocol).
 */
export function kickDrift(opts: { force: ForceField; space: Space; dt: number }): Integrator {
  const { force, space, dt } = opts;
  checkDt(dt);
  let scratch = new Float64Array(0);
  return {
    dt,
    init: (R, V, m) => makeState(space, force, R, V, m),
    step(s) {
      if (scratch.length !== s.positions.length) scratch = new Float64Array(s.positions.length);
      const r = force.compute(s.positions, s.forces);
      s.potentialEnergy = r.energy;
      s.virial = r.virial;
      kick(s, dt);
      drift(space, s, dt, scratch);
      s.step++;
      return s;
    },
  };
}
