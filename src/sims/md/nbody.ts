/**
 * The charged-particle N-body system of the EGNN paper (Satorras, Hoogeboom & Welling 2021,
 * after Kipf et al.'s NRI "charged" system), reproducing the authors' generator
 * (vgsatorras/egnn, `n_body_system/dataset/synthetic_sim.py`, `ChargedParticlesSim`) step for
 * step, in plain Float64 loops.
 *
 * Protocol (all defaults of {@link NBODY_DEFAULTS}):
 * - `n = 5` particles in 3D, unit masses, charges q_i ∈ {−1, +1} with probability ½ each.
 * - Positions x_i ~ N(0, locStd²) per coordinate; velocities: a Gaussian direction scaled to
 *   speed `velNorm = 0.5` per particle. The initial state is reflected once into the box
 *   [−5, 5]³ (the reference's `_clamp`; almost never active for N(0, 1) positions).
 * - Force F_i = Σ_{j≠i} q_i q_j (x_i − x_j) / |x_i − x_j|³ (like charges repel), each
 *   component clipped to ±maxForce = ±100 (= 0.1 / dt).
 * - Kick-drift integration with dt = 0.001: first a kick v += dt F(x₀); then for steps
 *   i = 1 … T−1: drift x += dt v, save the frame if i % sampleEvery = 0, kick v += dt F(x).
 * - T = 5,000 steps, a frame every 100 steps: 49 saved frames, frame k taken at step
 *   100 (k + 1) (the reference overwrites its frame 0 with step 100, so the initial state is
 *   not among the frames). Saved velocities are those after the drift, before the kick.
 *
 * The EGNN benchmark uses frame 30 (positions, velocities, charges) as input and the
 * positions of frame 40 as the target (see `src/train/nbody_data.ts`).
 *
 * Units: dimensionless (the reference has none): lengths, times and charges are pure numbers.
 */
import { Rng } from '../../engine/rng.js';
import { ConfigError, SimulationError } from '../../util/errors.js';

/** Options of the charged N-body generator; every field has the protocol's default. */
export interface NBodyOptions {
  /** Number of particles (default 5). */
  readonly numParticles: number;
  /** Integration steps T (default 5,000); must be a multiple of `sampleEvery`. */
  readonly numSteps: number;
  /** Steps between saved frames (default 100). */
  readonly sampleEvery: number;
  /** Time step (default 0.001). */
  readonly dt: number;
  /** Standard deviation of the initial positions per coordinate (default 1). */
  readonly locStd: number;
  /** Initial speed of every particle (default 0.5). */
  readonly velNorm: number;
  /** Coupling constant of the Coulomb force (default 1). */
  readonly interactionStrength: number;
  /** Clip of each force component (default 100 = 0.1 / dt). */
  readonly maxForce: number;
  /** Half-width of the box the initial state is reflected into (default 5). */
  readonly boxSize: number;
  /** Probability of charge +1 (else −1; default 0.5). */
  readonly probPositive: number;
}

/** The EGNN paper's protocol. */
export const NBODY_DEFAULTS: NBodyOptions = Object.freeze({
  numParticles: 5,
  numSteps: 5000,
  sampleEvery: 100,
  dt: 0.001,
  locStd: 1,
  velNorm: 0.5,
  interactionStrength: 1,
  maxForce: 100,
  boxSize: 5,
  probPositive: 0.5,
});

/** Spatial dimension of the system (fixed: 3). */
export const NBODY_DIM = 3;

/** One trajectory of the charged system. */
export interface NBodyTrajectory {
  /** Saved frames: `numSteps / sampleEvery − 1` (49 for the protocol). */
  readonly numFrames: number;
  readonly numParticles: number;
  /** [numFrames, numParticles, 3] positions, frame k at step sampleEvery·(k+1). */
  readonly positions: Float64Array;
  /** [numFrames, numParticles, 3] velocities at the same instants. */
  readonly velocities: Float64Array;
  /** [numParticles] charges, ±1. */
  readonly charges: Float64Array;
}

/** Validates options against the protocol's constraints; returns the full frozen options. */
export function nbodyOptions(partial: Partial<NBodyOptions> = {}): NBodyOptions {
  const o: NBodyOptions = { ...NBODY_DEFAULTS, ...partial };
  const posInt = (k: keyof NBodyOptions, min: number): void => {
    const v = o[k];
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`nbody.${k}`, `an integer >= ${min}`, String(v));
  };
  const pos = (k: keyof NBodyOptions): void => {
    const v = o[k];
    if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`nbody.${k}`, 'a finite number > 0', String(v));
  };
  posInt('numParticles', 2);
  posInt('numSteps', 2);
  posInt('sampleEvery', 1);
  pos('dt');
  pos('locStd');
  pos('velNorm');
  pos('interactionStrength');
  pos('maxForce');
  pos('boxSize');
  if (!(o.probPositive >= 0 && o.probPositive <= 1)) throw new ConfigError('nbody.probPositive', 'a probability in [0, 1]', String(o.probPositive));
  if (o.numSteps % o.sampleEvery !== 0) {
    throw new ConfigError('nbody.numSteps', `a multiple of sampleEvery (${o.sampleEvery})`, String(o.numSteps));
  }
  if (o.numSteps / o.sampleEvery < 2) throw new ConfigError('nbody.numSteps', 'at least 2·sampleEvery (one saved frame)', String(o.numSteps));
  return Object.freeze(o);
}

/**
 * Coulomb forces with per-component clipping, written into `out`.
 * Shapes: x `[n, 3]`, q `[n]`, out `[n, 3]`.
 */
export function chargedForces(x: Float64Array, q: Float64Array, strength: number, maxForce: number, out: Float64Array): Float64Array {
  const n = q.length;
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
    let fx = 0, fy = 0, fz = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = xi - x[3 * j], dy = yi - x[3 * j + 1], dz = zi - x[3 * j + 2];
      const r2 = dx * dx + dy * dy + dz * dz;
      const s = (strength * q[i] * q[j]) / (r2 * Math.sqrt(r2));
      fx += s * dx;
      fy += s * dy;
      fz += s * dz;
    }
    out[3 * i] = fx > maxForce ? maxForce : fx < -maxForce ? -maxForce : fx;
    out[3 * i + 1] = fy > maxForce ? maxForce : fy < -maxForce ? -maxForce : fy;
    out[3 * i + 2] = fz > maxForce ? maxForce : fz < -maxForce ? -maxForce : fz;
  }
  return out;
}

/** Total energy ½Σ|v|² + Σ_{i<j} q_i q_j / r_ij (the reference's `_energy`). */
export function chargedEnergy(x: Float64Array, v: Float64Array, q: Float64Array, strength = 1): number {
  const n = q.length;
  let k = 0;
  for (let i = 0; i < 3 * n; i++) k += 0.5 * v[i] * v[i];
  let u = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
      u += (strength * q[i] * q[j]) / Math.sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return k + u;
}

/** Random initial state of the protocol: charges, positions, velocities (Float64). */
export function nbodyInitialState(rng: Rng, o: NBodyOptions): { x: Float64Array; v: Float64Array; q: Float64Array } {
  const n = o.numParticles;
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = rng.uniform() < o.probPositive ? 1 : -1;
  const x = new Float64Array(3 * n);
  for (let i = 0; i < 3 * n; i++) x[i] = rng.normal() * o.locStd;
  const v = new Float64Array(3 * n);
  for (let i = 0; i < 3 * n; i++) v[i] = rng.normal();
  for (let i = 0; i < n; i++) {
    const s = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
    for (let d = 0; d < 3; d++) v[3 * i + d] *= o.velNorm / s;
  }
  // The reference reflects the initial state into [−box, box]³ once.
  const b = o.boxSize;
  for (let i = 0; i < 3 * n; i++) {
    if (x[i] > b) {
      x[i] = 2 * b - x[i];
      v[i] = -Math.abs(v[i]);
    } else if (x[i] < -b) {
      x[i] = -2 * b - x[i];
      v[i] = Math.abs(v[i]);
    }
  }
  return { x, v, q };
}

/**
 * Simulates one trajectory of the charged system (kick-drift, see the file comment).
 * Throws {@link SimulationError} if a coordinate becomes non-finite.
 */
export function simulateCharged(rng: Rng, options: Partial<NBodyOptions> = {}): NBodyTrajectory {
  const o = nbodyOptions(options);
  const { x, v, q } = nbodyInitialState(rng, o);
  return integrateCharged(x, v, q, o);
}

/** Runs the kick-drift protocol from a given state (x, v are copied, not mutated). */
export function integrateCharged(x0: Float64Array, v0: Float64Array, q: Float64Array, o: NBodyOptions): NBodyTrajectory {
  const n = q.length;
  const x = Float64Array.from(x0);
  const v = Float64Array.from(v0);
  const numFrames = o.numSteps / o.sampleEvery - 1;
  const positions = new Float64Array(numFrames * n * 3);
  const velocities = new Float64Array(numFrames * n * 3);
  const f = new Float64Array(3 * n);
  const dt = o.dt;
  chargedForces(x, q, o.interactionStrength, o.maxForce, f);
  for (let k = 0; k < 3 * n; k++) v[k] += dt * f[k];
  let frame = 0;
  for (let step = 1; step < o.numSteps; step++) {
    for (let k = 0; k < 3 * n; k++) x[k] += dt * v[k];
    if (step % o.sampleEvery === 0) {
      positions.set(x, frame * 3 * n);
      velocities.set(v, frame * 3 * n);
      frame++;
    }
    chargedForces(x, q, o.interactionStrength, o.maxForce, f);
    for (let k = 0; k < 3 * n; k++) v[k] += dt * f[k];
  }
  for (let k = 0; k < positions.length; k++) {
    if (!Number.isFinite(positions[k])) throw new SimulationError(`nbody: non-finite position at frame ${Math.floor(k / (3 * n))}`);
  }
  return { numFrames, numParticles: n, positions, velocities, charges: Float64Array.from(q) };
}
