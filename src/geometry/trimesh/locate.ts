/**
 * Point location in a triangle mesh: the triangle containing (x, y) and the barycentric
 * weights of its nodes, for probes and centreline sampling. Brute force over triangles
 * (O(T) per query; meant for a handful of probe points set up once).
 */
import { ValueError } from '../../util/errors.js';
import type { TriMesh } from './types.js';

export interface Located {
  /** The three node ids. */
  readonly nodes: [number, number, number];
  /** Barycentric weights (sum 1, each ≥ −1e-12). */
  readonly weights: [number, number, number];
}

/** Locates (x, y); throws ValueError when the point is outside the mesh. */
export function locatePoint(m: TriMesh, x: number, y: number): Located {
  const p = m.positions, t = m.triangles;
  const eps = 1e-10;
  for (let k = 0; k < t.length; k += 3) {
    const a = t[k], b = t[k + 1], c = t[k + 2];
    const xa = p[2 * a], ya = p[2 * a + 1], xb = p[2 * b], yb = p[2 * b + 1], xc = p[2 * c], yc = p[2 * c + 1];
    const det = (xb - xa) * (yc - ya) - (xc - xa) * (yb - ya);
    const wb = ((x - xa) * (yc - ya) - (xc - xa) * (y - ya)) / det;
    const wc = ((xb - xa) * (y - ya) - (x - xa) * (yb - ya)) / det;
    const wa = 1 - wb - wc;
    if (wa >= -eps && wb >= -eps && wc >= -eps) return { nodes: [a, b, c], weights: [wa, wb, wc] };
  }
  throw new ValueError('point', 'inside the mesh', `(${x}, ${y})`);
}

/** Interpolates a nodal field with `width` components at a located point → [width]. */
export function interpolate(loc: Located, field: ArrayLike<number>, width = 1, component = 0): number {
  let s = 0;
  for (let e = 0; e < 3; e++) s += loc.weights[e] * field[width * loc.nodes[e] + component];
  return s;
}
