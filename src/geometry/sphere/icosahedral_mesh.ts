/**
 * Icosahedral meshes of the unit sphere and GraphCast's multimesh.
 *
 * Follows the design of GraphCast (Lam et al. 2023; google-deepmind/graphcast
 * `graphcast/icosahedral_mesh.py`): start from a regular icosahedron, split every triangle into
 * four through its edge midpoints and push the new vertices onto the unit sphere. The vertex
 * set of level r is a prefix of the vertex set of level r+1 (refinement only appends), so the
 * edges of every level can be merged onto the finest level's vertices: the *multimesh*.
 *
 * ```
 *            a                      a
 *           / \                    / \
 *          /   \                 ab---ca        faces (all counter-clockwise seen from
 *         /     \      ──▶       / \ / \        outside): [a,ab,ca] [ab,b,bc] [ca,bc,c]
 *        b-------c              b---bc--c       [ab,bc,ca]
 * ```
 *
 * Level r has 10·4^r + 2 vertices, 30·4^r edges and 20·4^r faces (Euler characteristic 2).
 * All geometry is Float64. The base icosahedron has one vertex on each pole (±z) and two rings
 * of five at latitude ±atan(1/2); a rotation by 72° about z is a symmetry of every level.
 */
import { ValueError } from '../../util/errors.js';

/** A triangle mesh of the unit sphere over flat typed arrays. */
export interface TriangularMesh {
  /** Vertex positions [numVertices, 3], unit norm. */
  readonly vertices: Float64Array;
  /** Triangles [numFaces, 3] of vertex ids, counter-clockwise seen from outside (outward normal). */
  readonly faces: Int32Array;
}

export const numMeshVertices = (m: TriangularMesh): number => m.vertices.length / 3;
export const numMeshFaces = (m: TriangularMesh): number => m.faces.length / 3;

/** Closed-form counts of refinement level `r`: vertices 10·4^r+2, edges 30·4^r, faces 20·4^r. */
export function icosahedralCounts(level: number): { vertices: number; edges: number; faces: number } {
  const p = 4 ** level;
  return { vertices: 10 * p + 2, edges: 30 * p, faces: 20 * p };
}

/** The regular icosahedron (level 0): 12 unit vertices, 20 outward-oriented faces. */
export function icosahedron(): TriangularMesh {
  const v: number[] = [0, 0, 1];
  const lat = Math.atan(0.5);
  for (let k = 0; k < 5; k++) {
    const lon = (2 * Math.PI * k) / 5;
    v.push(Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat));
  }
  for (let k = 0; k < 5; k++) {
    const lon = (2 * Math.PI * (k + 0.5)) / 5;
    v.push(Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), -Math.sin(lat));
  }
  v.push(0, 0, -1);
  // Upper ring ids 1..5, lower ring ids 6..10, north 0, south 11.
  const f: number[] = [];
  for (let k = 0; k < 5; k++) {
    const u0 = 1 + k, u1 = 1 + ((k + 1) % 5);
    const l0 = 6 + k, l1 = 6 + ((k + 1) % 5);
    f.push(0, u0, u1); // cap
    f.push(u0, l0, u1); // upper band
    f.push(u1, l0, l1); // lower band
    f.push(11, l1, l0); // cap
  }
  const mesh = { vertices: Float64Array.from(v), faces: Int32Array.from(f) };
  return orientOutward(mesh);
}

/** Flips any face whose normal points inward (used once on the hand-written icosahedron). */
function orientOutward(m: TriangularMesh): TriangularMesh {
  const faces = Int32Array.from(m.faces);
  const v = m.vertices;
  for (let t = 0; t < faces.length; t += 3) {
    if (tripleProduct(v, faces[t], faces[t + 1], faces[t + 2]) < 0) {
      const tmp = faces[t + 1];
      faces[t + 1] = faces[t + 2];
      faces[t + 2] = tmp;
    }
  }
  return { vertices: m.vertices, faces };
}

/** a · ((b − a) × (c − a)) for vertex ids a, b, c: positive for an outward-oriented face. */
export function tripleProduct(v: Float64Array, a: number, b: number, c: number): number {
  const ax = v[3 * a], ay = v[3 * a + 1], az = v[3 * a + 2];
  const bx = v[3 * b] - ax, by = v[3 * b + 1] - ay, bz = v[3 * b + 2] - az;
  const cx = v[3 * c] - ax, cy = v[3 * c + 1] - ay, cz = v[3 * c + 2] - az;
  return ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx);
}

/**
 * One refinement: every face becomes four, new vertices (normalised edge midpoints) are
 * appended after the old ones, so old vertex ids are kept.
 */
export function splitMesh(mesh: TriangularMesh): TriangularMesh {
  const nv = numMeshVertices(mesh);
  const nf = numMeshFaces(mesh);
  // each undirected edge adds one vertex: E = 3F/2
  const out = new Float64Array((nv + (3 * nf) / 2) * 3);
  out.set(mesh.vertices);
  let next = nv;
  const mid = new Map<number, number>();
  const midpoint = (a: number, b: number): number => {
    const key = a < b ? a * nv + b : b * nv + a;
    const hit = mid.get(key);
    if (hit !== undefined) return hit;
    const v = mesh.vertices;
    let x = v[3 * a] + v[3 * b], y = v[3 * a + 1] + v[3 * b + 1], z = v[3 * a + 2] + v[3 * b + 2];
    const n = Math.hypot(x, y, z);
    x /= n; y /= n; z /= n;
    out[3 * next] = x; out[3 * next + 1] = y; out[3 * next + 2] = z;
    mid.set(key, next);
    return next++;
  };
  // [4·numFaces, 3]
  const faces = new Int32Array(nf * 12);
  const f = mesh.faces;
  for (let t = 0; t < nf; t++) {
    const a = f[3 * t], b = f[3 * t + 1], c = f[3 * t + 2];
    const ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
    faces.set([a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca], 12 * t);
  }
  if (next !== out.length / 3) throw new ValueError('mesh', 'a closed triangle mesh (every edge shared by two faces)', `${next} vertices after split, expected ${out.length / 3}`);
  return { vertices: out, faces };
}

/** Meshes of levels 0..maxLevel, each refining the previous (vertex ids nested). */
export function meshHierarchy(maxLevel: number): TriangularMesh[] {
  if (!Number.isInteger(maxLevel) || maxLevel < 0 || maxLevel > 9) {
    throw new ValueError('maxLevel', 'an integer in [0, 9]', String(maxLevel));
  }
  const out = [icosahedron()];
  for (let r = 1; r <= maxLevel; r++) out.push(splitMesh(out[r - 1]));
  return out;
}

/** The level-r icosahedral mesh. */
export function icosahedralMesh(level: number): TriangularMesh {
  const h = meshHierarchy(level);
  return h[level];
}

/** Directed edge lists of a mesh or multimesh: senders[k] → receivers[k]. */
export interface DirectedEdges {
  /** [numEdges] */
  readonly senders: Int32Array;
  /** [numEdges] */
  readonly receivers: Int32Array;
}

/**
 * Both directions of every face edge, deduplicated and sorted by (receiver, sender).
 * A closed mesh with F faces gives 3F directed edges.
 */
export function facesToEdges(faces: Int32Array, numVertices: number): DirectedEdges {
  const keys: number[] = [];
  for (let t = 0; t < faces.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[t + k], b = faces[t + ((k + 1) % 3)];
      keys.push(b * numVertices + a, a * numVertices + b); // receiver-major key
    }
  }
  return keysToEdges(keys, numVertices);
}

function keysToEdges(keys: number[], numVertices: number): DirectedEdges {
  const sorted = Float64Array.from(keys).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i];
  const senders = new Int32Array(n), receivers = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    receivers[i] = Math.floor(sorted[i] / numVertices);
    senders[i] = sorted[i] - receivers[i] * numVertices;
  }
  return { senders, receivers };
}

/** The multimesh: finest level's vertices and faces, edges = union of every level's edges. */
export interface Multimesh {
  /** Finest mesh (vertices [V, 3], faces [F, 3]). */
  readonly mesh: TriangularMesh;
  /** Union of the directed edges of levels 0..maxLevel on the finest vertices, sorted by (receiver, sender). */
  readonly edges: DirectedEdges;
  /** [numEdges] coarsest level each edge came from (0 = icosahedron edges, the longest). */
  readonly edgeLevel: Int8Array;
  readonly maxLevel: number;
}

/**
 * GraphCast's multimesh M^0 ∪ … ∪ M^R on the vertices of M^R. At R = 6: 40,962 vertices and
 * 60·(4^7 − 1)/3 = 327,660 directed edges (edges of different levels never coincide).
 */
export function multimesh(maxLevel: number): Multimesh {
  const levels = meshHierarchy(maxLevel);
  const fine = levels[maxLevel];
  const nv = numMeshVertices(fine);
  const keys: number[] = [];
  const levelOf = new Map<number, number>();
  for (let r = maxLevel; r >= 0; r--) {
    const f = levels[r].faces;
    for (let t = 0; t < f.length; t += 3) {
      for (let k = 0; k < 3; k++) {
        const a = f[t + k], b = f[t + ((k + 1) % 3)];
        const k1 = b * nv + a, k2 = a * nv + b;
        keys.push(k1, k2);
        levelOf.set(k1, r);
        levelOf.set(k2, r);
      }
    }
  }
  const edges = keysToEdges(keys, nv);
  const edgeLevel = new Int8Array(edges.senders.length);
  for (let e = 0; e < edgeLevel.length; e++) edgeLevel[e] = levelOf.get(edges.receivers[e] * nv + edges.senders[e])!;
  return { mesh: fine, edges, edgeLevel, maxLevel };
}

/** Result of {@link checkMeshValidity}: empty `problems` means valid. */
export interface MeshReport {
  readonly numVertices: number;
  readonly numEdges: number;
  readonly numFaces: number;
  readonly euler: number;
  readonly problems: readonly string[];
}

/**
 * Checks a closed sphere mesh: unit-norm vertices, ids in range, no degenerate faces, outward
 * orientation, every undirected edge in exactly two faces with opposite directions, V − E + F = 2.
 * Reused by the tests of every level and of refinement.
 */
export function checkMeshValidity(mesh: TriangularMesh, tol = 1e-12): MeshReport {
  const problems: string[] = [];
  const nv = numMeshVertices(mesh), nf = numMeshFaces(mesh);
  const v = mesh.vertices, f = mesh.faces;
  for (let i = 0; i < nv; i++) {
    const n = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
    if (Math.abs(n - 1) > tol) { problems.push(`vertex ${i} has norm ${n}`); break; }
  }
  const directed = new Map<number, number>();
  for (let t = 0; t < nf; t++) {
    const a = f[3 * t], b = f[3 * t + 1], c = f[3 * t + 2];
    if ([a, b, c].some((x) => x < 0 || x >= nv)) { problems.push(`face ${t} has a vertex id out of [0, ${nv})`); continue; }
    if (a === b || b === c || c === a) problems.push(`face ${t} is degenerate`);
    if (tripleProduct(v, a, b, c) <= 0) problems.push(`face ${t} is not oriented outward`);
    for (const [p, q] of [[a, b], [b, c], [c, a]]) {
      const key = p * nv + q;
      directed.set(key, (directed.get(key) ?? 0) + 1);
    }
  }
  let numEdges = 0;
  for (const [key, count] of directed) {
    const p = Math.floor(key / nv), q = key - p * nv;
    if (count !== 1) problems.push(`directed edge ${p}→${q} appears in ${count} faces`);
    if (!directed.has(q * nv + p)) problems.push(`edge ${p}→${q} has no opposite (mesh not closed or inconsistently oriented)`);
    if (p < q) numEdges++;
    if (problems.length > 20) break;
  }
  const euler = nv - numEdges + nf;
  if (euler !== 2) problems.push(`Euler characteristic V − E + F = ${euler}, expected 2`);
  return { numVertices: nv, numEdges, numFaces: nf, euler, problems };
}
