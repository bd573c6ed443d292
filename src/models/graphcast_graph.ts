/**
 * The static graph of a GraphCast-style model, built once from a lat-lon grid and an
 * icosahedral multimesh (geometry in Float64, features cast to Float32).
 *
 * ```
 *   grid points [Ng, 3] ── grid2mesh (radius 0.6·longest finest edge) ──▶ mesh vertices [Nm, 3]
 *   mesh vertices ── multimesh edges M⁰ ∪ … ∪ Mᴿ ──▶ mesh vertices
 *   mesh vertices ── mesh2grid (containing triangle, 3 per grid point) ──▶ grid points
 * ```
 *
 * Edge features (GraphCast's relative positions in local frames): `[|d|, d·east, d·north, d·r̂]`
 * with `d = x_sender − x_receiver` in the frame of the mesh endpoint (east/north, the 'north'
 * frame of `geometry/sphere/local_frame.ts`), each edge set scaled by its longest edge. Mesh
 * node features: `cos lat, sin lon, cos lon` (GraphCast), or with `absoluteLongitude: false`
 * only `cos lat, sin lat` so that the model cannot see absolute longitude.
 *
 * Poles: the icosahedron has vertices at both poles, where east/north is undefined. There the
 * tangential components of features are set to 0 (only length and radial part remain), so every
 * feature is exactly invariant under rotations about the polar axis — which makes the 72°
 * longitude rotation (a symmetry of the icosahedral mesh, and of any grid whose spacing divides
 * 72°) an exact symmetry of the model when absolute longitude is not an input (tested).
 */
import {
  grid2meshEdges,
  localFrames,
  maxEdgeLength,
  mesh2gridEdges,
  multimesh,
  numMeshVertices,
  relativeEdgeFeatures,
  type LatLonGrid,
  type Multimesh,
} from '../geometry/sphere/index.js';
import { tf } from '../engine/tf.js';
import { ValueError } from '../util/errors.js';
import type { GraphCastGraph } from './graphcast.js';

/** Host-side (typed-array) form of a GraphCast graph. */
export interface GraphCastHostGraph {
  readonly numGrid: number;
  readonly numMesh: number;
  readonly meshLevel: number;
  readonly meshInDim: number;
  /** [Nm, meshInDim] */
  readonly meshFeatures: Float32Array;
  /** [Nm, 3] mesh vertices (unit vectors). */
  readonly meshVertices: Float64Array;
  readonly g2m: HostEdgeSet;
  readonly m2m: HostEdgeSet;
  readonly m2g: HostEdgeSet & { readonly weights: Float64Array };
}

export interface HostEdgeSet {
  readonly senders: Int32Array;
  readonly receivers: Int32Array;
  /** [E, 4] */
  readonly features: Float32Array;
}

/** Options of {@link buildGraphCastGraph}. */
export interface GraphCastGraphOptions {
  /** Finest icosahedral refinement level of the multimesh (0–7). */
  readonly meshLevel: number;
  /** grid2mesh radius as a fraction of the finest mesh's longest edge (default 0.6). */
  readonly radiusFraction?: number;
  /** Include sin/cos of longitude in mesh node features (default true, as GraphCast). */
  readonly absoluteLongitude?: boolean;
}

const POLE_TOL = 1e-9;

function zeroTangentialAtPoles(features: Float32Array, frameIds: Int32Array, vertices: Float64Array): void {
  for (let e = 0; e < frameIds.length; e++) {
    const z = vertices[3 * frameIds[e] + 2];
    if (Math.abs(Math.abs(z) - 1) < POLE_TOL) {
      features[4 * e + 1] = 0;
      features[4 * e + 2] = 0;
    }
  }
}

/**
 * mesh2grid ties: a grid point on a mesh edge or vertex lies in several triangles (with zero
 * barycentric weights on some vertices), and "lowest face id" is not preserved by the mesh's
 * symmetries. Re-choose among the containing faces the one whose centroid lies furthest east,
 * then north, of the grid point (in the point's own east/north frame, from its nominal lat/lon,
 * so also at the poles) — a rule that commutes with rotations about the polar axis.
 */
function symmetricTieBreak(grid: LatLonGrid, mm: Multimesh, m2g: ReturnType<typeof mesh2gridEdges>): ReturnType<typeof mesh2gridEdges> {
  const v = mm.mesh.vertices;
  const f = mm.mesh.faces;
  const nv = numMeshVertices(mm.mesh);
  // vertex → incident faces (CSR)
  const count = new Int32Array(nv + 1);
  for (let k = 0; k < f.length; k++) count[f[k] + 1]++;
  for (let i = 0; i < nv; i++) count[i + 1] += count[i];
  const incident = new Int32Array(f.length);
  const fill = count.slice(0, nv);
  for (let k = 0; k < f.length; k++) incident[fill[f[k]]++] = Math.floor(k / 3);
  const gridIndices = Int32Array.from(m2g.gridIndices);
  const meshIndices = Int32Array.from(m2g.meshIndices);
  const weights = Float64Array.from(m2g.weights);
  const faceOfPoint = Int32Array.from(m2g.faceOfPoint);
  const EPS = 1e-12;
  const ng = grid.points.length / 3;
  const bary = (t: number, px: number, py: number, pz: number, out: Float64Array): boolean => {
    const ids = [f[3 * t], f[3 * t + 1], f[3 * t + 2]];
    for (let k = 0; k < 3; k++) {
      const b = ids[(k + 1) % 3], c = ids[(k + 2) % 3];
      // p · (b × c)
      const cx = v[3 * b + 1] * v[3 * c + 2] - v[3 * b + 2] * v[3 * c + 1];
      const cy = v[3 * b + 2] * v[3 * c] - v[3 * b] * v[3 * c + 2];
      const cz = v[3 * b] * v[3 * c + 1] - v[3 * b + 1] * v[3 * c];
      out[k] = px * cx + py * cy + pz * cz;
      if (out[k] < -EPS) return false;
    }
    const sum = out[0] + out[1] + out[2];
    for (let k = 0; k < 3; k++) out[k] = Math.max(0, out[k]) / sum;
    return true;
  };
  const w = new Float64Array(3);
  for (let g = 0; g < ng; g++) {
    let tied = false;
    for (let k = 0; k < 3; k++) if (weights[3 * g + k] < 1e-9) tied = true;
    if (!tied) continue;
    const px = grid.points[3 * g], py = grid.points[3 * g + 1], pz = grid.points[3 * g + 2];
    const lat = (grid.latDeg[Math.floor(g / grid.nLon)] * Math.PI) / 180;
    const lon = (grid.lonDeg[g % grid.nLon] * Math.PI) / 180;
    const east = [-Math.sin(lon), Math.cos(lon), 0];
    const north = [-Math.sin(lat) * Math.cos(lon), -Math.sin(lat) * Math.sin(lon), Math.cos(lat)];
    let best = -1;
    let bestE = -Infinity;
    let bestN = -Infinity;
    const seen = new Set<number>();
    for (let k = 0; k < 3; k++) {
      const a = m2g.meshIndices[3 * g + k];
      for (let q = count[a]; q < count[a + 1]; q++) {
        const t = incident[q];
        if (seen.has(t)) continue;
        seen.add(t);
        if (!bary(t, px, py, pz, w)) continue;
        let cx = 0, cy = 0, cz = 0;
        for (let j = 0; j < 3; j++) {
          const id = f[3 * t + j];
          cx += v[3 * id]; cy += v[3 * id + 1]; cz += v[3 * id + 2];
        }
        const e = cx * east[0] + cy * east[1] + cz * east[2];
        const n = cx * north[0] + cy * north[1] + cz * north[2];
        if (e > bestE + 1e-12 || (Math.abs(e - bestE) <= 1e-12 && n > bestN)) {
          best = t;
          bestE = e;
          bestN = n;
        }
      }
    }
    if (best < 0) continue;
    bary(best, px, py, pz, w);
    faceOfPoint[g] = best;
    for (let k = 0; k < 3; k++) {
      gridIndices[3 * g + k] = g;
      meshIndices[3 * g + k] = f[3 * best + k];
      weights[3 * g + k] = w[k];
    }
  }
  return { gridIndices, meshIndices, weights, faceOfPoint };
}

/** Builds the three edge sets and the node features (see the module doc). */
export function buildGraphCastGraph(grid: LatLonGrid, options: GraphCastGraphOptions): GraphCastHostGraph {
  const level = options.meshLevel;
  if (!Number.isInteger(level) || level < 0 || level > 7) throw new ValueError('meshLevel', 'an integer in [0, 7]', String(level));
  const frac = options.radiusFraction ?? 0.6;
  if (!(frac > 0)) throw new ValueError('radiusFraction', 'a positive number', String(frac));
  const absLon = options.absoluteLongitude ?? true;
  const mm: Multimesh = multimesh(level);
  const v = mm.mesh.vertices;
  const nm = numMeshVertices(mm.mesh);
  const ng = grid.points.length / 3;
  // [Nm, 9] east/north/radial frames
  const frames = localFrames(v, mm.edges, 'north');

  const g2m = grid2meshEdges(grid.points, mm.mesh, frac * maxEdgeLength(mm.mesh));
  const g2mFeatures = relativeEdgeFeatures({
    senderPos: grid.points,
    receiverPos: v,
    senders: g2m.gridIndices,
    receivers: g2m.meshIndices,
    frames,
    frameIds: g2m.meshIndices,
  });
  zeroTangentialAtPoles(g2mFeatures, g2m.meshIndices, v);

  const m2mFeatures = relativeEdgeFeatures({
    senderPos: v,
    receiverPos: v,
    senders: mm.edges.senders,
    receivers: mm.edges.receivers,
    frames,
    frameIds: mm.edges.receivers,
  });
  zeroTangentialAtPoles(m2mFeatures, mm.edges.receivers, v);

  const m2g = symmetricTieBreak(grid, mm, mesh2gridEdges(grid.points, mm.mesh));
  const m2gFeatures = relativeEdgeFeatures({
    senderPos: v,
    receiverPos: grid.points,
    senders: m2g.meshIndices,
    receivers: m2g.gridIndices,
    frames,
    frameIds: m2g.meshIndices,
  });
  zeroTangentialAtPoles(m2gFeatures, m2g.meshIndices, v);

  // [Nm, 3] node features
  const meshFeatures = new Float32Array(nm * 3);
  for (let i = 0; i < nm; i++) {
    const x = v[3 * i], y = v[3 * i + 1], z = v[3 * i + 2];
    const cosLat = Math.hypot(x, y);
    if (absLon) {
      const lon = Math.atan2(y, x);
      meshFeatures[3 * i] = cosLat;
      meshFeatures[3 * i + 1] = cosLat < POLE_TOL ? 0 : Math.sin(lon);
      meshFeatures[3 * i + 2] = cosLat < POLE_TOL ? 0 : Math.cos(lon);
    } else {
      meshFeatures[3 * i] = cosLat;
      meshFeatures[3 * i + 1] = z;
      meshFeatures[3 * i + 2] = 1;
    }
  }
  return {
    numGrid: ng,
    numMesh: nm,
    meshLevel: level,
    meshInDim: 3,
    meshFeatures,
    meshVertices: v,
    g2m: { senders: g2m.gridIndices, receivers: g2m.meshIndices, features: g2mFeatures },
    m2m: { senders: mm.edges.senders, receivers: mm.edges.receivers, features: m2mFeatures },
    m2g: { senders: m2g.meshIndices, receivers: m2g.gridIndices, features: m2gFeatures, weights: m2g.weights },
  };
}

/**
 * The one boundary where a host graph becomes tensors; dispose with {@link disposeGraphCastGraph}.
 *
 * `copies` > 1 builds a batch: `copies` disjoint copies of the graph (grid nodes of copy b are
 * rows `b·Ng … (b+1)·Ng − 1` of the model's input, mesh nodes likewise), so one model call
 * processes `copies` samples stacked along the rows (`[copies·Ng, F]`). The mesh features and
 * edge features are repeated, the indices offset per copy; every copy is processed exactly as
 * a single graph would be (no edges between copies).
 */
export function graphCastTensors(g: GraphCastHostGraph, copies = 1): GraphCastGraph {
  if (!Number.isInteger(copies) || copies < 1) throw new ValueError('copies', 'a positive integer', String(copies));
  const tile = (a: Float32Array): Float32Array => {
    if (copies === 1) return a;
    const out = new Float32Array(a.length * copies);
    for (let b = 0; b < copies; b++) out.set(a, b * a.length);
    return out;
  };
  const offset = (a: Int32Array, n: number): Int32Array => {
    if (copies === 1) return a;
    const out = new Int32Array(a.length * copies);
    for (let b = 0; b < copies; b++) for (let k = 0; k < a.length; k++) out[b * a.length + k] = a[k] + b * n;
    return out;
  };
  const set = (s: HostEdgeSet, ns: number, nr: number) => ({
    // [copies·E]
    senders: tf.tensor1d(offset(s.senders, ns), 'int32'),
    receivers: tf.tensor1d(offset(s.receivers, nr), 'int32'),
    // [copies·E, 4]
    features: tf.tensor2d(tile(s.features), [copies * s.senders.length, 4]),
  });
  return {
    numGrid: copies * g.numGrid,
    numMesh: copies * g.numMesh,
    // [copies·Nm, meshInDim]
    meshFeatures: tf.tensor2d(tile(g.meshFeatures), [copies * g.numMesh, g.meshInDim]),
    g2m: set(g.g2m, g.numGrid, g.numMesh),
    m2m: set(g.m2m, g.numMesh, g.numMesh),
    m2g: set(g.m2g, g.numMesh, g.numGrid),
  };
}

export function disposeGraphCastGraph(g: GraphCastGraph): void {
  g.meshFeatures.dispose();
  for (const s of [g.g2m, g.m2m, g.m2g]) {
    s.senders.dispose();
    s.receivers.dispose();
    s.features.dispose();
  }
}
