/**
 * The one boundary where a {@link GraphsTuple} (flat typed arrays) becomes tensors.
 *
 * ```
 *   nodes      { name: [N, width] }   float32 (int32 for Int32Array blocks)
 *   edges      { name: [E, width] }
 *   globals    { name: [G, width] }
 *   senders    [E] int32              receivers [E] int32
 *   nodeGraph  [N] int32  graph index of each node     edgeGraph [E] int32
 *   nNode, nEdge  Int32Array [G]  (host copies, for counts and shapes)
 *   numNodes N, numEdges E, numGraphs G
 * ```
 *
 * The caller owns the tensors: free them with {@link disposeTensorGraph} (or create the
 * TensorGraph inside a `tf.tidy`).
 */
import { tf } from '../engine/tf.js';
import {
  type GraphsTuple,
  type Features,
  edgeGraphIndex,
  nodeGraphIndex,
  numEdges,
  numGraphs,
  numNodes,
} from '../geometry/graphs_tuple.js';

/** Named feature tensors, each `[rows, width]`. */
export type TensorFeatures = Readonly<Record<string, tf.Tensor2D>>;

/** A graph batch as tensors (see the module doc for every field's shape). */
export interface TensorGraph {
  readonly nodes: TensorFeatures;
  readonly edges: TensorFeatures;
  readonly globals: TensorFeatures;
  /** [E] int32 */
  readonly senders: tf.Tensor1D;
  /** [E] int32 */
  readonly receivers: tf.Tensor1D;
  /** [N] int32 graph index of each node. */
  readonly nodeGraph: tf.Tensor1D;
  /** [E] int32 graph index of each edge. */
  readonly edgeGraph: tf.Tensor1D;
  /** Host copies of the per-graph counts [G]. */
  readonly nNode: Int32Array;
  readonly nEdge: Int32Array;
  readonly numNodes: number;
  readonly numEdges: number;
  readonly numGraphs: number;
}

function featureTensors(f: Features): Record<string, tf.Tensor2D> {
  const out: Record<string, tf.Tensor2D> = {};
  for (const [name, b] of Object.entries(f)) {
    const rows = b.data.length / b.width;
    out[name] = tf.tensor2d(b.data, [rows, b.width], b.data instanceof Int32Array ? 'int32' : 'float32');
  }
  return out;
}

/** Converts a graph batch to tensors. The caller disposes them ({@link disposeTensorGraph}). */
export function toTensors(graph: GraphsTuple): TensorGraph {
  return {
    nodes: featureTensors(graph.nodes),
    edges: featureTensors(graph.edges),
    globals: featureTensors(graph.globals),
    senders: tf.tensor1d(graph.senders, 'int32'),
    receivers: tf.tensor1d(graph.receivers, 'int32'),
    nodeGraph: tf.tensor1d(nodeGraphIndex(graph), 'int32'),
    edgeGraph: tf.tensor1d(edgeGraphIndex(graph), 'int32'),
    nNode: graph.nNode,
    nEdge: graph.nEdge,
    numNodes: numNodes(graph),
    numEdges: numEdges(graph),
    numGraphs: numGraphs(graph),
  };
}

/** Frees every tensor of a TensorGraph. */
export function disposeTensorGraph(g: TensorGraph): void {
  for (const t of Object.values(g.nodes)) t.dispose();
  for (const t of Object.values(g.edges)) t.dispose();
  for (const t of Object.values(g.globals)) t.dispose();
  g.senders.dispose();
  g.receivers.dispose();
  g.nodeGraph.dispose();
  g.edgeGraph.dispose();
}
