/**
 * `gnnwb train <config>` kind `lj-potential`: the learned-LJ surrogate end to end —
 * snapshots → SchNet on energies + forces → force MAE on held-out snapshots → NVE with the
 * learned potential and with the reference LJ from the same start → energy drift and g(r).
 * Writes `out` (default `results/lj_potential.json`).
 *
 * Config (all optional except `kind`):
 * ```json
 * { "kind": "lj-potential", "snapshots": { "numSnapshots": 240, "temperature": 1.0 },
 *   "numTest": 40, "train": { "maxSeconds": 900, "lr": 0.001 },
 *   "nve": { "steps": 10000, "dt": 0.005, "every": 50 }, "out": "results/lj_potential.json" }
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { registerKind, type CommandContext } from '../cli/registry.js';
import { initBackend } from '../engine/backend.js';
import { Rng } from '../engine/rng.js';
import { periodic } from '../geometry/space.js';
import { velocityVerlet, type ForceField } from '../sims/md/integrators.js';
import { ljForceField } from '../sims/md/lj.js';
import { kineticEnergy, radialDistribution } from '../sims/md/observables.js';
import { maxwellBoltzmann } from '../sims/md/velocities.js';
import { saveCheckpoint } from './checkpoint_state.js';
import {
  LJ_TRAIN_DEFAULTS, forceErrors, generateLjSnapshots, learnedForceField, trainLjPotential,
  type LjSnapshotOptions, type LjTrainConfig,
} from './lj_potential.js';

export interface NveReport {
  readonly steps: number;
  readonly dt: number;
  /** Total energy per atom every `every` steps. */
  readonly energyPerAtom: number[];
  /** (E_end − E_0)/N. */
  readonly driftPerAtom: number;
  /** max_t |E_t − E_0|/N. */
  readonly maxDeviationPerAtom: number;
  /** Least-squares slope of E/N against time, per τ. */
  readonly slopePerAtomPerTau: number;
  readonly gr: { r: number[]; g: number[] };
  readonly secondsPerStep: number;
  readonly meanTemperature: number;
}

/** Runs NVE (velocity Verlet) and collects energies and an averaged g(r). */
export function runNve(force: ForceField, box: Float64Array, x0: Float64Array, v0: Float64Array, opts: { steps: number; dt: number; every: number; rMax: number; bins: number }): NveReport {
  const integ = velocityVerlet({ force, space: periodic(box), dt: opts.dt });
  const s = integ.init(x0, v0);
  const N = x0.length / 3;
  const m = new Float64Array(N).fill(1);
  const E: number[] = [];
  const gsum = new Float64Array(opts.bins);
  let rdfCount = 0, tSum = 0;
  let rAxis: Float64Array | null = null;
  const t0 = performance.now();
  for (let k = 0; k <= opts.steps; k++) {
    if (k % opts.every === 0) {
      const ke = kineticEnergy(s.velocities, m);
      E.push((ke + s.potentialEnergy) / N);
      tSum += (2 * ke) / (3 * N - 3);
      const rdf = radialDistribution(s.positions, box, { rMax: opts.rMax, bins: opts.bins });
      for (let b = 0; b < opts.bins; b++) gsum[b] += rdf.g[b];
      rAxis = rdf.r;
      rdfCount++;
    }
    if (k < opts.steps) integ.step(s);
    if (!Number.isFinite(s.potentialEnergy)) break;
  }
  const secondsPerStep = (performance.now() - t0) / 1000 / opts.steps;
  const times = E.map((_, i) => i * opts.every * opts.dt);
  const tm = times.reduce((a, b) => a + b, 0) / times.length;
  const em = E.reduce((a, b) => a + b, 0) / E.length;
  let num = 0, den = 0;
  for (let i = 0; i < E.length; i++) { num += (times[i] - tm) * (E[i] - em); den += (times[i] - tm) ** 2; }
  return {
    steps: opts.steps, dt: opts.dt, energyPerAtom: E,
    driftPerAtom: E[E.length - 1] - E[0],
    maxDeviationPerAtom: Math.max(...E.map((e) => Math.abs(e - E[0]))),
    slopePerAtomPerTau: den > 0 ? num / den : 0,
    gr: { r: Array.from(rAxis ?? []), g: Array.from(gsum, (g) => g / rdfCount) },
    secondsPerStep,
    meanTemperature: tSum / rdfCount,
  };
}

async function ljKind(raw: unknown, ctx: CommandContext): Promise<number> {
  const c = (raw ?? {}) as { snapshots?: Partial<LjSnapshotOptions>; numTest?: number; train?: Partial<LjTrainConfig>; nve?: { steps?: number; dt?: number; every?: number }; out?: string; checkpointPath?: string };
  const info = await initBackend();
  const t0 = performance.now();
  const data = generateLjSnapshots(c.snapshots);
  const genSeconds = (performance.now() - t0) / 1000;
  const S = data.positions.length;
  const numTest = c.numTest ?? Math.max(1, Math.floor(S / 6));
  const numTrain = S - numTest;
  ctx.log(`lj-potential: ${S} snapshots of ${data.numAtoms} atoms in ${genSeconds.toFixed(1)} s; training on ${numTrain} (backend ${info.name})`);
  const cfg: LjTrainConfig = { ...LJ_TRAIN_DEFAULTS, ...c.train, model: { ...LJ_TRAIN_DEFAULTS.model, ...(c.train?.model ?? {}) } };
  const run = trainLjPotential(cfg, data, numTrain, ctx.log);
  if (c.checkpointPath) saveCheckpoint(c.checkpointPath, { meta: { config: cfg, steps: run.steps }, tensors: run.model.params.snapshot() });
  const testIdx = Array.from({ length: numTest }, (_, k) => numTrain + k);
  const err = forceErrors(run.model, data, testIdx);
  ctx.log(`force MAE ${err.mae.toFixed(4)} (mean |F| ${err.refMeanAbs.toFixed(3)})`);
  const nveOpts = { steps: c.nve?.steps ?? 10000, dt: c.nve?.dt ?? 0.005, every: c.nve?.every ?? 50, rMax: 2.5, bins: 50 };
  const x0 = data.positions[numTrain];
  const v0 = maxwellBoltzmann(new Rng(data.options.seed).fork('nve'), { numParticles: data.numAtoms, temperature: data.options.temperature });
  const ref = runNve(ljForceField({ box: data.box, cutoff: data.options.cutoff, shift: true, skin: 0 }), data.box, x0, v0, nveOpts);
  ctx.log(`reference NVE: drift/atom ${ref.driftPerAtom.toExponential(2)}`);
  const learned = runNve(learnedForceField(run.model, data.box), data.box, x0, v0, nveOpts);
  ctx.log(`learned NVE: drift/atom ${learned.driftPerAtom.toExponential(2)} (${(learned.secondsPerStep * 1000).toFixed(1)} ms/step)`);
  let gMax = 0, g2 = 0;
  for (let b = 0; b < ref.gr.g.length; b++) {
    const d = learned.gr.g[b] - ref.gr.g[b];
    gMax = Math.max(gMax, Math.abs(d));
    g2 += d * d;
  }
  const out = {
    task: 'learned LJ potential (SchNet on energies + forces), NVE with the learned potential',
    backend: info.name,
    system: { ...data.options, numAtoms: data.numAtoms, box: Array.from(data.box), potential: 'LJ ε=σ=1, energy-shifted at r_c' },
    split: { numTrain, numTest },
    training: { config: cfg, steps: run.steps, seconds: run.seconds, firstLoss: run.losses[0], lastLoss50: run.losses.slice(-50).reduce((a, b) => a + b, 0) / Math.min(50, run.losses.length) },
    forceMae: err.mae,
    forceRmse: err.rmse,
    referenceMeanAbsForce: err.refMeanAbs,
    nve: {
      steps: nveOpts.steps, dt: nveOpts.dt,
      learned: { driftPerAtom: learned.driftPerAtom, maxDeviationPerAtom: learned.maxDeviationPerAtom, slopePerAtomPerTau: learned.slopePerAtomPerTau, meanTemperature: learned.meanTemperature, secondsPerStep: learned.secondsPerStep },
      reference: { driftPerAtom: ref.driftPerAtom, maxDeviationPerAtom: ref.maxDeviationPerAtom, slopePerAtomPerTau: ref.slopePerAtomPerTau, meanTemperature: ref.meanTemperature, secondsPerStep: ref.secondsPerStep },
      energyPerAtom: { every: nveOpts.every, learned: learned.energyPerAtom, reference: ref.energyPerAtom },
    },
    gr: { r: ref.gr.r, learned: learned.gr.g, reference: ref.gr.g, maxAbsDiff: gMax, rmsDiff: Math.sqrt(g2 / ref.gr.g.length) },
    note: 'Same start (a held-out snapshot, Maxwell-Boltzmann velocities) for both NVE runs. Timings on a 2-core machine shared with other jobs.',
  };
  const path = c.out ?? 'results/lj_potential.json';
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  ctx.out(JSON.stringify({ out: path, forceMae: err.mae, learnedDrift: learned.driftPerAtom, referenceDrift: ref.driftPerAtom, grMaxAbsDiff: gMax }));
  run.model.params.dispose();
  return 0;
}

registerKind('train', 'lj-potential', 'learned LJ potential: SchNet on LJ energies+forces, NVE with it, force MAE / drift / g(r)', (c, _a, ctx) => ljKind(c, ctx));
