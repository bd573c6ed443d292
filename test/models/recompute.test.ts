/**
 * Activation recomputation: a stack of recomputed graph-network blocks gives the same loss and
 * the same gradients (inputs and every parameter) as the plain stack, holds fewer bytes at the
 * loss, leaks nothing, and a block that is not deterministic is caught by the same comparison.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { ParamStore } from '../../src/models/params.js';
import { mlp } from '../../src/models/layers.js';
import { edgeMlp, graphNetwork } from '../../src/models/graph_network.js';
import { recomputed, type LatentBlock } from '../../src/models/recompute.js';
import { valueAndGrads, disposeGrads } from '../../src/models/optim.js';
import { expectNoLeaks } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

const L = 8, N = 12, E = 40, K = 3;

function setup(seed: number) {
  const rng = new Rng(seed);
  const params = new ParamStore(rng.fork('params'));
  const senders = tf.tensor1d(Int32Array.from({ length: E }, () => rng.int(N)), 'int32');
  const receivers = tf.tensor1d(Int32Array.from({ length: E }, () => rng.int(N)), 'int32');
  const blocks: { block: LatentBlock; vars: tf.Variable[] }[] = [];
  for (let k = 0; k < K; k++) {
    const em = mlp({ sizes: [3 * L, L, L], layerNorm: true, name: `b${k}/edge` }, params);
    const nm = mlp({ sizes: [2 * L, L, L], layerNorm: true, name: `b${k}/node` }, params);
    const gn = graphNetwork({ updateEdge: edgeMlp(em, { edgeDim: L, nodeDim: L }), updateNode: (v, a) => nm(tf.concat([v, a], 1) as tf.Tensor2D), residual: true });
    const block: LatentBlock = (nodes, edges) => gn({ nodes, edges, senders, receivers, numNodes: N });
    blocks.push({ block, vars: params.entries().filter(([name]) => name.startsWith(`b${k}/`)).map(([, v]) => v) });
  }
  const nodes = tf.variable(tf.tensor2d(rng.normalArray(N * L) as Float32Array, [N, L]), true, `x${seed}n`);
  const edges = tf.variable(tf.tensor2d(rng.normalArray(E * L) as Float32Array, [E, L]), true, `x${seed}e`);
  const dispose = () => {
    tf.dispose([senders, receivers, nodes, edges]);
    params.dispose();
  };
  return { params, blocks, nodes, edges, dispose };
}

function lossOf(s: ReturnType<typeof setup>, wrap: (b: LatentBlock, v: tf.Variable[]) => LatentBlock): () => tf.Scalar {
  return () =>
    tf.tidy(() => {
      let g = { nodes: s.nodes as tf.Tensor2D, edges: s.edges as tf.Tensor2D };
      for (const { block, vars } of s.blocks) g = wrap(block, vars)(g.nodes, g.edges);
      return tf.add(tf.mean(tf.square(g.nodes)), tf.mean(tf.sin(g.edges))) as tf.Scalar;
    });
}

function gradsOf(s: ReturnType<typeof setup>, wrap: (b: LatentBlock, v: tf.Variable[]) => LatentBlock): { loss: number; grads: Map<string, Float32Array> } {
  const all = [...s.params.entries(), [s.nodes.name, s.nodes] as [string, tf.Variable], [s.edges.name, s.edges] as [string, tf.Variable]];
  const { value, grads } = tf.variableGrads(lossOf(s, wrap), all.map(([, v]) => v));
  const out = new Map<string, Float32Array>();
  for (const [name, v] of all) out.set(name, grads[v.name].dataSync() as Float32Array);
  const loss = value.dataSync()[0];
  value.dispose();
  tf.dispose(Object.values(grads));
  return { loss, grads: out };
}

function maxRelDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    let scale = 1e-6;
    for (const v of x) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

describe('recomputed blocks (gradient checkpointing)', () => {
  it('same loss and the same gradients for inputs and every parameter as the plain stack', () => {
    const s = setup(1);
    const plain = gradsOf(s, (b) => b);
    const rec = gradsOf(s, recomputed);
    expect(rec.loss).toBeCloseTo(plain.loss, 6);
    expect(rec.grads.size).toBe(plain.grads.size);
    expect(maxRelDiff(rec.grads, plain.grads)).toBeLessThan(1e-5);
    s.dispose();
  });

  it('works through valueAndGrads and leaks nothing', async () => {
    const s = setup(2);
    await expectNoLeaks(() => {
      const { value, grads } = valueAndGrads(s.params, lossOf(s, recomputed));
      value.dispose();
      disposeGrads(grads);
    });
    s.dispose();
  });

  it('keeps fewer tensor bytes alive at the loss than the plain stack', () => {
    const s = setup(3);
    const bytesAtLoss = (wrap: (b: LatentBlock, v: tf.Variable[]) => LatentBlock): number => {
      let at = 0;
      const { value, grads } = tf.variableGrads(() => {
        const l = lossOf(s, wrap)();
        at = tf.memory().numBytes;
        return l;
      }, s.params.variables());
      value.dispose();
      tf.dispose(Object.values(grads));
      return at;
    };
    const plain = bytesAtLoss((b) => b), rec = bytesAtLoss(recomputed);
    expect(rec).toBeLessThan(plain);
    s.dispose();
  });

  it('a non-deterministic block (noise drawn per call) is caught: its gradients differ from the plain stack', () => {
    const s = setup(4);
    let calls = 0;
    const noisy = (b: LatentBlock): LatentBlock => (n, e) => {
      calls++;
      const o = b(n, e);
      return { nodes: tf.add(o.nodes, tf.mul(tf.mul(o.nodes, o.nodes), 0.1 * (calls % 3))) as tf.Tensor2D, edges: o.edges };
    };
    calls = 0;
    const plain = gradsOf(s, (b) => noisy(b));
    calls = 0;
    const rec = gradsOf(s, (b, v) => recomputed(noisy(b), v));
    expect(maxRelDiff(rec.grads, plain.grads)).toBeGreaterThan(1e-3);
    s.dispose();
  });
});
