/**
 * Graph-network block (Battaglia et al. 2018, "Relational inductive biases…"; jraph's
 * `GraphNetwork`): a factory returning a pure function of a graph's tensors.
 *
 * ```
 *   e'_k = φᵉ(e_k, v_{s(k)}, v_{r(k)})                  edge update, per edge
 *   ē_i  = ρ({e'_k : r(k) = i})                          aggregation to receivers (sum|mean|max)
 *   v'_i = φᵛ(v_i, ē_i)                                  node update, per node
 *   u'   = φᵘ(u, Σ_graph v', Σ_graph e')                 optional global update
 * ```
 *
 * MeshGraphNets' processor, EGNN and the GraphCast processor are compositions of this block
 * (with residuals: `residual: true` adds the inputs back to the updated nodes and edges).
 *
 * Fast edge updates: an MLP on `concat[e, v_s, v_r]` spends most of its time on the first
 * matrix product over E rows. {@link edgeMlp} wraps such an MLP so that the node parts are
 * multiplied first on N rows and then gathered (`gather(v·W_s, s)` = `gather(v, s)·W_s`):
 * same parameters, same result, fewer FLOPs when E > N.
 *
 * Shapes: nodes `[N, Dv]`, edges `[E, De]`, senders/receivers `[E]` int32 → nodes
 * `[N, Dv']`, edges `[E, De']` (and globals `[G, Du']`).
 */
import { tf } from '../engine/tf.js';
import { ConfigError, ShapeError, describe } from '../util/errors.js';
import { gatherRows, segmentMax, segmentMean, segmentSum } from './segment.js';
import type { Mlp } from './layers.js';

/** Aggregations of edge messages onto receiver nodes. */
export const AGGREGATIONS = ['sum', 'mean', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** jraph-style edge update: `(edges [E, De], sent [E, Dv], received [E, Dv]) → [E, De']`. */
export type EdgeUpdateFn = (edges: tf.Tensor2D, sent: tf.Tensor2D, received: tf.Tensor2D) => tf.Tensor2D;

/** What a fused edge update sees: the node features before gathering, and the indices. */
export interface EdgeUpdateInputs {
  readonly edges: tf.Tensor2D;
  readonly nodes: tf.Tensor2D;
  readonly senders: tf.Tensor1D;
  readonly receivers: tf.Tensor1D;
}

/** An edge update that gathers node features itself (see {@link edgeMlp}). */
export interface FusedEdgeUpdate {
  readonly fused: (inputs: EdgeUpdateInputs) => tf.Tensor2D;
}

/** Node update: `(nodes [N, Dv], aggregated [N, De']) → [N, Dv']`. */
export type NodeUpdateFn = (nodes: tf.Tensor2D, aggregated: tf.Tensor2D) => tf.Tensor2D;

/** Global update: `(globals [G, Du], nodeSum [G, Dv'], edgeSum [G, De']) → [G, Du']`. */
export type GlobalUpdateFn = (globals: tf.Tensor2D, nodeSum: tf.Tensor2D, edgeSum: tf.Tensor2D) => tf.Tensor2D;

/** Options of {@link graphNetwork}. */
export interface GraphNetworkOptions {
  readonly updateEdge: EdgeUpdateFn | FusedEdgeUpdate;
  readonly updateNode: NodeUpdateFn;
  readonly updateGlobal?: GlobalUpdateFn;
  /** How messages reach receivers (default 'sum'). */
  readonly aggregate?: Aggregation;
  /** Add the input nodes/edges to the outputs (widths must match; default false). */
  readonly residual?: boolean;
}

/** The graph a block reads: node and edge latents plus connectivity. */
export interface GraphNetworkInput {
  readonly nodes: tf.Tensor2D;
  readonly edges: tf.Tensor2D;
  readonly senders: tf.Tensor1D;
  readonly receivers: tf.Tensor1D;
  readonly numNodes: number;
  /** Needed only with updateGlobal. */
  readonly globals?: tf.Tensor2D;
  readonly nodeGraph?: tf.Tensor1D;
  readonly edgeGraph?: tf.Tensor1D;
  readonly numGraphs?: number;
}

/** A type alias (not an interface) so it can be returned from `tf.tidy`. */
export type GraphNetworkOutput = {
  readonly nodes: tf.Tensor2D;
  readonly edges: tf.Tensor2D;
  readonly globals?: tf.Tensor2D;
};

export type GraphNetwork = (g: GraphNetworkInput) => GraphNetworkOutput;

function isFused(u: EdgeUpdateFn | FusedEdgeUpdate): u is FusedEdgeUpdate {
  // edgeMlp returns a function carrying `fused`, so both objects and functions qualify.
  return (typeof u === 'object' || typeof u === 'function') && u !== null && typeof (u as FusedEdgeUpdate).fused === 'function';
}

/** Reduces edge rows onto `numSegments` rows with the chosen aggregation. */
export function aggregateEdges(data: tf.Tensor2D, ids: tf.Tensor1D, numSegments: number, how: Aggregation): tf.Tensor2D {
  switch (how) {
    case 'sum':
      return segmentSum(data, ids, numSegments);
    case 'mean':
      return segmentMean(data, ids, numSegments);
    case 'max':
      return segmentMax(data, ids, numSegments);
  }
}

/**
 * Builds a graph-network block. Options are checked here; the returned function is pure
 * (it creates no parameters: the update functions own theirs).
 */
export function graphNetwork(options: GraphNetworkOptions): GraphNetwork {
  const { updateEdge, updateNode, updateGlobal } = options;
  if (!(typeof updateEdge === 'function' || isFused(updateEdge))) throw new ConfigError('graphNetwork.updateEdge', 'a function (edges, sent, received) or an edgeMlp(...)', describe(updateEdge));
  if (typeof updateNode !== 'function') throw new ConfigError('graphNetwork.updateNode', 'a function (nodes, aggregated)', describe(updateNode));
  if (updateGlobal !== undefined && typeof updateGlobal !== 'function') throw new ConfigError('graphNetwork.updateGlobal', 'a function or absent', describe(updateGlobal));
  const aggregate = options.aggregate ?? 'sum';
  if (!(AGGREGATIONS as readonly string[]).includes(aggregate)) throw new ConfigError('graphNetwork.aggregate', `one of ${AGGREGATIONS.join(', ')}`, describe(aggregate));
  const residual = options.residual ?? false;

  return (g: GraphNetworkInput): GraphNetworkOutput => {
    const E = g.senders.shape[0];
    if (g.edges.shape[0] !== E) throw new ShapeError('edges', `[${E}, De] (one row per sender)`, `shape [${g.edges.shape.join(', ')}]`);
    if (g.nodes.shape[0] !== g.numNodes) throw new ShapeError('nodes', `[${g.numNodes}, Dv] (numNodes rows)`, `shape [${g.nodes.shape.join(', ')}]`);
    // [E, De']
    let edges = isFused(updateEdge)
      ? updateEdge.fused({ edges: g.edges, nodes: g.nodes, senders: g.senders, receivers: g.receivers })
      : updateEdge(g.edges, gatherRows(g.nodes, g.senders), gatherRows(g.nodes, g.receivers));
    // [N, De']
    const aggregated = aggregateEdges(edges, g.receivers, g.numNodes, aggregate);
    // [N, Dv']
    let nodes = updateNode(g.nodes, aggregated);
    let globals: tf.Tensor2D | undefined;
    if (updateGlobal) {
      if (!g.globals || !g.nodeGraph || !g.edgeGraph || g.numGraphs === undefined) {
        throw new ShapeError('graph', 'globals, nodeGraph, edgeGraph and numGraphs (updateGlobal is set)', 'some of them missing');
      }
      // [G, Dv'], [G, De']
      const nodeSum = segmentSum(nodes, g.nodeGraph, g.numGraphs);
      const edgeSum = segmentSum(edges, g.edgeGraph, g.numGraphs);
      globals = updateGlobal(g.globals, nodeSum, edgeSum);
    }
    if (residual) {
      if (edges.shape[1] !== g.edges.shape[1] || nodes.shape[1] !== g.nodes.shape[1]) {
        throw new ShapeError('residual block outputs', `widths equal to the inputs (${g.edges.shape[1]}, ${g.nodes.shape[1]})`, `(${edges.shape[1]}, ${nodes.shape[1]})`);
      }
      edges = tf.add(edges, g.edges) as tf.Tensor2D;
      nodes = tf.add(nodes, g.nodes) as tf.Tensor2D;
      if (globals && g.globals && globals.shape[1] === g.globals.shape[1]) globals = tf.add(globals, g.globals) as tf.Tensor2D;
    }
    return globals ? { nodes, edges, globals } : { nodes, edges };
  };
}

/**
 * Wraps an MLP whose input is `concat[e, v_s, v_r]` (widths `edgeDim + 2·nodeDim`) as a fused
 * edge update: `z0 = e·W_e + gather(v·W_s, s) + gather(v·W_r, r)`, then the rest of the MLP.
 * Identical to `m(concat[e, gather(v, s), gather(v, r)])` with the same parameters.
 */
export function edgeMlp(m: Mlp, dims: { readonly edgeDim: number; readonly nodeDim: number }): FusedEdgeUpdate & EdgeUpdateFn {
  const first = m.layers[0];
  if (first.inDim !== dims.edgeDim + 2 * dims.nodeDim) {
    throw new ConfigError('edgeMlp', `an MLP with input width edgeDim + 2·nodeDim = ${dims.edgeDim + 2 * dims.nodeDim}`, `input width ${first.inDim}`);
  }
  const plain: EdgeUpdateFn = (edges, sent, received) => m(tf.concat([edges, sent, received], 1) as tf.Tensor2D);
  // applyGathered: z0 = e·W_e + gather(v·W_s, s) + gather(v·W_r, r), then the rest of the MLP
  // (one fused native op when the native kernels run).
  const fused = ({ edges, nodes, senders, receivers }: EdgeUpdateInputs): tf.Tensor2D =>
    m.applyGathered([{ x: edges }, { x: nodes, idx: senders }, { x: nodes, idx: receivers }]);
  return Object.assign(plain, { fused });
}
