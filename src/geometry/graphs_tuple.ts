/**
 * `GraphsTuple`: the one graph type of the workbench (after jraph's `GraphsTuple`).
 *
 * A batch of `G` directed graphs stored flat, by concatenation:
 *
 * ```
 *   nNode     [G]           nodes per graph          sum = N
 *   nEdge     [G]           edges per graph          sum = E
 *   senders   [E] int32     global node index of each edge's source
 *   receivers [E] int32     global node index of each edge's target
 *   nodes     { name: [N, width] }   named node feature blocks, row-major
 *   edges     { name: [E, width] }   named edge feature blocks
 *   globals   { name: [G, width] }   named per-graph feature blocks
 * ```
 *
 * Indices are *global* across the batch: the nodes of graph `g` occupy rows
 * `[sum(nNode[0..g)), sum(nNode[0..g]))`, and every edge of graph `g` connects two nodes of
 * graph `g`. An absent feature is an absent key; a graph with no features at all has `{}`.
 * Empty graphs (`nNode[g] = 0`) and isolated nodes are allowed. Batches are padded with a
 * *dummy graph* that holds the padding nodes and edges (never negative indices), so shapes
 * can be fixed for compiled kernels.
 *
 * Graphs are immutable: functions return new graphs that share the unchanged arrays
 * (`withNodes(g, {...})`). Nothing here mutates its inputs, and callers must not mutate the
 * arrays of a graph they did not build. Tensors are made at one boundary: {@link toTensors}.
 */
import { ShapeError, ValueError, describe } from '../util/errors.js';

/** Feature storage: float features, or int features (node types, species). */
export type FeatureArray = Float32Array | Int32Array;

/** A row-major `[rows, width]` block of features. */
export interface FeatureBlock {
  readonly data: FeatureArray;
  readonly width: number;
}

/** Named feature blocks of one kind (nodes, edges or globals). */
export type Features = Readonly<Record<string, FeatureBlock>>;

export interface GraphsTuple {
  readonly nodes: Features;
  readonly edges: Features;
  readonly globals: Features;
  /** [E] global index of each edge's sender (source) node. */
  readonly senders: Int32Array;
  /** [E] global index of each edge's receiver (target) node. */
  readonly receivers: Int32Array;
  /** [G] number of nodes of each graph. */
  readonly nNode: Int32Array;
  /** [G] number of edges of each graph. */
  readonly nEdge: Int32Array;
}

/** Arguments of {@link graphsTuple}; omitted fields default to a single graph with no features. */
export interface GraphsTupleInit {
  readonly nodes?: Features;
  readonly edges?: Features;
  readonly globals?: Features;
  readonly senders: Int32Array;
  readonly receivers: Int32Array;
  /** Default: one graph holding every node (requires a `nodes` block or `numNodes`). */
  readonly nNode?: Int32Array;
  readonly nEdge?: Int32Array;
  /** Node count when there are no node features and no `nNode`. */
  readonly numNodes?: number;
}

/** Makes a block from data and width, checking that the length divides. */
export function block(data: FeatureArray, width: number): FeatureBlock {
  if (!Number.isInteger(width) || width < 1) throw new ShapeError('width', 'a positive integer', String(width));
  if (data.length % width !== 0) {
    throw new ShapeError('data', `a length divisible by width ${width}`, describe(data));
  }
  return Object.freeze({ data, width });
}

/** Rows of a block. */
export function rows(b: FeatureBlock): number {
  return b.data.length / b.width;
}

/** Sum of an Int32Array. */
function total(a: Int32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/**
 * Validating constructor. Checks every shape and index and freezes the record.
 * Throws ShapeError/ValueError with expected/got messages.
 */
export function graphsTuple(init: GraphsTupleInit): GraphsTuple {
  const nodes = init.nodes ?? {};
  const edges = init.edges ?? {};
  const globals = init.globals ?? {};
  if (!(init.senders instanceof Int32Array)) throw new ShapeError('senders', 'an Int32Array', describe(init.senders));
  if (!(init.receivers instanceof Int32Array)) throw new ShapeError('receivers', 'an Int32Array', describe(init.receivers));
  const E = init.senders.length;
  if (init.receivers.length !== E) {
    throw new ShapeError('receivers', `an Int32Array of length ${E} (same as senders)`, describe(init.receivers));
  }
  let nNode = init.nNode;
  if (!nNode) {
    const first = Object.values(nodes)[0];
    const N = first ? rows(first) : init.numNodes;
    if (N === undefined) throw new ValueError('nNode', 'given, or a node feature block, or numNodes', 'none of them');
    nNode = Int32Array.of(N);
  }
  const nEdge = init.nEdge ?? Int32Array.of(E);
  if (!(nNode instanceof Int32Array)) throw new ShapeError('nNode', 'an Int32Array', describe(nNode));
  if (!(nEdge instanceof Int32Array)) throw new ShapeError('nEdge', 'an Int32Array', describe(nEdge));
  const G = nNode.length;
  if (nEdge.length !== G) throw new ShapeError('nEdge', `an Int32Array of length ${G} (same as nNode)`, describe(nEdge));
  for (let g = 0; g < G; g++) {
    if (nNode[g] < 0) throw new ValueError(`nNode[${g}]`, 'a count >= 0', String(nNode[g]));
    if (nEdge[g] < 0) throw new ValueError(`nEdge[${g}]`, 'a count >= 0', String(nEdge[g]));
  }
  const N = total(nNode);
  if (total(nEdge) !== E) throw new ShapeError('nEdge', `counts summing to ${E} (the number of senders)`, `sum ${total(nEdge)}`);
  checkBlocks('nodes', nodes, N);
  checkBlocks('edges', edges, E);
  checkBlocks('globals', globals, G);
  // Every edge must connect two nodes of its own graph.
  let e = 0;
  let nodeStart = 0;
  for (let g = 0; g < G; g++) {
    const lo = nodeStart;
    const hi = nodeStart + nNode[g];
    for (const end = e + nEdge[g]; e < end; e++) {
      const s = init.senders[e];
      const r = init.receivers[e];
      if (!(s >= lo && s < hi)) {
        throw new ValueError(`senders[${e}]`, `a node index of graph ${g}, in [${lo}, ${hi})`, String(s));
      }
      if (!(r >= lo && r < hi)) {
        throw new ValueError(`receivers[${e}]`, `a node index of graph ${g}, in [${lo}, ${hi})`, String(r));
      }
    }
    nodeStart = hi;
  }
  return Object.freeze({
    nodes: Object.freeze({ ...nodes }),
    edges: Object.freeze({ ...edges }),
    globals: Object.freeze({ ...globals }),
    senders: init.senders,
    receivers: init.receivers,
    nNode,
    nEdge,
  });
}

function checkBlocks(kind: string, f: Features, expectedRows: number): void {
  for (const [name, b] of Object.entries(f)) {
    if (!(b.data instanceof Float32Array || b.data instanceof Int32Array)) {
      throw new ShapeError(`${kind}.${name}.data`, 'a Float32Array or Int32Array', describe(b.data));
    }
    if (!Number.isInteger(b.width) || b.width < 1) throw new ShapeError(`${kind}.${name}.width`, 'a positive integer', String(b.width));
    if (b.data.length !== expectedRows * b.width) {
      throw new ShapeError(
        `${kind}.${name}`,
        `${expectedRows} rows of width ${b.width} (length ${expectedRows * b.width})`,
        describe(b.data),
      );
    }
  }
}

export const numNodes = (g: GraphsTuple): number => total(g.nNode);
export const numEdges = (g: GraphsTuple): number => g.senders.length;
export const numGraphs = (g: GraphsTuple): number => g.nNode.length;

/** [N] index of the graph each node belongs to. */
export function nodeGraphIndex(g: GraphsTuple): Int32Array {
  return repeatIndex(g.nNode);
}

/** [E] index of the graph each edge belongs to. */
export function edgeGraphIndex(g: GraphsTuple): Int32Array {
  return repeatIndex(g.nEdge);
}

function repeatIndex(counts: Int32Array): Int32Array {
  const out = new Int32Array(total(counts));
  let k = 0;
  for (let g = 0; g < counts.length; g++) for (let i = 0; i < counts[g]; i++) out[k++] = g;
  return out;
}

/** A copy of `g` with the named node blocks replaced or added (other blocks kept). */
export function withNodes(g: GraphsTuple, nodes: Features): GraphsTuple {
  return graphsTuple({ ...g, nodes: { ...g.nodes, ...nodes } });
}

/** A copy of `g` with the named edge blocks replaced or added. */
export function withEdges(g: GraphsTuple, edges: Features): GraphsTuple {
  return graphsTuple({ ...g, edges: { ...g.edges, ...edges } });
}

/** A copy of `g` with the named global blocks replaced or added. */
export function withGlobals(g: GraphsTuple, globals: Features): GraphsTuple {
  return graphsTuple({ ...g, globals: { ...g.globals, ...globals } });
}

function concatBlocks(kind: string, list: readonly Features[]): Features {
  if (list.length === 0) return {};
  const names = Object.keys(list[0]).sort();
  for (let i = 1; i < list.length; i++) {
    const other = Object.keys(list[i]).sort();
    if (other.join(',') !== names.join(',')) {
      throw new ShapeError(`graphs[${i}].${kind}`, `blocks [${names.join(', ')}] like graphs[0]`, `[${other.join(', ')}]`);
    }
  }
  const out: Record<string, FeatureBlock> = {};
  for (const name of names) {
    const first = list[0][name];
    const isInt = first.data instanceof Int32Array;
    let len = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i][name];
      if (b.width !== first.width || (b.data instanceof Int32Array) !== isInt) {
        throw new ShapeError(`graphs[${i}].${kind}.${name}`, `width ${first.width}, ${isInt ? 'Int32Array' : 'Float32Array'}`, `width ${b.width}, ${describe(b.data)}`);
      }
      len += b.data.length;
    }
    const data = isInt ? new Int32Array(len) : new Float32Array(len);
    let off = 0;
    for (const f of list) {
      data.set(f[name].data as never, off);
      off += f[name].data.length;
    }
    out[name] = block(data, first.width);
  }
  return out;
}

/** Concatenates graphs into one batch; indices are offset so they stay global. */
export function batch(graphs: readonly GraphsTuple[]): GraphsTuple {
  if (graphs.length === 0) throw new ValueError('graphs', 'at least one GraphsTuple', 'an empty list');
  if (graphs.length === 1) return graphs[0];
  let E = 0;
  let G = 0;
  for (const g of graphs) {
    E += numEdges(g);
    G += numGraphs(g);
  }
  const senders = new Int32Array(E);
  const receivers = new Int32Array(E);
  const nNode = new Int32Array(G);
  const nEdge = new Int32Array(G);
  let eOff = 0;
  let gOff = 0;
  let nOff = 0;
  for (const g of graphs) {
    for (let e = 0; e < g.senders.length; e++) {
      senders[eOff + e] = g.senders[e] + nOff;
      receivers[eOff + e] = g.receivers[e] + nOff;
    }
    nNode.set(g.nNode, gOff);
    nEdge.set(g.nEdge, gOff);
    eOff += g.senders.length;
    gOff += g.nNode.length;
    nOff += numNodes(g);
  }
  return graphsTuple({
    nodes: concatBlocks('nodes', graphs.map((g) => g.nodes)),
    edges: concatBlocks('edges', graphs.map((g) => g.edges)),
    globals: concatBlocks('globals', graphs.map((g) => g.globals)),
    senders,
    receivers,
    nNode,
    nEdge,
  });
}

function sliceBlocks(f: Features, start: number, end: number): Features {
  const out: Record<string, FeatureBlock> = {};
  for (const [name, b] of Object.entries(f)) out[name] = block(b.data.slice(start * b.width, end * b.width), b.width);
  return out;
}

/** Splits a batch into its single graphs (inverse of {@link batch}); arrays are copied. */
export function unbatch(g: GraphsTuple): GraphsTuple[] {
  const out: GraphsTuple[] = [];
  let n0 = 0;
  let e0 = 0;
  for (let k = 0; k < g.nNode.length; k++) {
    const n1 = n0 + g.nNode[k];
    const e1 = e0 + g.nEdge[k];
    const senders = new Int32Array(e1 - e0);
    const receivers = new Int32Array(e1 - e0);
    for (let e = e0; e < e1; e++) {
      senders[e - e0] = g.senders[e] - n0;
      receivers[e - e0] = g.receivers[e] - n0;
    }
    out.push(
      graphsTuple({
        nodes: sliceBlocks(g.nodes, n0, n1),
        edges: sliceBlocks(g.edges, e0, e1),
        globals: sliceBlocks(g.globals, k, k + 1),
        senders,
        receivers,
        nNode: Int32Array.of(g.nNode[k]),
        nEdge: Int32Array.of(g.nEdge[k]),
      }),
    );
    n0 = n1;
    e0 = e1;
  }
  return out;
}

/** Target sizes for {@link padWithDummyGraph}. */
export interface PadSizes {
  readonly nodes: number;
  readonly edges: number;
  readonly graphs: number;
}

/**
 * Pads a batch to exactly `sizes` by appending one dummy graph that holds all padding nodes
 * and edges (its edges connect its first node to itself), followed by empty graphs. Padding
 * features are zero. Requires room for at least one node when edges are padded, and one
 * graph. Use {@link paddingMasks} to ignore the padding in losses.
 */
export function padWithDummyGraph(g: GraphsTuple, sizes: PadSizes): GraphsTuple {
  const N = numNodes(g);
  const E = numEdges(g);
  const G = numGraphs(g);
  const dn = sizes.nodes - N;
  const de = sizes.edges - E;
  const dg = sizes.graphs - G;
  if (dg < 1) throw new ValueError('sizes.graphs', `at least ${G + 1} (graphs + 1 dummy)`, String(sizes.graphs));
  if (dn < 0) throw new ValueError('sizes.nodes', `at least ${N}`, String(sizes.nodes));
  if (de < 0) throw new ValueError('sizes.edges', `at least ${E}`, String(sizes.edges));
  if (de > 0 && dn < 1) throw new ValueError('sizes.nodes', `at least ${N + 1} to hold padding edges`, String(sizes.nodes));
  const pad = (f: Features, r: number): Features => {
    const out: Record<string, FeatureBlock> = {};
    for (const [name, b] of Object.entries(f)) {
      const data = b.data instanceof Int32Array ? new Int32Array(r * b.width) : new Float32Array(r * b.width);
      out[name] = block(data, b.width);
    }
    return out;
  };
  // The dummy graph's padding edges all connect its first (local) node to itself.
  const dummy = graphsTuple({
    nodes: pad(g.nodes, dn),
    edges: pad(g.edges, de),
    globals: pad(g.globals, dg),
    senders: new Int32Array(de),
    receivers: new Int32Array(de),
    nNode: Int32Array.from({ length: dg }, (_, i) => (i === 0 ? dn : 0)),
    nEdge: Int32Array.from({ length: dg }, (_, i) => (i === 0 ? de : 0)),
  });
  return batch([g, dummy]);
}

/** Masks (1 = real, 0 = padding) for a batch padded by {@link padWithDummyGraph}. */
export function paddingMasks(g: GraphsTuple, realGraphs: number): { nodes: Uint8Array; edges: Uint8Array; graphs: Uint8Array } {
  const G = numGraphs(g);
  let n = 0;
  let e = 0;
  for (let k = 0; k < realGraphs; k++) {
    n += g.nNode[k];
    e += g.nEdge[k];
  }
  const nodes = new Uint8Array(numNodes(g));
  nodes.fill(1, 0, n);
  const edges = new Uint8Array(numEdges(g));
  edges.fill(1, 0, e);
  const graphs = new Uint8Array(G);
  graphs.fill(1, 0, realGraphs);
  return { nodes, edges, graphs };
}
