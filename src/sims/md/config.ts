/**
 * Validated configs of the MD simulate kinds (`md-lj`, `md-springs`). Frozen plain data,
 * defaults filled in, round-trips through JSON. Documented in docs/md.md.
 *
 * ```jsonc
 * { "kind": "md-lj", "seed": 1,
 *   "init": { "lattice": "fcc", "density": 0.8442, "cells": [4, 4, 4], "temperature": 1.44 },
 *        // or { "extxyz": "start.xyz", "temperature": 1.44 }  (velocities from the file if present)
 *   "potential": { "epsilon": 1, "sigma": 1, "cutoff": 2.5, "shift": true },
 *   "neighbor": { "skin": 0.3, "rebuildEvery": 0 },
 *   "integrator": { "type": "nve", "dt": 0.005 },          // or "langevin" with temperature, gamma
 *   "steps": 2000, "frameEvery": 100, "thermoEvery": 100, "extxyz": true }
 * ```
 */
import { arr, bool, literal, num, obj, optional, parseConfig, str } from '../../config/schema.js';

export const LjInit = obj({
  lattice: str({ oneOf: ['fcc'], default: 'fcc' }),
  density: num({ min: 0, exclusiveMin: true, default: 0.8442 }),
  cells: arr(num({ integer: true, min: 1 }), { minLength: 3, maxLength: 3, default: [4, 4, 4] }),
  /** Initial Maxwell–Boltzmann temperature (ignored for velocities read from extxyz). */
  temperature: num({ min: 0, default: 1.44 }),
  /** Start from this extended XYZ file (first frame) instead of a lattice. */
  extxyz: optional(str()),
}, { default: {} });

export const MdIntegratorSchema = obj({
  type: str({ oneOf: ['nve', 'langevin'], default: 'nve' }),
  dt: num({ min: 0, exclusiveMin: true, default: 0.005 }),
  /** Langevin bath temperature k_B T. */
  temperature: num({ min: 0, default: 1 }),
  /** Langevin friction γ (1/τ). */
  gamma: num({ min: 0, exclusiveMin: true, default: 1 }),
}, { default: {} });

const runFields = {
  seed: num({ integer: true, min: 0, default: 0 }),
  steps: num({ integer: true, min: 1, default: 1000 }),
  /** Save a frame (positions, velocities) every this many steps (frame 0 = initial state). */
  frameEvery: num({ integer: true, min: 1, default: 100 }),
  /** Thermo line every this many steps. */
  thermoEvery: num({ integer: true, min: 1, default: 100 }),
  /** Also write trajectory.xyz (extended XYZ) beside the dataset. */
  extxyz: bool({ default: true }),
};

export const MdLjConfig = obj({
  kind: literal('md-lj'),
  ...runFields,
  init: LjInit,
  potential: obj({
    epsilon: num({ min: 0, exclusiveMin: true, default: 1 }),
    sigma: num({ min: 0, exclusiveMin: true, default: 1 }),
    cutoff: num({ min: 0, exclusiveMin: true, default: 2.5 }),
    shift: bool({ default: true }),
  }, { default: {} }),
  neighbor: obj({
    skin: num({ min: 0, default: 0.3 }),
    rebuildEvery: num({ integer: true, min: 0, default: 0 }),
  }, { default: {} }),
  integrator: MdIntegratorSchema,
});

export const MdSpringsConfig = obj({
  kind: literal('md-springs'),
  ...runFields,
  numParticles: num({ integer: true, min: 2, default: 5 }),
  dim: num({ integer: true, min: 2, max: 3, default: 2 }),
  probability: num({ min: 0, max: 1, default: 0.5 }),
  stiffness: num({ min: 0, exclusiveMin: true, default: 0.1 }),
  restLength: num({ min: 0, default: 0 }),
  /** Initial positions ~ N(0, positionStd²), velocities ~ N(0, velocityStd²) per coordinate. */
  positionStd: num({ min: 0, default: 0.5 }),
  velocityStd: num({ min: 0, default: 0.5 }),
  integrator: MdIntegratorSchema,
});

export type MdLjConfig = ReturnType<typeof MdLjConfig.parse>;
export type MdSpringsConfig = ReturnType<typeof MdSpringsConfig.parse>;

export function parseMdLjConfig(raw: unknown): MdLjConfig {
  return parseConfig(MdLjConfig, raw);
}

export function parseMdSpringsConfig(raw: unknown): MdSpringsConfig {
  return parseConfig(MdSpringsConfig, raw);
}
