/**
 * Momentum-conserving messages with antisymmetric edge features (b_ē = −b_e, e.g. x_r − x_s):
 * f_e = ψ([h_s, h_r, a_e, b_e]) − ψ([h_r, h_s, a_e, −b_e]) must still satisfy f_ē = −f_e exactly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { momentumConservingUpdate, reverseEdgeIndex } from '../../../src/models/constraints/index.js';
import { absSum, columnSums, mlpApply, randomMlp, randomSymmetricGraph } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SEED = 77001;
const F = 2, D = 3;

/**
 * Max |f_e + f_ē| and |Σ F| relative to Σ|f| for a random case. `broken`: a wrong reverse index
 * (each edge paired with the next one's reverse) — what a layer that pairs edges wrongly does.
 */
function check(seed: number, n: number, broken: boolean): { pair: number; total: number } {
  const rng = new Rng(seed);
  const { senders, receivers } = randomSymmetricGraph(rng, n, 0.7);
  const E = senders.length;
  if (E === 0) return { pair: 0, total: 0 };
  const x = rng.normalArray(n * D) as Float32Array;
  const v = rng.normalArray(n * D) as Float32Array;
  // [E, 2D] antisymmetric features (x_r − x_s, v_r − v_s); [E, 1] symmetric |x_r − x_s|
  const anti = new Float32Array(E * 2 * D), sym = new Float32Array(E);
  for (let e = 0; e < E; e++) {
    let d2 = 0;
    for (let c = 0; c < D; c++) {
      anti[e * 2 * D + c] = x[receivers[e] * D + c] - x[senders[e] * D + c];
      anti[e * 2 * D + D + c] = v[receivers[e] * D + c] - v[senders[e] * D + c];
      d2 += anti[e * 2 * D + c] ** 2;
    }
    sym[e] = Math.sqrt(d2);
  }
  const w = randomMlp(rng, [2 * F + 1 + 2 * D, 16, D]);
  const h = tf.tensor2d(rng.normalArray(n * F) as Float32Array, [n, F]);
  const s = tf.tensor1d(senders, 'int32'), r = tf.tensor1d(receivers, 'int32');
  const symT = tf.tensor2d(sym, [E, 1]), antiT = tf.tensor2d(anti, [E, 2 * D]);
  const layer = momentumConservingUpdate({ psi: (z) => mlpApply(w, z), mode: 'vector' });
  const rev = reverseEdgeIndex(senders, receivers);
  const wrong = tf.tensor1d(rev.map((_, e) => rev[(e + 1) % E]), 'int32');
  const out = layer({ h, senders: s, receivers: r, numNodes: n, edgeSym: symT, edgeAnti: antiT, reverse: broken ? wrong : undefined });
  const f = out.edges.dataSync(), nodes = out.nodes.dataSync();
  let pair = 0;
  for (let e = 0; e < E; e++) for (let c = 0; c < D; c++) pair = Math.max(pair, Math.abs(f[e * D + c] + f[rev[e] * D + c]));
  const total = Math.max(...columnSums(nodes, D).map(Math.abs)) / (absSum(f) + 1e-30);
  tf.dispose([out.edges, out.nodes, h, s, r, symT, antiT, wrong, ...w]);
  return { pair, total };
}

describe('momentum-conserving messages with antisymmetric edge features', () => {
  it('f_ē = −f_e bit-exactly and Σ_i F_i = 0 for random graphs, features and weights', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2, max: 12 }), (seed, n) => {
      const r = check(seed, n, false);
      return r.pair === 0 && r.total < 1e-6;
    }), { seed: SEED, numRuns: 40 });
  });

  it('the property catches a wrong reverse-edge index', () => {
    const res = fc.check(fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2, max: 12 }), (seed, n) => {
      const r = check(seed, n, true);
      return r.pair === 0 && r.total < 1e-6;
    }), { seed: SEED, numRuns: 40 });
    expect(res.failed).toBe(true);
  });

  it('the given reverse index and the computed one give identical values; edgeSym and edgeAnti enter ψ alike', () => {
    const rng = new Rng(11);
    const n = 7;
    const { senders, receivers } = randomSymmetricGraph(rng, n, 0.8);
    const E = senders.length;
    const w = randomMlp(rng, [2 * F + 1 + D, 8, D]);
    const h = tf.tensor2d(rng.normalArray(n * F) as Float32Array, [n, F]);
    const a = tf.tensor2d(rng.normalArray(E) as Float32Array, [E, 1]);
    const b = tf.tensor2d(rng.normalArray(E * D) as Float32Array, [E, D]);
    const s = tf.tensor1d(senders, 'int32'), r = tf.tensor1d(receivers, 'int32');
    const rev = tf.tensor1d(reverseEdgeIndex(senders, receivers), 'int32');
    const layer = momentumConservingUpdate({ psi: (z) => mlpApply(w, z), mode: 'vector' });
    const base = { h, senders: s, receivers: r, numNodes: n };
    const f1 = layer({ ...base, edgeSym: a, edgeAnti: b }).edges;
    const f2 = layer({ ...base, edgeSym: a, edgeAnti: b, reverse: rev }).edges;
    const ab = tf.concat([a, b], 1) as tf.Tensor2D;
    const f3 = layer({ ...base, edgeSym: ab }).edges;
    expect(Array.from(f2.dataSync())).toEqual(Array.from(f1.dataSync()));
    expect(Array.from(f3.dataSync())).toEqual(Array.from(f1.dataSync()));
    expect(() => layer({ ...base, edgeSym: a, reverse: tf.tensor1d([0], 'int32') })).toThrow(/reverse.*shape/);
    tf.dispose([f1, f2, f3, ab, w, h, a, b, s, r, rev].flat());
  });

  it('gradients flow to the weights and to the antisymmetric features', () => {
    const rng = new Rng(3);
    const n = 6;
    const { senders, receivers } = randomSymmetricGraph(rng, n, 1);
    const E = senders.length;
    const w = randomMlp(rng, [2 * F + D, 8, D]);
    const h = tf.tensor2d(rng.normalArray(n * F) as Float32Array, [n, F]);
    const anti = tf.tensor2d(rng.normalArray(E * D) as Float32Array, [E, D]);
    const s = tf.tensor1d(senders, 'int32'), r = tf.tensor1d(receivers, 'int32');
    const target = tf.tensor2d(rng.normalArray(n * D) as Float32Array, [n, D]);
    const grads = tf.grads((...a: tf.Tensor[]) => {
      const out = momentumConservingUpdate({ psi: (z) => mlpApply(a.slice(0, -1), z), mode: 'vector' })({ h, senders: s, receivers: r, numNodes: n, edgeAnti: a[a.length - 1] as tf.Tensor2D });
      return tf.sum(tf.square(tf.sub(out.nodes, target))) as tf.Scalar;
    })([...w, anti]);
    const norms = grads.map((g) => Math.sqrt(absSum(g.dataSync().map((x) => x * x))));
    norms.forEach((nm, i) => {
      expect(Number.isFinite(nm)).toBe(true);
      // The last bias cancels in ψ(·) − ψ(·): its gradient is ~0; all others are non-zero.
      if (i === w.length - 1) expect(nm).toBeLessThan(1e-3 * Math.max(...norms));
      else expect(nm, `gradient ${i}`).toBeGreaterThan(0);
    });
    tf.dispose([...grads, ...w, h, anti, s, r, target]);
  });
});
