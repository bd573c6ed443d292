/**
 * Demonstration (a) of issue 9 on particles: momentum drift over a rollout of a message-
 * passing particle update with and without the momentum-conserving construction.
 *
 * This is an *untrained* surrogate (random weights, seeded): both variants share the pair
 * network ψ and differ only in the construction of the pairwise force:
 *
 * - plain:      f_e = ψ([h_s, h_r, |r|]) · (x_r − x_s)                  (ψ(s,r) ≠ ψ(r,s))
 * - conserving: f_e = (ψ([h_s, h_r, |r|]) + ψ([h_r, h_s, |r|])) · (x_r − x_s)   (f_ē = −f_e)
 *
 * Particles of unequal masses are integrated with symplectic Euler (v += Δt F/m, x += Δt v)
 * on a fixed all-pairs graph; the total momentum drift is reported with rollout_metrics.ts.
 * It shows the layer's guarantee on a rollout, not the accuracy of a trained model. The
 * trained comparison is constraint_demos_particles.ts (`gnnwb rollout` kind
 * `constraints-momentum-trained`, results/constraints_momentum.json); this one writes
 * results/constraints_momentum_untrained.json by default.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { momentumConservingUpdate } from '../models/constraints/momentum.js';
import { segmentSum } from '../models/segment.js';
import { momentumDrift } from './rollout_metrics.js';

export interface MomentumDemoResult {
  readonly particles: number;
  readonly steps: number;
  readonly dt: number;
  readonly plain: { maxAbsDrift: number; drift: number[] };
  readonly conserving: { maxAbsDrift: number; drift: number[] };
}

/** Runs both variants from the same initial state. */
export function momentumDemo(o: { particles?: number; steps?: number; dt?: number; seed?: number } = {}): MomentumDemoResult {
  const N = o.particles ?? 16, T = o.steps ?? 200, dt = o.dt ?? 0.005;
  const rng = new Rng(o.seed ?? 0);
  const F = 4;
  const s: number[] = [], r: number[] = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (i !== j) { s.push(i); r.push(j); }
  const E = s.length;
  const senders = tf.tensor1d(s, 'int32'), receivers = tf.tensor1d(r, 'int32');
  const h = tf.tensor2d(rng.normalArray(N * F) as Float32Array, [N, F]);
  const w1 = tf.tensor2d(rng.normalArray((2 * F + 1) * 32, Math.sqrt(1 / (2 * F + 1))) as Float32Array, [2 * F + 1, 32]);
  const b1 = tf.tensor1d(rng.normalArray(32, 0.1) as Float32Array);
  const w2 = tf.tensor2d(rng.normalArray(32, Math.sqrt(1 / 32)) as Float32Array, [32, 1]);
  const psi = (x: tf.Tensor2D): tf.Tensor2D => tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2) as tf.Tensor2D;
  const mass = Float64Array.from({ length: N }, () => 0.5 + rng.uniform());
  const x0 = Float64Array.from(rng.normalArray(2 * N, 1));
  const v0 = Float64Array.from(rng.normalArray(2 * N, 0.3));
  const conserving = momentumConservingUpdate({ psi, mode: 'radial' });
  const run = (kind: 'plain' | 'conserving') => {
    const x = Float64Array.from(x0), v = Float64Array.from(v0);
    const frames: Float64Array[] = [Float64Array.from(v)];
    for (let t = 0; t < T; t++) {
      const rel = new Float32Array(E * 2), dist = new Float32Array(E);
      for (let e = 0; e < E; e++) {
        const dx = x[2 * r[e]] - x[2 * s[e]], dy = x[2 * r[e] + 1] - x[2 * s[e] + 1];
        rel[2 * e] = dx;
        rel[2 * e + 1] = dy;
        dist[e] = Math.hypot(dx, dy);
      }
      const forces = tf.tidy(() => {
        const relT = tf.tensor2d(rel, [E, 2]), distT = tf.tensor2d(dist, [E, 1]);
        if (kind === 'conserving') return conserving({ h, senders, receivers, numNodes: N, edgeSym: distT, relPos: relT }).nodes;
        const hs = tf.gatherND(h, tf.expandDims(senders, 1)), hr = tf.gatherND(h, tf.expandDims(receivers, 1));
        const sc = psi(tf.concat([hs, hr, distT], 1) as tf.Tensor2D);
        return segmentSum(tf.mul(sc, relT) as tf.Tensor2D, receivers, N);
      });
      const f = forces.dataSync();
      forces.dispose();
      for (let i = 0; i < N; i++) for (let c = 0; c < 2; c++) v[2 * i + c] += (dt * f[2 * i + c]) / mass[i];
      for (let k = 0; k < 2 * N; k++) x[k] += dt * v[k];
      frames.push(Float64Array.from(v));
    }
    const d = momentumDrift(frames, 2, mass);
    return { maxAbsDrift: d.maxAbsDrift, drift: d.drift };
  };
  const result = { particles: N, steps: T, dt, plain: run('plain'), conserving: run('conserving') };
  tf.dispose([senders, receivers, h, w1, b1, w2]);
  return result;
}
