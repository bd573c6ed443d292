import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batch,
  block,
  graphsTuple,
  nodeGraphIndex,
  numEdges,
  numGraphs,
  numNodes,
  padWithDummyGraph,
  paddingMasks,
  unbatch,
  withNodes,
  type GraphsTuple,
} from '../../src/geometry/graphs_tuple.js';
import { graph, graphList } from '../helpers/arbitraries.js';

const SEED = 1234;

/** Structural equality of two graphs (arrays by value). */
function same(a: GraphsTuple, b: GraphsTuple): void {
  expect([...a.nNode]).toEqual([...b.nNode]);
  expect([...a.nEdge]).toEqual([...b.nEdge]);
  expect([...a.senders]).toEqual([...b.senders]);
  expect([...a.receivers]).toEqual([...b.receivers]);
  for (const kind of ['nodes', 'edges', 'globals'] as const) {
    expect(Object.keys(a[kind]).sort()).toEqual(Object.keys(b[kind]).sort());
    for (const k of Object.keys(a[kind])) {
      expect(a[kind][k].width).toBe(b[kind][k].width);
      expect([...a[kind][k].data]).toEqual([...b[kind][k].data]);
    }
  }
}

describe('GraphsTuple', () => {
  it('hand case: batching offsets indices', () => {
    const g1 = graphsTuple({ nodes: { x: block(Float32Array.of(1, 2), 1) }, senders: Int32Array.of(0), receivers: Int32Array.of(1) });
    const g2 = graphsTuple({ nodes: { x: block(Float32Array.of(3, 4, 5), 1) }, senders: Int32Array.of(2, 0), receivers: Int32Array.of(1, 0) });
    const b = batch([g1, g2]);
    expect([...b.senders]).toEqual([0, 4, 2]);
    expect([...b.receivers]).toEqual([1, 3, 2]);
    expect([...b.nNode]).toEqual([2, 3]);
    expect([...nodeGraphIndex(b)]).toEqual([0, 0, 1, 1, 1]);
    expect([...b.nodes.x.data]).toEqual([1, 2, 3, 4, 5]);
  });

  it('validates with expected/got messages', () => {
    expect(() => graphsTuple({ numNodes: 2, senders: Int32Array.of(0), receivers: Int32Array.of(2) })).toThrow(/receivers\[0\].*\[0, 2\)/);
    expect(() => graphsTuple({ numNodes: 2, senders: new Float32Array(1) as unknown as Int32Array, receivers: Int32Array.of(0) })).toThrow(/Int32Array/);
    expect(() => graphsTuple({ nodes: { x: block(new Float32Array(4), 2) }, numNodes: 2, senders: Int32Array.of(), receivers: Int32Array.of(), nNode: Int32Array.of(3) })).toThrow(/nodes\.x/);
  });

  it('is immutable: withNodes returns a new graph and leaves the old one', () => {
    const g = graphsTuple({ nodes: { x: block(Float32Array.of(1, 2), 1) }, senders: Int32Array.of(0), receivers: Int32Array.of(1) });
    const h = withNodes(g, { y: block(Float32Array.of(7, 8), 1) });
    expect(Object.keys(g.nodes)).toEqual(['x']);
    expect(Object.keys(h.nodes).sort()).toEqual(['x', 'y']);
    expect(Object.isFrozen(g)).toBe(true);
  });

  it('property: unbatch(batch(gs)) round-trips (empty graphs and isolated nodes included)', () => {
    fc.assert(
      fc.property(graphList({ maxGraphs: 6 }), (gs) => {
        const b = batch(gs);
        expect(numGraphs(b)).toBe(gs.length);
        expect(numNodes(b)).toBe(gs.reduce((s, g) => s + numNodes(g), 0));
        const back = unbatch(b);
        expect(back.length).toBe(gs.length);
        back.forEach((g, i) => same(g, gs[i]));
        same(batch(back), b);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('property: padding to fixed sizes keeps the real graphs and masks the padding', () => {
    fc.assert(
      fc.property(graphList({ maxGraphs: 4 }), fc.nat(5), fc.nat(7), fc.nat(2), (gs, extraN, extraE, extraG) => {
        const b = batch(gs);
        const sizes = { nodes: numNodes(b) + extraN + 1, edges: numEdges(b) + extraE, graphs: numGraphs(b) + 1 + extraG };
        const p = padWithDummyGraph(b, sizes);
        expect(numNodes(p)).toBe(sizes.nodes);
        expect(numEdges(p)).toBe(sizes.edges);
        expect(numGraphs(p)).toBe(sizes.graphs);
        const parts = unbatch(p);
        gs.forEach((g, i) => same(parts[i], g));
        const m = paddingMasks(p, gs.length);
        expect(m.nodes.reduce((s, v) => s + v, 0)).toBe(numNodes(b));
        expect(m.edges.reduce((s, v) => s + v, 0)).toBe(numEdges(b));
        // Padding edges stay inside the dummy graph (never negative indices).
        for (let e = numEdges(b); e < numEdges(p); e++) expect(p.senders[e]).toBeGreaterThanOrEqual(numNodes(b));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('property: a single generated graph is valid and batch of one is itself', () => {
    fc.assert(
      fc.property(graph(), (g) => {
        expect(batch([g])).toBe(g);
        expect(() => graphsTuple({ ...g })).not.toThrow();
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('rejects padding that is too small', () => {
    const g = graphsTuple({ numNodes: 2, senders: Int32Array.of(0), receivers: Int32Array.of(1) });
    expect(() => padWithDummyGraph(g, { nodes: 2, edges: 2, graphs: 2 })).toThrow(/sizes\.nodes/);
    expect(() => padWithDummyGraph(g, { nodes: 3, edges: 2, graphs: 1 })).toThrow(/sizes\.graphs/);
  });
});
