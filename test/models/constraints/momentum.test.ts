import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { segmentSum } from '../../../src/models/segment.js';
import { momentumConservingUpdate, reverseEdgeIndex, type PairInputs, type PairUpdate } from '../../../src/models/constraints/index.js';
import { absSum, columnSums, mlpApply, randomMlp, randomSymmetricGraph } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SEED = 20261122;
const F = 3; // node feature width

interface Case {
  inputs: PairInputs;
  weights: tf.Tensor[];
  rev: Int32Array;
  positions: Float32Array;
  D: number;
}

function makeCase(seed: number, n: number, D: number, radial: boolean): Case {
  const rng = new Rng(seed);
  const { senders, receivers } = randomSymmetricGraph(rng, n, 0.6);
  const positions = rng.normalArray(n * D, 1) as Float32Array;
  const E = senders.length;
  const rel = new Float32Array(E * D);
  const dist = new Float32Array(E);
  for (let e = 0; e < E; e++) {
    let d2 = 0;
    for (let c = 0; c < D; c++) {
      rel[e * D + c] = positions[receivers[e] * D + c] - positions[senders[e] * D + c];
      d2 += rel[e * D + c] ** 2;
    }
    dist[e] = Math.sqrt(d2);
  }
  const weights = randomMlp(rng, [2 * F + 1, 16, radial ? 1 : D]);
  return {
    inputs: {
      h: tf.tensor2d(rng.normalArray(n * F) as Float32Array, [n, F]),
      senders: tf.tensor1d(senders, 'int32'),
      receivers: tf.tensor1d(receivers, 'int32'),
      numNodes: n,
      edgeSym: tf.tensor2d(dist, [E, 1]),
      relPos: tf.tensor2d(rel, [E, D]),
    },
    weights,
    rev: reverseEdgeIndex(senders, receivers),
    positions,
    D,
  };
}

function dispose(c: Case): void {
  tf.dispose([c.inputs.h, c.inputs.senders, c.inputs.receivers, c.inputs.edgeSym!, c.inputs.relPos!, ...c.weights]);
}

type Layer = (x: PairInputs) => PairUpdate;

/** The conservation property for a layer built from the weights of a case. */
function conserves(build: (w: tf.Tensor[], radial: boolean) => Layer, radial: boolean) {
  return fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2, max: 12 }), fc.constantFrom(2, 3), (seed, n, D) => {
    const c = makeCase(seed, n, D, radial);
    try {
      const out = build(c.weights, radial)(c.inputs);
      const nodes = out.nodes.dataSync();
      const edges = out.edges.dataSync();
      tf.dispose([out.nodes, out.edges]);
      const total = columnSums(nodes, D);
      const scale = absSum(edges) + 1e-12;
      // Σ_i F_i = 0 up to float32 summation rounding.
      for (const t of total) if (!(Math.abs(t) <= 1e-5 * scale)) return false;
      if (radial) {
        // Central forces also conserve angular momentum: Σ x_i × F_i = 0.
        let l = 0;
        const x = c.positions;
        for (let i = 0; i < n; i++) {
          if (D === 2) l += x[i * 2] * nodes[i * 2 + 1] - x[i * 2 + 1] * nodes[i * 2];
          else l += x[i * 3] * nodes[i * 3 + 1] - x[i * 3 + 1] * nodes[i * 3];
        }
        if (!(Math.abs(l) <= 1e-4 * scale * (1 + absSum(x)))) return false;
      }
      return true;
    } finally {
      dispose(c);
    }
  });
}

const goodLayer = (w: tf.Tensor[], radial: boolean): Layer =>
  momentumConservingUpdate({ psi: (x) => mlpApply(w, x), mode: radial ? 'radial' : 'vector' });

/** A broken layer: ψ(s, r) used directly, without antisymmetrisation. */
const brokenLayer = (w: tf.Tensor[]): Layer => (x) =>
  tf.tidy(() => {
    const hs = tf.gatherND(x.h, tf.expandDims(x.senders, 1));
    const hr = tf.gatherND(x.h, tf.expandDims(x.receivers, 1));
    const f = mlpApply(w, tf.concat([hs, hr, x.edgeSym!], 1) as tf.Tensor2D);
    return { nodes: segmentSum(f, x.receivers, x.numNodes), edges: f };
  });

describe('momentumConservingUpdate', () => {
  it('vector mode: total update is zero for random graphs, inputs and weights', () => {
    fc.assert(conserves(goodLayer, false), { seed: SEED, numRuns: 30 });
  });

  it('radial mode: conserves linear and angular momentum', () => {
    fc.assert(conserves(goodLayer, true), { seed: SEED + 1, numRuns: 30 });
  });

  it('the property catches a layer without antisymmetrisation', () => {
    const r = fc.check(conserves(brokenLayer, false), { seed: SEED, numRuns: 30 });
    expect(r.failed).toBe(true);
  });

  it('messages are exactly antisymmetric: f[rev e] = −f[e]', () => {
    const c = makeCase(7, 9, 3, false);
    const out = goodLayer(c.weights, false)(c.inputs);
    const f = out.edges.dataSync();
    for (let e = 0; e < c.rev.length; e++) for (let k = 0; k < 3; k++) expect(f[c.rev[e] * 3 + k]).toBe(-f[e * 3 + k]);
    tf.dispose([out.nodes, out.edges]);
    dispose(c);
  });

  it('gradients flow to the weights and the node features (both modes)', () => {
    for (const radial of [false, true]) {
      const c = makeCase(11, 8, 3, radial);
      const layer = (w: tf.Tensor[], h: tf.Tensor2D) =>
        momentumConservingUpdate({ psi: (x) => mlpApply(w, x), mode: radial ? 'radial' : 'vector' })({ ...c.inputs, h });
      const grads = tf.grads((...args: tf.Tensor[]) => {
        const out = layer(args.slice(0, -1), args[args.length - 1] as tf.Tensor2D);
        return tf.sum(tf.square(out.nodes)) as tf.Scalar;
      })([...c.weights, c.inputs.h]);
      const norms = grads.map((g) => {
        const v = g.dataSync();
        let s = 0;
        for (let i = 0; i < v.length; i++) s += v[i] * v[i];
        return Math.sqrt(s);
      });
      norms.forEach((nrm, i) => {
        expect(Number.isFinite(nrm)).toBe(true);
        // In 'vector' mode the last layer's bias cancels exactly in ψ(i,j) − ψ(j,i), so its
        // gradient is 0 up to rounding; every other gradient (and all in 'radial' mode) is non-zero.
        if (!radial && i === c.weights.length - 1) expect(nrm).toBeLessThan(1e-3 * Math.max(...norms));
        else expect(nrm, `gradient ${i} (${radial ? 'radial' : 'vector'})`).toBeGreaterThan(0);
      });
      tf.dispose(grads);
      dispose(c);
    }
  });

  it('a particle rollout with unequal masses keeps Σ m v constant', () => {
    const c = makeCase(3, 10, 3, true);
    const rng = new Rng(5);
    const N = 10;
    const mass = Float64Array.from({ length: N }, () => 0.5 + rng.uniform());
    const v = Float64Array.from(rng.normalArray(N * 3));
    const p0 = [0, 0, 0];
    for (let i = 0; i < N; i++) for (let k = 0; k < 3; k++) p0[k] += mass[i] * v[i * 3 + k];
    const layer = goodLayer(c.weights, true);
    let maxDrift = 0;
    let scale = 0;
    for (let step = 0; step < 20; step++) {
      const out = layer(c.inputs);
      const f = out.nodes.dataSync();
      tf.dispose([out.nodes, out.edges]);
      for (let i = 0; i < N; i++) for (let k = 0; k < 3; k++) v[i * 3 + k] += (0.01 * f[i * 3 + k]) / mass[i];
      scale += 0.01 * absSum(f);
      const p = [0, 0, 0];
      for (let i = 0; i < N; i++) for (let k = 0; k < 3; k++) p[k] += mass[i] * v[i * 3 + k];
      maxDrift = Math.max(maxDrift, Math.hypot(p[0] - p0[0], p[1] - p0[1], p[2] - p0[2]));
    }
    expect(scale).toBeGreaterThan(0);
    expect(maxDrift).toBeLessThan(1e-5 * scale);
    dispose(c);
  });

  it('reverseEdgeIndex rejects a non-symmetric edge set with a clear error', () => {
    expect(() => reverseEdgeIndex(Int32Array.of(0, 1), Int32Array.of(1, 2))).toThrow(/reverse/);
  });
});
