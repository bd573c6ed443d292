/**
 * Grid ↔ mesh connectivity (GraphCast, google-deepmind/graphcast `grid_mesh_connectivity.py`).
 *
 * - grid2mesh: an edge grid point → mesh vertex for every mesh vertex within a radius of the grid
 *   point. GraphCast's radius is 0.6 × the longest edge of the finest mesh, in chord (3D
 *   Euclidean) distance on the unit sphere.
 * - mesh2grid: for every grid point, the three vertices of the mesh triangle that contains it,
 *   mesh vertex → grid point, with barycentric weights (interpolation of a mesh field to the
 *   grid: f(p) ≈ Σ w_k f(v_k)).
 *
 * Containment on the sphere: p is in the outward triangle (a, b, c) iff
 * p·(a×b) ≥ 0, p·(b×c) ≥ 0, p·(c×a) ≥ 0. Barycentric weights are those of the gnomonic
 * projection of p on the triangle's plane: w_a ∝ p·(b×c), w_b ∝ p·(c×a), w_c ∝ p·(a×b),
 * normalised to sum 1 (exact for linear fields on the flat triangle).
 *
 * Both queries use {@link SphereIndex}: no all-pairs loops (level-6 mesh + 1° grid in well
 * under a second).
 */
import { ValueError } from '../../util/errors.js';
import { type TriangularMesh, numMeshFaces } from './icosahedral_mesh.js';
import { SphereIndex } from './spatial_index.js';

/** Bipartite edges: one entry per edge. */
export interface GridMeshEdges {
  /** [numEdges] grid point ids */
  readonly gridIndices: Int32Array;
  /** [numEdges] mesh vertex ids */
  readonly meshIndices: Int32Array;
}

export interface Mesh2Grid extends GridMeshEdges {
  /** [numEdges] barycentric weight of the mesh vertex for the grid point (3 per grid point, sum 1). */
  readonly weights: Float64Array;
  /** [numGridPoints] containing face of each grid point. */
  readonly faceOfPoint: Int32Array;
}

/** Longest edge (chord length) of a triangle mesh. */
export function maxEdgeLength(mesh: TriangularMesh): number {
  const v = mesh.vertices, f = mesh.faces;
  let best = 0;
  for (let t = 0; t < f.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = f[t + k], b = f[t + ((k + 1) % 3)];
      const d = Math.hypot(v[3 * a] - v[3 * b], v[3 * a + 1] - v[3 * b + 1], v[3 * a + 2] - v[3 * b + 2]);
      if (d > best) best = d;
    }
  }
  return best;
}

/**
 * grid2mesh edges: every mesh vertex within `radius` (chord) of every grid point.
 * @param gridPoints [numGrid, 3] unit vectors
 * @param mesh the finest mesh (its vertices are the receivers)
 * @param radius chord radius; default 0.6 × {@link maxEdgeLength}(mesh)
 * Edges are ordered by grid point, then mesh vertex id.
 */
export function grid2meshEdges(gridPoints: Float64Array, mesh: TriangularMesh, radius = 0.6 * maxEdgeLength(mesh)): GridMeshEdges {
  if (!(radius > 0)) throw new ValueError('radius', 'a positive chord length', String(radius));
  const index = new SphereIndex(mesh.vertices, radius);
  const g: number[] = [], m: number[] = [];
  const n = gridPoints.length / 3;
  const buf: number[] = [];
  for (let i = 0; i < n; i++) {
    buf.length = 0;
    index.forEachWithin(gridPoints[3 * i], gridPoints[3 * i + 1], gridPoints[3 * i + 2], radius, (id) => buf.push(id));
    buf.sort((a, b) => a - b);
    for (const id of buf) { g.push(i); m.push(id); }
  }
  return { gridIndices: Int32Array.from(g), meshIndices: Int32Array.from(m) };
}

/**
 * mesh2grid edges with barycentric weights: the containing triangle of each grid point.
 * A point on a shared edge or vertex goes to the candidate face whose smallest barycentric weight
 * is largest (ties within 1e-15: the lowest face id) — deterministic and robust to round-off.
 * @param gridPoints [numGrid, 3] unit vectors
 */
export function mesh2gridEdges(gridPoints: Float64Array, mesh: TriangularMesh): Mesh2Grid {
  const v = mesh.vertices, f = mesh.faces;
  const nf = numMeshFaces(mesh);
  // [numFaces, 3] normalised centroids and the largest centroid-to-vertex chord
  const cent = new Float64Array(nf * 3);
  let reach = 0;
  for (let t = 0; t < nf; t++) {
    let x = 0, y = 0, z = 0;
    for (let k = 0; k < 3; k++) { const a = f[3 * t + k]; x += v[3 * a]; y += v[3 * a + 1]; z += v[3 * a + 2]; }
    const nrm = Math.hypot(x, y, z);
    cent[3 * t] = x / nrm; cent[3 * t + 1] = y / nrm; cent[3 * t + 2] = z / nrm;
    for (let k = 0; k < 3; k++) {
      const a = f[3 * t + k];
      reach = Math.max(reach, Math.hypot(v[3 * a] - cent[3 * t], v[3 * a + 1] - cent[3 * t + 1], v[3 * a + 2] - cent[3 * t + 2]));
    }
  }
  const radius = reach * 1.01;
  const index = new SphereIndex(cent, radius);
  const n = gridPoints.length / 3;
  const gridIndices = new Int32Array(3 * n), meshIndices = new Int32Array(3 * n);
  const weights = new Float64Array(3 * n), faceOfPoint = new Int32Array(n);
  const w = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const px = gridPoints[3 * i], py = gridPoints[3 * i + 1], pz = gridPoints[3 * i + 2];
    let found = -1;
    let bestMin = -Infinity;
    // Pick the face where min(w) is largest (robust to round-off on shared edges); ties → lowest id.
    index.forEachWithin(px, py, pz, radius, (t) => {
      const a = f[3 * t], b = f[3 * t + 1], c = f[3 * t + 2];
      const wa = tri(px, py, pz, v, b, c), wb = tri(px, py, pz, v, c, a), wc = tri(px, py, pz, v, a, b);
      const s = wa + wb + wc;
      const mn = Math.min(wa, wb, wc) / s;
      if (mn > bestMin + 1e-15 || (Math.abs(mn - bestMin) <= 1e-15 && t < found)) { bestMin = mn; found = t; }
    });
    if (found < 0 || bestMin < -1e-12) {
      throw new ValueError('gridPoints', 'points inside the mesh triangles', `point ${i} in no triangle (best min weight ${bestMin})`);
    }
    const a = f[3 * found], b = f[3 * found + 1], c = f[3 * found + 2];
    w[0] = tri(px, py, pz, v, b, c); w[1] = tri(px, py, pz, v, c, a); w[2] = tri(px, py, pz, v, a, b);
    const s = w[0] + w[1] + w[2];
    faceOfPoint[i] = found;
    for (let k = 0; k < 3; k++) {
      gridIndices[3 * i + k] = i;
      meshIndices[3 * i + k] = f[3 * found + k];
      weights[3 * i + k] = Math.max(0, w[k] / s);
    }
    const ws = weights[3 * i] + weights[3 * i + 1] + weights[3 * i + 2];
    for (let k = 0; k < 3; k++) weights[3 * i + k] /= ws;
  }
  return { gridIndices, meshIndices, weights, faceOfPoint };
}

/** p · (v_b × v_c) */
function tri(px: number, py: number, pz: number, v: Float64Array, b: number, c: number): number {
  const bx = v[3 * b], by = v[3 * b + 1], bz = v[3 * b + 2];
  const cx = v[3 * c], cy = v[3 * c + 1], cz = v[3 * c + 2];
  return px * (by * cz - bz * cy) + py * (bz * cx - bx * cz) + pz * (bx * cy - by * cx);
}

/**
 * Interpolates a mesh field to grid points with mesh2grid weights.
 * @param field [numMeshVertices, width]
 * @returns [numGridPoints, width]
 */
export function interpolateMeshToGrid(m2g: Mesh2Grid, field: ArrayLike<number>, width = 1, out?: Float64Array | Float32Array): Float64Array | Float32Array {
  const n = m2g.faceOfPoint.length;
  const o = out ?? new Float64Array(n * width);
  o.fill(0);
  for (let e = 0; e < m2g.weights.length; e++) {
    const g = m2g.gridIndices[e], m = m2g.meshIndices[e], w = m2g.weights[e];
    for (let c = 0; c < width; c++) o[g * width + c] += w * field[m * width + c];
  }
  return o;
}
