/**
 * src/engine/backprop.ts (the first-order backward pass that frees saved tensors and gradients
 * as it goes) against tfjs's own Engine.gradients (GNNWB_TFJS_BACKPROP=1): identical gradients
 * on a graph network with LayerNorm, gathers, segment sums and residuals (incl. gradient
 * functions that pass dy through unchanged and a caller-supplied dy); lower peak memory on a
 * deep chain; no leaked tensors; tensors saved for a first-order backward pass are references
 * (no Identity kernel); higher-order gradients (which need the saved tensors) still exact.
 * Runs on the backend the suite runs on.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { backpropStats } from '../../src/engine/backprop.js';
import { mlp } from '../../src/models/layers.js';
import { ParamStore } from '../../src/models/params.js';
import { edgeMlp, graphNetwork } from '../../src/models/graph_network.js';

function randn(rng: Rng, shape: number[]): tf.Tensor2D {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape as [number, number]) as tf.Tensor2D;
}

/** Runs fn with tfjs's own backward pass. */
function withTfjs<T>(fn: () => T): T {
  process.env.GNNWB_TFJS_BACKPROP = '1';
  try {
    return fn();
  } finally {
    delete process.env.GNNWB_TFJS_BACKPROP;
  }
}

describe('backprop (frees as it goes)', () => {
  beforeAll(async () => {
    await initBackend({});
  });
  afterEach(() => {
    delete process.env.GNNWB_TFJS_BACKPROP;
  });

  it('gives exactly the gradients of tfjs’s Engine.gradients on a 2-block graph network (parameters and inputs); leaks nothing', () => {
    const rng = new Rng(5);
    const params = new ParamStore(new Rng(6));
    const N = 40, E = 150, L = 16;
    const blocks = [0, 1].map((i) => {
      const em = mlp({ sizes: [3 * L, L, L], layerNorm: true, name: `b${i}/e` }, params);
      const nm = mlp({ sizes: [2 * L, L, L], layerNorm: true, name: `b${i}/n` }, params);
      return graphNetwork({ updateEdge: edgeMlp(em, { edgeDim: L, nodeDim: L }), updateNode: (v, a) => nm.applyParts([v, a]), residual: true });
    });
    const nodes = randn(rng, [N, L]);
    const edges = randn(rng, [E, L]);
    const senders = tf.tensor1d(Int32Array.from({ length: E }, () => Math.floor(rng.uniform() * N)), 'int32');
    const receivers = tf.tensor1d(Int32Array.from({ length: E }, () => Math.floor(rng.uniform() * N)), 'int32');
    const vars = params.variables();
    const forward = () => {
      let g = { nodes, edges };
      for (const b of blocks) g = b({ nodes: g.nodes, edges: g.edges, senders, receivers, numNodes: N });
      return g;
    };
    const loss = () => tf.add(tf.mean(tf.square(forward().nodes)), tf.sum(tf.mul(forward().edges, 0.01))) as tf.Scalar;
    const run = () => {
      const { value, grads } = tf.variableGrads(loss, vars);
      const out = [value, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      // Gradients w.r.t. the inputs of a non-scalar output (dy = ones).
      const gx = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        let g = { nodes: a as tf.Tensor2D, edges: b as tf.Tensor2D };
        for (const blk of blocks) g = blk({ nodes: g.nodes, edges: g.edges, senders, receivers, numNodes: N });
        return g.nodes;
      })([nodes, edges]);
      out.push(...gx.map((t) => Array.from(t.dataSync())));
      tf.dispose(gx);
      return out;
    };
    const before = tf.memory().numTensors;
    const ours = run();
    expect(tf.memory().numTensors).toBe(before);
    expect(backpropStats.savedReleased).toBeGreaterThan(0);
    expect(backpropStats.gradientsReleased).toBeGreaterThan(0);
    const theirs = withTfjs(run);
    expect(ours.length).toBe(vars.length + 3);
    expect(ours).toEqual(theirs);
    tf.dispose([nodes, edges, senders, receivers]);
    params.dispose();
  });

  it('the same caller dy gives the same input gradients as tfjs', () => {
    const rng = new Rng(8);
    const x = randn(rng, [30, 8]);
    const w = randn(rng, [8, 8]);
    const dy = randn(rng, [30, 8]);
    const f = (a: tf.Tensor) => tf.relu(tf.matMul(tf.tanh(tf.matMul(a as tf.Tensor2D, w)), w));
    const ours = tf.grad(f)(x, dy);
    const theirs = withTfjs(() => tf.grad(f)(x, dy));
    expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
    expect(dy.isDisposed).toBe(false);
    tf.dispose([x, w, dy, ours, theirs]);
  });

  it('frees as it goes: when the backward pass reaches the first layer of a deep chain, the others’ saved tensors and gradients are gone', () => {
    const rng = new Rng(9);
    const ws = Array.from({ length: 12 }, () => tf.variable(tf.mul(randn(rng, [64, 64]), 0.1)));
    // A variable, so that the path from it through the probe is differentiated.
    const x = tf.variable(randn(rng, [2000, 64]));
    // An identity whose gradient records the memory in use when the backward pass reaches it.
    let bytesAtFirstLayer = 0;
    const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        bytesAtFirstLayer = tf.memory().numBytes;
        return [tf.clone(dy as tf.Tensor)];
      },
    }));
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        let h: tf.Tensor = tf.relu(tf.matMul(probe(x) as tf.Tensor2D, ws[0] as tf.Tensor2D));
        for (const w of ws.slice(1)) h = tf.relu(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D));
        return tf.mean(tf.square(h)) as tf.Scalar;
      }, [x, ...ws]);
      tf.dispose([value, ...Object.values(grads)]);
      return bytesAtFirstLayer;
    };
    const ours = step();
    const theirs = withTfjs(step);
    expect(ours).toBeGreaterThan(0);
    // tfjs still holds 11 layers' saved activations and gradients ([2000, 64] = 512 kB each).
    expect(theirs - ours).toBeGreaterThan(11 * 2 * 512e3);
    tf.dispose([x, ...ws]);
  });

  it('saves tensors for a first-order backward pass as references (no Identity kernel per saved tensor), with the same gradients', async () => {
    const rng = new Rng(10);
    const x = randn(rng, [20, 8]);
    const w = tf.variable(randn(rng, [8, 8]));
    const f = () => tf.sum(tf.tanh(tf.matMul(tf.relu(tf.matMul(x, w as tf.Tensor2D)), w as tf.Tensor2D))) as tf.Scalar;
    const identities = async () => {
      let g: tf.Tensor | undefined;
      const prof = await tf.profile(() => {
        g = tf.variableGrads(f, [w]).grads[w.name];
      });
      const out = Array.from(g!.dataSync());
      g!.dispose();
      return { n: prof.kernels.filter((k) => k.name === 'Identity').length, out };
    };
    const ours = await identities();
    process.env.GNNWB_TFJS_BACKPROP = '1';
    const theirs = await identities();
    delete process.env.GNNWB_TFJS_BACKPROP;
    expect(ours.n).toBe(0);
    expect(theirs.n).toBeGreaterThan(3);
    expect(ours.out).toEqual(theirs.out);
    tf.dispose([x, w]);
  });

  it('a gradient of a gradient (forces trained on forces: saves at depths 1 and 2) equals tfjs’s', () => {
    const rng = new Rng(12);
    const x = randn(rng, [10, 3]);
    const w = tf.variable(tf.mul(randn(rng, [3, 3]), 0.5));
    const target = randn(rng, [10, 3]);
    const run = () => {
      const { value, grads } = tf.variableGrads(() => {
        const force = tf.grad((p: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(tf.square(tf.matMul(p as tf.Tensor2D, w as tf.Tensor2D)), w as tf.Tensor2D))))(x);
        return tf.mean(tf.square(tf.sub(force, target))) as tf.Scalar;
      }, [w]);
      const out = [value, grads[w.name]].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, grads[w.name]]);
      return out;
    };
    const ours = run();
    expect(ours).toEqual(withTfjs(run));
    expect(ours[1].some((v) => v !== 0)).toBe(true);
    tf.dispose([x, w, target]);
  });

  it('higher-order gradients (which need the saved tensors) still equal the closed form', () => {
    const x = tf.tensor1d([0.3, -0.7, 1.1]);
    // d³/dx³ Σ x⁴ = 24 x
    const g3 = tf.grad(tf.grad(tf.grad((a: tf.Tensor) => tf.sum(tf.pow(a, 4)))))(x);
    const v = Array.from(g3.dataSync());
    [0.3, -0.7, 1.1].forEach((xi, i) => expect(v[i]).toBeCloseTo(24 * xi, 4));
    tf.dispose([x, g3]);
  });
});
