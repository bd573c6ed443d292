/**
 * The EGNN paper's N-body surrogate: train EGNN / GNN / linear dynamics to map
 * (positions, velocities at frame 30, charges) → positions at frame 40.
 *
 * Protocol (EGNN paper §5.1 and `n_body_system/main_nbody.py`): fully connected graphs of 5
 * nodes (20 directed edges); EGNN node input ‖v_i‖, edge attributes [q_i q_j, ‖x_i − x_j‖²];
 * GNN node input [x_i, v_i], edge attribute q_i q_j; MSE loss over all coordinates; Adam;
 * batch 100; the reported test MSE is the one at the epoch of best validation MSE.
 *
 * Plain functions for pipelines and notebooks:
 * ```ts
 * const data = generateNBodyDataset({ numTrain: 200, numVal: 200, numTest: 200 });
 * const run = await trainNBody({ ...NBODY_TRAIN_DEFAULTS, model: 'egnn', epochs: 5 }, data);
 * run.result.testMseAtBest;   // e.g. 0.05 after 5 epochs on 200 trajectories
 * const pred = predictNBody(run.model, data.test);  // Float32Array [size, 5, 3]
 * run.model.params.dispose();
 * ```
 * Resumable: with `checkpointPath`, the run state (parameters, Adam moments, best-validation
 * parameters, history) is saved every `checkpointEvery` epochs and a new call with the same
 * path continues from it.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { ConfigError } from '../util/errors.js';
import { Params } from '../models/equivariant/nn.js';
import { createEgnn, inverseInDegree, type EgnnConfig } from '../models/equivariant/egnn.js';
import { createGnn, createLinearDynamics } from '../models/equivariant/baselines.js';
import { NBODY_DATA_DEFAULTS, generateNBodyDataset, type NBodyDataOptions, type NBodyDataset, type NBodySplit } from './nbody_data.js';
import { Adam, trainStep } from './trainer.js';
import { loadCheckpoint, saveCheckpoint, type TensorRecord } from './checkpoint_state.js';

export type NBodyModelKind = 'egnn' | 'gnn' | 'linear';

/** Training configuration (plain JSON). */
export interface NBodyTrainConfig {
  readonly model: NBodyModelKind;
  readonly data: Partial<NBodyDataOptions>;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly hidden: number;
  readonly layers: number;
  /** Seed of initialisation and shuffling. */
  readonly seed: number;
  /** Validate (and test when validation improves) every this many epochs. */
  readonly evalEvery: number;
  readonly checkpointPath?: string;
  readonly checkpointEvery?: number;
  /** Stop (cleanly, after a checkpoint) once this much wall time has passed in this call. */
  readonly maxSeconds?: number;
}

export const NBODY_TRAIN_DEFAULTS: NBodyTrainConfig = Object.freeze({
  model: 'egnn',
  data: {},
  epochs: 1000,
  batchSize: 100,
  lr: 5e-4,
  hidden: 64,
  layers: 4,
  seed: 1,
  evalEvery: 1,
});

export function validateNBodyTrainConfig(c: Partial<NBodyTrainConfig>): NBodyTrainConfig {
  const o = { ...NBODY_TRAIN_DEFAULTS, ...c } as NBodyTrainConfig;
  if (!['egnn', 'gnn', 'linear'].includes(o.model)) throw new ConfigError('model', 'one of egnn, gnn, linear', JSON.stringify(o.model));
  for (const k of ['epochs', 'batchSize', 'hidden', 'layers', 'evalEvery'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ConfigError(k, 'an integer >= 1', JSON.stringify(o[k]));
  }
  if (!(o.lr > 0)) throw new ConfigError('lr', 'a number > 0', JSON.stringify(o.lr));
  if (!Number.isInteger(o.seed)) throw new ConfigError('seed', 'an integer', JSON.stringify(o.seed));
  return Object.freeze(o);
}

/**
 * The full data options a run's config stands for. Checkpoints written before the `rng`
 * option existed (session 1) were trained on the workbench's own stream, so a config recorded
 * without `rng` inside a checkpoint means `'gnnwb'`; a fresh config without it means today's
 * default (the reference's NumPy draw).
 */
export function resolveNBodyData(data: Partial<NBodyDataOptions>, fromCheckpoint: boolean): NBodyDataOptions {
  return { ...NBODY_DATA_DEFAULTS, ...(fromCheckpoint ? { rng: 'gnnwb' as const } : {}), ...data };
}

function sameData(a: NBodyDataOptions, b: NBodyDataOptions): boolean {
  const key = (o: NBodyDataOptions): string => JSON.stringify(Object.keys(o).sort().map((k) => [k, (o as unknown as Record<string, unknown>)[k]]));
  return key(a) === key(b);
}

/** Tensors of one batch of B graphs. */
interface BatchTensors {
  x: tf.Tensor2D;
  v: tf.Tensor2D;
  h0: tf.Tensor2D;
  edgeAttr: tf.Tensor2D;
  senders: tf.Tensor1D;
  receivers: tf.Tensor1D;
  invDegree: tf.Tensor2D;
  target: tf.Tensor2D;
}

/** A trained or training N-body model. */
export interface NBodyModel {
  readonly kind: NBodyModelKind;
  readonly params: Params;
  /** Predicted positions [B·n, 3] for a batch. */
  predict(b: BatchTensors): tf.Tensor2D;
}

export function createNBodyModel(cfg: NBodyTrainConfig): NBodyModel {
  const rng = new Rng(cfg.seed).fork('init');
  const params = new Params();
  if (cfg.model === 'egnn') {
    const ec: EgnnConfig = { nodeIn: 1, edgeIn: 2, hidden: cfg.hidden, layers: cfg.layers, velocity: true, coordClamp: 100 };
    const m = createEgnn(ec, rng, params);
    return { kind: 'egnn', params, predict: (b) => m.apply(b).x };
  }
  if (cfg.model === 'gnn') {
    const m = createGnn({ nodeIn: 6, edgeIn: 1, hidden: cfg.hidden, layers: cfg.layers }, rng, params);
    return { kind: 'gnn', params, predict: (b) => m.apply(b) };
  }
  const m = createLinearDynamics(params);
  return { kind: 'linear', params, predict: (b) => m.apply(b) };
}

const topo = new Map<string, { s: Int32Array; r: Int32Array }>();

/** Fully connected directed edges (no self loops) of B graphs of n nodes; receivers = i, senders = j. */
export function fullyConnected(B: number, n: number): { senders: Int32Array; receivers: Int32Array } {
  const key = `${B}x${n}`;
  let t = topo.get(key);
  if (!t) {
    const E = n * (n - 1);
    const s = new Int32Array(B * E);
    const r = new Int32Array(B * E);
    let e = 0;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          r[e] = b * n + i;
          s[e] = b * n + j;
          e++;
        }
      }
    }
    topo.set(key, (t = { s, r }));
  }
  return { senders: t.s, receivers: t.r };
}

/** Builds the batch tensors for samples `idx` of a split. Caller disposes. */
export function makeBatch(split: NBodySplit, idx: ArrayLike<number>, kind: NBodyModelKind): BatchTensors {
  const B = idx.length;
  const n = split.numParticles;
  const x = new Float32Array(B * n * 3);
  const v = new Float32Array(B * n * 3);
  const t = new Float32Array(B * n * 3);
  const q = new Float32Array(B * n);
  for (let b = 0; b < B; b++) {
    const s = idx[b];
    x.set(split.x0.subarray(s * n * 3, (s + 1) * n * 3), b * n * 3);
    v.set(split.v0.subarray(s * n * 3, (s + 1) * n * 3), b * n * 3);
    t.set(split.xT.subarray(s * n * 3, (s + 1) * n * 3), b * n * 3);
    q.set(split.charges.subarray(s * n, (s + 1) * n), b * n);
  }
  const h0 = new Float32Array(B * n);
  for (let i = 0; i < B * n; i++) h0[i] = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
  const { senders, receivers } = fullyConnected(B, n);
  const E = senders.length;
  const width = kind === 'egnn' ? 2 : 1;
  const ea = new Float32Array(E * width);
  for (let e = 0; e < E; e++) {
    const i = receivers[e], j = senders[e];
    ea[e * width] = q[i] * q[j];
    if (width === 2) {
      const dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
      ea[e * width + 1] = dx * dx + dy * dy + dz * dz;
    }
  }
  return {
    x: tf.tensor2d(x, [B * n, 3]),
    v: tf.tensor2d(v, [B * n, 3]),
    h0: tf.tensor2d(h0, [B * n, 1]),
    edgeAttr: tf.tensor2d(ea, [E, width]),
    senders: tf.tensor1d(senders, 'int32'),
    receivers: tf.tensor1d(receivers, 'int32'),
    invDegree: inverseInDegree(receivers, B * n),
    target: tf.tensor2d(t, [B * n, 3]),
  };
}

function disposeBatch(b: BatchTensors): void {
  for (const t of Object.values(b)) (t as tf.Tensor).dispose();
}

/** Mean squared error over all coordinates of a split (evaluated in chunks of 500 samples). */
export function evaluateNBody(model: NBodyModel, split: NBodySplit, chunk = 500): number {
  let sse = 0;
  for (let start = 0; start < split.size; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, split.size - start) }, (_, k) => start + k);
    const b = makeBatch(split, idx, model.kind);
    const e = tf.tidy(() => tf.sum(tf.square(tf.sub(model.predict(b), b.target))));
    sse += e.dataSync()[0];
    e.dispose();
    disposeBatch(b);
  }
  return sse / (split.size * split.numParticles * 3);
}

/** Predicted target positions [size, n, 3] of a split. */
export function predictNBody(model: NBodyModel, split: NBodySplit, chunk = 500): Float32Array {
  const out = new Float32Array(split.size * split.numParticles * 3);
  for (let start = 0; start < split.size; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, split.size - start) }, (_, k) => start + k);
    const b = makeBatch(split, idx, model.kind);
    const p = tf.tidy(() => model.predict(b));
    out.set(p.dataSync() as Float32Array, start * split.numParticles * 3);
    p.dispose();
    disposeBatch(b);
  }
  return out;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly trainMse: number;
  readonly valMse?: number;
  readonly testMse?: number;
  /** Wall time of the training part of the epoch, seconds. */
  readonly seconds: number;
}

/** Metadata saved in the checkpoint and returned as the run's result. */
export interface NBodyRunMeta {
  readonly config: NBodyTrainConfig;
  readonly epochsDone: number;
  readonly adamStep: number;
  readonly bestEpoch: number;
  readonly bestValMse: number;
  readonly testMseAtBest: number;
  readonly history: EpochRecord[];
  readonly numParams: number;
}

export interface NBodyRun {
  readonly model: NBodyModel;
  readonly result: NBodyRunMeta;
  /** Parameters at the best validation epoch, restored into `model` at the end. */
  readonly finished: boolean;
}

/**
 * Trains one N-body model (resuming from `checkpointPath` if it exists); on return the model
 * holds the best-validation parameters. `log` receives one line per evaluated epoch.
 */
export async function trainNBody(
  config: Partial<NBodyTrainConfig>, data?: NBodyDataset, log: (line: string) => void = () => {},
): Promise<NBodyRun> {
  const cfg = validateNBodyTrainConfig(config);
  const ds = data ?? generateNBodyDataset(cfg.data);
  const model = createNBodyModel(cfg);
  const opt = new Adam(model.params, { lr: cfg.lr });
  let meta: NBodyRunMeta = {
    config: cfg, epochsDone: 0, adamStep: 0, bestEpoch: -1, bestValMse: Infinity, testMseAtBest: NaN, history: [], numParams: model.params.count(),
  };
  let best: Record<string, TensorRecord> = model.params.snapshot();
  if (cfg.checkpointPath) {
    const ck = loadCheckpoint<NBodyRunMeta>(cfg.checkpointPath);
    if (ck) {
      const was = resolveNBodyData(ck.meta.config.data ?? {}, true);
      const now = resolveNBodyData(cfg.data, false);
      if (!sameData(was, now)) {
        throw new ConfigError('data', `the data the checkpoint ${cfg.checkpointPath} was trained on (${JSON.stringify(was)})`, `${JSON.stringify(now)} (use a new checkpointPath)`);
      }
      const cur: Record<string, TensorRecord> = {};
      const bst: Record<string, TensorRecord> = {};
      for (const [k, t] of Object.entries(ck.tensors)) {
        if (k.startsWith('best/')) bst[k.slice(5)] = t;
        else if (!k.startsWith('adam/')) cur[k] = t;
      }
      model.params.restore(cur);
      opt.restore(ck.tensors, ck.meta.adamStep);
      best = bst;
      meta = { ...ck.meta, config: cfg, bestValMse: ck.meta.bestValMse ?? Infinity };
      log(`resumed from ${cfg.checkpointPath} at epoch ${meta.epochsDone}`);
    }
  }
  const save = (): void => {
    if (!cfg.checkpointPath) return;
    const tensors: Record<string, TensorRecord> = { ...model.params.snapshot(), ...opt.state() };
    for (const [k, t] of Object.entries(best)) tensors[`best/${k}`] = t;
    // The checkpoint records the resolved data options (with `rng`), so a resume compares like
    // with like whatever defaults the config left out.
    const config = { ...meta.config, data: resolveNBodyData(meta.config.data, false) };
    saveCheckpoint(cfg.checkpointPath, { meta: { ...meta, config, adamStep: opt.step }, tensors });
  };
  const train = ds.train;
  const n = train.numParticles;
  const t0 = performance.now();
  let stopped = false;
  for (let epoch = meta.epochsDone; epoch < cfg.epochs; epoch++) {
    const perm = new Rng(cfg.seed).fork(`epoch${epoch}`).permutation(train.size);
    const te = performance.now();
    let sum = 0, count = 0;
    for (let s = 0; s < train.size; s += cfg.batchSize) {
      const idx = perm.subarray(s, Math.min(train.size, s + cfg.batchSize));
      const b = makeBatch(train, idx, model.kind);
      const loss = trainStep(model.params, opt, () => tf.mean(tf.square(tf.sub(model.predict(b), b.target))) as tf.Scalar);
      disposeBatch(b);
      sum += loss * idx.length;
      count += idx.length;
    }
    const seconds = (performance.now() - te) / 1000;
    let rec: EpochRecord = { epoch: epoch + 1, trainMse: sum / count, seconds };
    if ((epoch + 1) % cfg.evalEvery === 0 || epoch + 1 === cfg.epochs) {
      const valMse = evaluateNBody(model, ds.val);
      rec = { ...rec, valMse };
      if (valMse < meta.bestValMse) {
        const testMse = evaluateNBody(model, ds.test);
        rec = { ...rec, testMse };
        best = model.params.snapshot();
        meta = { ...meta, bestEpoch: epoch + 1, bestValMse: valMse, testMseAtBest: testMse };
      }
      log(`epoch ${epoch + 1} train ${rec.trainMse.toFixed(5)} val ${valMse.toFixed(5)}${rec.testMse !== undefined ? ` test ${rec.testMse.toFixed(5)} *` : ''} (${seconds.toFixed(2)} s)`);
    }
    meta = { ...meta, epochsDone: epoch + 1, adamStep: opt.step, history: [...meta.history, rec] };
    const timeUp = cfg.maxSeconds !== undefined && (performance.now() - t0) / 1000 > cfg.maxSeconds;
    if (cfg.checkpointPath && ((epoch + 1) % (cfg.checkpointEvery ?? 10) === 0 || epoch + 1 === cfg.epochs || timeUp)) save();
    if (timeUp) {
      stopped = true;
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
  model.params.restore(best);
  opt.dispose();
  void n;
  return { model, result: meta, finished: !stopped && meta.epochsDone >= cfg.epochs };
}
