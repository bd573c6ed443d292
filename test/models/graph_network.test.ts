import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { block, graphsTuple } from '../../src/geometry/graphs_tuple.js';
import { ParamStore } from '../../src/models/params.js';
import { mlp } from '../../src/models/layers.js';
import { edgeMlp, graphNetwork } from '../../src/models/graph_network.js';
import { toTensors, disposeTensorGraph } from '../../src/models/tensors.js';
import { assertPermutationEquivariant } from '../helpers/permutation.js';
import { checkGradients, expectNoLeaks } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

// 4 nodes, 5 edges; node 3 is isolated; node 1 receives twice.
const graph = () =>
  graphsTuple({
    nodes: { x: block(Float32Array.of(1, 2, 3, 4), 1) },
    edges: { e: block(Float32Array.of(10, 20, 30, 40, 50), 1) },
    senders: Int32Array.of(0, 1, 2, 0, 2),
    receivers: Int32Array.of(1, 2, 0, 1, 1),
  });

describe('graphNetwork', () => {
  it('hand-computed case: edge sum of [e, v_s, v_r], sum/mean/max aggregation, node update', () => {
    const tg = toTensors(graph());
    const updateEdge = (e: tf.Tensor2D, s: tf.Tensor2D, r: tf.Tensor2D) => tf.add(tf.add(e, s), r) as tf.Tensor2D;
    const updateNode = (v: tf.Tensor2D, agg: tf.Tensor2D) => tf.concat([v, agg], 1) as tf.Tensor2D;
    const input = { nodes: tg.nodes.x, edges: tg.edges.e, senders: tg.senders, receivers: tg.receivers, numNodes: tg.numNodes };
    // messages: 10+1+2=13, 20+2+3=25, 30+3+1=34, 40+1+2=43, 50+3+2=55
    const sum = graphNetwork({ updateEdge, updateNode, aggregate: 'sum' })(input);
    expect(Array.from(sum.edges.dataSync())).toEqual([13, 25, 34, 43, 55]);
    expect(Array.from(sum.nodes.dataSync())).toEqual([1, 34, 2, 13 + 43 + 55, 3, 25, 4, 0]);
    const mean = graphNetwork({ updateEdge, updateNode, aggregate: 'mean' })(input);
    expect(mean.nodes.dataSync()[3]).toBeCloseTo((13 + 43 + 55) / 3, 5);
    const max = graphNetwork({ updateEdge, updateNode, aggregate: 'max' })(input);
    expect(Array.from(max.nodes.dataSync())).toEqual([1, 34, 2, 55, 3, 25, 4, 0]);
    disposeTensorGraph(tg);
  });

  it('global update sums nodes and edges per graph', () => {
    const tg = toTensors({ ...graph(), globals: { u: block(Float32Array.of(100), 1) } });
    const gn = graphNetwork({
      updateEdge: (e) => e,
      updateNode: (v) => v,
      updateGlobal: (u, ns, es) => tf.concat([u, ns, es], 1) as tf.Tensor2D,
    });
    const out = gn({ nodes: tg.nodes.x, edges: tg.edges.e, senders: tg.senders, receivers: tg.receivers, numNodes: tg.numNodes, globals: tg.globals.u, nodeGraph: tg.nodeGraph, edgeGraph: tg.edgeGraph, numGraphs: tg.numGraphs });
    expect(Array.from(out.globals!.dataSync())).toEqual([100, 10, 150]);
    disposeTensorGraph(tg);
  });

  it('options are checked at creation', () => {
    expect(() => graphNetwork({ updateEdge: (e) => e, updateNode: (v) => v, aggregate: 'median' as 'sum' })).toThrow(/graphNetwork.aggregate/);
    expect(() => graphNetwork({ updateEdge: 3 as never, updateNode: (v) => v })).toThrow(/graphNetwork.updateEdge/);
  });

  it('fused edgeMlp equals the MLP on the concatenation (values and gradients)', () => {
    const p = new ParamStore(new Rng(4));
    const m = mlp({ sizes: [4 + 2 * 3, 16, 4], layerNorm: true, name: 'edge' }, p);
    const em = edgeMlp(m, { edgeDim: 4, nodeDim: 3 });
    const rng = new Rng(8);
    const nodes = tf.tensor2d(rng.normalArray(6 * 3) as Float32Array, [6, 3]);
    const edges = tf.tensor2d(rng.normalArray(9 * 4) as Float32Array, [9, 4]);
    const s = tf.tensor1d([0, 1, 2, 3, 4, 5, 0, 0, 1], 'int32');
    const r = tf.tensor1d([1, 2, 3, 4, 5, 0, 2, 2, 2], 'int32');
    // graphNetwork must take the fused path for an edgeMlp (a function carrying `fused`): a
    // stand-in of the same shape whose plain (concatenating) form throws proves it does.
    let fusedCalls = 0;
    const onlyFused = Object.assign(() => { throw new Error('plain path used'); }, { fused: (x: Parameters<typeof em.fused>[0]) => { fusedCalls++; return em.fused(x); } });
    const gnF = graphNetwork({ updateEdge: onlyFused, updateNode: (v, a) => tf.concat([v, a], 1) as tf.Tensor2D, residual: false });
    const gnP = graphNetwork({ updateEdge: (e, a, b) => em(e, a, b), updateNode: (v, a) => tf.concat([v, a], 1) as tf.Tensor2D });
    const inp = { nodes, edges, senders: s, receivers: r, numNodes: 6 };
    const f = gnF(inp), q = gnP(inp);
    expect(tf.max(tf.abs(tf.sub(f.nodes, q.nodes))).dataSync()[0]).toBeLessThan(1e-5);
    const gf = tf.grad((x: tf.Tensor) => tf.sum(tf.square(gnF({ ...inp, nodes: x as tf.Tensor2D }).nodes)))(nodes);
    const gq = tf.grad((x: tf.Tensor) => tf.sum(tf.square(gnP({ ...inp, nodes: x as tf.Tensor2D }).nodes)))(nodes);
    expect(tf.max(tf.abs(tf.sub(gf, gq))).dataSync()[0]).toBeLessThan(1e-4);
    checkGradients(([x]) => tf.sum(tf.sin(gnF({ ...inp, nodes: x as tf.Tensor2D }).nodes)) as tf.Scalar, [nodes]);
    expect(fusedCalls).toBeGreaterThan(0);
    p.dispose();
  });

  it('an MLP graph network is permutation equivariant over nodes and edges, and leaks nothing', async () => {
    const p = new ParamStore(new Rng(4));
    const em = edgeMlp(mlp({ sizes: [1 + 2, 8, 2], activation: 'silu', name: 'e' }, p), { edgeDim: 1, nodeDim: 1 });
    const nm = mlp({ sizes: [1 + 2, 8, 1], activation: 'silu', name: 'n' }, p);
    const gn = graphNetwork({ updateEdge: em, updateNode: (v, a) => nm(tf.concat([v, a], 1) as tf.Tensor2D) });
    const g = graph();
    const fn = async (_pos: unknown, _f: unknown, gg: typeof g | undefined) => {
      if (!gg) throw new Error('graph required');
      const tg = toTensors(gg);
      const out = tf.tidy(() => gn({ nodes: tg.nodes.x, edges: tg.edges.e, senders: tg.senders, receivers: tg.receivers, numNodes: tg.numNodes }));
      const res = { nodes: Float64Array.from(out.nodes.dataSync()), edges: Float64Array.from(out.edges.dataSync()) };
      tf.dispose([out.nodes, out.edges]);
      disposeTensorGraph(tg);
      return res;
    };
    await expectNoLeaks(() => fn(null, null, g));
    // float32 tolerance: permuting edges reorders each node's float32 sum of incoming messages
    // (rounding ~1e-7); exact equality held only by luck of the values.
    await assertPermutationEquivariant(fn, { positions: new Float64Array(4 * 3), graph: g }, { outputs: { nodes: 'node', edges: 'edge' }, trials: 4, seed: 3, tolerance: { atol: 1e-5, rtol: 0 } });
    p.dispose();
  });
});
