/**
 * Demonstration (a) of issue 9, trained: a message-passing particle surrogate of the charged
 * N-body system (src/sims/md/nbody.ts, the EGNN paper's generator) trained twice — plain, and
 * with momentum-conserving antisymmetric messages — then rolled out autoregressively against the
 * simulator: total-momentum drift and position MSE vs step.
 *
 * One step of the surrogate maps frame k → k+1 (default: one simulator step, Δt = 0.001, so that
 * the target is a function of the state — with a coarser frame spacing close encounters inside
 * a frame make even the exact force Δt·F(x_k) miss 30 % of the Δv variance at Δt = 0.01) on the fully
 * connected graph of the 5 particles. The model is EGNN-style: a pair network ψ (an MLP) of
 * rotation-invariant inputs gives four scalars per edge, which weight the two antisymmetric
 * edge vectors r̂_e = (x_r − x_s)/|x_r − x_s| and w_e = v_r − v_s. Both variants share ψ, its inputs and its
 * initial weights; they differ only in whether ψ is symmetrised over the pair:
 *
 *   inputs   h_i = [q_i, |v_i|];  a_e = [qq, |r|, 10 qq min(10⁻³/|r|², 0.1), r̂·w, |w|]
 *            (qq = q_s q_r; the third is the protocol's clipped pair-kick magnitude: a
 *            Coulomb-shaped feature, so the MLP need not learn the 1/r² singularity — particles
 *            come as close as |r| ≈ 0.01 — from |r| alone)
 *   plain:      (α, β, γ, δ)_e = ψ([h_s, h_r, a_e])                      (ψ(s,r) ≠ ψ(r,s))
 *   conserving: (α, β, γ, δ)_e = ψ([h_s, h_r, a_e]) + ψ([h_r, h_s, a_e])  (symmetric, exactly)
 *   node i:     Δv̂_i = Σ_{e: r(e)=i} α_e r̂_e + β_e w_e,   Δx̂_i = Σ γ_e r̂_e + δ_e w_e
 *   update:     v' = v + σ_v Δv̂,   x' = x + Δt (v + v')/2 + σ_x Δx̂
 *
 * With a symmetric pair scalar times an antisymmetric vector, the edge updates are exactly
 * antisymmetric (f_ē = −f_e in IEEE arithmetic), so Σ_i Δv_i = 0: with the protocol's equal
 * (unit) masses total momentum is conserved for any weights. The plain variant is the same
 * network without the symmetrisation — a standard message-passing surrogate that can, but need
 * not, learn Newton's third law. Loss: MSE of the normalised (Δv, Δx residual) targets. The
 * rollout state is Float64 on the host; the model runs in float32.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { mlp, type Mlp } from '../models/layers.js';
import { ParamStore } from '../models/params.js';
import { adam, disposeGrads, valueAndGrads } from '../models/optim.js';
import { gatherRows, segmentSum } from '../models/segment.js';
import { reverseEdgeIndex, symmetricEdgeValues } from '../models/constraints/antisymmetric.js';
import { nbodyOptions, simulateCharged, type NBodyOptions } from '../sims/md/nbody.js';
import { ValueError } from '../util/errors.js';
import { momentumDrift } from './rollout_metrics.js';

export type MomentumVariant = 'plain' | 'conserving';

/** Demo configuration (plain JSON). */
export interface MomentumDemoConfig {
  readonly trainTrajectories: number;
  readonly testTrajectories: number;
  readonly hidden: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Fraction of steps after which lr is multiplied by 0.1. */
  readonly lrDecayAt: number;
  readonly seed: number;
  /** Simulator options (default: the EGNN paper's protocol, 2,000 steps saved at every step: 1,999 frames 0.001 apart). */
  readonly sim: Partial<NBodyOptions>;
  /** Rollout length in surrogate steps (capped at frames − 1). */
  readonly rolloutSteps: number;
  readonly out: string;
}

export const MOMENTUM_DEMO_DEFAULTS: MomentumDemoConfig = Object.freeze({
  trainTrajectories: 200,
  testTrajectories: 20,
  hidden: 64,
  steps: 3000,
  batchSize: 64,
  lr: 1e-3,
  lrDecayAt: 0.75,
  seed: 0,
  sim: { sampleEvery: 1, numSteps: 2000 },
  rolloutSteps: 1000,
  out: 'results/constraints_momentum.json',
});

const D = 3;
const F = 2; // q, |v|
const SYM = 5;
/** Pair scalars per edge: α, β (velocity update), γ, δ (position residual). */
const K = 4;

/** Trajectories as Float64 arrays: positions/velocities [T, n, 3], charges [n]. */
interface Traj {
  readonly x: Float64Array;
  readonly v: Float64Array;
  readonly q: Float64Array;
  readonly frames: number;
}

function simulate(rng: Rng, count: number, sim: Partial<NBodyOptions>): Traj[] {
  return Array.from({ length: count }, (_, k) => {
    const t = simulateCharged(rng.fork(`trajectory-${k}`), sim);
    return { x: t.positions, v: t.velocities, q: t.charges, frames: t.numFrames };
  });
}

/** The fully connected graph of B copies of n particles. */
function batchGraph(B: number, n: number): { senders: Int32Array; receivers: Int32Array } {
  const s: number[] = [], r: number[] = [];
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) { s.push(b * n + i); r.push(b * n + j); }
  return { senders: Int32Array.from(s), receivers: Int32Array.from(r) };
}

/** Host-side model inputs for a batch of states (x, v [B·n·3], q [B·n]). */
function features(x: ArrayLike<number>, v: ArrayLike<number>, q: ArrayLike<number>, senders: Int32Array, receivers: Int32Array) {
  const N = q.length, E = senders.length;
  const h = new Float32Array(N * F);
  for (let i = 0; i < N; i++) {
    h[i * F] = q[i];
    h[i * F + 1] = Math.hypot(v[i * D], v[i * D + 1], v[i * D + 2]);
  }
  // [E, SYM] invariants (symmetric in s ↔ r); [E, 3] r_e and w_e (antisymmetric)
  const sym = new Float32Array(E * SYM), rel = new Float32Array(E * D), relv = new Float32Array(E * D);
  for (let e = 0; e < E; e++) {
    const s = senders[e], r = receivers[e];
    let d2 = 0, w2 = 0, rw = 0;
    for (let c = 0; c < D; c++) {
      const dx = x[r * D + c] - x[s * D + c], dv = v[r * D + c] - v[s * D + c];
      rel[e * D + c] = dx;
      relv[e * D + c] = dv;
      d2 += dx * dx;
      w2 += dv * dv;
      rw += dx * dv;
    }
    const d = Math.sqrt(d2), inv = 1 / Math.max(d, 1e-6);
    for (let c = 0; c < D; c++) rel[e * D + c] *= inv; // unit vector r̂_e (r̂_ē = −r̂_e exactly)
    const qq = q[s] * q[r];
    sym[e * SYM] = qq;
    sym[e * SYM + 1] = d;
    // The protocol's pair kick magnitude Δt/|r|², capped at its force clip 0.1, scaled to [0, 1].
    sym[e * SYM + 2] = qq * 10 * Math.min(1e-3 / d2, 0.1);
    sym[e * SYM + 3] = rw * inv;
    sym[e * SYM + 4] = Math.sqrt(w2);
  }
  return { h, sym, rel, relv };
}

/** A built variant. */
export interface MomentumDemoModel {
  readonly variant: MomentumVariant;
  readonly psi: Mlp;
  readonly params: ParamStore;
  /** Std of Δv and of the position residual Δx − Δt (v + v')/2 over the training pairs. */
  readonly sigmaV: number;
  readonly sigmaX: number;
  readonly dt: number;
}

/** Normalised node outputs [N, 6] = [Δv̂, Δx̂] for a batch (call inside tidy/tape). */
function forward(m: MomentumDemoModel, f: ReturnType<typeof features>, senders: tf.Tensor1D, receivers: tf.Tensor1D, reverse: tf.Tensor1D, N: number): tf.Tensor2D {
  const E = senders.shape[0];
  const h = tf.tensor2d(f.h, [N, F]);
  const sym = tf.tensor2d(f.sym, [E, SYM]);
  const rel = tf.tensor2d(f.rel, [E, D]);
  const relv = tf.tensor2d(f.relv, [E, D]);
  // [E, K] pair scalars
  const s = m.variant === 'conserving'
    ? symmetricEdgeValues(m.psi, h, senders, receivers, sym, undefined, reverse)
    : m.psi(tf.concat([gatherRows(h, senders), gatherRows(h, receivers), sym], 1) as tf.Tensor2D);
  const col = (k: number) => tf.slice(s, [0, k], [E, 1]);
  // [E, 3] each: α r + β w and γ r + δ w
  const dv = tf.add(tf.mul(col(0), rel), tf.mul(col(1), relv));
  const dx = tf.add(tf.mul(col(2), rel), tf.mul(col(3), relv));
  // [N, 6]
  return segmentSum(tf.concat([dv, dx], 1) as tf.Tensor2D, receivers, N);
}

function trainPairs(trajs: readonly Traj[]): [number, number][] {
  const out: [number, number][] = [];
  trajs.forEach((t, k) => {
    for (let f = 0; f + 1 < t.frames; f++) out.push([k, f]);
  });
  return out;
}

/** Trains a variant; returns the loss curve (mean per 100 steps) and seconds. */
function train(m: MomentumDemoModel, trajs: readonly Traj[], n: number, c: MomentumDemoConfig, log: (s: string) => void): { losses: { step: number; loss: number }[]; seconds: number } {
  const pairs = trainPairs(trajs);
  const rng = new Rng(c.seed).fork('momentum-demo-batches');
  const B = c.batchSize, N = B * n;
  const g = batchGraph(B, n);
  const senders = tf.tensor1d(g.senders, 'int32'), receivers = tf.tensor1d(g.receivers, 'int32');
  const reverse = tf.tensor1d(reverseEdgeIndex(g.senders, g.receivers), 'int32');
  const decayAt = Math.round(c.lrDecayAt * c.steps);
  let opt = adam({ lr: c.lr });
  const losses: { step: number; loss: number }[] = [];
  let acc = 0, cnt = 0;
  const t0 = performance.now();
  const x = new Float64Array(N * D), v = new Float64Array(N * D), q = new Float64Array(N), target = new Float32Array(N * 6);
  for (let step = 0; step < c.steps; step++) {
    if (step === decayAt && step > 0) {
      const st = opt.getState();
      opt.dispose();
      opt = adam({ lr: c.lr * 0.1 });
      opt.setState(m.params, st);
    }
    for (let b = 0; b < B; b++) {
      const [k, f] = pairs[rng.int(pairs.length)];
      const t = trajs[k];
      for (let i = 0; i < n; i++) {
        q[b * n + i] = t.q[i];
        for (let cc = 0; cc < D; cc++) {
          const a = (f * n + i) * D + cc, z = ((f + 1) * n + i) * D + cc, o = (b * n + i) * D + cc;
          x[o] = t.x[a];
          v[o] = t.v[a];
          target[(b * n + i) * 6 + cc] = (t.v[z] - t.v[a]) / m.sigmaV;
          target[(b * n + i) * 6 + D + cc] = (t.x[z] - t.x[a] - (m.dt * (t.v[a] + t.v[z])) / 2) / m.sigmaX;
        }
      }
    }
    const feat = features(x, v, q, g.senders, g.receivers);
    const y = tf.tensor2d(target, [N, 6]);
    const { value, grads } = valueAndGrads(m.params, () => tf.mean(tf.square(tf.sub(forward(m, feat, senders, receivers, reverse, N), y))) as tf.Scalar);
    opt.apply(m.params, grads);
    const lv = value.dataSync()[0];
    tf.dispose([value, y]);
    disposeGrads(grads);
    if (!Number.isFinite(lv)) throw new ValueError('training loss', 'a finite number', `${lv} at step ${step} (${m.variant})`, 'Lower lr');
    acc += lv;
    cnt++;
    if ((step + 1) % 100 === 0 || step + 1 === c.steps) {
      losses.push({ step: step + 1, loss: acc / cnt });
      log(`${m.variant}: step ${step + 1}/${c.steps} loss ${(acc / cnt).toExponential(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      acc = 0;
      cnt = 0;
    }
  }
  opt.dispose();
  tf.dispose([senders, receivers, reverse]);
  return { losses, seconds: (performance.now() - t0) / 1000 };
}

/** Rolls all `trajs` out together from frame 0; returns per-trajectory velocity and position frames. */
/** Largest |coordinate| (positions or velocities) beyond which a rollout counts as diverged. */
export const DIVERGED_ABS = 1e3;

function rollout(m: MomentumDemoModel | null, trajs: readonly Traj[], n: number, steps: number, dt: number): { v: Float64Array[][]; x: Float64Array[][]; divergedAt: (number | null)[] } {
  const B = trajs.length, N = B * n;
  const g = batchGraph(B, n);
  const senders = tf.tensor1d(g.senders, 'int32'), receivers = tf.tensor1d(g.receivers, 'int32');
  const reverse = tf.tensor1d(reverseEdgeIndex(g.senders, g.receivers), 'int32');
  const x = new Float64Array(N * D), v = new Float64Array(N * D), q = new Float64Array(N);
  trajs.forEach((t, b) => {
    x.set(t.x.subarray(0, n * D), b * n * D);
    v.set(t.v.subarray(0, n * D), b * n * D);
    q.set(t.q, b * n);
  });
  const divergedAt: (number | null)[] = trajs.map(() => null);
  const vs: Float64Array[][] = trajs.map((_, b) => [v.slice(b * n * D, (b + 1) * n * D)]);
  const xs: Float64Array[][] = trajs.map((_, b) => [x.slice(b * n * D, (b + 1) * n * D)]);
  for (let k = 0; k < steps; k++) {
    if (m) {
      const feat = features(x, v, q, g.senders, g.receivers);
      const out = tf.tidy(() => forward(m, feat, senders, receivers, reverse, N));
      const o = out.dataSync();
      out.dispose();
      for (let i = 0; i < N; i++) {
        for (let c = 0; c < D; c++) {
          const dv = o[i * 6 + c] * m.sigmaV, dx = o[i * 6 + D + c] * m.sigmaX;
          x[i * D + c] += (m.dt * (2 * v[i * D + c] + dv)) / 2 + dx;
          v[i * D + c] += dv;
        }
      }
    } else {
      // Constant-velocity baseline.
      for (let i = 0; i < N * D; i++) x[i] += dt * v[i];
    }
    trajs.forEach((_, b) => {
      if (divergedAt[b] !== null) return;
      const vb = v.slice(b * n * D, (b + 1) * n * D), xb = x.slice(b * n * D, (b + 1) * n * D);
      let ok = true;
      for (let j = 0; j < n * D; j++) if (!(Math.abs(vb[j]) < DIVERGED_ABS && Math.abs(xb[j]) < DIVERGED_ABS)) ok = false;
      if (!ok) {
        divergedAt[b] = k + 1;
        // A diverged system is frozen (and excluded from the series from this step on).
        for (let j = 0; j < n * D; j++) {
          v[b * n * D + j] = 0;
          x[b * n * D + j] = 0;
        }
        return;
      }
      vs[b].push(vb);
      xs[b].push(xb);
    });
  }
  tf.dispose([senders, receivers, reverse]);
  return { v: vs, x: xs, divergedAt };
}

/** Per-step series of one forecaster over the test trajectories. */
export interface MomentumSeries {
  /** Largest |P(t) − P(0)| / Σ|v(0)| over trajectories and steps (before divergence). */
  readonly maxAbsDrift: number;
  /** Mean over the trajectories not diverged at t of |P(t) − P(0)| / Σ|v(0)|, t = 0 … steps. */
  readonly drift: number[];
  /** Position MSE vs the simulator (mean over non-diverged trajectories, particles, coordinates). */
  readonly mse: number[];
  /** Trajectories not diverged at t (a coordinate beyond ±1e3 counts as diverged). */
  readonly alive: number[];
  /** Per test trajectory: the step at which it diverged, or null. */
  readonly divergedAt: (number | null)[];
}

function series(r: { v: Float64Array[][]; x: Float64Array[][]; divergedAt: (number | null)[] }, trajs: readonly Traj[], n: number, steps: number): MomentumSeries {
  const drift = new Float64Array(steps + 1), mse = new Float64Array(steps + 1), alive = new Float64Array(steps + 1);
  let maxAbs = 0;
  r.v.forEach((frames, b) => {
    const d = momentumDrift(frames, D);
    maxAbs = Math.max(maxAbs, d.maxAbsDrift);
    for (let k = 0; k < frames.length; k++) {
      drift[k] += d.drift[k];
      let e = 0;
      for (let j = 0; j < n * D; j++) e += (r.x[b][k][j] - trajs[b].x[k * n * D + j]) ** 2;
      mse[k] += e / (n * D);
      alive[k]++;
    }
  });
  return {
    maxAbsDrift: maxAbs,
    drift: [...drift].map((x, k) => (alive[k] > 0 ? x / alive[k] : NaN)),
    mse: [...mse].map((x, k) => (alive[k] > 0 ? x / alive[k] : NaN)),
    alive: [...alive],
    divergedAt: r.divergedAt,
  };
}

/** The result file's content (field names of the earlier untrained file kept: plain/conserving.{maxAbsDrift, drift}). */
export interface MomentumDemoResult {
  readonly demonstration: string;
  readonly trained: true;
  readonly config: MomentumDemoConfig;
  readonly particles: number;
  /** Rollout steps (frames after the initial one). */
  readonly steps: number;
  /** Time between frames (one surrogate step). */
  readonly dt: number;
  readonly parameters: number;
  readonly training: Record<MomentumVariant, { losses: { step: number; loss: number }[]; seconds: number; finalLoss: number }>;
  readonly plain: MomentumSeries;
  readonly conserving: MomentumSeries;
  /** The simulator's own drift (the per-component force clip of the protocol breaks Newton's third law rarely). */
  readonly reference: Pick<MomentumSeries, 'maxAbsDrift' | 'drift'>;
  readonly constantVelocity: Pick<MomentumSeries, 'mse'>;
}

/** Runs the demonstration: data → train both variants → roll out both. */
export function momentumTrainedDemo(partial: Partial<MomentumDemoConfig> = {}, log: (s: string) => void = () => {}): MomentumDemoResult {
  const c: MomentumDemoConfig = { ...MOMENTUM_DEMO_DEFAULTS, ...partial };
  const o = nbodyOptions(c.sim);
  const n = o.numParticles;
  const dt = o.dt * o.sampleEvery;
  const rng = new Rng(c.seed);
  log(`data: ${c.trainTrajectories} train + ${c.testTrajectories} test trajectories (${n} particles, ${o.numSteps / o.sampleEvery - 1} frames, Δt ${dt})`);
  const trainT = simulate(rng.fork('train'), c.trainTrajectories, c.sim);
  const testT = simulate(rng.fork('test'), c.testTrajectories, c.sim);
  // Target scales over all training pairs.
  let sv = 0, sx = 0, cnt = 0;
  for (const t of trainT) {
    for (let f = 0; f + 1 < t.frames; f++) {
      for (let j = 0; j < n * D; j++) {
        const a = f * n * D + j, z = a + n * D;
        sv += (t.v[z] - t.v[a]) ** 2;
        sx += (t.x[z] - t.x[a] - (dt * (t.v[a] + t.v[z])) / 2) ** 2;
        cnt++;
      }
    }
  }
  const sigmaV = Math.sqrt(sv / cnt), sigmaX = Math.sqrt(sx / cnt);
  const steps = Math.min(c.rolloutSteps, testT[0].frames - 1);
  const training = {} as MomentumDemoResult['training'];
  const res = {} as Record<MomentumVariant, MomentumSeries>;
  let parameters = 0;
  for (const variant of ['plain', 'conserving'] as const) {
    const params = new ParamStore(new Rng(c.seed).fork('momentum-demo-init'));
    const psi = mlp({ sizes: [2 * F + SYM, c.hidden, c.hidden, K], activation: 'silu', name: 'psi' }, params);
    const m: MomentumDemoModel = { variant, psi, params, sigmaV, sigmaX, dt };
    parameters = params.numParams();
    const t = train(m, trainT, n, c, log);
    training[variant] = { ...t, finalLoss: t.losses.at(-1)?.loss ?? NaN };
    const r = rollout(m, testT, n, steps, dt);
    res[variant] = series(r, testT, n, steps);
    params.dispose();
  }
  const refV = testT.map((t) => Array.from({ length: steps + 1 }, (_, k) => t.v.subarray(k * n * D, (k + 1) * n * D)));
  let refMax = 0;
  const refDrift = new Float64Array(steps + 1);
  refV.forEach((frames) => {
    const d = momentumDrift(frames, D);
    refMax = Math.max(refMax, d.maxAbsDrift);
    d.drift.forEach((x, k) => (refDrift[k] += x / refV.length));
  });
  const cv = rollout(null, testT, n, steps, dt);
  return {
    demonstration: 'issue 9 (a): trained particle surrogate (charged N-body) with and without momentum-conserving antisymmetric messages — total-momentum drift and position MSE over an autoregressive rollout',
    trained: true,
    config: c,
    particles: n,
    steps,
    dt,
    parameters,
    training,
    plain: res.plain,
    conserving: res.conserving,
    reference: { maxAbsDrift: refMax, drift: [...refDrift] },
    constantVelocity: { mse: series(cv, testT, n, steps).mse },
  };
}
