/**
 * Training and rollout of MeshGraphNets on CylinderFlow-like data (Pfaff et al. 2021,
 * `meshgraphnets/cfd_model.py`, `cfd_eval.py`, `run_model.py`).
 *
 * Training step (one frame pair (u_t, u_{t+1}) of a random training trajectory):
 * ```
 *   n  ~ N(0, σ²) on NORMAL nodes only (σ = noiseStd, default 0.02), 0 elsewhere
 *   ũ  = u_t + n
 *   Δ  = u_{t+1} − ũ                         (the target corrects the noise)
 *   ŷ  = net(ũ)                              (node/edge normalisers accumulate ũ, edges)
 *   L  = mean over NORMAL ∪ OUTFLOW nodes of Σ_c (ŷ − norm_out(Δ))²   (norm_out accumulates Δ)
 * ```
 * With `unroll` k > 1 (a fine-tuning option for rollout error, as in weather training) the
 * sample is k + 1 consecutive frames; after each step u ← u + norm_out⁻¹(ŷ) with non-predicted
 * nodes reset to the reference frame, the next step's target is u_{t+j+1} − u, and L is the mean
 * of the k step losses (gradients through the unroll; noise only on the first input).
 * The first `warmupSteps` steps only accumulate normaliser statistics (no optimiser step).
 * Adam with a constant learning rate by default; with `lrFinal` the rate decays exponentially from
 * `lr` (up to step `lrDecayStart`) to `lrFinal` (at step `steps`), as in the paper, which decays
 * 1e-4 by 0.1 over 5·10⁶ steps. `initFrom` warm-starts a new run from another run's checkpoint
 * (weights, normalisers and Adam moments; the new run counts its own steps from 0).
 * Per-step randomness is `Rng(seed).fork(step)`, so a resumed run draws the same frames and
 * noise as an uninterrupted one.
 *
 * Rollout: u_{t+1} = u_t + norm_out⁻¹(net(u_t)); nodes that are not NORMAL/OUTFLOW are reset to
 * the reference values (Dirichlet layer); optionally the result is projected onto discretely
 * divergence-free fields (constraints/projection.ts) with the solver's boundary masks.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { NodeType } from '../geometry/trimesh/index.js';
import { applyDirichlet } from '../models/constraints/boundary.js';
import { p1Operators, type P1Operators } from '../models/constraints/p1.js';
import { nodalDivergence, type NodalDivergence } from '../models/constraints/p1_tensor.js';
import { divergenceFreeProjection, type Projection } from '../models/constraints/projection.js';
import { meshGraphNet, type MeshGraphNet, type MeshGraphNetOptions, type PreparedMesh } from '../models/meshgraphnet.js';
import { adam, disposeGrads, valueAndGrads, type AdamState, type Optimizer } from '../models/optim.js';
import type { NormalizerState } from '../models/normalizer.js';
import { ConfigError, describe } from '../util/errors.js';
import { loadCheckpoint, saveCheckpoint, type TensorRecord } from './checkpoint_state.js';
import type { MgnDataset, MgnTrajectory } from './mgn_data.js';
import { fluidConservation, rmseSeries, rolloutRmse } from './rollout_metrics.js';

/** Training configuration (plain JSON; defaults in {@link MGN_TRAIN_DEFAULTS}). */
export interface MgnTrainConfig {
  readonly model: MeshGraphNetOptions;
  readonly steps: number;
  readonly warmupSteps: number;
  readonly lr: number;
  /** With this, the rate decays exponentially from `lr` at `lrDecayStart` to `lrFinal` at `steps`. */
  readonly lrFinal?: number;
  readonly lrDecayStart: number;
  /** Warm start (for a fresh run only) from this checkpoint: weights, normalisers, Adam moments. */
  readonly initFrom?: string;
  readonly noiseStd: number;
  /**
   * Autoregressive steps in the loss (default 1). With k > 1 the model is rolled out k steps from
   * the noisy frame, boundary nodes reset to the reference after each step, and the loss is the
   * mean of the k one-step losses, each against the increment that returns the model's own state
   * to the reference frame; gradients flow through the whole unroll.
   */
  readonly unroll: number;
  /**
   * Weight λ of a divergence term (default 0: off). Each step adds
   * λ · mean over nodes without a pressure condition of (div(u_pred − u_ref))² / s², with div the
   * P1 nodal divergence (constraints/p1_tensor.ts), u_pred the model's next state (boundary nodes
   * reset), and s² = mean of |u_{t+1} − u_t|² / M_i over the same nodes and the training frame
   * changes (M_i the dual cell area, so |Δ|²/M_i is the squared divergence a change of that size
   * would have if it varied on the cell scale). The solver's own frame changes are nearly
   * divergence-free, so their divergence is no scale: its mean square is 2·10⁻⁶ of this one. With λ = 1 an error
   * whose divergence is |e|/h weighs about as much as its normalised squared error.
   */
  readonly divergenceWeight: number;
  readonly seed: number;
  /** Checkpoint file (resumed from when it exists). */
  readonly checkpointPath?: string;
  readonly checkpointEvery: number;
  /** Stop (with a checkpoint) after this many seconds of wall time. */
  readonly maxSeconds?: number;
  /** Log a progress line every this many steps. */
  readonly logEvery: number;
}

export const MGN_TRAIN_DEFAULTS: MgnTrainConfig = Object.freeze({
  model: {},
  steps: 10_000,
  warmupSteps: 100,
  lr: 1e-4,
  lrDecayStart: 0,
  noiseStd: 0.02,
  unroll: 1,
  divergenceWeight: 0,
  seed: 0,
  checkpointEvery: 100,
  logEvery: 20,
});

/** Checks a partial config and fills defaults. */
export function validateMgnTrainConfig(raw: Partial<MgnTrainConfig>): MgnTrainConfig {
  const c = { ...MGN_TRAIN_DEFAULTS, ...raw, model: { ...(raw.model ?? {}) } };
  const posInt = (k: keyof MgnTrainConfig, min = 1) => {
    const v = c[k];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw new ConfigError(`train.${k}`, `an integer >= ${min}`, describe(v));
  };
  posInt('steps', 0);
  posInt('warmupSteps', 0);
  posInt('checkpointEvery');
  posInt('logEvery');
  if (!(c.lr > 0)) throw new ConfigError('train.lr', 'a positive number', describe(c.lr));
  if (c.lrFinal !== undefined && !(c.lrFinal > 0 && c.lrFinal <= c.lr)) throw new ConfigError('train.lrFinal', `a positive number <= lr (${c.lr})`, describe(c.lrFinal));
  posInt('lrDecayStart', 0);
  posInt('unroll');
  if (c.lrDecayStart > c.steps) throw new ConfigError('train.lrDecayStart', `an integer <= steps (${c.steps})`, describe(c.lrDecayStart));
  if (c.initFrom !== undefined && (typeof c.initFrom !== 'string' || c.initFrom === '')) throw new ConfigError('train.initFrom', 'a checkpoint path (string)', describe(c.initFrom));
  if (!(typeof c.divergenceWeight === 'number' && c.divergenceWeight >= 0)) throw new ConfigError('train.divergenceWeight', 'a number >= 0', describe(c.divergenceWeight));
  if (!(c.noiseStd >= 0)) throw new ConfigError('train.noiseStd', 'a number >= 0', describe(c.noiseStd));
  if (!Number.isInteger(c.seed)) throw new ConfigError('train.seed', 'an integer', describe(c.seed));
  return Object.freeze(c);
}

/** Learning rate of optimiser step `step` (0-based) under `cfg`'s schedule. */
export function mgnLr(cfg: Pick<MgnTrainConfig, 'lr' | 'lrFinal' | 'lrDecayStart' | 'steps'>, step: number): number {
  if (cfg.lrFinal === undefined || cfg.lrFinal === cfg.lr) return cfg.lr;
  const span = cfg.steps - cfg.lrDecayStart;
  const x = span <= 0 ? 1 : Math.min(1, Math.max(0, (step - cfg.lrDecayStart) / span));
  return cfg.lr * Math.pow(cfg.lrFinal / cfg.lr, x);
}

/** Saved metadata of a run. */
export interface MgnRunMeta {
  readonly config: MgnTrainConfig;
  step: number;
  trainSeconds: number;
  normalizers: { node: NormalizerState; edge: NormalizerState; output: NormalizerState };
  adamStep: number;
  /** [step, loss] every logEvery steps. */
  history: [number, number][];
  /** The warm start, when the run began from another run's checkpoint: its path, and the steps and seconds of training behind it (summed over a chain of warm starts). */
  initFrom?: { path: string; step: number; trainSeconds: number };
}

/** Masks derived from node types: loss/prediction on NORMAL ∪ OUTFLOW; noise on NORMAL. */
export function mgnMasks(nodeType: Int32Array): { predicted: Uint8Array; boundary: Uint8Array; noisy: Uint8Array } {
  const N = nodeType.length;
  const predicted = new Uint8Array(N), boundary = new Uint8Array(N), noisy = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const t = nodeType[i];
    predicted[i] = t === NodeType.NORMAL || t === NodeType.OUTFLOW ? 1 : 0;
    boundary[i] = 1 - predicted[i];
    noisy[i] = t === NodeType.NORMAL ? 1 : 0;
  }
  return { predicted, boundary, noisy };
}

/** A model with its training state. */
export interface MgnRun {
  readonly model: MeshGraphNet;
  readonly optimizer: Optimizer;
  readonly meta: MgnRunMeta;
  readonly finished: boolean;
}

function paramTensors(model: MeshGraphNet, opt: Optimizer): Record<string, TensorRecord> {
  const out: Record<string, TensorRecord> = {};
  for (const [name, w] of Object.entries(model.params.getWeights())) out[`param/${name}`] = { shape: [...w.shape], data: w.data };
  const st = opt.getState();
  for (const [name, m] of Object.entries(st.m)) out[`adam_m/${name}`] = { shape: [m.length], data: m };
  for (const [name, v] of Object.entries(st.v)) out[`adam_v/${name}`] = { shape: [v.length], data: v };
  return out;
}

/**
 * One training step's loss (as a tensor) from frame `u` and the reference frames after it
 * (`next`: one frame, or k frames for a k-step unroll). Accumulates normaliser statistics
 * (node, edge, output) from the first step's sample only.
 */
export function mgnLoss(model: MeshGraphNet, mesh: PreparedMesh, u: Float32Array, next: Float32Array | readonly Float32Array[], masks: ReturnType<typeof mgnMasks>, noiseStd: number, rng: Rng, lossMask: tf.Tensor2D, div?: MgnDivergenceTerm): { loss: () => tf.Scalar; dispose: () => void; noisy: Float32Array; target: Float32Array } {
  const N = mesh.numNodes;
  const refs: readonly Float32Array[] = next instanceof Float32Array ? [next] : next;
  if (refs.length < 1) throw new ConfigError('mgnLoss.next', 'at least one reference frame', 'none');
  for (const [j, r] of refs.entries()) if (r.length !== 2 * N) throw new ConfigError(`mgnLoss.next[${j}]`, `a frame of ${2 * N} values`, `${r.length}`);
  const noisy = Float32Array.from(u);
  if (noiseStd > 0) for (let i = 0; i < N; i++) if (masks.noisy[i]) { noisy[2 * i] += noiseStd * rng.normal(); noisy[2 * i + 1] += noiseStd * rng.normal(); }
  const target = new Float32Array(2 * N);
  for (let k = 0; k < 2 * N; k++) target[k] = refs[0][k] - noisy[k];
  model.outputNormalizer.accumulate(target);
  // Node/edge statistics from this input (host side, outside the gradient tape).
  model.accumulate(mesh, noisy);
  const vIn = tf.tensor2d(noisy, [N, 2]);
  const tgt = tf.tensor2d(target, [N, 2]);
  const useDiv = div !== undefined && div.weight > 0;
  const refT = refs.length > 1 || useDiv ? refs.map((r) => tf.tensor2d(r, [N, 2])) : [];
  const count = masks.predicted.reduce((s, x) => s + x, 0);
  // [N, 1] per-node squared error, masked, averaged over NORMAL ∪ OUTFLOW nodes
  const stepLoss = (pred: tf.Tensor2D, t: tf.Tensor2D): tf.Scalar =>
    tf.div(tf.sum(tf.mul(tf.sum(tf.square(tf.sub(pred, model.outputNormalizer.normalize(t))), 1, true), lossMask)), count) as tf.Scalar;
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      let pred = model.forward(mesh, vIn);
      let total = stepLoss(pred, tgt);
      let state: tf.Tensor2D = vIn;
      for (let j = 0; j < refs.length; j++) {
        if (j > 0) {
          pred = model.forward(mesh, state);
          total = tf.add(total, stepLoss(pred, tf.sub(refT[j], state) as tf.Tensor2D)) as tf.Scalar;
        }
        if (!useDiv && j + 1 === refs.length) break;
        // u ← u + Δ on predicted nodes, the reference frame elsewhere (Dirichlet)
        const moved = tf.add(state, model.outputNormalizer.inverse(pred));
        state = tf.add(tf.mul(moved, lossMask), tf.mul(refT[j], tf.sub(1, lossMask))) as tf.Tensor2D;
        if (useDiv) {
          const d = div.op.apply(tf.sub(state, refT[j]) as tf.Tensor2D);
          total = tf.add(total, tf.mul(div.weight / (div.count * div.scale2), tf.sum(tf.mul(tf.square(d), div.mask)))) as tf.Scalar;
        }
      }
      return refs.length === 1 ? total : (tf.div(total, refs.length) as tf.Scalar);
    });
  return { loss, dispose: () => tf.dispose([vIn, tgt, ...refT]), noisy, target };
}

/** The divergence term of the loss (see {@link MgnTrainConfig.divergenceWeight}). */
export interface MgnDivergenceTerm {
  readonly weight: number;
  readonly op: NodalDivergence;
  /** `[N, 1]` 1 on nodes without a pressure condition. */
  readonly mask: tf.Tensor2D;
  readonly count: number;
  /** The scale s²: mean of |u_{t+1} − u_t|² / M_i over the training frame changes. */
  readonly scale2: number;
}

/** Builds the divergence term for `data`; s² from every 10th frame change of the training trajectories. */
export function mgnDivergenceTerm(data: MgnDataset, weight: number): MgnDivergenceTerm {
  const ops = p1Operators(data.mesh.positions, data.mesh.triangles);
  const N = data.mesh.numNodes;
  const keep = Uint8Array.from(data.pressureFixed, (p) => (p ? 0 : 1));
  const count = keep.reduce((s, x) => s + x, 0);
  let sum = 0, n = 0;
  for (const t of data.trajectories) {
    if (t.split !== 'train') continue;
    for (let f = 0; f + 1 < t.frames.length; f += 10) {
      for (let i = 0; i < N; i++) {
        if (!keep[i]) continue;
        const dx = t.frames[f + 1][2 * i] - t.frames[f][2 * i], dy = t.frames[f + 1][2 * i + 1] - t.frames[f][2 * i + 1];
        sum += (dx * dx + dy * dy) / ops.lumpedMass[i];
      }
      n += count;
    }
  }
  const scale2 = n > 0 ? sum / n : 0;
  if (!(scale2 > 0)) throw new ConfigError('train.divergenceWeight', 'training data with nonzero frame changes (the scale of the term)', String(scale2));
  return { weight, op: nodalDivergence(ops), mask: tf.tensor2d(Float32Array.from(keep), [N, 1]), count, scale2 };
}

/** Trains (or resumes) a MeshGraphNet on the training trajectories of `data`. */
export async function trainMgn(cfg: MgnTrainConfig, data: MgnDataset, log: (s: string) => void = () => {}): Promise<MgnRun> {
  const model = meshGraphNet(cfg.model);
  const optimizer = adam({ lr: mgnLr(cfg, 0) });
  const mesh = model.prepare(data.graph);
  const masks = mgnMasks(data.graph.nodeType);
  const lossMask = tf.tensor2d(Float32Array.from(masks.predicted), [mesh.numNodes, 1]);
  const train = data.trajectories.filter((t) => t.split === 'train');
  if (train.length === 0) throw new ConfigError('data', 'at least one training trajectory', 'none');
  const divTerm = cfg.divergenceWeight > 0 ? mgnDivergenceTerm(data, cfg.divergenceWeight) : undefined;
  if (divTerm) log(`divergence term: weight ${cfg.divergenceWeight}, scale s² ${divTerm.scale2.toExponential(3)} (mean |Δu|²/M_i of the training frame changes)`);
  const short = train.find((t) => t.frames.length <= cfg.unroll);
  if (short) throw new ConfigError('train.unroll', `fewer than the frames of every training trajectory (U_max ${short.uMax} has ${short.frames.length})`, String(cfg.unroll));
  let meta: MgnRunMeta = { config: cfg, step: 0, trainSeconds: 0, normalizers: model.normalizerState(), adamStep: 0, history: [] };
  const restore = (ck: { meta: MgnRunMeta; tensors: Record<string, TensorRecord> }): void => {
    const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
    const m: Record<string, Float32Array> = {}, v: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(ck.tensors)) {
      if (k.startsWith('param/')) weights[k.slice(6)] = { shape: t.shape, data: t.data };
      else if (k.startsWith('adam_m/')) m[k.slice(7)] = t.data;
      else if (k.startsWith('adam_v/')) v[k.slice(7)] = t.data;
    }
    model.params.setWeights(weights);
    if (ck.meta.adamStep > 0) optimizer.setState(model.params, { step: ck.meta.adamStep, m, v } as AdamState);
    model.setNormalizerState(ck.meta.normalizers);
  };
  const resumed = cfg.checkpointPath ? loadCheckpoint<MgnRunMeta>(cfg.checkpointPath) : null;
  if (resumed) {
    restore(resumed);
    meta = { ...resumed.meta, config: cfg };
    log(`resumed from ${cfg.checkpointPath} at step ${meta.step}`);
  } else if (cfg.initFrom) {
    const init = loadCheckpoint<MgnRunMeta>(cfg.initFrom);
    if (!init) throw new ConfigError('train.initFrom', 'an existing checkpoint file', `no file at ${cfg.initFrom}`);
    const a = init.meta.config.model as Record<string, unknown>, b = cfg.model as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) throw new ConfigError(`train.model.${k}`, `${JSON.stringify(a[k])} (as in initFrom ${cfg.initFrom})`, JSON.stringify(b[k]));
    }
    restore(init);
    // steps and seconds of the whole chain behind the checkpoint (it may itself be warm-started)
    const before = init.meta.initFrom;
    meta = { ...meta, normalizers: model.normalizerState(), adamStep: optimizer.steps, initFrom: { path: cfg.initFrom, step: init.meta.step + (before?.step ?? 0), trainSeconds: init.meta.trainSeconds + (before?.trainSeconds ?? 0) } };
    log(`warm start from ${cfg.initFrom} (${meta.initFrom!.step} steps, ${meta.initFrom!.trainSeconds.toFixed(0)} s of training behind it)`);
  }
  const save = () => {
    meta.trainSeconds = secondsBefore + (performance.now() - t0) / 1000;
    if (!cfg.checkpointPath) return;
    meta.normalizers = model.normalizerState();
    meta.adamStep = optimizer.steps;
    saveCheckpoint(cfg.checkpointPath, { meta, tensors: paramTensors(model, optimizer) });
  };
  const t0 = performance.now();
  const secondsBefore = meta.trainSeconds;
  const base = new Rng(cfg.seed);
  let finished = true;
  let lossAcc = 0, lossN = 0;
  while (meta.step < cfg.steps) {
    const rng = base.fork(meta.step);
    const traj = train[rng.int(train.length)];
    const f = rng.int(traj.frames.length - cfg.unroll);
    const s = mgnLoss(model, mesh, traj.frames[f], cfg.unroll === 1 ? traj.frames[f + 1] : traj.frames.slice(f + 1, f + 1 + cfg.unroll), masks, cfg.noiseStd, rng, lossMask, divTerm);
    let lossValue: number;
    if (meta.step < cfg.warmupSteps) {
      const l = s.loss();
      lossValue = l.dataSync()[0];
      l.dispose();
    } else {
      const rate = mgnLr(cfg, meta.step);
      if (rate !== optimizer.lr) optimizer.setLr(rate);
      const { value, grads } = valueAndGrads(model.params, s.loss);
      lossValue = value.dataSync()[0];
      optimizer.apply(model.params, grads);
      disposeGrads(grads);
      value.dispose();
    }
    s.dispose();
    meta.step++;
    lossAcc += lossValue;
    lossN++;
    const elapsed = (performance.now() - t0) / 1000;
    if (meta.step % cfg.logEvery === 0 || meta.step === cfg.steps) {
      meta.history.push([meta.step, lossAcc / lossN]);
      log(`step ${meta.step}/${cfg.steps} loss ${(lossAcc / lossN).toExponential(3)} ${meta.step <= cfg.warmupSteps ? '(warm-up: statistics only) ' : `lr ${optimizer.lr.toExponential(2)} `}${(secondsBefore + elapsed).toFixed(0)} s`);
      lossAcc = 0;
      lossN = 0;
    }
    if (meta.step % cfg.checkpointEvery === 0) save();
    if (cfg.maxSeconds !== undefined && elapsed > cfg.maxSeconds) {
      finished = meta.step >= cfg.steps;
      break;
    }
  }
  save();
  if (divTerm) { divTerm.op.dispose(); divTerm.mask.dispose(); }
  lossMask.dispose();
  mesh.dispose();
  return { model, optimizer, meta, finished };
}
