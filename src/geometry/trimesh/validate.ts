/**
 * Mesh validity and quality (after GraphCast's mesh checker, reused by many tests).
 *
 * Validity: ids in range, every node used, every triangle counter-clockwise with area above
 * 1e-12 of the domain area, every interior edge shared by exactly two triangles and every
 * boundary edge by one, boundary edges only between boundary nodes, every obstacle polygon
 * side present as a boundary edge, and Euler characteristic V − E + F = 1 − numObstacles
 * (a disc with holes).
 *
 * Quality: per-triangle minimum angle (degrees) and aspect ratio `R / (2 r)` (circumradius
 * over twice the inradius: 1 for an equilateral triangle, growing without bound as it flattens).
 */
import type { TriMesh } from './types.js';

export interface MeshValidity {
  readonly ok: boolean;
  /** Human-readable problems (empty when ok). */
  readonly problems: string[];
  readonly numEdges: number;
  readonly numBoundaryEdges: number;
  readonly euler: number;
}

/** Checks the mesh; never throws. */
export function validateMesh(m: TriMesh): MeshValidity {
  const problems: string[] = [];
  const { positions: p, triangles: t, numNodes: n } = m;
  const used = new Uint8Array(n);
  const domainArea = m.domain.length * m.domain.height;
  const edgeCount = new Map<number, number>();
  for (let k = 0; k < t.length; k += 3) {
    const a = t[k], b = t[k + 1], c = t[k + 2];
    if (a < 0 || b < 0 || c < 0 || a >= n || b >= n || c >= n) {
      problems.push(`triangle ${k / 3} has a node id out of [0, ${n})`);
      continue;
    }
    used[a] = used[b] = used[c] = 1;
    const area2 = (p[2 * b] - p[2 * a]) * (p[2 * c + 1] - p[2 * a + 1]) - (p[2 * c] - p[2 * a]) * (p[2 * b + 1] - p[2 * a + 1]);
    if (!(area2 > 2e-12 * domainArea)) problems.push(`triangle ${k / 3} (${a}, ${b}, ${c}) is degenerate or clockwise: 2·area = ${area2}`);
    for (const [i, j] of [[a, b], [b, c], [c, a]]) {
      const key = Math.min(i, j) * n + Math.max(i, j);
      edgeCount.set(key, (edgeCount.get(key) ?? 0) + 1);
    }
  }
  for (let i = 0; i < n; i++) if (!used[i]) problems.push(`node ${i} is in no triangle`);
  let nb = 0;
  for (const [key, c] of edgeCount) {
    const i = Math.floor(key / n), j = key % n;
    if (c > 2) problems.push(`edge (${i}, ${j}) is shared by ${c} triangles`);
    if (c === 1) {
      nb++;
      if (m.sides[i] === 0 || m.sides[j] === 0) problems.push(`boundary edge (${i}, ${j}) touches an interior node`);
    }
  }
  // obstacle polygon sides: consecutive nodes of one obstacle (generated in angular order)
  const byObstacle = new Map<number, number[]>();
  for (let i = 0; i < n; i++) if (m.obstacleId[i] >= 0) {
    const l = byObstacle.get(m.obstacleId[i]);
    if (l) l.push(i);
    else byObstacle.set(m.obstacleId[i], [i]);
  }
  for (const [k, ids] of byObstacle) {
    const [cx, cy] = m.domain.obstacles[k].center;
    ids.sort((u, v) => Math.atan2(p[2 * u + 1] - cy, p[2 * u] - cx) - Math.atan2(p[2 * v + 1] - cy, p[2 * v] - cx));
    for (let s = 0; s < ids.length; s++) {
      const i = ids[s], j = ids[(s + 1) % ids.length];
      if (edgeCount.get(Math.min(i, j) * n + Math.max(i, j)) !== 1) problems.push(`obstacle ${k} side (${i}, ${j}) is not a boundary edge`);
    }
  }
  const euler = n - edgeCount.size + t.length / 3;
  const expected = 1 - m.domain.obstacles.length;
  if (euler !== expected) problems.push(`Euler characteristic ${euler}, expected ${expected}`);
  return { ok: problems.length === 0, problems, numEdges: edgeCount.size, numBoundaryEdges: nb, euler };
}

export interface MeshQuality {
  readonly numNodes: number;
  readonly numTriangles: number;
  /** Smallest angle over all triangles, degrees. */
  readonly minAngleDeg: number;
  /** Mean over triangles of each triangle's smallest angle, degrees. */
  readonly meanMinAngleDeg: number;
  /** Largest aspect ratio R/(2r). */
  readonly maxAspectRatio: number;
  readonly meanAspectRatio: number;
  /** Shortest and longest edge length. */
  readonly minEdge: number;
  readonly maxEdge: number;
  /** Fraction of triangles whose smallest angle is below 20°. */
  readonly fractionBelow20Deg: number;
}

/** Per-triangle [minAngleDeg, aspectRatio] of triangle k. */
export function triangleShape(p: Float64Array, a: number, b: number, c: number): [number, number] {
  const la = Math.hypot(p[2 * b] - p[2 * c], p[2 * b + 1] - p[2 * c + 1]);
  const lb = Math.hypot(p[2 * a] - p[2 * c], p[2 * a + 1] - p[2 * c + 1]);
  const lc = Math.hypot(p[2 * a] - p[2 * b], p[2 * a + 1] - p[2 * b + 1]);
  const area = 0.5 * Math.abs((p[2 * b] - p[2 * a]) * (p[2 * c + 1] - p[2 * a + 1]) - (p[2 * c] - p[2 * a]) * (p[2 * b + 1] - p[2 * a + 1]));
  const ang = (x: number, y: number, z: number) => Math.acos(Math.max(-1, Math.min(1, (y * y + z * z - x * x) / (2 * y * z))));
  const minAng = Math.min(ang(la, lb, lc), ang(lb, lc, la), ang(lc, la, lb)) * (180 / Math.PI);
  const s = (la + lb + lc) / 2;
  const r = area / s;
  const R = (la * lb * lc) / (4 * area);
  return [minAng, R / (2 * r)];
}

/** Quality report of a mesh. */
export function meshQuality(m: TriMesh): MeshQuality {
  const p = m.positions, t = m.triangles;
  let minA = Infinity, sumA = 0, maxR = 0, sumR = 0, below = 0, minE = Infinity, maxE = 0;
  for (let k = 0; k < t.length; k += 3) {
    const [a, r] = triangleShape(p, t[k], t[k + 1], t[k + 2]);
    minA = Math.min(minA, a);
    sumA += a;
    maxR = Math.max(maxR, r);
    sumR += r;
    if (a < 20) below++;
    for (let e = 0; e < 3; e++) {
      const i = t[k + e], j = t[k + ((e + 1) % 3)];
      const l = Math.hypot(p[2 * i] - p[2 * j], p[2 * i + 1] - p[2 * j + 1]);
      minE = Math.min(minE, l);
      maxE = Math.max(maxE, l);
    }
  }
  const nt = t.length / 3;
  return {
    numNodes: m.numNodes,
    numTriangles: nt,
    minAngleDeg: minA,
    meanMinAngleDeg: sumA / nt,
    maxAspectRatio: maxR,
    meanAspectRatio: sumR / nt,
    minEdge: minE,
    maxEdge: maxE,
    fractionBelow20Deg: below / nt,
  };
}
