/**
 * EGNN: E(n) equivariance (rotations, reflections, translations) and node/edge permutation
 * equivariance through the shared test toolkit, with fast-check over inputs; a deliberately
 * broken model (absolute positions fed to the edge MLP) is caught by the same checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { graphsTuple, type GraphsTuple } from '../../src/geometry/graphs_tuple.js';
import { createEgnn, inverseInDegree, type Egnn, type EgnnConfig } from '../../src/models/equivariant/egnn.js';
import { Params, applyMlp, applyMlpPairs, mlp } from '../../src/models/equivariant/nn.js';
import { assertEquivariant, assertPermutationEquivariant, equivarianceError, type NumArray } from '../helpers/index.js';
import { expectNoLeaks } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

const SMALL: EgnnConfig = { nodeIn: 1, edgeIn: 1, hidden: 16, layers: 3, velocity: true, coordClamp: 100 };

/** Fully connected graph of n nodes with charge products as edge block `a`. */
function chargedGraph(n: number, q: Float32Array): GraphsTuple {
  const s: number[] = [], r: number[] = [], a: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) { r.push(i); s.push(j); a.push(q[i] * q[j]); }
  return graphsTuple({
    senders: Int32Array.from(s), receivers: Int32Array.from(r),
    nNode: Int32Array.of(n), nEdge: Int32Array.of(s.length),
    edges: { a: { data: Float32Array.from(a), width: 1 } },
  });
}

/**
 * Runs the model on host arrays. `points` holds 2N rows: positions x, then the points x + v,
 * so the toolkit's E(n) action (Q·p + t on every row) moves v = (x + v) − x as a vector.
 */
function runPacked(model: Egnn, points: NumArray, g: GraphsTuple): Record<string, Float32Array> {
  const N = points.length / 6;
  const x = new Float32Array(3 * N), v = new Float32Array(3 * N), h0 = new Float32Array(N);
  for (let k = 0; k < 3 * N; k++) { x[k] = points[k]; v[k] = points[3 * N + k] - points[k]; }
  for (let i = 0; i < N; i++) h0[i] = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
  return runModel(model, x, v, h0, g);
}

function runModel(model: Egnn, x: Float32Array, v: Float32Array, h0: Float32Array, g: GraphsTuple): Record<string, Float32Array> {
  const N = h0.length;
  const E = g.senders.length;
  const t = {
    x: tf.tensor2d(x, [N, 3]), v: tf.tensor2d(v, [N, 3]), h0: tf.tensor2d(h0, [N, 1]),
    edgeAttr: tf.tensor2d(g.edges.a.data as Float32Array, [E, 1]),
    senders: tf.tensor1d(g.senders, 'int32'), receivers: tf.tensor1d(g.receivers, 'int32'),
    invDegree: inverseInDegree(g.receivers, N),
  };
  const out = tf.tidy(() => model.apply(t));
  const res = { x: Float32Array.from(out.x.dataSync()), h: Float32Array.from(out.h.dataSync()) };
  out.x.dispose(); out.h.dispose();
  for (const k of Object.values(t)) k.dispose();
  return res;
}

const system = fc.record({
  n: fc.integer({ min: 2, max: 7 }),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
});

function sample(n: number, seed: number): { points: Float64Array; q: Float32Array } {
  const rng = new Rng(seed);
  const points = new Float64Array(6 * n);
  for (let k = 0; k < 3 * n; k++) points[k] = 2 * rng.normal();
  for (let k = 0; k < 3 * n; k++) points[3 * n + k] = points[k] + 0.5 * rng.normal();
  const q = new Float32Array(n).map(() => (rng.uniform() < 0.5 ? -1 : 1));
  return { points, q };
}

// float32 forward of a 3-layer network on coordinates up to ~10 after translation.
const TOL = { atol: 2e-4, rtol: 2e-5 };

describe('EGNN', () => {
  let model: Egnn;
  let broken: Egnn;
  beforeAll(() => {
    model = createEgnn(SMALL, new Rng(1));
    broken = createEgnn({ ...SMALL, brokenAbsolutePositions: true }, new Rng(1));
  });

  it('is E(3)-equivariant: x′ transforms as a position, h is invariant (fast-check over systems)', async () => {
    await fc.assert(
      fc.asyncProperty(system, async ({ n, seed }) => {
        const { points, q } = sample(n, seed);
        const g = chargedGraph(n, q);
        const fn = (p: NumArray) => {
          const o = runPacked(model, p, g);
          // Output positions [N·3] and invariant node features.
          return { x: o.x, h: o.h };
        };
        await assertEquivariant(fn, { positions: points, graph: g }, { outputs: { x: 'position', h: 'scalar' }, trials: 2, seed, tolerance: TOL });
      }),
      { seed: 4, numRuns: 12 },
    );
  });

  it('catches a deliberately broken model that reads absolute positions', async () => {
    const { points, q } = sample(5, 9);
    const g = chargedGraph(5, q);
    const fn = (p: NumArray) => runPacked(broken, p, g);
    await expect(
      assertEquivariant(fn, { positions: points, graph: g }, { outputs: { x: 'position', h: 'scalar' }, trials: 2, seed: 1, tolerance: TOL }),
    ).rejects.toThrow(/Not equivariant/);
    const rep = await equivarianceError(fn, { positions: points, graph: g }, { outputs: { h: 'scalar' }, trials: 2, transforms: ['translation'] });
    expect(rep.maxError).toBeGreaterThan(1e-2);
  });

  it('is equivariant under node and edge permutations', async () => {
    await fc.assert(
      fc.asyncProperty(system, async ({ n, seed }) => {
        const { points, q } = sample(n, seed);
        const g = chargedGraph(n, q);
        // Per-node features [v (3), charge (1)] are permuted by rows with the nodes.
        const feats = new Float32Array(4 * n);
        for (let i = 0; i < n; i++) {
          for (let d = 0; d < 3; d++) feats[4 * i + d] = points[3 * n + 3 * i + d] - points[3 * i + d];
          feats[4 * i + 3] = q[i];
        }
        const fn = (p: NumArray, f: unknown, gg: GraphsTuple | undefined) => {
          const ff = f as Float32Array;
          const v = new Float32Array(3 * n), h0 = new Float32Array(n);
          for (let i = 0; i < n; i++) {
            for (let d = 0; d < 3; d++) v[3 * i + d] = ff[4 * i + d];
            h0[i] = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
          }
          return runModel(model, Float32Array.from(p), v, h0, gg!);
        };
        await assertPermutationEquivariant(fn, { positions: points.subarray(0, 3 * n), features: feats, graph: g }, {
          outputs: { x: 'node', h: 'node' }, trials: 2, seed, tolerance: { atol: 1e-4, rtol: 0 },
        });
      }),
      { seed: 5, numRuns: 8 },
    );
  });

  it('coordinate MLP ends bias-free with xavier gain 0.001; C = 1/(M − 1)', () => {
    const names = model.params.names();
    expect(names).toContain('egnn/gcl0/coord/1/W');
    expect(names).not.toContain('egnn/gcl0/coord/1/b');
    const w = model.params.get('egnn/gcl0/coord/1/W').dataSync();
    const bound = 0.001 * Math.sqrt(6 / (16 + 1));
    for (const x of w) expect(Math.abs(x)).toBeLessThanOrEqual(bound);
    const inv = inverseInDegree(Int32Array.from([0, 0, 0, 1, 2, 2]), 4);
    expect(Array.from(inv.dataSync())).toEqual([Math.fround(1 / 3), 1, 0.5, 0]);
    inv.dispose();
  });

  it('split first edge layer equals the MLP on the concatenation; no tensor leaks', async () => {
    const params = new Params();
    const m = mlp(params, new Rng(3), 'e', [2 * 4 + 2, 8, 8], { activateLast: true });
    const h = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const extra = tf.randomNormal([7, 2], 0, 1, 'float32', 2) as tf.Tensor2D;
    const r = tf.tensor1d([0, 1, 2, 3, 4, 0, 1], 'int32');
    const s = tf.tensor1d([1, 2, 3, 4, 0, 2, 4], 'int32');
    await expectNoLeaks(() => {
      const a = tf.tidy(() => applyMlpPairs(m, h, r, s, extra));
      const b = tf.tidy(() => applyMlp(m, tf.concat([tf.gather(h, r), tf.gather(h, s), extra], 1) as tf.Tensor2D));
      const da = a.dataSync(), db = b.dataSync();
      for (let i = 0; i < da.length; i++) expect(da[i]).toBeCloseTo(db[i], 5);
      a.dispose(); b.dispose();
      // Same gradients with respect to every parameter and to h.
      const w = tf.randomNormal([7, 8], 0, 1, 'float32', 3);
      const vars = params.list();
      const ga = tf.variableGrads(() => tf.sum(tf.mul(applyMlpPairs(m, h, r, s, extra), w)) as tf.Scalar, vars);
      const gb = tf.variableGrads(() => tf.sum(tf.mul(applyMlp(m, tf.concat([tf.gather(h, r), tf.gather(h, s), extra], 1) as tf.Tensor2D), w)) as tf.Scalar, vars);
      for (const v of vars) {
        const x = ga.grads[v.name].dataSync(), y = gb.grads[v.name].dataSync();
        for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i], 4);
      }
      for (const t of [ga.value, gb.value, w, ...Object.values(ga.grads), ...Object.values(gb.grads)]) t.dispose();
    });
    for (const t of [h, extra, r, s]) t.dispose();
    params.dispose();
  });
});
