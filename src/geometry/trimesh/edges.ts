/**
 * Faces → edges: the two-way, deduplicated edge list of a triangle mesh, as a MeshGraphNets
 * graph (`common.triangles_to_edges`): every undirected mesh edge {i, j} appears exactly
 * twice, as i→j and j→i, sorted by (sender, receiver).
 */
import { graphsTuple, type GraphsTuple } from '../graphs_tuple.js';
import { ShapeError, describe } from '../../util/errors.js';
import type { TriMesh } from './types.js';

export interface MeshEdges {
  /** [2 * numUndirectedEdges] source node of each directed edge. */
  readonly senders: Int32Array;
  /** [2 * numUndirectedEdges] target node of each directed edge. */
  readonly receivers: Int32Array;
}

/**
 * Two-way deduplicated edges of `triangles` ([T*3] node ids < numNodes).
 *
 * @example
 * triangleEdges(Int32Array.of(0, 1, 2, 2, 1, 3), 4)
 * // senders   [0, 0, 1, 1, 1, 2, 2, 2, 3, 3]
 * // receivers [1, 2, 0, 2, 3, 0, 1, 3, 1, 2]
 */
export function triangleEdges(triangles: Int32Array, numNodes: number): MeshEdges {
  if (triangles.length % 3 !== 0) throw new ShapeError('triangles', 'an Int32Array of length divisible by 3', describe(triangles));
  // [6T] directed edge keys sender * numNodes + receiver (exact in float64 for numNodes < 2^26)
  const keys = new Float64Array(triangles.length * 2);
  let q = 0;
  for (let k = 0; k < triangles.length; k += 3) {
    for (let e = 0; e < 3; e++) {
      const i = triangles[k + e], j = triangles[k + ((e + 1) % 3)];
      if (i < 0 || i >= numNodes || j < 0 || j >= numNodes) throw new ShapeError(`triangles[${k + e}]`, `node ids in [0, ${numNodes})`, `${i}, ${j}`);
      keys[q++] = i * numNodes + j;
      keys[q++] = j * numNodes + i;
    }
  }
  keys.sort();
  let m = 0;
  for (let k = 0; k < keys.length; k++) if (k === 0 || keys[k] !== keys[k - 1]) keys[m++] = keys[k];
  const senders = new Int32Array(m), receivers = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    senders[k] = Math.floor(keys[k] / numNodes);
    receivers[k] = keys[k] - senders[k] * numNodes;
  }
  return { senders, receivers };
}

/**
 * The mesh as a one-graph GraphsTuple: node block `nodeType` [N,1] int32, node block `pos`
 * [N,2] float32, edge blocks `relPos` [E,2] (x_receiver − x_sender... as MeshGraphNets: sender − receiver)
 * and `dist` [E,1] float32.
 */
export function meshToGraph(m: TriMesh): GraphsTuple {
  const { senders, receivers } = triangleEdges(m.triangles, m.numNodes);
  const e = senders.length;
  const pos = new Float32Array(m.positions);
  // [E, 2] relative position x_sender − x_receiver (MeshGraphNets' mesh edge feature)
  const rel = new Float32Array(2 * e);
  const dist = new Float32Array(e);
  for (let k = 0; k < e; k++) {
    const s = senders[k], r = receivers[k];
    const dx = m.positions[2 * s] - m.positions[2 * r], dy = m.positions[2 * s + 1] - m.positions[2 * r + 1];
    rel[2 * k] = dx;
    rel[2 * k + 1] = dy;
    dist[k] = Math.hypot(dx, dy);
  }
  return graphsTuple({
    senders,
    receivers,
    nodes: { nodeType: { data: Int32Array.from(m.nodeTypes), width: 1 }, pos: { data: pos, width: 2 } },
    edges: { relPos: { data: rel, width: 2 }, dist: { data: dist, width: 1 } },
  });
}
