import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { NodeType } from '../../src/geometry/trimesh/index.js';
import { generateMgnDataset, loadMgnDataset, saveMgnDataset, type MgnDataset } from '../../src/train/mgn_data.js';
import { mgnDivergenceTerm, mgnLoss, mgnLr, mgnMasks, trainMgn, validateMgnTrainConfig } from '../../src/train/mgn_train.js';
import { p1Operators, weakDivergence } from '../../src/models/constraints/p1.js';
import { evaluateMgnTrajectory, mgnTargetCheck, rolloutMgn } from '../../src/train/mgn_rollout.js';
import { disposeGrads, valueAndGrads } from '../../src/models/optim.js';

let data: MgnDataset;

beforeAll(async () => {
  await initBackend();
  data = generateMgnDataset({ hMin: 0.04, hMax: 0.09, dt: 0.005, stride: 2, warmupSteps: 10, frames: 8, uMaxTrain: [1.0, 1.4], uMaxTest: [1.2], meshSeed: 1 });
});

const tiny = { latent: 16, mlpLayers: 2, messagePassingSteps: 2, seed: 3 };

describe('MeshGraphNet training', () => {
  it('dataset round-trips through its files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-'));
    try {
      saveMgnDataset(join(dir, 'd'), data);
      const back = loadMgnDataset(join(dir, 'd'));
      expect(back.mesh.numNodes).toBe(data.mesh.numNodes);
      expect(Array.from(back.mesh.positions)).toEqual(Array.from(data.mesh.positions));
      expect(Array.from(back.mesh.triangles)).toEqual(Array.from(data.mesh.triangles));
      expect(back.trajectories.length).toBe(3);
      expect(Array.from(back.trajectories[2].frames[5])).toEqual(Array.from(data.trajectories[2].frames[5]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a config beyond the solver\'s stability limit (Courant 1.5·U_max·dt/hMin > 0.8) is refused when generating and when loading', () => {
    // U_max 2.0 at dt 0.0025 on hMin 0.007 (Courant 1.07): the solver's speed reached 4.6 instead of about 2.9
    expect(() => generateMgnDataset({ hMin: 0.007, hMax: 0.025, dt: 0.0025, stride: 4, warmupSteps: 1, frames: 2, uMaxTrain: [1.0, 2.0], uMaxTest: [], meshSeed: 1 })).toThrow(/data\.dt.*<= 0\.00187 at U_max 2.*Courant 1\.07/);
    expect(() => generateMgnDataset({ hMin: 0.04, hMax: 0.09, dt: 0.005, stride: 2, warmupSteps: 1, frames: 2, uMaxTrain: 1.2 as unknown as number[], uMaxTest: [], meshSeed: 1 })).toThrow(/data\.uMaxTrain.*array/);
    const dir = mkdtempSync(join(tmpdir(), 'mgn-'));
    try {
      saveMgnDataset(join(dir, 'd'), data);
      const h = JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8'));
      h.config.dt = 0.05; // as if written by an older generator without the check
      writeFileSync(join(dir, 'd.json'), JSON.stringify(h));
      expect(() => loadMgnDataset(join(dir, 'd'))).toThrow(/stability limit.*Courant/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('noise goes to NORMAL nodes only and the target corrects it; loss masks NORMAL ∪ OUTFLOW', () => {
    const model = { ...tiny };
    void model;
    const masks = mgnMasks(data.graph.nodeType);
    for (let i = 0; i < masks.predicted.length; i++) {
      const t = data.graph.nodeType[i];
      expect(masks.predicted[i]).toBe(t === NodeType.NORMAL || t === NodeType.OUTFLOW ? 1 : 0);
    }
    expect(masks.predicted.some((x) => x === 0)).toBe(true);
  });

  it('loss decreases over a short run; resume after a stop equals an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-'));
    try {
      const cfg = validateMgnTrainConfig({ model: tiny, steps: 24, warmupSteps: 4, lr: 3e-3, logEvery: 4, checkpointEvery: 4, seed: 1 });
      const full = await trainMgn(cfg, data);
      const h = full.meta.history;
      expect(h.length).toBe(6);
      // h[0] is the warm-up window (untrained model); the last three windows average lower.
      const late = (h[3][1] + h[4][1] + h[5][1]) / 3;
      expect(late).toBeLessThan(0.7 * h[0][1]);
      // Interrupted at 12 steps (checkpoint), then resumed to 24.
      const ck = join(dir, 'ck.json');
      const first = await trainMgn({ ...cfg, steps: 12, checkpointPath: ck }, data);
      first.model.dispose();
      const resumed = await trainMgn({ ...cfg, checkpointPath: ck }, data);
      expect(resumed.meta.step).toBe(24);
      const a = full.model.params.getWeights();
      const b = resumed.model.params.getWeights();
      let maxDiff = 0;
      for (const k of Object.keys(a)) for (let i = 0; i < a[k].data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[k].data[i] - b[k].data[i]));
      expect(maxDiff).toBe(0);
      full.model.dispose();
      resumed.model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exponential learning-rate decay: hand values; bad schedules are refused', () => {
    const c = validateMgnTrainConfig({ steps: 100, lr: 1e-3, lrFinal: 1e-5, lrDecayStart: 20 });
    expect(mgnLr(c, 0)).toBe(1e-3);
    expect(mgnLr(c, 20)).toBe(1e-3);
    expect(mgnLr(c, 60)).toBeCloseTo(1e-4, 12); // halfway in log space
    expect(mgnLr(c, 100)).toBeCloseTo(1e-5, 14);
    expect(mgnLr(c, 150)).toBeCloseTo(1e-5, 14);
    expect(mgnLr(validateMgnTrainConfig({ steps: 100, lr: 1e-3 }), 70)).toBe(1e-3);
    expect(() => validateMgnTrainConfig({ lr: 1e-3, lrFinal: 1e-2 })).toThrow(/train.lrFinal/);
    expect(() => validateMgnTrainConfig({ steps: 10, lrDecayStart: 11 })).toThrow(/train.lrDecayStart/);
    expect(() => validateMgnTrainConfig({ initFrom: '' })).toThrow(/train.initFrom/);
  });

  it('warm start (initFrom) with a decaying rate: continues from the checkpoint, resumes bitwise, refuses another model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-'));
    try {
      const base = validateMgnTrainConfig({ model: tiny, steps: 8, warmupSteps: 2, lr: 3e-3, logEvery: 4, checkpointEvery: 4, seed: 1, checkpointPath: join(dir, 'a.json') });
      const a = await trainMgn(base, data);
      const ft = validateMgnTrainConfig({ model: tiny, steps: 8, warmupSteps: 0, lr: 1e-3, lrFinal: 1e-5, logEvery: 4, checkpointEvery: 4, seed: 2, initFrom: join(dir, 'a.json') });
      // step 0 of the warm-started run sees a's weights: its first loss equals a's loss there
      const zero = await trainMgn({ ...ft, steps: 0 }, data);
      const wa = a.model.params.getWeights(), w0 = zero.model.params.getWeights();
      for (const k of Object.keys(wa)) expect(Array.from(w0[k].data), k).toEqual(Array.from(wa[k].data));
      expect(zero.meta.initFrom).toEqual({ path: join(dir, 'a.json'), step: 8, trainSeconds: a.meta.trainSeconds });
      expect(zero.optimizer.steps).toBe(6); // a's Adam moments came along (8 steps − 2 warm-up)
      zero.model.dispose();
      const full = await trainMgn(ft, data);
      expect(full.optimizer.lr).toBeCloseTo(mgnLr(ft, 7), 15);
      // stopped after one step by the time limit (same schedule: \`steps\` unchanged), then resumed: bitwise equal
      const ck = join(dir, 'ft.json');
      const half = await trainMgn({ ...ft, maxSeconds: 0, checkpointPath: ck }, data);
      expect(half.finished).toBe(false);
      expect(half.meta.step).toBe(1);
      half.model.dispose();
      const resumed = await trainMgn({ ...ft, checkpointPath: ck }, data);
      expect(resumed.meta.initFrom?.step).toBe(8);
      const f = full.model.params.getWeights(), r = resumed.model.params.getWeights();
      for (const k of Object.keys(f)) expect(Array.from(r[k].data), k).toEqual(Array.from(f[k].data));
      // a warm start from a warm-started run counts the whole chain
      const chain = await trainMgn({ ...ft, steps: 0, initFrom: ck }, data);
      expect(chain.meta.initFrom).toEqual({ path: ck, step: 8 + 8, trainSeconds: resumed.meta.trainSeconds + a.meta.trainSeconds });
      chain.model.dispose();
      await expect(trainMgn({ ...ft, model: { ...tiny, latent: 8 } }, data)).rejects.toThrow(/train.model.latent/);
      await expect(trainMgn({ ...ft, initFrom: join(dir, 'missing.json') }, data)).rejects.toThrow(/initFrom/);
      for (const r2 of [a, full, resumed]) r2.model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mgnLoss: noisy input differs from u only on NORMAL nodes, and noisy + target = next', async () => {
    const cfg = validateMgnTrainConfig({ model: tiny, steps: 0 });
    const run = await trainMgn(cfg, data);
    const mesh = run.model.prepare(data.graph);
    const masks = mgnMasks(data.graph.nodeType);
    const lm = tf.ones([mesh.numNodes, 1]) as tf.Tensor2D;
    const u = data.trajectories[0].frames[2], next = data.trajectories[0].frames[3];
    const s = mgnLoss(run.model, mesh, u, next, masks, 0.02, new Rng(9), lm);
    for (let i = 0; i < mesh.numNodes; i++) {
      for (let c = 0; c < 2; c++) {
        const k = 2 * i + c;
        if (!masks.noisy[i]) expect(s.noisy[k]).toBe(u[k]);
        expect(Math.abs(s.noisy[k] + s.target[k] - next[k])).toBeLessThan(1e-6);
      }
    }
    let moved = 0;
    for (let k = 0; k < u.length; k++) if (s.noisy[k] !== u[k]) moved++;
    expect(moved).toBeGreaterThan(0);
    s.dispose();
    lm.dispose();
    mesh.dispose();
    run.model.dispose();
  });

  it('mgnLoss with a k-step unroll equals the mean of one-step losses along the Dirichlet-reset model rollout (computed by hand)', async () => {
    const run = await trainMgn(validateMgnTrainConfig({ model: tiny, steps: 5, warmupSteps: 2, lr: 1e-3, seed: 4 }), data);
    const mesh = run.model.prepare(data.graph);
    const masks = mgnMasks(data.graph.nodeType);
    const lm = tf.tensor2d(Float32Array.from(masks.predicted), [mesh.numNodes, 1]);
    const fr = data.trajectories[1].frames;
    const N = mesh.numNodes;
    // Normaliser statistics move on each mgnLoss call: freeze them (accumulation stops at maxAccumulations).
    const st0 = run.model.normalizerState();
    const freeze = (x: typeof st0.node) => ({ ...x, accumulations: x.maxAccumulations });
    run.model.setNormalizerState({ node: freeze(st0.node), edge: freeze(st0.edge), output: freeze(st0.output) });
    const s = mgnLoss(run.model, mesh, fr[2], [fr[3], fr[4], fr[5]], masks, 0, new Rng(1), lm);
    const got = s.loss().dataSync()[0];
    s.dispose();
    // By hand: three one-step losses on host states, boundary nodes reset to the reference frame.
    let state = Float32Array.from(fr[2]);
    let want = 0;
    for (let j = 0; j < 3; j++) {
      const one = mgnLoss(run.model, mesh, state, fr[3 + j], masks, 0, new Rng(1), lm);
      want += one.loss().dataSync()[0] / 3;
      one.dispose();
      const st = tf.tensor2d(state, [N, 2]);
      const nx = run.model.step(mesh, st);
      const moved = nx.dataSync();
      tf.dispose([st, nx]);
      state = Float32Array.from(moved);
      for (let i = 0; i < N; i++) if (!masks.predicted[i]) { state[2 * i] = fr[3 + j][2 * i]; state[2 * i + 1] = fr[3 + j][2 * i + 1]; }
    }
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * Math.max(1, want));
    // and it is not the one-step loss
    const one = mgnLoss(run.model, mesh, fr[2], fr[3], masks, 0, new Rng(1), lm);
    expect(Math.abs(one.loss().dataSync()[0] - got)).toBeGreaterThan(1e-4 * got);
    one.dispose();
    // gradients reach the weights through the unroll, and an unroll longer than the trajectories is refused
    const s2 = mgnLoss(run.model, mesh, fr[2], [fr[3], fr[4]], masks, 0, new Rng(1), lm);
    const { value, grads } = valueAndGrads(run.model.params, s2.loss);
    const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)).dataSync()[0]);
    expect(sq.every(Number.isFinite)).toBe(true);
    expect(sq.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    disposeGrads(grads);
    value.dispose();
    s2.dispose();
    await expect(trainMgn(validateMgnTrainConfig({ model: tiny, steps: 1, unroll: 8 }), data)).rejects.toThrow(/unroll/);
    expect(() => validateMgnTrainConfig({ unroll: 0 })).toThrow(/unroll/);
    lm.dispose();
    mesh.dispose();
    run.model.dispose();
  });

  it('divergence term: the loss grows by λ · mean (div(u_pred − u_ref))² / s² (computed by hand), for one step and through an unroll', async () => {
    const run = await trainMgn(validateMgnTrainConfig({ model: tiny, steps: 4, warmupSteps: 1, lr: 1e-3, seed: 6, divergenceWeight: 0.5 }), data);
    const mesh = run.model.prepare(data.graph);
    const masks = mgnMasks(data.graph.nodeType);
    const lm = tf.tensor2d(Float32Array.from(masks.predicted), [mesh.numNodes, 1]);
    const st0 = run.model.normalizerState();
    const freeze = (x: typeof st0.node) => ({ ...x, accumulations: x.maxAccumulations });
    run.model.setNormalizerState({ node: freeze(st0.node), edge: freeze(st0.edge), output: freeze(st0.output) });
    const term = mgnDivergenceTerm(data, 0.5);
    const fr = data.trajectories[0].frames;
    const N = mesh.numNodes;
    const ops = p1Operators(data.mesh.positions, data.mesh.triangles);
    const valueOf = (next: Float32Array | Float32Array[], d?: typeof term) => {
      const s = mgnLoss(run.model, mesh, fr[1], next, masks, 0, new Rng(1), lm, d);
      const v = s.loss().dataSync()[0];
      s.dispose();
      return v;
    };
    // host: the model's next state from `from`, boundary reset to `ref`; the term for it
    const stepHost = (from: Float32Array, ref: Float32Array) => {
      const st = tf.tensor2d(from, [N, 2]);
      const nx = run.model.step(mesh, st);
      const out = Float32Array.from(nx.dataSync());
      tf.dispose([st, nx]);
      for (let i = 0; i < N; i++) if (!masks.predicted[i]) { out[2 * i] = ref[2 * i]; out[2 * i + 1] = ref[2 * i + 1]; }
      const e = Float64Array.from(out, (x, k) => x - ref[k]);
      const d = weakDivergence(ops, e);
      let sum = 0, n = 0;
      for (let i = 0; i < N; i++) if (!data.pressureFixed[i]) { sum += (d[i] / ops.lumpedMass[i]) ** 2; n++; }
      return { out, term: (0.5 * sum) / n / term.scale2 };
    };
    const a = stepHost(fr[1], fr[2]);
    expect(a.term).toBeGreaterThan(0);
    expect(Math.abs(valueOf(fr[2], term) - valueOf(fr[2]) - a.term)).toBeLessThan(1e-4 * (a.term + valueOf(fr[2])));
    // two-step unroll: mean of the two step losses plus both terms
    const b = stepHost(a.out, fr[3]);
    const want = valueOf([fr[2], fr[3]]) + (a.term + b.term) / 2;
    expect(Math.abs(valueOf([fr[2], fr[3]], term) - want)).toBeLessThan(1e-4 * want);
    expect(() => validateMgnTrainConfig({ divergenceWeight: -1 })).toThrow(/divergenceWeight/);
    term.op.dispose();
    term.mask.dispose();
    lm.dispose();
    mesh.dispose();
    run.model.dispose();
  });

  it('target check: per trajectory and pooled, hand values', () => {
    const row = (uMax: number, model: number, persist: number) => ({ uMax, meanInflowSpeed: (2 / 3) * uMax, rollout50Rmse: model, persistence: { oneStepRmse: 0, rollout50Rmse: persist, rolloutFullRmse: 0, rmseOverTime: [] } });
    // 1.5: 0.01 / 1.0 = 1 % and 6x (met); 1.2: 0.004 / 0.8 = 0.5 % but 4x (not met)
    const c = mgnTargetCheck([row(1.5, 0.01, 0.06), row(1.2, 0.004, 0.016)]);
    expect(c.perTrajectory.map((t) => t.met)).toEqual([true, false]);
    expect(c.perTrajectory[1].persistenceOverModel).toBeCloseTo(4, 12);
    expect(c.perTrajectory[0].rollout50OverMeanInflow).toBeCloseTo(0.01, 12);
    expect(c.allMet).toBe(false);
    expect(c.pooled.persistenceOverModelMean).toBeCloseTo(0.076 / 0.014, 12);
    expect(c.pooled.persistenceOverModelRms).toBeCloseTo(Math.hypot(0.06, 0.016) / Math.hypot(0.01, 0.004), 12);
    // rollout-50 above 2 % of the inflow fails even at a high ratio
    expect(mgnTargetCheck([row(1.5, 0.03, 0.3)]).allMet).toBe(false);
    expect(mgnTargetCheck([row(1.5, 0.01, 0.06)]).allMet).toBe(true);
    expect(mgnTargetCheck([]).allMet).toBe(false);
  });

  it('rollout holds boundary nodes at the reference values; projection makes frames divergence-free; metrics are finite', async () => {
    const run = await trainMgn(validateMgnTrainConfig({ model: tiny, steps: 6, warmupSteps: 3, lr: 1e-3 }), data);
    const mesh = run.model.prepare(data.graph);
    const traj = data.trajectories[2];
    const plain = rolloutMgn(run.model, mesh, data, traj);
    const proj = rolloutMgn(run.model, mesh, data, traj, { project: true });
    const { boundary } = mgnMasks(data.graph.nodeType);
    for (let t = 1; t < plain.frames.length; t++) {
      for (let i = 0; i < boundary.length; i++) {
        if (!boundary[i]) continue;
        expect(plain.frames[t][2 * i]).toBe(traj.frames[t][2 * i]);
        expect(plain.frames[t][2 * i + 1]).toBe(traj.frames[t][2 * i + 1]);
      }
    }
    const m = evaluateMgnTrajectory(run.model, mesh, data, traj);
    const mp = evaluateMgnTrajectory(run.model, mesh, data, traj, { project: true });
    for (const x of [m.oneStepRmse, m.rollout50Rmse, m.rolloutFullRmse, m.persistence.rollout50Rmse, m.speedup]) expect(Number.isFinite(x)).toBe(true);
    // persistence RMSE per frame: frame 0 is exact, and the series reproduces the full-rollout scalar
    const pt = m.persistence.rmseOverTime;
    expect(pt.length).toBe(m.rmseOverTime.length);
    expect(pt[0]).toBe(0);
    const T = pt.length - 1;
    expect(Math.sqrt(pt.slice(1).reduce((a, v) => a + v * v, 0) / T)).toBeCloseTo(m.persistence.rolloutFullRmse, 7);
    expect(m.persistence.rolloutFullRmse).toBeGreaterThan(0);
    const last = mp.rmsDivergence.model[mp.rmsDivergence.model.length - 1];
    const lastPlain = m.rmsDivergence.model[m.rmsDivergence.model.length - 1];
    expect(last).toBeLessThan(1e-4 * lastPlain);
    expect(proj.frames.length).toBe(plain.frames.length);
    mesh.dispose();
    run.model.dispose();
  });
});
