/**
 * 2D triangle meshes on flat Float64 arrays (delaunator style), with MeshGraphNets node types.
 *
 * ```
 *   positions   [numNodes * 2]      x0, y0, x1, y1, …   (length units of the config)
 *   triangles   [numTriangles * 3]  node ids, counter-clockwise
 *   nodeTypes   [numNodes]          NodeType codes (MeshGraphNets `common.NodeType`)
 *   sides       [numNodes]          bitmask of the boundary pieces a node lies on (Side)
 *   obstacleId  [numNodes]          index of the obstacle whose surface holds the node, or -1
 * ```
 */

/**
 * Node type codes of MeshGraphNets (`meshgraphnets/common.py`, `NodeType`). We tag obstacle
 * surfaces OBSTACLE (1); DeepMind's CylinderFlow files tag the cylinder WALL_BOUNDARY (6).
 */
export const NodeType = Object.freeze({
  NORMAL: 0,
  OBSTACLE: 1,
  AIRFOIL: 2,
  HANDLE: 3,
  INFLOW: 4,
  OUTFLOW: 5,
  WALL_BOUNDARY: 6,
  SIZE: 9,
} as const);

/** Boundary pieces of a rectangular domain, as bits of `TriMesh.sides`. */
export const Side = Object.freeze({
  /** x = 0 (channel inflow). */
  LEFT: 1,
  /** x = length (channel outflow). */
  RIGHT: 2,
  /** y = 0. */
  BOTTOM: 4,
  /** y = height. */
  TOP: 8,
  /** on the surface of an obstacle (see `obstacleId`). */
  OBSTACLE: 16,
} as const);

/** A circular obstacle: centre (x, y) and radius, in length units. */
export interface Circle {
  readonly center: readonly [number, number];
  readonly radius: number;
}

export interface TriMesh {
  readonly numNodes: number;
  readonly numTriangles: number;
  /** [numNodes * 2] node coordinates. */
  readonly positions: Float64Array;
  /** [numTriangles * 3] node ids of each triangle, counter-clockwise. */
  readonly triangles: Int32Array;
  /** [numNodes] MeshGraphNets node type codes ({@link NodeType}). */
  readonly nodeTypes: Int32Array;
  /** [numNodes] bitmask of {@link Side} values (0 for interior nodes). */
  readonly sides: Int32Array;
  /** [numNodes] obstacle index for obstacle-surface nodes, else -1. */
  readonly obstacleId: Int32Array;
  /** Domain and obstacles the mesh was built for. */
  readonly domain: { readonly length: number; readonly height: number; readonly obstacles: readonly Circle[] };
}
