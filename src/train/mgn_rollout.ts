/**
 * Autoregressive rollout of a trained MeshGraphNet and the per-trajectory metrics of issue 6
 * (after `meshgraphnets/cfd_eval.py`):
 *
 * - 1-step RMSE: predictions from every ground-truth frame u_t against u_{t+1};
 * - rollout RMSE at 50 steps and over the whole trajectory: sqrt(mean over steps 1..k and all
 *   nodes and components of (û_t − u_t)²), as in the paper (boundary nodes included; they are
 *   exact by the Dirichlet layer);
 * - the same for persistence (u_t = u_0 for all t), the baseline;
 * - kinetic energy and RMS divergence over the rollout, model vs solver (rollout_metrics.ts);
 * - wall time per frame of the model rollout and of the solver on the same mesh, same process.
 */
import { tf } from '../engine/tf.js';
import { applyDirichlet } from '../models/constraints/boundary.js';
import { p1Operators } from '../models/constraints/p1.js';
import { divergenceFreeProjection } from '../models/constraints/projection.js';
import type { MeshGraphNet, PreparedMesh } from '../models/meshgraphnet.js';
import { CylinderSim, SCHAEFER_TUREK_2D2 } from '../sims/fluid/cylinder.js';
import type { MgnDataset, MgnTrajectory } from './mgn_data.js';
import { mgnMasks } from './mgn_train.js';
import { fluidConservation, rmseSeries, rolloutRmse } from './rollout_metrics.js';

export interface MgnRolloutOptions {
  /** Frames to predict after frame 0 (default: the whole trajectory). */
  readonly steps?: number;
  /** Project each predicted frame onto discretely divergence-free fields (default false). */
  readonly project?: boolean;
}

/** Rolls the model out from frame 0 of `traj`; returns the frames (frame 0 = ground truth). */
export function rolloutMgn(model: MeshGraphNet, mesh: PreparedMesh, data: MgnDataset, traj: MgnTrajectory, o: MgnRolloutOptions = {}): { frames: Float32Array[]; msPerFrame: number } {
  const T = Math.min(o.steps ?? traj.frames.length - 1, traj.frames.length - 1);
  const { boundary } = mgnMasks(data.graph.nodeType);
  const N = mesh.numNodes;
  const proj = o.project ? divergenceFreeProjection(p1Operators(data.mesh.positions, data.mesh.triangles), { velocityFixed: data.velocityFixed, pressureZero: data.pressureFixed }) : null;
  const frames: Float32Array[] = [Float32Array.from(traj.frames[0])];
  let u = frames[0];
  const t0 = performance.now();
  for (let t = 1; t <= T; t++) {
    const ut = tf.tensor2d(u, [N, 2]);
    const next = model.step(mesh, ut);
    const pred = next.dataSync();
    tf.dispose([ut, next]);
    // Dirichlet layer: walls, inflow and obstacle keep the known (reference) values.
    let out = applyDirichlet(pred, traj.frames[t], boundary, 2);
    if (proj) out = Float32Array.from(proj.project(out));
    frames.push(out);
    u = out;
  }
  return { frames, msPerFrame: (performance.now() - t0) / Math.max(T, 1) };
}

/** Metrics of one held-out trajectory. */
export interface MgnTrajectoryMetrics {
  readonly uMax: number;
  readonly meanInflowSpeed: number;
  readonly steps: number;
  readonly oneStepRmse: number;
  readonly rollout50Rmse: number;
  readonly rolloutFullRmse: number;
  readonly persistence: { readonly oneStepRmse: number; readonly rollout50Rmse: number; readonly rolloutFullRmse: number; readonly rmseOverTime: number[] };
  readonly rmseOverTime: number[];
  readonly kineticEnergy: { readonly model: number[]; readonly solver: number[]; readonly modelMaxAbsDrift: number; readonly solverMaxAbsDrift: number };
  readonly rmsDivergence: { readonly model: number[]; readonly solver: number[] };
  readonly modelMsPerFrame: number;
  readonly solverMsPerFrame: number;
  readonly speedup: number;
}

/** Solver wall time per frame on this mesh, measured now (same process as the model rollout). */
export function measureSolverMsPerFrame(data: MgnDataset, traj: MgnTrajectory, frames = 5): number {
  const c = data.config;
  const sim = new CylinderSim({ ...SCHAEFER_TUREK_2D2, hMin: c.hMin, hMax: c.hMax, dt: c.dt, uMax: traj.uMax, meshSeed: c.meshSeed }, data.mesh);
  sim.solver.setState(traj.frames[0], new Float64Array(data.mesh.numNodes), 0);
  const t0 = performance.now();
  for (let k = 0; k < frames * c.stride; k++) sim.solver.step();
  return (performance.now() - t0) / frames;
}

/** Rollout + every metric for one trajectory. */
export function evaluateMgnTrajectory(model: MeshGraphNet, mesh: PreparedMesh, data: MgnDataset, traj: MgnTrajectory, o: MgnRolloutOptions = {}): MgnTrajectoryMetrics {
  const N = mesh.numNodes;
  const ref = traj.frames;
  // 1-step predictions from ground truth.
  const { boundary } = mgnMasks(data.graph.nodeType);
  let s1 = 0, p1 = 0;
  for (let t = 0; t + 1 < ref.length; t++) {
    const ut = tf.tensor2d(ref[t], [N, 2]);
    const next = model.step(mesh, ut);
    const pred = applyDirichlet(next.dataSync(), ref[t + 1], boundary, 2);
    tf.dispose([ut, next]);
    s1 += rmseSeries([pred], [ref[t + 1]], 2)[0] ** 2;
    p1 += rmseSeries([ref[t]], [ref[t + 1]], 2)[0] ** 2;
  }
  const n1 = Math.max(ref.length - 1, 1);
  const roll = rolloutMgn(model, mesh, data, traj, o);
  const T = roll.frames.length - 1;
  const refT = ref.slice(0, T + 1);
  const persist = refT.map(() => ref[0]);
  const ops = p1Operators(data.mesh.positions, data.mesh.triangles);
  const constrained = Uint8Array.from(data.velocityFixed, (v, i) => (v || data.pressureFixed[i] ? 0 : 1));
  const cm = fluidConservation(ops, roll.frames, constrained);
  const cs = fluidConservation(ops, refT, constrained);
  const solverMs = measureSolverMsPerFrame(data, traj);
  return {
    uMax: traj.uMax,
    meanInflowSpeed: (2 / 3) * traj.uMax,
    steps: T,
    oneStepRmse: Math.sqrt(s1 / n1),
    rollout50Rmse: rolloutRmse(roll.frames, refT, 2, 50),
    rolloutFullRmse: rolloutRmse(roll.frames, refT, 2, T),
    persistence: { oneStepRmse: Math.sqrt(p1 / n1), rollout50Rmse: rolloutRmse(persist, refT, 2, 50), rolloutFullRmse: rolloutRmse(persist, refT, 2, T), rmseOverTime: rmseSeries(persist, refT, 2) },
    rmseOverTime: rmseSeries(roll.frames, refT, 2),
    kineticEnergy: { model: cm.kineticEnergy.values, solver: cs.kineticEnergy.values, modelMaxAbsDrift: cm.kineticEnergy.maxAbsDrift, solverMaxAbsDrift: cs.kineticEnergy.maxAbsDrift },
    rmsDivergence: { model: cm.rmsDivergence, solver: cs.rmsDivergence },
    modelMsPerFrame: roll.msPerFrame,
    solverMsPerFrame: solverMs,
    speedup: solverMs / roll.msPerFrame,
  };
}

/**
 * Rotation error of the network output: max_i |f(Rx, Ru)_i − R f(x, u)_i| / max_i |f(x, u)_i|
 * for rotations by each angle (radians) about the mesh centroid. MeshGraphNets is not
 * rotation-equivariant by construction; this measures by how much.
 */
export function mgnRotationError(model: MeshGraphNet, data: MgnDataset, u: Float32Array, angles: readonly number[]): number[] {
  const N = data.mesh.numNodes;
  const run = (pos: Float64Array, vel: Float32Array): Float32Array => {
    const mesh = model.prepare({ ...data.graph, meshPos: pos });
    const vt = tf.tensor2d(vel, [N, 2]);
    const out = model.forward(mesh, vt);
    const r = Float32Array.from(out.dataSync());
    tf.dispose([vt, out]);
    mesh.dispose();
    return r;
  };
  const base = run(Float64Array.from(data.mesh.positions), u);
  let scale = 0;
  for (const v of base) scale = Math.max(scale, Math.abs(v));
  let cx = 0, cy = 0;
  for (let i = 0; i < N; i++) { cx += data.mesh.positions[2 * i] / N; cy += data.mesh.positions[2 * i + 1] / N; }
  return angles.map((th) => {
    const c = Math.cos(th), s = Math.sin(th);
    const pos = new Float64Array(2 * N), vel = new Float32Array(2 * N);
    for (let i = 0; i < N; i++) {
      const x = data.mesh.positions[2 * i] - cx, y = data.mesh.positions[2 * i + 1] - cy;
      pos[2 * i] = cx + c * x - s * y;
      pos[2 * i + 1] = cy + s * x + c * y;
      vel[2 * i] = c * u[2 * i] - s * u[2 * i + 1];
      vel[2 * i + 1] = s * u[2 * i] + c * u[2 * i + 1];
    }
    const out = run(pos, vel);
    let err = 0;
    for (let i = 0; i < N; i++) {
      const ex = c * base[2 * i] - s * base[2 * i + 1], ey = s * base[2 * i] + c * base[2 * i + 1];
      err = Math.max(err, Math.abs(out[2 * i] - ex), Math.abs(out[2 * i + 1] - ey));
    }
    return err / scale;
  });
}

/** Issue 6's accuracy targets checked on every held-out trajectory and pooled. */
export interface MgnTargetCheck {
  readonly rollout50OverMeanInflow: number;
  readonly persistenceOverModel: number;
  /** Per trajectory: its two figures and whether both targets hold. */
  readonly perTrajectory: { uMax: number; rollout50OverMeanInflow: number; persistenceOverModel: number; met: boolean }[];
  /** Both targets hold on every held-out trajectory. */
  readonly allMet: boolean;
  /** Pooled persistence / model: ratio of the RMS of the rollout-50 RMSEs, and of their means. */
  readonly pooled: { persistenceOverModelRms: number; persistenceOverModelMean: number };
}

/** Checks rollout-50 RMSE ≤ `maxOverInflow` × mean inflow and persistence ≥ `minRatio` × model, per trajectory and pooled. */
export function mgnTargetCheck(rows: readonly Pick<MgnTrajectoryMetrics, 'uMax' | 'meanInflowSpeed' | 'rollout50Rmse' | 'persistence'>[], maxOverInflow = 0.02, minRatio = 5): MgnTargetCheck {
  const perTrajectory = rows.map((r) => {
    const over = r.rollout50Rmse / r.meanInflowSpeed, ratio = r.persistence.rollout50Rmse / r.rollout50Rmse;
    return { uMax: r.uMax, rollout50OverMeanInflow: over, persistenceOverModel: ratio, met: over <= maxOverInflow && ratio >= minRatio };
  });
  const rms = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const m = rows.map((r) => r.rollout50Rmse), p = rows.map((r) => r.persistence.rollout50Rmse);
  return {
    rollout50OverMeanInflow: maxOverInflow,
    persistenceOverModel: minRatio,
    perTrajectory,
    allMet: rows.length > 0 && perTrajectory.every((t) => t.met),
    pooled: { persistenceOverModelRms: rms(p) / rms(m), persistenceOverModelMean: mean(p) / mean(m) },
  };
}
