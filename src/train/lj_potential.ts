/**
 * Surrogate task 2: a learned Lennard-Jones potential. SchNet is trained on energies and
 * conservative forces of LJ-liquid snapshots from the reference MD engine (`src/sims/md`),
 * then NVE MD runs with the learned potential through the same velocity-Verlet integrator;
 * reported: force MAE on held-out snapshots, NVE energy drift, and g(r) against the reference.
 *
 * Pipeline (all plain functions):
 * ```
 *   generateLjSnapshots(opts)     Langevin (BAOAB) LJ liquid, fcc start, periodic box;
 *                                 snapshots of positions, forces, potential energy
 *   trainLjPotential(cfg, data)   SchNet, Adam on  w_F·MSE(F) + w_E·MSE(E/N)
 *   forceMae(model, snapshots)    mean |F_pred − F_ref| over components
 *   learnedForceField(model, …)   a ForceField for the MD integrators (radius graph with
 *                                 minimum-image shifts rebuilt at each call)
 * ```
 * Units: reduced LJ units (σ, ε, m, τ = σ√(m/ε)).
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { fcc } from '../geometry/lattice.js';
import { periodic } from '../geometry/space.js';
import { radiusGraph } from '../geometry/neighbor_list.js';
import { langevin } from '../sims/md/integrators.js';
import type { ForceField, ForceResult } from '../sims/md/integrators.js';
import { ljForceField } from '../sims/md/lj.js';
import { maxwellBoltzmann } from '../sims/md/velocities.js';
import { createSchNet, type SchNet, type SchNetConfig } from '../models/equivariant/schnet.js';
import { energyAndForces, forceMatchingLoss, type AtomsInputs } from '../models/equivariant/heads.js';
import { minimumImageShifts } from '../models/equivariant/radial.js';
import { Adam, trainStep } from './trainer.js';

export interface LjSnapshotOptions {
  /** fcc cells per axis (N = 4·cells³). */
  readonly cells: number;
  readonly density: number;
  readonly temperature: number;
  readonly cutoff: number;
  readonly dt: number;
  readonly equilibrationSteps: number;
  readonly sampleEvery: number;
  readonly numSnapshots: number;
  readonly seed: number;
}

export const LJ_SNAPSHOT_DEFAULTS: LjSnapshotOptions = Object.freeze({
  cells: 3, density: 0.8442, temperature: 1.0, cutoff: 2.5, dt: 0.005, equilibrationSteps: 2000, sampleEvery: 40, numSnapshots: 240, seed: 17,
});

export interface LjSnapshots {
  readonly options: LjSnapshotOptions;
  readonly box: Float64Array;
  readonly numAtoms: number;
  /** [S][N·3] positions (wrapped), forces, and [S] potential energies (shifted LJ). */
  readonly positions: Float64Array[];
  readonly forces: Float64Array[];
  readonly energies: number[];
}

/** Samples LJ-liquid snapshots with Langevin dynamics (energy-shifted LJ, cutoff r_c). */
export function generateLjSnapshots(partial: Partial<LjSnapshotOptions> = {}): LjSnapshots {
  const o = { ...LJ_SNAPSHOT_DEFAULTS, ...partial };
  const lat = fcc(o.density, [o.cells, o.cells, o.cells]);
  const N = lat.positions.length / 3;
  const rng = new Rng(o.seed);
  const force = ljForceField({ box: lat.box, cutoff: o.cutoff, shift: true, skin: 0 });
  const integ = langevin({ force, space: periodic(lat.box), dt: o.dt, temperature: o.temperature, gamma: 1, rng: rng.fork('langevin') });
  const s = integ.init(lat.positions, maxwellBoltzmann(rng.fork('v'), { numParticles: N, temperature: o.temperature }));
  for (let k = 0; k < o.equilibrationSteps; k++) integ.step(s);
  const positions: Float64Array[] = [], forces: Float64Array[] = [], energies: number[] = [];
  for (let m = 0; m < o.numSnapshots; m++) {
    for (let k = 0; k < o.sampleEvery; k++) integ.step(s);
    positions.push(Float64Array.from(s.positions));
    forces.push(Float64Array.from(s.forces));
    energies.push(s.potentialEnergy);
  }
  return { options: o, box: lat.box, numAtoms: N, positions, forces, energies };
}

/**
 * AtomsInputs for a batch of periodic snapshots (one graph each, single species): radius
 * graph within `cutoff` with minimum-image shifts. Caller disposes the tensors.
 */
export function periodicAtomsInputs(snaps: readonly Float64Array[], box: Float64Array, cutoff: number): AtomsInputs {
  const N = snaps[0].length / 3;
  const G = snaps.length;
  const pos = new Float32Array(G * N * 3);
  const s: Int32Array[] = [], r: Int32Array[] = [], sh: Float32Array[] = [];
  let E = 0;
  snaps.forEach((p, g) => {
    pos.set(p, g * N * 3);
    const { senders, receivers } = radiusGraph(p, { cutoff, box });
    sh.push(minimumImageShifts(p, senders, receivers, box));
    s.push(senders.map((x) => x + g * N));
    r.push(receivers.map((x) => x + g * N));
    E += senders.length;
  });
  const cat = <T extends Int32Array | Float32Array>(parts: T[], make: (n: number) => T): T => {
    const out = make(parts.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p as never, o); o += p.length; }
    return out;
  };
  const nodeGraph = new Int32Array(G * N);
  for (let g = 0; g < G; g++) nodeGraph.fill(g, g * N, (g + 1) * N);
  return {
    positions: tf.tensor2d(pos, [G * N, 3]),
    species: tf.zeros([G * N], 'int32') as tf.Tensor1D,
    senders: tf.tensor1d(cat(s, (n) => new Int32Array(n)), 'int32'),
    receivers: tf.tensor1d(cat(r, (n) => new Int32Array(n)), 'int32'),
    shifts: tf.tensor2d(cat(sh, (n) => new Float32Array(n)), [E, 3]),
    nodeGraph: tf.tensor1d(nodeGraph, 'int32'),
    numGraphs: G,
  };
}

function disposeAtoms(inp: AtomsInputs): void {
  for (const t of [inp.positions, inp.species, inp.senders, inp.receivers, inp.shifts, inp.nodeGraph]) t?.dispose();
}

export interface LjTrainConfig {
  readonly model: SchNetConfig;
  readonly lr: number;
  readonly batchSize: number;
  readonly maxSteps: number;
  readonly maxSeconds: number;
  readonly energyWeight: number;
  readonly forceWeight: number;
  readonly seed: number;
}

export const LJ_TRAIN_DEFAULTS: LjTrainConfig = Object.freeze({
  model: { numSpecies: 1, features: 32, interactions: 3, numRbf: 24, cutoff: 2.5 },
  lr: 1e-3, batchSize: 2, maxSteps: 3000, maxSeconds: 900, energyWeight: 0.1, forceWeight: 1, seed: 1,
});

/** Trains SchNet on snapshots `[0, numTrain)`; returns the model and the loss history. */
export function trainLjPotential(cfg: LjTrainConfig, data: LjSnapshots, numTrain: number, log: (l: string) => void = () => {}): { model: SchNet; losses: number[]; steps: number; seconds: number } {
  const model = createSchNet(cfg.model, new Rng(cfg.seed));
  const opt = new Adam(model.params, { lr: cfg.lr });
  const rng = new Rng(cfg.seed).fork('batches');
  const N = data.numAtoms;
  // Energy offset: the mean per-atom energy, so the network learns fluctuations.
  let e0 = 0;
  for (let i = 0; i < numTrain; i++) e0 += data.energies[i] / N;
  e0 /= numTrain;
  const losses: number[] = [];
  const t0 = performance.now();
  let step = 0;
  for (; step < cfg.maxSteps && (performance.now() - t0) / 1000 < cfg.maxSeconds; step++) {
    const idx = Array.from({ length: cfg.batchSize }, () => rng.int(numTrain));
    const inp = periodicAtomsInputs(idx.map((i) => data.positions[i]), data.box, cfg.model.cutoff);
    const fT = new Float32Array(idx.length * N * 3);
    idx.forEach((i, k) => fT.set(data.forces[i], k * N * 3));
    const tF = tf.tensor2d(fT, [idx.length * N, 3]);
    // Per-graph energy targets minus N·e0 (the model's constant part is learned too, this centres it).
    const tE = tf.tensor2d(idx.map((i) => data.energies[i] - N * e0), [idx.length, 1]);
    const nA = tf.fill([idx.length, 1], N);
    const loss = trainStep(model.params, opt, () => forceMatchingLoss(model, inp, tE, tF, { energyWeight: cfg.energyWeight, forceWeight: cfg.forceWeight, atomsPerGraph: nA as tf.Tensor2D }));
    for (const t of [tF, tE, nA]) t.dispose();
    disposeAtoms(inp);
    losses.push(loss);
    if (step % 50 === 0) log(`lj step ${step} loss ${loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  opt.dispose();
  return { model, losses, steps: step, seconds: (performance.now() - t0) / 1000 };
}

/** Mean absolute error of force components and RMSE, over the given snapshots. */
export function forceErrors(model: SchNet, data: LjSnapshots, indices: readonly number[]): { mae: number; rmse: number; refMeanAbs: number } {
  let sa = 0, s2 = 0, ref = 0, n = 0;
  for (const i of indices) {
    const inp = periodicAtomsInputs([data.positions[i]], data.box, model.config.cutoff);
    const { energy, forces } = energyAndForces(model, inp);
    const f = forces.dataSync();
    for (let k = 0; k < f.length; k++) {
      const d = f[k] - data.forces[i][k];
      sa += Math.abs(d);
      s2 += d * d;
      ref += Math.abs(data.forces[i][k]);
      n++;
    }
    energy.dispose();
    forces.dispose();
    disposeAtoms(inp);
  }
  return { mae: sa / n, rmse: Math.sqrt(s2 / n), refMeanAbs: ref / n };
}

/**
 * A {@link ForceField} backed by a trained model: each call builds the periodic radius graph
 * (cell list) and evaluates energy and forces −∂E/∂x. Virial is Σ r·F over atoms (not pair
 * resolved; reported as 0 — pressure is not computed with the learned potential).
 */
export function learnedForceField(model: SchNet, box: Float64Array): ForceField {
  return {
    compute(positions: Float64Array, out: Float64Array): ForceResult {
      const inp = periodicAtomsInputs([positions], box, model.config.cutoff);
      const { energy, forces } = energyAndForces(model, inp);
      const f = forces.dataSync();
      for (let k = 0; k < out.length; k++) out[k] = f[k];
      const e = energy.dataSync()[0];
      energy.dispose();
      forces.dispose();
      disposeAtoms(inp);
      return { energy: e, virial: 0 };
    },
  };
}
