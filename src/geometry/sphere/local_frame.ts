/**
 * Node and edge features in local tangent frames, so that rotating the whole sphere (mesh and
 * grid together) leaves every feature unchanged.
 *
 * GraphCast (`graphcast/model_utils.py`, `get_graph_spatial_features` with
 * `relative_latitude_local_coordinates`) rotates each edge so that its receiver sits at
 * (lat 0, lon 0) and uses north as the second axis: invariant under rotations about the polar
 * axis only. Here the default frame is intrinsic to the mesh (`frame: 'mesh'`): at vertex i,
 *
 *   r̂_i = x_i,  ê1_i = normalised tangent projection of (x_n − x_i) with n the lowest-id
 *   neighbour of i,  ê2_i = r̂_i × ê1_i,
 *
 * which rotates with the sphere, so any vector expressed in it is rotation-invariant (up to
 * round-off) for every rotation R ∈ SO(3). `frame: 'north'` gives GraphCast's east/north frame
 * (and GraphCast's node features cos lat, sin lon, cos lon) for comparison; it is only invariant
 * under rotations about z.
 *
 * Edge features: [chord length, d·ê1, d·ê2, d·r̂] with d = x_sender − x_receiver expressed in
 * the frame of the mesh endpoint (the receiver for mesh edges; the mesh vertex for grid↔mesh
 * edges, since grid points carry no intrinsic frame), divided by `lengthScale`
 * (default: the longest mesh edge, as GraphCast normalises by the longest edge).
 */
import type { DirectedEdges } from './icosahedral_mesh.js';

export type FrameKind = 'mesh' | 'north';

/**
 * Local frames of vertices: [numVertices, 9] rows (ê1, ê2, r̂).
 * @param vertices [V, 3] unit vectors
 * @param edges directed mesh edges (used for 'mesh' frames: lowest-id neighbour)
 */
export function localFrames(vertices: Float64Array, edges: DirectedEdges, frame: FrameKind = 'mesh'): Float64Array {
  const nv = vertices.length / 3;
  // [V, 9]
  const out = new Float64Array(nv * 9);
  const ref = new Int32Array(nv).fill(-1);
  if (frame === 'mesh') {
    for (let e = 0; e < edges.senders.length; e++) {
      const r = edges.receivers[e], s = edges.senders[e];
      if (ref[r] < 0 || s < ref[r]) ref[r] = s;
    }
  }
  for (let i = 0; i < nv; i++) {
    const x = vertices[3 * i], y = vertices[3 * i + 1], z = vertices[3 * i + 2];
    let tx: number, ty: number, tz: number;
    if (frame === 'mesh') {
      const n = ref[i];
      tx = vertices[3 * n] - x; ty = vertices[3 * n + 1] - y; tz = vertices[3 * n + 2] - z;
    } else {
      // east = z × r; at the poles fall back to +x
      tx = -y; ty = x; tz = 0;
      if (Math.hypot(tx, ty) < 1e-12) { tx = 1; ty = 0; tz = 0; }
    }
    const dot = tx * x + ty * y + tz * z;
    tx -= dot * x; ty -= dot * y; tz -= dot * z;
    const nrm = Math.hypot(tx, ty, tz);
    tx /= nrm; ty /= nrm; tz /= nrm;
    const o = 9 * i;
    out[o] = tx; out[o + 1] = ty; out[o + 2] = tz;
    out[o + 3] = y * tz - z * ty; out[o + 4] = z * tx - x * tz; out[o + 5] = x * ty - y * tx;
    out[o + 6] = x; out[o + 7] = y; out[o + 8] = z;
  }
  return out;
}

/**
 * Edge features [numEdges, 4]: (|d|, d·ê1, d·ê2, d·r̂) / lengthScale, d = x_s − x_r, in the frame
 * of `frameOf[e]`'s vertex.
 * @param senderPos [*, 3] positions indexed by `senders`
 * @param receiverPos [*, 3] positions indexed by `receivers`
 * @param frames [*, 9] frames indexed by `frameIds`
 */
export function relativeEdgeFeatures(opts: {
  senderPos: Float64Array; receiverPos: Float64Array;
  senders: Int32Array; receivers: Int32Array;
  frames: Float64Array; frameIds: Int32Array; lengthScale?: number;
}): Float32Array {
  const { senderPos: sp, receiverPos: rp, senders, receivers, frames, frameIds } = opts;
  const ne = senders.length;
  const d = new Float64Array(ne * 4);
  let maxLen = 0;
  for (let e = 0; e < ne; e++) {
    const s = senders[e], r = receivers[e], f = 9 * frameIds[e];
    const dx = sp[3 * s] - rp[3 * r], dy = sp[3 * s + 1] - rp[3 * r + 1], dz = sp[3 * s + 2] - rp[3 * r + 2];
    const len = Math.hypot(dx, dy, dz);
    if (len > maxLen) maxLen = len;
    d[4 * e] = len;
    d[4 * e + 1] = dx * frames[f] + dy * frames[f + 1] + dz * frames[f + 2];
    d[4 * e + 2] = dx * frames[f + 3] + dy * frames[f + 4] + dz * frames[f + 5];
    d[4 * e + 3] = dx * frames[f + 6] + dy * frames[f + 7] + dz * frames[f + 8];
  }
  const scale = opts.lengthScale ?? (maxLen > 0 ? maxLen : 1);
  // [numEdges, 4]
  const out = new Float32Array(ne * 4);
  for (let k = 0; k < out.length; k++) out[k] = d[k] / scale;
  return out;
}

/** Mesh edge features [E, 4] in each receiver's frame. */
export function meshEdgeFeatures(vertices: Float64Array, edges: DirectedEdges, frames: Float64Array, lengthScale?: number): Float32Array {
  return relativeEdgeFeatures({ senderPos: vertices, receiverPos: vertices, senders: edges.senders, receivers: edges.receivers, frames, frameIds: edges.receivers, lengthScale });
}

/**
 * Node features [V, 3]. 'mesh': (degree / 6, mean incident chord length / longest incident
 * chord over the mesh, 1) — rotation-invariant. 'north': GraphCast's (cos lat, sin lon, cos lon).
 */
export function meshNodeFeatures(vertices: Float64Array, edges: DirectedEdges, frame: FrameKind = 'mesh'): Float32Array {
  const nv = vertices.length / 3;
  const out = new Float32Array(nv * 3);
  if (frame === 'north') {
    for (let i = 0; i < nv; i++) {
      const x = vertices[3 * i], y = vertices[3 * i + 1];
      const cl = Math.hypot(x, y);
      const lon = Math.atan2(y, x);
      out[3 * i] = cl; out[3 * i + 1] = Math.sin(lon); out[3 * i + 2] = Math.cos(lon);
    }
    return out;
  }
  const deg = new Float64Array(nv), sum = new Float64Array(nv);
  let maxLen = 0;
  for (let e = 0; e < edges.senders.length; e++) {
    const s = edges.senders[e], r = edges.receivers[e];
    const l = Math.hypot(vertices[3 * s] - vertices[3 * r], vertices[3 * s + 1] - vertices[3 * r + 1], vertices[3 * s + 2] - vertices[3 * r + 2]);
    deg[r]++; sum[r] += l;
    if (l > maxLen) maxLen = l;
  }
  for (let i = 0; i < nv; i++) {
    out[3 * i] = deg[i] / 6;
    out[3 * i + 1] = deg[i] > 0 ? sum[i] / deg[i] / maxLen : 0;
    out[3 * i + 2] = 1;
  }
  return out;
}

/** Row-major 3×3 rotation matrix [9] of a uniformly random rotation (Shoemake) from `uniform()`. */
export function uniformRandomRotation(uniform: () => number): Float64Array {
  const u1 = uniform(), u2 = 2 * Math.PI * uniform(), u3 = 2 * Math.PI * uniform();
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  const w = a * Math.sin(u2), x = a * Math.cos(u2), y = b * Math.sin(u3), z = b * Math.cos(u3);
  return Float64Array.from([
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ]);
}

/** Rotation by `angle` (rad) about unit `axis` [3], row-major [9] (Rodrigues). */
export function axisAngleRotation(axis: ArrayLike<number>, angle: number): Float64Array {
  const n = Math.hypot(axis[0], axis[1], axis[2]);
  const x = axis[0] / n, y = axis[1] / n, z = axis[2] / n;
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  return Float64Array.from([
    t * x * x + c, t * x * y - s * z, t * x * z + s * y,
    t * x * y + s * z, t * y * y + c, t * y * z - s * x,
    t * x * z - s * y, t * y * z + s * x, t * z * z + c,
  ]);
}

/** Applies a row-major rotation [9] to points [n, 3]; returns a new array. */
export function rotatePoints(R: Float64Array, pts: Float64Array): Float64Array {
  const out = new Float64Array(pts.length);
  for (let i = 0; i < pts.length; i += 3) {
    const x = pts[i], y = pts[i + 1], z = pts[i + 2];
    out[i] = R[0] * x + R[1] * y + R[2] * z;
    out[i + 1] = R[3] * x + R[4] * y + R[5] * z;
    out[i + 2] = R[6] * x + R[7] * y + R[8] * z;
  }
  return out;
}
