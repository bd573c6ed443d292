/**
 * A uniform 3D cell grid over points near the unit sphere, for fixed-radius (chord distance)
 * queries without all-pairs loops. Cells are cubes of side `cellSize` covering [−1−s, 1+s]³;
 * points are sorted by cell id into a CSR layout (like a cell list in MD), and a query visits
 * the ⌈r/s⌉-neighbourhood of cells around the query point. Only cells touched by points are
 * stored (a hash from cell id to CSR range), so memory is O(points).
 *
 * Cost: build O(n log n); query O(points within ~r + s). Chord distance |p − q| relates to the
 * great-circle angle θ by chord = 2 sin(θ/2).
 */
import { ValueError } from '../../util/errors.js';

export class SphereIndex {
  /** [numPoints, 3] the indexed points. */
  readonly points: Float64Array;
  readonly cellSize: number;
  private readonly dim: number;
  /** point ids sorted by cell */
  private readonly order: Int32Array;
  /** cell id → [start, end) into `order` */
  private readonly ranges: Map<number, number>;
  private readonly starts: Int32Array;

  /**
   * @param points [n, 3] positions (unit vectors, or any point in the cube [−1.5, 1.5]³)
   * @param cellSize cube side; choose about the typical query radius (chord units)
   */
  constructor(points: Float64Array, cellSize: number) {
    if (!(cellSize > 0)) throw new ValueError('cellSize', 'a positive number', String(cellSize));
    if (points.length % 3 !== 0) throw new ValueError('points', 'a flat [n, 3] array', `length ${points.length}`);
    this.points = points;
    this.cellSize = cellSize;
    this.dim = Math.ceil(3 / cellSize) + 2;
    const n = points.length / 3;
    const cell = new Float64Array(n);
    for (let i = 0; i < n; i++) cell[i] = this.cellOf(points[3 * i], points[3 * i + 1], points[3 * i + 2]);
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => cell[a] - cell[b] || a - b);
    this.order = idx;
    this.ranges = new Map();
    const starts: number[] = [];
    for (let k = 0; k < n; ) {
      const c = cell[idx[k]];
      let e = k + 1;
      while (e < n && cell[idx[e]] === c) e++;
      this.ranges.set(c, starts.length);
      starts.push(k, e);
      k = e;
    }
    this.starts = Int32Array.from(starts);
  }

  private coord(x: number): number {
    return Math.floor((x + 1.5) / this.cellSize);
  }

  private cellOf(x: number, y: number, z: number): number {
    const d = this.dim;
    return (this.coord(x) * d + this.coord(y)) * d + this.coord(z);
  }

  /**
   * Calls `visit(id, chordDistance²)` for every indexed point with |p − q| ≤ radius.
   * Visiting order is cell order, then id order (deterministic).
   */
  forEachWithin(x: number, y: number, z: number, radius: number, visit: (id: number, dist2: number) => void): void {
    const r2 = radius * radius;
    const d = this.dim;
    const x0 = this.coord(x - radius), x1 = this.coord(x + radius);
    const y0 = this.coord(y - radius), y1 = this.coord(y + radius);
    const z0 = this.coord(z - radius), z1 = this.coord(z + radius);
    const p = this.points;
    for (let cx = x0; cx <= x1; cx++) {
      for (let cy = y0; cy <= y1; cy++) {
        for (let cz = z0; cz <= z1; cz++) {
          const slot = this.ranges.get((cx * d + cy) * d + cz);
          if (slot === undefined) continue;
          const s = this.starts[slot], e = this.starts[slot + 1];
          for (let k = s; k < e; k++) {
            const id = this.order[k];
            const dx = p[3 * id] - x, dy = p[3 * id + 1] - y, dz = p[3 * id + 2] - z;
            const q = dx * dx + dy * dy + dz * dz;
            if (q <= r2) visit(id, q);
          }
        }
      }
    }
  }

  /** Ids within `radius` (chord) of (x, y, z), ascending. */
  within(x: number, y: number, z: number, radius: number): number[] {
    const out: number[] = [];
    this.forEachWithin(x, y, z, radius, (id) => out.push(id));
    return out.sort((a, b) => a - b);
  }

  /** Nearest indexed point (searching growing radii); −1 if the index is empty. */
  nearest(x: number, y: number, z: number): number {
    let best = -1, bestD = Infinity;
    for (let r = this.cellSize; r < 4; r *= 2) {
      this.forEachWithin(x, y, z, r, (id, d2) => {
        if (d2 < bestD || (d2 === bestD && id < best)) { bestD = d2; best = id; }
      });
      if (best >= 0) return best;
    }
    return best;
  }
}
