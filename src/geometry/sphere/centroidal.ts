/**
 * Lloyd relaxation of a sphere mesh towards a spherical centroidal Voronoi tessellation (SCVT;
 * Du, Gunzburger & Ju 2003): every generator (mesh vertex) moves to the centroid of its Voronoi
 * cell, with the triangulation's connectivity kept. The plain recursively refined icosahedral
 * grid has kinks along the edges of the original 20 faces, and its cell centres are not the
 * cell centroids; finite-volume schemes on it lose consistency there (Tomita et al. 2001).
 * A few hundred Lloyd steps remove the kinks (they are grid-scale, which Lloyd damps fastest)
 * and make every generator the centroid of its cell to a tolerance.
 *
 * Used by the shallow-water solver's grid; GraphCast's meshes (icosahedral_mesh.ts) stay
 * unrelaxed. The 12 pentagon centres and the icosahedral symmetry are preserved.
 */
import { type TriangularMesh, icosahedron, numMeshFaces, numMeshVertices, splitMesh } from './icosahedral_mesh.js';

export interface CentroidalResult {
  readonly mesh: TriangularMesh;
  /** Largest generator–centroid distance (radians) before the last step. */
  readonly maxShift: number;
  readonly iterations: number;
}

/**
 * @param mesh outward-oriented sphere mesh (not modified)
 * @param opts.iterations maximum Lloyd steps (default 200)
 * @param opts.tol stop when the largest move is below this angle (rad), default 1e-10
 */
export function centroidalRelax(mesh: TriangularMesh, opts: { iterations?: number; tol?: number } = {}): CentroidalResult {
  const maxIt = opts.iterations ?? 200, tol = opts.tol ?? 1e-10;
  const nv = numMeshVertices(mesh), nt = numMeshFaces(mesh), f = mesh.faces;
  const v = Float64Array.from(mesh.vertices);
  const cc = new Float64Array(3 * nt);
  const acc = new Float64Array(3 * nv);
  let shift = Infinity, it = 0;
  for (; it < maxIt && shift > tol; it++) {
    for (let t = 0; t < nt; t++) {
      const a = f[3 * t], b = f[3 * t + 1], c = f[3 * t + 2];
      const bx = v[3 * b] - v[3 * a], by = v[3 * b + 1] - v[3 * a + 1], bz = v[3 * b + 2] - v[3 * a + 2];
      const cx = v[3 * c] - v[3 * a], cy = v[3 * c + 1] - v[3 * a + 1], cz = v[3 * c + 2] - v[3 * a + 2];
      const x = by * cz - bz * cy, y = bz * cx - bx * cz, z = bx * cy - by * cx;
      const n = Math.sqrt(x * x + y * y + z * z);
      cc[3 * t] = x / n; cc[3 * t + 1] = y / n; cc[3 * t + 2] = z / n;
    }
    acc.fill(0);
    // Each triangle t contributes, to each of its vertices i, the two sub-triangles of cell i
    // (i, m_ij, c_t) and (i, c_t, m_ik) — planar-triangle centroids weighted by area is a
    // second-order centroid on the sphere, enough for the fixed point to be a centroidal grid.
    for (let t = 0; t < nt; t++) {
      const ox = cc[3 * t], oy = cc[3 * t + 1], oz = cc[3 * t + 2];
      for (let k = 0; k < 3; k++) {
        const i = f[3 * t + k], j = f[3 * t + ((k + 1) % 3)], l = f[3 * t + ((k + 2) % 3)];
        const ix = v[3 * i], iy = v[3 * i + 1], iz = v[3 * i + 2];
        for (let side = 0; side < 2; side++) {
          const q = side === 0 ? j : l;
          let mx = ix + v[3 * q], my = iy + v[3 * q + 1], mz = iz + v[3 * q + 2];
          const mn = Math.sqrt(mx * mx + my * my + mz * mz);
          mx /= mn; my /= mn; mz /= mn;
          // area of triangle (i, m, c)
          const ax = mx - ix, ay = my - iy, az = mz - iz, qx = ox - ix, qy = oy - iy, qz = oz - iz;
          const cx = ay * qz - az * qy, cy = az * qx - ax * qz, cz = ax * qy - ay * qx;
          const area = Math.sqrt(cx * cx + cy * cy + cz * cz) / 6;
          acc[3 * i] += area * (ix + mx + ox);
          acc[3 * i + 1] += area * (iy + my + oy);
          acc[3 * i + 2] += area * (iz + mz + oz);
        }
      }
    }
    shift = 0;
    for (let i = 0; i < nv; i++) {
      const n = Math.sqrt(acc[3 * i] ** 2 + acc[3 * i + 1] ** 2 + acc[3 * i + 2] ** 2);
      const x = acc[3 * i] / n, y = acc[3 * i + 1] / n, z = acc[3 * i + 2] / n;
      shift = Math.max(shift, Math.hypot(x - v[3 * i], y - v[3 * i + 1], z - v[3 * i + 2]));
      v[3 * i] = x; v[3 * i + 1] = y; v[3 * i + 2] = z;
    }
  }
  return { mesh: { vertices: v, faces: mesh.faces }, maxShift: shift, iterations: it };
}

/**
 * Relaxed mesh of level `level`, built coarse to fine: relax level r, split it, relax again.
 * Large-scale smoothing is done on the coarse levels where Lloyd converges fast, so each level
 * needs only `iterationsPerLevel` steps to remove the grid-scale error of the split.
 */
export function centroidalIcosahedralMesh(level: number, opts: { iterationsPerLevel?: number; tol?: number } = {}): CentroidalResult {
  let m: TriangularMesh = icosahedron();
  let res: CentroidalResult = { mesh: m, maxShift: 0, iterations: 0 };
  for (let r = 1; r <= level; r++) {
    m = splitMesh(res.mesh);
    res = centroidalRelax(m, { iterations: opts.iterationsPerLevel ?? 150, tol: opts.tol });
  }
  return res;
}
