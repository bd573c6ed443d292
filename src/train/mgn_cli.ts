/**
 * CLI kinds of the MeshGraphNets fluid surrogate (issue 6) and its projection demonstration
 * (issue 9 (b)):
 *
 * - `gnnwb train cfg.json` with `kind: "fluid-mgn"`: loads the dataset at `data.path`
 *   (generating it with the NS solver when missing), trains or resumes from
 *   `train.checkpointPath`, logs progress, writes a summary to `out`.
 * - `gnnwb rollout cfg.json` with `kind: "fluid-mgn"`: loads the checkpoint, rolls out every
 *   held-out trajectory with and without the divergence-free projection, writes the metrics
 *   to `out` (default results/mgn.json) and the with/without comparison to `constraintsOut`
 *   (default results/constraints_mgn_projection.json); with `fieldsOut` also a field snapshot
 *   (mesh, final-frame speed of solver and model, persistence RMSE over time) for reports.
 * - `gnnwb bench mgn` (mgn_bench.ts).
 *
 * ```json
 * { "kind": "fluid-mgn",
 *   "data": { "path": "runs/mgn/cyl", "warmupSteps": 400, "frames": 61, "uMaxTrain": [1.2, 1.8], "uMaxTest": [1.5] },
 *   "train": { "model": { "latent": 128, "messagePassingSteps": 15 }, "steps": 2000, "warmupSteps": 50,
 *              "lr": 1e-4, "noiseStd": 0.02, "checkpointPath": "runs/mgn/ckpt.json", "maxSeconds": 3000 },
 *   "out": "results/mgn_train.json" }
 * ```
 */
import { existsSync } from 'node:fs';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import os from 'node:os';
import { registerKind, type CommandContext } from '../cli/registry.js';
import { initBackend } from '../engine/backend.js';
import { meshGraphNet } from '../models/meshgraphnet.js';
import { ConfigError, describe } from '../util/errors.js';
import { loadCheckpoint } from './checkpoint_state.js';
import { generateMgnDataset, loadMgnDataset, saveMgnDataset, MGN_DATA_DEFAULTS, type MgnDataConfig, type MgnDataset } from './mgn_data.js';
import { evaluateMgnTrajectory, mgnRotationError, mgnTargetCheck, rolloutMgn, type MgnTrajectoryMetrics } from './mgn_rollout.js';
import { rmseSeries } from './rollout_metrics.js';
import { trainMgn, validateMgnTrainConfig, type MgnRunMeta, type MgnTrainConfig } from './mgn_train.js';
import './mgn_bench.js';
import { momentumDemo } from './mgn_constraint_demos.js';

/** Writes JSON through a temporary file and a rename (creating folders): a killed run never leaves half a file. */
function writeJson(path: string, obj: unknown): void {
  writeJsonAtomic(path, obj);
}

function obj(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ConfigError(what, 'an object', describe(x));
  return x as Record<string, unknown>;
}

/** For a warm-started run: where it started and the steps and seconds including the training behind that start; {} otherwise. */
function warmStartTotals(meta: MgnRunMeta): { initFrom?: NonNullable<MgnRunMeta['initFrom']>; totalSteps?: number; totalTrainSeconds?: number } {
  const init = meta.initFrom;
  return init ? { initFrom: init, totalSteps: init.step + meta.step, totalTrainSeconds: init.trainSeconds + meta.trainSeconds } : {};
}

/** Loads `data.path`, or generates and saves it. */
export function mgnDataFromConfig(raw: unknown, log: (s: string) => void): MgnDataset {
  const d = obj(raw ?? {}, 'data');
  const { path, ...over } = d;
  if (typeof path !== 'string') throw new ConfigError('data.path', 'a file path prefix (string)', describe(path));
  if (existsSync(`${path}.json`)) {
    log(`data: loading ${path}`);
    return loadMgnDataset(path);
  }
  const cfg: MgnDataConfig = { ...MGN_DATA_DEFAULTS, ...(over as Partial<MgnDataConfig>) };
  log(`data: generating ${path} with the NS solver`);
  const data = generateMgnDataset(cfg, log);
  saveMgnDataset(path, data);
  return data;
}

async function trainKind(raw: unknown, ctx: CommandContext): Promise<number> {
  const c = obj(raw, 'config');
  const cfg = validateMgnTrainConfig(obj(c.train ?? {}, 'train') as Partial<MgnTrainConfig>);
  const info = await initBackend();
  ctx.log(`fluid-mgn: backend ${info.name} (${info.threads} thread(s))`);
  const data = mgnDataFromConfig(c.data, ctx.log);
  const run = await trainMgn(cfg, data, ctx.log);
  const out = typeof c.out === 'string' ? c.out : 'results/mgn_train.json';
  const summary = {
    kind: 'fluid-mgn',
    finished: run.finished,
    steps: run.meta.step,
    trainSeconds: run.meta.trainSeconds,
    secondsPerStep: run.meta.trainSeconds / Math.max(run.meta.step, 1),
    numParams: run.model.params.numParams(),
    backend: { name: info.name, threads: info.threads },
    machine: { cores: os.availableParallelism(), loadavg: os.loadavg() },
    mesh: { nodes: data.mesh.numNodes, edges: data.graph.senders.length },
    data: data.config,
    config: cfg,
    ...warmStartTotals(run.meta),
    history: run.meta.history,
    note: 'Wall times on a 2-core machine shared with other jobs (load average above).',
  };
  writeJson(out, summary);
  ctx.out(JSON.stringify({ kind: 'fluid-mgn', steps: run.meta.step, finished: run.finished, out }));
  run.model.dispose();
  run.optimizer.dispose();
  return 0;
}

async function rolloutKind(raw: unknown, ctx: CommandContext): Promise<number> {
  const c = obj(raw, 'config');
  const ckPath = c.checkpointPath;
  if (typeof ckPath !== 'string') throw new ConfigError('checkpointPath', 'the training checkpoint file', describe(ckPath));
  const ck = loadCheckpoint<MgnRunMeta>(ckPath);
  if (!ck) throw new ConfigError('checkpointPath', 'an existing checkpoint file', JSON.stringify(ckPath));
  const info = await initBackend();
  const data = mgnDataFromConfig(c.data, ctx.log);
  const model = meshGraphNet(ck.meta.config.model);
  const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(ck.tensors)) if (k.startsWith('param/')) weights[k.slice(6)] = { shape: t.shape, data: t.data };
  model.params.setWeights(weights);
  model.setNormalizerState(ck.meta.normalizers);
  const mesh = model.prepare(data.graph);
  const steps = typeof c.steps === 'number' ? c.steps : undefined;
  const rows: { plain: MgnTrajectoryMetrics; projected: MgnTrajectoryMetrics }[] = [];
  for (const traj of data.trajectories.filter((t) => t.split === 'test')) {
    const plain = evaluateMgnTrajectory(model, mesh, data, traj, { steps });
    ctx.log(`uMax ${traj.uMax}: 1-step RMSE ${plain.oneStepRmse.toExponential(3)}, rollout-50 ${plain.rollout50Rmse.toExponential(3)} (persistence ${plain.persistence.rollout50Rmse.toExponential(3)}), full ${plain.rolloutFullRmse.toExponential(3)}, speed-up ${plain.speedup.toFixed(2)}×`);
    const projected = evaluateMgnTrajectory(model, mesh, data, traj, { steps, project: true });
    ctx.log(`  with projection: rollout-50 ${projected.rollout50Rmse.toExponential(3)}, full ${projected.rolloutFullRmse.toExponential(3)}, final RMS divergence ${projected.rmsDivergence.model.at(-1)?.toExponential(2)} (without: ${plain.rmsDivergence.model.at(-1)?.toExponential(2)}, solver: ${plain.rmsDivergence.solver.at(-1)?.toExponential(2)})`);
    rows.push({ plain, projected });
  }
  const summary = (m: MgnTrajectoryMetrics) => ({
    uMax: m.uMax,
    meanInflowSpeed: m.meanInflowSpeed,
    steps: m.steps,
    oneStepRmse: m.oneStepRmse,
    rollout50Rmse: m.rollout50Rmse,
    rollout50RmseOverMeanInflow: m.rollout50Rmse / m.meanInflowSpeed,
    rolloutFullRmse: m.rolloutFullRmse,
    persistence: m.persistence,
    persistenceOverModelRollout50: m.persistence.rollout50Rmse / m.rollout50Rmse,
    modelMsPerFrame: m.modelMsPerFrame,
    solverMsPerFrame: m.solverMsPerFrame,
    speedup: m.speedup,
    kineticEnergy: m.kineticEnergy,
    rmsDivergence: m.rmsDivergence,
    rmseOverTime: m.rmseOverTime,
  });
  const firstTest = data.trajectories.find((t) => t.split === 'test');
  const angles = [Math.PI / 6, Math.PI / 2, Math.PI];
  const rot = firstTest ? mgnRotationError(model, data, firstTest.frames[0], angles) : [];
  ctx.log(`rotation error (max |f(Rx,Ru) − R f(x,u)| / max |f|) at 30°, 90°, 180°: ${rot.map((x) => x.toExponential(2)).join(', ')}`);
  const check = mgnTargetCheck(rows.map((r) => r.plain));
  ctx.log(`targets (rollout-50 <= 2 % of mean inflow and >= 5x below persistence) on every held-out trajectory: ${check.allMet ? 'met' : 'not met'}; pooled persistence / model ${check.pooled.persistenceOverModelRms.toFixed(2)} (RMS), ${check.pooled.persistenceOverModelMean.toFixed(2)} (mean)`);
  const out = typeof c.out === 'string' ? c.out : 'results/mgn.json';
  const trainInfo = { steps: ck.meta.step, trainSeconds: ck.meta.trainSeconds, config: ck.meta.config, ...warmStartTotals(ck.meta) };
  writeJson(out, {
    kind: 'fluid-mgn',
    backend: { name: info.name, threads: info.threads },
    machine: { cores: os.availableParallelism(), loadavg: os.loadavg() },
    training: trainInfo,
    mesh: { nodes: data.mesh.numNodes, edges: data.graph.senders.length },
    frameDt: data.frameDt,
    targets: check,
    targetsWithProjection: mgnTargetCheck(rows.map((r) => r.projected)),
    heldOut: rows.map((r) => summary(r.plain)),
    rotationError: { anglesDeg: angles.map((a) => (a * 180) / Math.PI), relativeMaxError: rot, note: 'network output (normalised velocity change) on the first frame of the first held-out trajectory; not rotation-equivariant by construction' },
    note: 'RMSE over all nodes and both components (as cfd_eval.py). Wall times on a shared 2-core machine; solver and model timed in the same process.',
  });
  if (typeof c.fieldsOut === 'string' && firstTest) {
    // Field snapshot for reports (src/report): mesh, speed |u| at the last frame (solver and
    // model, no projection), the velocity error |û − u| there, and persistence RMSE over time
    // of the first held-out trajectory.
    const roll = rolloutMgn(model, mesh, data, firstTest, { steps });
    const T = roll.frames.length - 1;
    const refT = firstTest.frames.slice(0, T + 1);
    const speed = (u: ArrayLike<number>) => Array.from({ length: data.mesh.numNodes }, (_, i) => Number(Math.hypot(u[2 * i], u[2 * i + 1]).toPrecision(6)));
    writeFileAtomic(c.fieldsOut, JSON.stringify({
      format: 'gnnwb-mgn-fields',
      uMax: firstTest.uMax,
      frameDt: data.frameDt,
      frame: T,
      mesh: { x: Array.from(data.mesh.positions.filter((_, k) => k % 2 === 0), (v) => Number(v.toPrecision(7))), y: Array.from(data.mesh.positions.filter((_, k) => k % 2 === 1), (v) => Number(v.toPrecision(7))), triangles: Array.from(data.mesh.triangles) },
      speed: { solver: speed(refT[T]), model: speed(roll.frames[T]) },
      // |û − u| per node at the last frame.
      error: Array.from({ length: data.mesh.numNodes }, (_, i) => Number(Math.hypot(roll.frames[T][2 * i] - refT[T][2 * i], roll.frames[T][2 * i + 1] - refT[T][2 * i + 1]).toPrecision(6))),
      modelRmseOverTime: rmseSeries(roll.frames, refT, 2),
      persistenceRmseOverTime: rmseSeries(refT.map(() => refT[0]), refT, 2),
    }) + '\n');
    ctx.log(`fields: ${c.fieldsOut}`);
  }
  const cOut = typeof c.constraintsOut === 'string' ? c.constraintsOut : 'results/constraints_mgn_projection.json';
  writeJson(cOut, {
    demonstration: 'MeshGraphNets with and without the divergence-free projection (issue 9 (b))',
    training: trainInfo,
    projection: 'P1 weak divergence, walls/inflow/obstacle velocity fixed, outflow p = 0 (same masks as the solver); CG in float64',
    trajectories: rows.map((r) => ({
      uMax: r.plain.uMax,
      without: { rollout50Rmse: r.plain.rollout50Rmse, rolloutFullRmse: r.plain.rolloutFullRmse, rmsDivergence: r.plain.rmsDivergence.model, kineticEnergy: r.plain.kineticEnergy.model },
      with: { rollout50Rmse: r.projected.rollout50Rmse, rolloutFullRmse: r.projected.rolloutFullRmse, rmsDivergence: r.projected.rmsDivergence.model, kineticEnergy: r.projected.kineticEnergy.model },
      solver: { rmsDivergence: r.plain.rmsDivergence.solver, kineticEnergy: r.plain.kineticEnergy.solver },
    })),
  });
  ctx.out(JSON.stringify({ kind: 'fluid-mgn', out, constraintsOut: cOut }));
  mesh.dispose();
  model.dispose();
  return 0;
}

registerKind('train', 'fluid-mgn', 'MeshGraphNets on CylinderFlow-like data (NS solver): train or resume', (c, _a, ctx) => trainKind(c, ctx));
registerKind('rollout', 'fluid-mgn', 'MeshGraphNets rollout metrics on held-out trajectories, with/without divergence projection', (c, _a, ctx) => rolloutKind(c, ctx));

registerKind('rollout', 'constraints-momentum', 'issue 9 (a): momentum drift of a particle update with/without the conserving construction (untrained)', async (c, _a, ctx) => {
  const cfg = (c ?? {}) as { particles?: number; steps?: number; dt?: number; seed?: number; out?: string };
  await initBackend();
  const r = momentumDemo(cfg);
  // Not the trained demo's file (results/constraints_momentum.json): this one must not overwrite it.
  const out = typeof cfg.out === 'string' ? cfg.out : 'results/constraints_momentum_untrained.json';
  writeJson(out, {
    demonstration: 'issue 9 (a): total momentum drift over a particle rollout, with and without momentum-conserving messages',
    caveat: 'Untrained surrogate (random seeded weights); shows the construction\'s guarantee over a rollout, not a trained model\'s accuracy. A trained particle surrogate comparison was not run.',
    ...r,
  });
  ctx.log(`momentum drift (max |P(t) − P(0)| / Σ m|v(0)|): plain ${r.plain.maxAbsDrift.toExponential(3)}, conserving ${r.conserving.maxAbsDrift.toExponential(3)}`);
  ctx.out(JSON.stringify({ out }));
  return 0;
});
