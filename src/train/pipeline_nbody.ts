/**
 * The quickstart pipeline: simulate → train → rollout → report on the charged N-body system
 * with EGNN (models and trainer from src/models/equivariant and src/train/nbody.ts, generator
 * from src/sims/md/nbody.ts), small enough to finish in minutes.
 *
 * ```
 * <out>/report.html, <out>/metrics.json   the report (stage 4)
 * <out>/run/
 * ├── config.json            resolved config + hash (refuses to mix configs in one folder)
 * ├── data.h5                trajectories [S, F, n, 3] + charges + split   (stage 1, resumable)
 * ├── train.ckpt.json        EGNN checkpoint every epoch                   (stage 2, resumable)
 * ├── train-result.json      training history                             (stage 2 done)
 * ├── metrics.json           deterministic metrics (report input)         (stage 3 done)
 * └── timings.json           wall times vs the reference simulator
 * ```
 * Each stage is skipped when its output exists, so re-running after a kill continues where
 * it stopped; every output is written atomically. The surrogate learns one saved frame ahead:
 * (x_k, v_k = (x_k − x_{k−1}) / Δ, charges) → x_{k+1}, and rolls out autoregressively with the
 * same finite-difference velocity.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../engine/rng.js';
import { initBackend } from '../engine/backend.js';
import { obj, num, str, parseConfig, literal } from '../config/schema.js';
import { configHash } from '../config/hash.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { readDataset, requireArray } from '../io/dataset.js';
import { TrajectoryWriter } from '../io/trajectory.js';
import { progress } from '../cli/progress.js';
import { ConfigError } from '../util/errors.js';
import { chargedEnergy, integrateCharged, nbodyOptions, simulateCharged } from '../sims/md/nbody.js';
import { randomRotation3 } from '../geometry/rotation.js';
import { NBODY_DATA_DEFAULTS, type NBodyDataset, type NBodySplit } from './nbody_data.js';
import { createNBodyModel, predictNBody, trainNBody, validateNBodyTrainConfig, type NBodyModel, type NBodyRunMeta } from './nbody.js';
import { loadCheckpoint, type TensorRecord } from './checkpoint_state.js';
import type { Panel, RunMetrics, RunTimings, Series } from '../report/types.js';

/** Quickstart defaults: a couple of minutes on a shared 2-core machine. */
export const QUICKSTART_DEFAULTS = Object.freeze({
  seed: 1,
  particles: 5,
  /** Integration steps per trajectory (frames = steps / sampleEvery − 1). */
  steps: 3000,
  sampleEvery: 100,
  dt: 0.001,
  trainTrajectories: 40,
  valTrajectories: 10,
  testTrajectories: 10,
  epochs: 25,
  batchSize: 100,
  lr: 1e-3,
  hidden: 32,
  layers: 3,
  rolloutFrames: 20,
  equivarianceTrials: 8,
});

export const QuickstartSchema = obj({
  kind: literal('nbody-pipeline'),
  seed: num({ integer: true, default: QUICKSTART_DEFAULTS.seed }),
  particles: num({ integer: true, min: 2, max: 100, default: QUICKSTART_DEFAULTS.particles }),
  steps: num({ integer: true, min: 200, default: QUICKSTART_DEFAULTS.steps }),
  sampleEvery: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.sampleEvery }),
  dt: num({ min: 0, exclusiveMin: true, max: 0.1, default: QUICKSTART_DEFAULTS.dt }),
  trainTrajectories: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.trainTrajectories }),
  valTrajectories: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.valTrajectories }),
  testTrajectories: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.testTrajectories }),
  model: str({ oneOf: ['egnn', 'gnn', 'linear'], default: 'egnn' }),
  epochs: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.epochs }),
  batchSize: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.batchSize }),
  lr: num({ min: 0, exclusiveMin: true, default: QUICKSTART_DEFAULTS.lr }),
  hidden: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.hidden }),
  layers: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.layers }),
  rolloutFrames: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.rolloutFrames }),
  equivarianceTrials: num({ integer: true, min: 1, default: QUICKSTART_DEFAULTS.equivarianceTrials }),
});
export type QuickstartConfig = ReturnType<typeof QuickstartSchema.parse>;

/** Parses a (partial) quickstart config, filling defaults. */
export function quickstartConfig(raw: unknown = {}): QuickstartConfig {
  const c = parseConfig(QuickstartSchema, { kind: 'nbody-pipeline', ...(raw as object) });
  const frames = c.steps / c.sampleEvery - 1;
  if (!Number.isInteger(frames)) throw new ConfigError('steps', `a multiple of sampleEvery (${c.sampleEvery})`, String(c.steps));
  if (frames < c.rolloutFrames + 2) throw new ConfigError('rolloutFrames', `at most frames − 2 = ${frames - 2} (steps / sampleEvery − 1 saved frames)`, String(c.rolloutFrames));
  return c;
}

type Log = (line: string) => void;

function simOptions(c: QuickstartConfig) {
  return nbodyOptions({ numParticles: c.particles, numSteps: c.steps, sampleEvery: c.sampleEvery, dt: c.dt });
}

/** Prepares `out`: writes config.json, or checks that the folder belongs to this config. */
export function prepareRunDir(out: string, c: QuickstartConfig, force = false): void {
  const p = join(out, 'config.json');
  const hash = configHash(c);
  if (existsSync(p)) {
    const prev = JSON.parse(readFileSync(p, 'utf8')) as { configHash?: string };
    if (prev.configHash === hash) return;
    if (!force) throw new ConfigError(out, `a folder of config ${hash.slice(0, 19)}…`, `a folder of config ${String(prev.configHash).slice(0, 19)}…`, 'Use another --out, or --force to start over');
    rmSync(out, { recursive: true, force: true });
  }
  writeJsonAtomic(p, { configHash: hash, config: c });
}

/** Stage 1: simulate S = train+val+test trajectories into `<out>/data.h5` (resumable per trajectory). */
export async function simulateStage(out: string, c: QuickstartConfig, log: Log): Promise<void> {
  const path = join(out, 'data.h5');
  if (existsSync(path)) return log('simulate: data.h5 exists, skipped');
  const o = simOptions(c);
  const F = o.numSteps / o.sampleEvery - 1;
  const n = c.particles;
  const counts = [c.trainTrajectories, c.valTrajectories, c.testTrajectories];
  const S = counts[0] + counts[1] + counts[2];
  const w = await TrajectoryWriter.open(path, {
    simulator: 'md-nbody-charged',
    config: c,
    seed: c.seed,
    frameArrays: { positions: { dtype: 'float64', shape: [F, n, 3] }, velocities: { dtype: 'float64', shape: [F, n, 3] }, charges: { dtype: 'float64', shape: [n] }, split: { dtype: 'int32', shape: [1] } },
    attributes: { units: 'dimensionless (EGNN N-body)', frameInterval: o.sampleEvery * o.dt, sampleEvery: o.sampleEvery, dt: o.dt, splits: ['train', 'val', 'test'] },
  }, { resume: true });
  const p = progress({ label: 'simulate', total: S, start: w.committedFrames, stream: { write: (s: string) => log(s.replace(/\n$/, '')) }, tty: false, logEvery: 0.25 });
  const rng = new Rng(c.seed).fork('simulate');
  for (let s = w.committedFrames; s < S; s++) {
    const t = simulateCharged(rng.fork(`trajectory-${s}`), o);
    const split = s < counts[0] ? 0 : s < counts[0] + counts[1] ? 1 : 2;
    w.append({ positions: t.positions, velocities: t.velocities, charges: t.charges, split: Int32Array.of(split) });
    p.update(s + 1);
  }
  await w.finalize({ created: '1970-01-01T00:00:00.000Z' });
  p.done();
}

interface Trajectories {
  S: number;
  F: number;
  n: number;
  /** [S, F, n, 3] */
  positions: Float64Array;
  /** [S, n] */
  charges: Float64Array;
  /** [S] 0 train, 1 val, 2 test */
  split: Int32Array;
  frameInterval: number;
}

/** Reads and checks `<out>/data.h5`. */
export async function loadTrajectories(out: string, c: QuickstartConfig): Promise<Trajectories> {
  const ds = await readDataset(join(out, 'data.h5'));
  const n = c.particles;
  const pos = requireArray(ds, 'positions', 'float64', [-1, -1, n, 3]);
  const [S, F] = pos.shape;
  const q = requireArray(ds, 'charges', 'float64', [S, n]);
  const split = requireArray(ds, 'split', 'int32', [S, 1]);
  return { S, F, n, positions: pos.data, charges: q.data, split: split.data, frameInterval: c.sampleEvery * c.dt };
}

/** One-frame-ahead samples of the trajectories of one split: frames k = 1 … F−2. */
function samples(t: Trajectories, which: number): NBodySplit {
  const idx = [...Array(t.S).keys()].filter((s) => t.split[s] === which);
  const { F, n } = t;
  const size = idx.length * (F - 2);
  const x0 = new Float32Array(size * n * 3);
  const v0 = new Float32Array(size * n * 3);
  const xT = new Float32Array(size * n * 3);
  const charges = new Float32Array(size * n);
  let m = 0;
  for (const s of idx) {
    for (let k = 1; k <= F - 2; k++, m++) {
      const base = (f: number) => ((s * F + f) * n) * 3;
      for (let j = 0; j < n * 3; j++) {
        const xk = t.positions[base(k) + j];
        x0[m * n * 3 + j] = xk;
        v0[m * n * 3 + j] = xk - t.positions[base(k - 1) + j];
        xT[m * n * 3 + j] = t.positions[base(k + 1) + j];
      }
      for (let i = 0; i < n; i++) charges[m * n + i] = t.charges[s * n + i];
    }
  }
  return { size, numParticles: n, x0, v0, charges, xT };
}

function trainConfig(out: string, c: QuickstartConfig) {
  return validateNBodyTrainConfig({ model: c.model as 'egnn', epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, hidden: c.hidden, layers: c.layers, seed: c.seed, evalEvery: 1, checkpointPath: join(out, 'train.ckpt.json'), checkpointEvery: 1, data: {} });
}

/** Stage 2: train the model on one-frame-ahead samples (resumes from train.ckpt.json). */
export async function trainStage(out: string, c: QuickstartConfig, log: Log): Promise<void> {
  const resultPath = join(out, 'train-result.json');
  if (existsSync(resultPath)) return log('train: train-result.json exists, skipped');
  const t = await loadTrajectories(out, c);
  const data: NBodyDataset = { options: { ...NBODY_DATA_DEFAULTS, seed: c.seed }, train: samples(t, 0), val: samples(t, 1), test: samples(t, 2) };
  const cfg = trainConfig(out, c);
  log(`train: ${c.model}, ${data.train.size} train / ${data.val.size} val / ${data.test.size} test samples, ${c.epochs} epochs`);
  const p = progress({ label: 'train', total: c.epochs, stream: { write: (s: string) => log(s.replace(/\n$/, '')) }, tty: false, logEvery: 0.2 });
  const run = await trainNBody(cfg, data, (line) => {
    const m = /^epoch (\d+)/.exec(line);
    if (m) p.update(Number(m[1]), line.replace(/^epoch \d+ /, ''));
    else log(`train: ${line}`);
  });
  p.done();
  run.model.params.dispose();
  const r = run.result;
  writeJsonAtomic(resultPath, { epochs: r.epochsDone, bestEpoch: r.bestEpoch, bestValMse: r.bestValMse, testMseAtBest: r.testMseAtBest, numParams: r.numParams, history: r.history.map(({ seconds: _s, ...h }) => h) });
  writeJsonAtomic(join(out, 'train-timings.json'), { epochSeconds: r.history.map((h) => h.seconds) });
}

function loadBestModel(out: string, c: QuickstartConfig): { model: NBodyModel; meta: NBodyRunMeta } {
  const ck = loadCheckpoint<NBodyRunMeta>(join(out, 'train.ckpt.json'));
  if (!ck) throw new ConfigError(join(out, 'train.ckpt.json'), 'a training checkpoint (run the train stage first)', 'no such file');
  const model = createNBodyModel(trainConfig(out, c));
  const best: Record<string, TensorRecord> = {};
  for (const [k, t] of Object.entries(ck.tensors)) if (k.startsWith('best/')) best[k.slice(5)] = t;
  model.params.restore(best);
  return { model, meta: ck.meta };
}

function stateSplit(x: Float64Array, v: Float64Array, q: Float64Array, size: number, n: number): NBodySplit {
  return { size, numParticles: n, x0: Float32Array.from(x), v0: Float32Array.from(v), charges: Float32Array.from(q), xT: new Float32Array(size * n * 3) };
}

/** RMS over all coordinates of a − b. */
function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** Rounds to 9 significant digits, so metrics.json does not depend on the last float bits of a sum order. */
function r9(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(9)) : v;
}

/** Stage 3: autoregressive rollout on the test trajectories vs the reference; writes metrics.json + timings.json. */
export async function rolloutStage(out: string, c: QuickstartConfig, log: Log): Promise<RunMetrics> {
  const t = await loadTrajectories(out, c);
  const { n, F } = t;
  const R = c.rolloutFrames;
  const tests = [...Array(t.S).keys()].filter((s) => t.split[s] === 2);
  const B = tests.length;
  const { model, meta } = loadBestModel(out, c);
  const train = JSON.parse(readFileSync(join(out, 'train-result.json'), 'utf8')) as { history: { epoch: number; trainMse: number; valMse?: number }[]; testMseAtBest: number; bestEpoch: number; numParams: number };
  const frame = (s: number, k: number) => t.positions.subarray(((s * F + k) * n) * 3, ((s * F + k + 1) * n) * 3);
  // Initial state at frame 1 (velocity from frames 0, 1). [B, n, 3]
  let x = new Float64Array(B * n * 3);
  let v = new Float64Array(B * n * 3);
  const q = new Float64Array(B * n);
  tests.forEach((s, b) => {
    x.set(frame(s, 1), b * n * 3);
    const x0 = frame(s, 0);
    for (let j = 0; j < n * 3; j++) v[b * n * 3 + j] = x[b * n * 3 + j] - x0[j];
    q.set(t.charges.subarray(s * n, (s + 1) * n), b * n);
  });
  const cv = { x: Float64Array.from(x), v: Float64Array.from(v) }; // constant-velocity baseline
  const predFrames: Float64Array[] = [Float64Array.from(x)];
  const refFrames: Float64Array[] = [Float64Array.from(x)];
  const rmseModel: number[] = [0];
  const rmseCv: number[] = [0];
  const t0 = performance.now();
  for (let r = 1; r <= R; r++) {
    const next = Float64Array.from(predictNBody(model, stateSplit(x, v, q, B, n)));
    for (let j = 0; j < next.length; j++) v[j] = next[j] - x[j];
    x = next;
    for (let j = 0; j < cv.x.length; j++) cv.x[j] += cv.v[j];
    const ref = new Float64Array(B * n * 3);
    tests.forEach((s, b) => ref.set(frame(s, 1 + r), b * n * 3));
    predFrames.push(Float64Array.from(x));
    refFrames.push(ref);
    rmseModel.push(r9(rms(x, ref)));
    rmseCv.push(r9(rms(cv.x, ref)));
  }
  const surrogateSeconds = (performance.now() - t0) / 1000;
  // Conservation drift (finite-difference velocities for both, so they are compared alike).
  const drift = (frames: Float64Array[]) => {
    const energy: number[] = [];
    const momentum: number[] = [];
    let e0: number[] = [];
    let p0: number[][] = [];
    for (let r = 1; r < frames.length; r++) {
      let eSum = 0;
      let pSum = 0;
      for (let b = 0; b < B; b++) {
        const xs = frames[r].subarray(b * n * 3, (b + 1) * n * 3);
        const xp = frames[r - 1].subarray(b * n * 3, (b + 1) * n * 3);
        const vs = new Float64Array(n * 3);
        for (let j = 0; j < n * 3; j++) vs[j] = (xs[j] - xp[j]) / t.frameInterval;
        const e = chargedEnergy(Float64Array.from(xs), vs, q.subarray(b * n, (b + 1) * n));
        const P = [0, 1, 2].map((d) => vs.reduce((a, val, j) => (j % 3 === d ? a + val : a), 0));
        if (r === 1) {
          e0[b] = e;
          p0[b] = P;
        }
        eSum += Math.abs(e - e0[b]);
        pSum += Math.hypot(P[0] - p0[b][0], P[1] - p0[b][1], P[2] - p0[b][2]);
      }
      energy.push(r9(eSum / B));
      momentum.push(r9(pSum / B));
    }
    return { energy, momentum };
  };
  const dModel = drift(predFrames);
  const dRef = drift(refFrames);
  // Equivariance: f(Qx + s, Qv) vs Q f(x, v) + s on the first rollout input, random rotations Q and shifts s.
  const x1 = predFrames[0];
  const v1 = new Float64Array(B * n * 3);
  tests.forEach((s, b) => {
    const a = frame(s, 1), z = frame(s, 0);
    for (let j = 0; j < n * 3; j++) v1[b * n * 3 + j] = a[j] - z[j];
  });
  // Reference simulator from the same states over the same horizon, timed in the same run (the peer).
  const o = simOptions(c);
  const horizon = nbodyOptions({ ...o, numSteps: (R + 1) * o.sampleEvery });
  const t1 = performance.now();
  tests.forEach((s, b) => {
    integrateCharged(Float64Array.from(frame(s, 1)), v1.slice(b * n * 3, (b + 1) * n * 3).map((d) => d / t.frameInterval), t.charges.slice(s * n, (s + 1) * n), horizon);
  });
  const referenceSeconds = (performance.now() - t1) / 1000;
  const base = predictNBody(model, stateSplit(x1, v1, q, B, n));
  const rng = new Rng(c.seed).fork('equivariance');
  const eqErr: number[] = [];
  const rotate = (Q: Float64Array, a: ArrayLike<number>, shift: number[]) => {
    const o2 = new Float64Array(a.length);
    for (let i = 0; i < a.length; i += 3) for (let r = 0; r < 3; r++) o2[i + r] = Q[3 * r] * a[i] + Q[3 * r + 1] * a[i + 1] + Q[3 * r + 2] * a[i + 2] + shift[r];
    return o2;
  };
  for (let k = 0; k < c.equivarianceTrials; k++) {
    const Q = randomRotation3(rng);
    const shift = [rng.normal(), rng.normal(), rng.normal()];
    const y = predictNBody(model, stateSplit(rotate(Q, x1, shift), rotate(Q, v1, [0, 0, 0]), q, B, n));
    const want = rotate(Q, base, shift);
    let num2 = 0, den2 = 0;
    for (let j = 0; j < y.length; j++) {
      num2 += (y[j] - want[j]) ** 2;
      den2 += want[j] ** 2;
    }
    eqErr.push(Math.sqrt(num2 / den2));
  }
  model.params.dispose();
  // One-step error of the constant-velocity baseline on the same test samples, for context.
  const ts = samples(t, 2);
  let cvSse = 0;
  for (let j = 0; j < ts.x0.length; j++) cvSse += (ts.x0[j] + ts.v0[j] - ts.xT[j]) ** 2;
  const cvOneStepMse = cvSse / ts.x0.length;
  const frames = [...Array(R + 1).keys()];
  const series = (name: string, y: number[], x = frames): Series => ({ name, x, y });
  const panels: Panel[] = [
    { id: 'loss', section: 'loss', title: `Training loss (${c.model}, one frame ahead)`, xLabel: 'epoch', yLabel: 'MSE', logY: true, series: [
      series('train', train.history.map((h) => r9(h.trainMse)), train.history.map((h) => h.epoch)),
      series('validation', train.history.map((h) => r9(h.valMse ?? NaN)), train.history.map((h) => h.epoch)),
    ] },
    { id: 'rollout-rmse', section: 'rollout-error', title: 'Rollout position RMSE vs frame (test trajectories)', xLabel: `frames after start (1 frame = ${c.sampleEvery} steps)`, yLabel: 'RMSE', series: [series(c.model, rmseModel), series('constant velocity', rmseCv)] },
    { id: 'energy-drift', section: 'conservation', title: 'Energy drift |E(t) − E(0)| (finite-difference velocities for both)', xLabel: 'frames after start', yLabel: 'drift', logY: true, series: [series(c.model, dModel.energy, frames.slice(1)), series('reference simulator', dRef.energy, frames.slice(1))] },
    { id: 'momentum-drift', section: 'conservation', title: 'Momentum drift |P(t) − P(0)|', xLabel: 'frames after start', yLabel: 'drift', series: [series(c.model, dModel.momentum, frames.slice(1)), series('reference simulator', dRef.momentum, frames.slice(1))] },
    { id: 'equivariance', section: 'equivariance', title: 'E(3) equivariance error ‖f(Qx+s) − (Qf(x)+s)‖ / ‖f‖ per random trial', xLabel: 'trial', yLabel: 'relative error', logY: true, series: [series(c.model, eqErr.map((e) => Math.max(e, 1e-12)).map(r9), [...Array(eqErr.length).keys()])] },
  ];
  const snapB = 0;
  const pick = (fr: Float64Array[]) => fr.flatMap((f) => Array.from(f.subarray(snapB * n * 3, (snapB + 1) * n * 3)).map(r9));
  const metrics: RunMetrics = {
    format: 'gnnwb-run-metrics',
    run: 'quickstart',
    domain: 'md',
    kind: `nbody-pipeline (${c.model})`,
    seed: c.seed,
    configHash: configHash(c),
    scalars: {
      epochs: train.history.length,
      bestEpoch: train.bestEpoch,
      numParams: train.numParams,
      oneStepTestMse: r9(train.testMseAtBest),
      constantVelocityOneStepMse: r9(cvOneStepMse),
      [`rolloutRmse@${R}`]: rmseModel[R],
      [`constantVelocityRmse@${R}`]: rmseCv[R],
      [`energyDrift@${R}`]: dModel.energy[R - 1],
      [`referenceEnergyDrift@${R}`]: dRef.energy[R - 1],
      [`momentumDrift@${R}`]: dModel.momentum[R - 1],
      equivarianceErrorMax: r9(Math.max(...eqErr)),
    },
    panels,
    snapshots: [{ type: 'particles', id: 'trajectory', title: `Test trajectory ${snapB}: reference (solid) vs ${c.model} rollout (dotted), x–y projection`, reference: pick(refFrames), predicted: pick(predFrames), numParticles: n, color: Array.from(q.subarray(0, n)) }],
    provenance: { dataset: 'data.h5', datasetConfigHash: configHash(c), checkpoint: 'train.ckpt.json', bestEpoch: String(meta.bestEpoch) },
  };
  writeJsonAtomic(join(out, 'metrics.json'), metrics);
  const epochSeconds = existsSync(join(out, 'train-timings.json')) ? (JSON.parse(readFileSync(join(out, 'train-timings.json'), 'utf8')) as { epochSeconds: number[] }).epochSeconds : [];
  const sorted = [...epochSeconds].sort((a, b) => a - b);
  const timings: RunTimings = {
    format: 'gnnwb-run-timings',
    timings: [
      { name: `rollout of ${B} trajectories × ${R} frames`, value: surrogateSeconds, unit: 's', peer: { name: `reference simulator (${R * c.sampleEvery} steps each)`, value: referenceSeconds }, note: 'surrogate: one model call per frame; reference: integrator steps' },
      ...(sorted.length ? [{ name: 'training epoch (median)', value: sorted[Math.floor(sorted.length / 2)], unit: 's' }] : []),
    ],
  };
  writeJsonAtomic(join(out, 'timings.json'), timings);
  log(`rollout: RMSE@${R} ${c.model} ${rmseModel[R].toExponential(3)} vs constant velocity ${rmseCv[R].toExponential(3)}; equivariance error ≤ ${Math.max(...eqErr).toExponential(2)}`);
  return metrics;
}

/**
 * Runs all stages in `<out>/run` (each skipped if done) and writes the report to
 * `<out>/report.html` + `<out>/metrics.json`.
 */
export async function runQuickstart(out: string, raw: unknown, log: Log, opts: { force?: boolean } = {}): Promise<{ htmlPath: string; metricsPath: string }> {
  const c = quickstartConfig(raw);
  const run = join(out, 'run');
  prepareRunDir(run, c, opts.force);
  const b = await initBackend();
  log(`quickstart: backend ${b.name}, output ${out}`);
  await simulateStage(run, c, log);
  await trainStage(run, c, log);
  if (!existsSync(join(run, 'metrics.json'))) await rolloutStage(run, c, log);
  else log('rollout: metrics.json exists, skipped');
  const { buildReport } = await import('../report/report.js');
  const r = await buildReport({ runs: [run], out, title: 'gnnwb quickstart: charged N-body with EGNN' });
  return { htmlPath: r.htmlPath, metricsPath: r.metricsPath };
}
