/**
 * Geometry of the Voronoi dual of an icosahedral mesh, for a finite-volume shallow-water solver
 * with the unknowns at the mesh vertices (Voronoi cell centres), as in NICAM (Tomita et al.
 * 2001, "Shallow water model on a modified icosahedral geodesic grid by using spring
 * dynamics", J. Comput. Phys. 174).
 *
 * ```
 *        c1 ●───────● c2       cell i: polygon of the circumcentres c_k of the triangles
 *          / \  n_e→ \          around vertex i; the Voronoi edge e between cells i and j
 *         /  i•──────•j         joins the circumcentres c1, c2 of the two triangles that
 *        /     \    /           share mesh edge (i, j); n_e is its unit normal pointing from
 *               ●                i to j, l_e its length, d_e the arc i–j.
 * ```
 *
 * Values at a circumcentre are interpolated linearly (gnomonic barycentric weights) from the
 * triangle's three vertices; a value on a Voronoi edge is the mean of its two end points
 * (trapezoidal rule). This second-order reconstruction is what keeps the scheme consistent on
 * the non-uniform, non-centroidal icosahedral grid.
 */
import { type TriangularMesh, numMeshFaces, numMeshVertices } from '../../geometry/sphere/icosahedral_mesh.js';

export interface VoronoiGeometry {
  readonly numCells: number;
  readonly numEdges: number;
  readonly numTriangles: number;
  /** Sphere radius (m). */
  readonly radius: number;
  /** [numCells, 3] unit cell centres (mesh vertices). */
  readonly centres: Float64Array;
  /** [numCells] cell areas (m²); Σ = 4πa². */
  readonly areas: Float64Array;
  /** [numTriangles, 3] vertex ids (the mesh faces). */
  readonly triangles: Int32Array;
  /** [numTriangles, 3] interpolation weights of each circumcentre from its triangle's vertices. */
  readonly triWeights: Float64Array;
  /** [numTriangles, 3] unit circumcentres. */
  readonly circumcentres: Float64Array;
  /** [numEdges] cells on each side: i = edgeCells[2e], j = edgeCells[2e+1]. */
  readonly edgeCells: Int32Array;
  /** [numEdges, 2] triangles at the two ends of the Voronoi edge. */
  readonly edgeTris: Int32Array;
  /** [numEdges, 3] unit normal from i to j at the Voronoi edge midpoint. */
  readonly edgeNormal: Float64Array;
  /** [numEdges, 3] unit tangent r̂ × n (counter-clockwise around cell i). */
  readonly edgeTangent: Float64Array;
  /** [numEdges, 3] unit midpoint of the Voronoi edge. */
  readonly edgeMidpoint: Float64Array;
  /** [numEdges] Voronoi edge length l_e (m). */
  readonly edgeLength: Float64Array;
  /** [numEdges] great-circle distance between the cell centres d_e (m). */
  readonly edgeDistance: Float64Array;
}

function cross(ax: number, ay: number, az: number, bx: number, by: number, bz: number): [number, number, number] {
  return [ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx];
}

/** Angle between unit vectors, accurate for small angles. */
function angle(v: Float64Array, i: number, w: Float64Array, j: number): number {
  const [cx, cy, cz] = cross(v[3 * i], v[3 * i + 1], v[3 * i + 2], w[3 * j], w[3 * j + 1], w[3 * j + 2]);
  const d = v[3 * i] * w[3 * j] + v[3 * i + 1] * w[3 * j + 1] + v[3 * i + 2] * w[3 * j + 2];
  return Math.atan2(Math.hypot(cx, cy, cz), d);
}

/** Area (sr) of the spherical triangle of unit vectors a, b, c (Van Oosterom & Strackee). */
function sphTriArea(ax: number, ay: number, az: number, bx: number, by: number, bz: number, cx: number, cy: number, cz: number): number {
  const [x, y, z] = cross(bx, by, bz, cx, cy, cz);
  const num = Math.abs(ax * x + ay * y + az * z);
  const den = 1 + (ax * bx + ay * by + az * bz) + (bx * cx + by * cy + bz * cz) + (cx * ax + cy * ay + cz * az);
  return 2 * Math.atan2(num, den);
}

/** Builds the Voronoi dual of a closed, outward-oriented sphere mesh, scaled to radius `a` (m). */
export function voronoiGeometry(mesh: TriangularMesh, a: number): VoronoiGeometry {
  const v = mesh.vertices, f = mesh.faces;
  const nv = numMeshVertices(mesh), nt = numMeshFaces(mesh);
  // [nt, 3]
  const cc = new Float64Array(nt * 3);
  const tw = new Float64Array(nt * 3);
  for (let t = 0; t < nt; t++) {
    const A = f[3 * t], B = f[3 * t + 1], C = f[3 * t + 2];
    const [x, y, z] = cross(v[3 * B] - v[3 * A], v[3 * B + 1] - v[3 * A + 1], v[3 * B + 2] - v[3 * A + 2], v[3 * C] - v[3 * A], v[3 * C + 1] - v[3 * A + 1], v[3 * C + 2] - v[3 * A + 2]);
    const n = Math.hypot(x, y, z);
    cc[3 * t] = x / n; cc[3 * t + 1] = y / n; cc[3 * t + 2] = z / n;
    const px = cc[3 * t], py = cc[3 * t + 1], pz = cc[3 * t + 2];
    const ids = [A, B, C];
    let s = 0;
    for (let k = 0; k < 3; k++) {
      const b = ids[(k + 1) % 3], c = ids[(k + 2) % 3];
      const [qx, qy, qz] = cross(v[3 * b], v[3 * b + 1], v[3 * b + 2], v[3 * c], v[3 * c + 1], v[3 * c + 2]);
      tw[3 * t + k] = px * qx + py * qy + pz * qz;
      s += tw[3 * t + k];
    }
    for (let k = 0; k < 3; k++) tw[3 * t + k] /= s;
  }
  // undirected edges i<j with the triangle holding i→j (left) and j→i (right)
  const left = new Map<number, number>();
  for (let t = 0; t < nt; t++) for (let k = 0; k < 3; k++) left.set(f[3 * t + k] * nv + f[3 * t + ((k + 1) % 3)], t);
  const ne = (3 * nt) / 2;
  const edgeCells = new Int32Array(2 * ne), edgeTris = new Int32Array(2 * ne);
  let e = 0;
  for (let t = 0; t < nt; t++) for (let k = 0; k < 3; k++) {
    const i = f[3 * t + k], j = f[3 * t + ((k + 1) % 3)];
    if (i > j) continue;
    edgeCells[2 * e] = i; edgeCells[2 * e + 1] = j;
    edgeTris[2 * e] = t; edgeTris[2 * e + 1] = left.get(j * nv + i)!;
    e++;
  }
  const edgeNormal = new Float64Array(3 * ne), edgeTangent = new Float64Array(3 * ne), edgeMidpoint = new Float64Array(3 * ne);
  const edgeLength = new Float64Array(ne), edgeDistance = new Float64Array(ne);
  const areas = new Float64Array(nv);
  for (let k = 0; k < ne; k++) {
    const i = edgeCells[2 * k], j = edgeCells[2 * k + 1];
    const t1 = edgeTris[2 * k], t2 = edgeTris[2 * k + 1];
    let [nx, ny, nz] = cross(cc[3 * t1], cc[3 * t1 + 1], cc[3 * t1 + 2], cc[3 * t2], cc[3 * t2 + 1], cc[3 * t2 + 2]);
    const nn = Math.hypot(nx, ny, nz);
    nx /= nn; ny /= nn; nz /= nn;
    if (nx * (v[3 * j] - v[3 * i]) + ny * (v[3 * j + 1] - v[3 * i + 1]) + nz * (v[3 * j + 2] - v[3 * i + 2]) < 0) { nx = -nx; ny = -ny; nz = -nz; }
    let mx = cc[3 * t1] + cc[3 * t2], my = cc[3 * t1 + 1] + cc[3 * t2 + 1], mz = cc[3 * t1 + 2] + cc[3 * t2 + 2];
    const mn = Math.hypot(mx, my, mz);
    mx /= mn; my /= mn; mz /= mn;
    edgeMidpoint[3 * k] = mx; edgeMidpoint[3 * k + 1] = my; edgeMidpoint[3 * k + 2] = mz;
    edgeNormal[3 * k] = nx; edgeNormal[3 * k + 1] = ny; edgeNormal[3 * k + 2] = nz;
    const [tx, ty, tz] = cross(mx, my, mz, nx, ny, nz);
    edgeTangent[3 * k] = tx; edgeTangent[3 * k + 1] = ty; edgeTangent[3 * k + 2] = tz;
    edgeLength[k] = a * angle(cc, t1, cc, t2);
    edgeDistance[k] = a * angle(v, i, v, j);
    for (const c of [i, j]) {
      areas[c] += a * a * sphTriArea(v[3 * c], v[3 * c + 1], v[3 * c + 2], cc[3 * t1], cc[3 * t1 + 1], cc[3 * t1 + 2], cc[3 * t2], cc[3 * t2 + 1], cc[3 * t2 + 2]);
    }
  }
  return {
    numCells: nv, numEdges: ne, numTriangles: nt, radius: a, centres: v, areas, triangles: f, triWeights: tw,
    circumcentres: cc, edgeCells, edgeTris, edgeNormal, edgeTangent, edgeMidpoint, edgeLength, edgeDistance,
  };
}
