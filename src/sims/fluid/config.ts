/**
 * Config of `gnnwb simulate` kind `fluid-cylinder`: a set of CylinderFlow-like trajectories
 * with inflow speed, obstacle position and radius drawn per trajectory from seeded ranges.
 *
 * ```json
 * { "kind": "fluid-cylinder", "seed": 1, "trajectories": 3,
 *   "channel": { "length": 1.6, "height": 0.41 },
 *   "mesh": { "hMin": 0.012, "hMax": 0.04, "grading": 0.15 },
 *   "nu": 0.001, "dt": 0.0025, "saveEvery": 4, "frames": 300, "warmupSteps": 0,
 *   "rampTime": 0.1, "streamlineDiffusion": 1,
 *   "vary": { "uMax": [0.8, 1.5], "x": [0.15, 0.35], "y": [0.15, 0.26], "radius": [0.03, 0.06] } }
 * ```
 * Units: lengths in the channel's unit, time in the same unit / velocity unit, ρ = 1.
 */
import { Rng } from '../../engine/rng.js';
import { arr, num, obj, parseConfig, str, literal, type SchemaOut } from '../../config/schema.js';
import { ConfigError } from '../../util/errors.js';
import type { CylinderCase } from './cylinder.js';

const range = (min: number, max: number) => arr(num({ min, max }), { minLength: 2, maxLength: 2 });

export const fluidCylinderSchema = obj({
  kind: literal('fluid-cylinder'),
  seed: num({ integer: true, min: 0, default: 1 }),
  trajectories: num({ integer: true, min: 1, max: 10000, default: 3 }),
  channel: obj({ length: num({ min: 0, exclusiveMin: true, default: 1.6 }), height: num({ min: 0, exclusiveMin: true, default: 0.41 }) }, { default: {} }),
  mesh: obj({
    hMin: num({ min: 0, exclusiveMin: true, default: 0.012 }),
    hMax: num({ min: 0, exclusiveMin: true, default: 0.04 }),
    grading: num({ min: 0, exclusiveMin: true, max: 1, default: 0.15 }),
  }, { default: {} }),
  nu: num({ min: 0, exclusiveMin: true, default: 1e-3 }),
  dt: num({ min: 0, exclusiveMin: true, default: 0.0025 }),
  saveEvery: num({ integer: true, min: 1, default: 4 }),
  frames: num({ integer: true, min: 1, default: 300 }),
  warmupSteps: num({ integer: true, min: 0, default: 0 }),
  rampTime: num({ min: 0, default: 0.1 }),
  streamlineDiffusion: num({ min: 0, max: 4, default: 1 }),
  pressureRtol: num({ min: 1e-14, max: 1e-2, default: 1e-6 }),
  vary: obj({
    uMax: range(1e-6, 1e3),
    x: range(0, 1e6),
    y: range(0, 1e6),
    radius: range(1e-9, 1e6),
  }, { default: { uMax: [0.8, 1.5], x: [0.15, 0.35], y: [0.15, 0.26], radius: [0.03, 0.06] } }),
  /** Free-text note copied to the dataset attributes. */
  note: str({ default: '' }),
});

export type FluidCylinderConfig = SchemaOut<typeof fluidCylinderSchema>;

/** Validates a raw config; throws ConfigError with path/expected/got. */
export function parseFluidCylinderConfig(raw: unknown): FluidCylinderConfig {
  const c = parseConfig(fluidCylinderSchema, raw);
  for (const k of ['uMax', 'x', 'y', 'radius'] as const) {
    const [lo, hi] = c.vary[k];
    if (hi < lo) throw new ConfigError(`vary.${k}`, `[min, max] with min <= max`, `[${lo}, ${hi}]`);
  }
  if (c.mesh.hMax < c.mesh.hMin) throw new ConfigError('mesh.hMax', `>= mesh.hMin (${c.mesh.hMin})`, String(c.mesh.hMax));
  checkConvectiveCourant('dt', c.vary.uMax[1], c.dt, c.mesh.hMin);
  return c;
}

/** Largest convective Courant number 1.5·U_max·Δt/h_min the solver's explicit convection is run at. */
export const MAX_CONVECTIVE_COURANT = 0.8;

/**
 * Explicit convection: the Courant number at the obstacle, where the speed reaches about
 * 1.5 U_max (measured 1.48 U_max at U_max 1.9 on the Schäfer–Turek mesh), must stay below
 * {@link MAX_CONVECTIVE_COURANT}. Beyond it the solution is not a valid reference: at Courant
 * 1.07 by this estimate (U_max 2.0, Δt 0.0025, h_min 0.007) the solver's speed reached 4.6
 * instead of about 2.9. Throws a ConfigError naming `path`.
 */
export function checkConvectiveCourant(path: string, uMax: number, dt: number, hMin: number): void {
  const cfl = (1.5 * uMax * dt) / hMin;
  if (!(cfl <= MAX_CONVECTIVE_COURANT)) throw new ConfigError(path, `<= ${((MAX_CONVECTIVE_COURANT * hMin) / (1.5 * uMax)).toPrecision(3)} at U_max ${uMax} (Courant number 1.5·U_max·dt/hMin <= ${MAX_CONVECTIVE_COURANT})`, `${dt} (Courant ${cfl.toFixed(2)})`, 'lower dt (and raise stride to keep the frame spacing) or coarsen hMin');
}

/** The case of trajectory `index` (inflow, obstacle drawn from `vary` with Rng(seed).fork(index)). */
export function trajectoryCase(c: FluidCylinderConfig, index: number): CylinderCase {
  const rng = new Rng(c.seed).fork(`fluid-cylinder/${index}`);
  const pick = ([lo, hi]: readonly number[]) => lo + (hi - lo) * rng.uniform();
  const uMax = pick(c.vary.uMax), x = pick(c.vary.x), y = pick(c.vary.y), radius = pick(c.vary.radius);
  return {
    length: c.channel.length,
    height: c.channel.height,
    obstacles: [{ center: [x, y] as const, radius }],
    uMax,
    nu: c.nu,
    dt: c.dt,
    hMin: c.mesh.hMin,
    hMax: c.mesh.hMax,
    grading: c.mesh.grading,
    meshSeed: c.seed * 100003 + index,
    rampTime: c.rampTime,
    streamlineDiffusion: c.streamlineDiffusion,
    pressureRtol: c.pressureRtol,
  };
}
