/**
 * Triangle mesh of a rectangular channel `[0, length] × [0, height]` with circular obstacles,
 * graded towards the obstacles.
 *
 * ```
 *   y=height  +-------------------------------------------+   TOP    (WALL_BOUNDARY)
 *             |        .  .                                |
 *   LEFT      |      . (  ) .   fine near obstacles,       |   RIGHT
 *   (INFLOW)  |        .  .     coarse far away            |   (OUTFLOW)
 *   y=0       +-------------------------------------------+   BOTTOM (WALL_BOUNDARY)
 *            x=0                                       x=length
 * ```
 *
 * Method: (1) a size field `h(x) = min(hMax, hMin + grading · d(x))`, `d` the distance to the
 * nearest obstacle surface (`h = hMax` everywhere without obstacles); (2) boundary nodes:
 * walls marched with spacing `h`, each circle a regular polygon with side ≤ hMin;
 * (3) interior nodes by variable-radius Poisson-disk sampling (Bridson 2007) seeded from the
 * boundary nodes, using the workbench `Rng` (deterministic per seed); (4) a few Laplacian
 * smoothing sweeps of nodes away from the boundary; (5) Delaunay triangulation with
 * delaunator, then triangles whose centroid lies inside an obstacle are removed.
 * Boundary conformity (every polygon side of every circle is a mesh edge) follows from the
 * spacing rule (interior nodes stay outside each side's diametral circle) and is checked by
 * {@link validateMesh}, which this function runs before returning.
 *
 * Not supported: non-circular obstacles, obstacles touching the walls, anisotropic sizes.
 */
import Delaunator from 'delaunator';
import { Rng } from '../../engine/rng.js';
import { ConfigError, ValueError } from '../../util/errors.js';
import { NodeType, Side, type Circle, type TriMesh } from './types.js';
import { validateMesh } from './validate.js';

export interface ChannelMeshOptions {
  /** Channel length along x. */
  readonly length: number;
  /** Channel height along y. */
  readonly height: number;
  /** Circular obstacles; may be empty (then the mesh is uniform with size hMax). */
  readonly obstacles: readonly Circle[];
  /** Target edge length at obstacle surfaces. */
  readonly hMin: number;
  /** Target edge length far from obstacles. */
  readonly hMax: number;
  /** Growth of the size field per unit distance from an obstacle (dimensionless, 0.05–0.5). */
  readonly grading?: number;
  /** Seed of the point sampler. */
  readonly seed?: number;
  /** Laplacian smoothing sweeps (default 4). */
  readonly smoothing?: number;
}

export const DEFAULT_GRADING = 0.15;
export const MAX_MESH_NODES = 2_000_000;

function checkPositive(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ConfigError(what, 'a finite number > 0', String(v));
  }
  return v;
}

/** Validates channel geometry; throws ConfigError naming the bad field. */
export function checkChannelOptions(o: ChannelMeshOptions): void {
  const L = checkPositive('length', o.length);
  const H = checkPositive('height', o.height);
  const hMin = checkPositive('hMin', o.hMin);
  const hMax = checkPositive('hMax', o.hMax);
  if (hMax < hMin) throw new ConfigError('hMax', `>= hMin (${hMin})`, String(hMax));
  if (hMax > Math.min(L, H) / 2) throw new ConfigError('hMax', `<= min(length, height)/2 = ${Math.min(L, H) / 2}`, String(hMax));
  const g = o.grading ?? DEFAULT_GRADING;
  if (!(g > 0 && g <= 1)) throw new ConfigError('grading', 'a number in (0, 1]', String(g));
  if (!Array.isArray(o.obstacles)) throw new ConfigError('obstacles', 'an array of {center, radius}', typeof o.obstacles);
  o.obstacles.forEach((c, k) => {
    const r = checkPositive(`obstacles[${k}].radius`, c?.radius);
    const [x, y] = c.center ?? [NaN, NaN];
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new ConfigError(`obstacles[${k}].center`, 'two finite numbers', String(c.center));
    const gap = Math.min(x - r, L - x - r, y - r, H - y - r);
    if (gap < hMin) {
      throw new ConfigError(
        `obstacles[${k}]`,
        `a circle inside the channel [0, ${L}] × [0, ${H}] with a gap >= hMin (${hMin}) to every wall`,
        `centre (${x}, ${y}) radius ${r}, gap ${gap.toPrecision(3)}`,
        'move the obstacle or shrink it',
      );
    }
    if (2 * Math.PI * r < 6 * hMin) throw new ConfigError(`obstacles[${k}].radius`, `>= 6·hMin/(2π) = ${(6 * hMin) / (2 * Math.PI)} (at least 6 nodes on the circle)`, String(r));
    for (let m = 0; m < k; m++) {
      const q = o.obstacles[m];
      const d = Math.hypot(x - q.center[0], y - q.center[1]) - r - q.radius;
      if (d < hMin) {
        throw new ConfigError(`obstacles[${k}]`, `not overlapping obstacles[${m}] (gap >= hMin ${hMin})`, `gap ${d.toPrecision(3)}`);
      }
    }
  });
  const est = estimateNodes(o);
  if (est > MAX_MESH_NODES) throw new ConfigError('hMin', `a size giving <= ${MAX_MESH_NODES} nodes`, `about ${Math.round(est)} nodes`);
}

/** Distance from (x, y) to the nearest obstacle surface (Infinity without obstacles). */
function obstacleDistance(obs: readonly Circle[], x: number, y: number): number {
  let d = Infinity;
  for (const c of obs) d = Math.min(d, Math.hypot(x - c.center[0], y - c.center[1]) - c.radius);
  return d;
}

/** The size field h(x, y) of the options. */
export function sizeField(o: ChannelMeshOptions): (x: number, y: number) => number {
  const g = o.grading ?? DEFAULT_GRADING;
  if (o.obstacles.length === 0) return () => o.hMax;
  return (x, y) => Math.min(o.hMax, o.hMin + g * Math.max(0, obstacleDistance(o.obstacles, x, y)));
}

/** Rough node count (equilateral triangles of side h: 2/(√3 h²) nodes per unit area), by sampling. */
export function estimateNodes(o: ChannelMeshOptions): number {
  const h = sizeField(o);
  const n = 64;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const hx = h(((i + 0.5) / n) * o.length, ((j + 0.5) / n) * o.height);
    s += 2 / (Math.sqrt(3) * hx * hx);
  }
  return (s / (n * n)) * o.length * o.height;
}

/** Spatial hash for the Poisson-disk sampler. */
class PointHash {
  private readonly cells = new Map<number, number[]>();
  constructor(private readonly cell: number) {}
  private key(ix: number, iy: number): number {
    return ix * 1_048_576 + iy;
  }
  add(id: number, x: number, y: number): void {
    const k = this.key(Math.floor(x / this.cell), Math.floor(y / this.cell));
    const c = this.cells.get(k);
    if (c) c.push(id);
    else this.cells.set(k, [id]);
  }
  /** Calls f on ids in cells overlapping the disc; stops when f returns true. */
  any(x: number, y: number, r: number, f: (id: number) => boolean): boolean {
    const x0 = Math.floor((x - r) / this.cell), x1 = Math.floor((x + r) / this.cell);
    const y0 = Math.floor((y - r) / this.cell), y1 = Math.floor((y + r) / this.cell);
    for (let ix = x0; ix <= x1; ix++) for (let iy = y0; iy <= y1; iy++) {
      const c = this.cells.get(this.key(ix, iy));
      if (c) for (const id of c) if (f(id)) return true;
    }
    return false;
  }
}

/** Spacing factor of the sampler: neighbours at least ALPHA·(h(p)+h(q))/2 apart. */
const ALPHA = 0.8;
const TRIES = 24;

/**
 * Builds the channel mesh. Throws ConfigError for bad geometry and ValueError if the
 * triangulation fails validation.
 *
 * @example
 * const m = channelMesh({ length: 2.2, height: 0.41, obstacles: [{ center: [0.2, 0.2], radius: 0.05 }], hMin: 0.01, hMax: 0.05 });
 * // m.numNodes ≈ 1.9k, min angle ≈ 25°
 */
export function channelMesh(o: ChannelMeshOptions): TriMesh {
  checkChannelOptions(o);
  const { length: L, height: H, obstacles } = o;
  const h = sizeField(o);
  const rng = new Rng(o.seed ?? 1);
  const xs: number[] = [];
  const ys: number[] = [];
  const sides: number[] = [];
  const obst: number[] = [];
  const push = (x: number, y: number, side: number, ob: number) => {
    xs.push(x);
    ys.push(y);
    sides.push(side);
    obst.push(ob);
  };
  // walls: march from corner a to corner b with spacing h, rescaled to end exactly at b
  const wall = (ax: number, ay: number, bx: number, by: number, side: number, startSide: number) => {
    const len = Math.hypot(bx - ax, by - ay);
    const ts = [0];
    let lastStep = 0;
    for (;;) {
      const t = ts[ts.length - 1];
      const f = t / len;
      lastStep = h(ax + f * (bx - ax), ay + f * (by - ay));
      if (t + lastStep >= len - 0.5 * lastStep) break;
      ts.push(t + lastStep);
    }
    // [numSegments] positions rescaled so the last segment ends exactly at b
    const scale = len / (ts[ts.length - 1] + lastStep);
    for (let i = 0; i < ts.length; i++) {
      const f = (ts[i] * scale) / len;
      push(ax + f * (bx - ax), ay + f * (by - ay), i === 0 ? side | startSide : side, -1);
    }
  };
  wall(0, 0, L, 0, Side.BOTTOM, Side.LEFT);
  wall(L, 0, L, H, Side.RIGHT, Side.BOTTOM);
  wall(L, H, 0, H, Side.TOP, Side.RIGHT);
  wall(0, H, 0, 0, Side.LEFT, Side.TOP);
  obstacles.forEach((c, k) => {
    const n = Math.max(6, Math.ceil((2 * Math.PI * c.radius) / o.hMin));
    for (let i = 0; i < n; i++) {
      const a = (2 * Math.PI * i) / n;
      push(c.center[0] + c.radius * Math.cos(a), c.center[1] + c.radius * Math.sin(a), Side.OBSTACLE, k);
    }
  });
  const numBoundary = xs.length;
  // Poisson-disk fill
  const hashCell = Math.max(o.hMin, o.hMax / 3);
  const hash = new PointHash(hashCell);
  const hs: number[] = [];
  for (let i = 0; i < numBoundary; i++) {
    hash.add(i, xs[i], ys[i]);
    hs.push(h(xs[i], ys[i]));
  }
  const inside = (x: number, y: number, hx: number): boolean => {
    const m = 0.5 * ALPHA * hx;
    if (x < m || x > L - m || y < m || y > H - m) return false;
    return obstacleDistance(obstacles, x, y) > m;
  };
  const active: number[] = [];
  for (let i = 0; i < numBoundary; i++) active.push(i);
  const g = o.grading ?? DEFAULT_GRADING;
  while (active.length > 0) {
    const ai = rng.int(active.length);
    const p = active[ai];
    let placed = false;
    for (let t = 0; t < TRIES; t++) {
      const ang = 2 * Math.PI * rng.uniform();
      const rad = ALPHA * hs[p] * (1 + rng.uniform());
      const x = xs[p] + rad * Math.cos(ang);
      const y = ys[p] + rad * Math.sin(ang);
      const hx = h(x, y);
      if (!inside(x, y, hx)) continue;
      const reach = (ALPHA * hx) / (1 - (ALPHA * g) / 2) + 1e-12;
      const clash = hash.any(x, y, reach, (q) => {
        const d = Math.hypot(x - xs[q], y - ys[q]);
        return d < (ALPHA * (hx + hs[q])) / 2;
      });
      if (clash) continue;
      const id = xs.length;
      push(x, y, 0, -1);
      hs.push(hx);
      hash.add(id, x, y);
      active.push(id);
      placed = true;
      break;
    }
    if (!placed) {
      active[ai] = active[active.length - 1];
      active.pop();
    }
  }
  const n = xs.length;
  const coords = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    coords[2 * i] = xs[i];
    coords[2 * i + 1] = ys[i];
  }
  // smoothing of nodes at least 2h away from every boundary, then the final triangulation
  const sweeps = o.smoothing ?? 4;
  let tris = triangulate(coords, obstacles);
  for (let s = 0; s < sweeps; s++) {
    smooth(coords, tris, numBoundary, (x, y) => {
      const hx = h(x, y);
      return Math.min(x, L - x, y, H - y, obstacleDistance(obstacles, x, y)) > 2 * hx;
    });
    tris = triangulate(coords, obstacles);
  }
  // interior nodes in Morton (Z-curve) order: neighbours in the mesh are near in memory,
  // which keeps sparse mat-vecs cache-friendly on large meshes
  mortonOrder(coords, numBoundary, L, H);
  tris = triangulate(coords, obstacles);
  const sideArr = Int32Array.from(sides);
  const obstacleId = Int32Array.from(obst);
  const nodeTypes = new Int32Array(n);
  for (let i = 0; i < n; i++) nodeTypes[i] = nodeTypeOf(sideArr[i]);
  const mesh: TriMesh = {
    numNodes: n,
    numTriangles: tris.length / 3,
    positions: coords,
    triangles: tris,
    nodeTypes,
    sides: sideArr,
    obstacleId,
    domain: { length: L, height: H, obstacles: obstacles.map((c) => ({ center: [c.center[0], c.center[1]] as const, radius: c.radius })) },
  };
  const v = validateMesh(mesh);
  if (!v.ok) throw new ValueError('channel mesh', 'a valid triangulation', v.problems.slice(0, 3).join('; '), 'try another seed or a smaller grading');
  return mesh;
}

/** Channel node type from boundary bits: walls win over inflow/outflow at corners. */
export function nodeTypeOf(side: number): number {
  if (side & Side.OBSTACLE) return NodeType.OBSTACLE;
  if (side & (Side.BOTTOM | Side.TOP)) return NodeType.WALL_BOUNDARY;
  if (side & Side.LEFT) return NodeType.INFLOW;
  if (side & Side.RIGHT) return NodeType.OUTFLOW;
  return NodeType.NORMAL;
}

/** Delaunay triangles of `coords` minus those whose centroid lies inside an obstacle. [T*3] */
function triangulate(coords: Float64Array, obstacles: readonly Circle[]): Int32Array {
  const d = new Delaunator(coords);
  const t = d.triangles;
  const keep: number[] = [];
  for (let k = 0; k < t.length; k += 3) {
    const a = t[k], b = t[k + 1], c = t[k + 2];
    const cx = (coords[2 * a] + coords[2 * b] + coords[2 * c]) / 3;
    const cy = (coords[2 * a + 1] + coords[2 * b + 1] + coords[2 * c + 1]) / 3;
    if (obstacleDistance(obstacles, cx, cy) < 0) continue;
    // delaunator returns clockwise triangles in y-up coordinates? normalise to CCW
    const area = (coords[2 * b] - coords[2 * a]) * (coords[2 * c + 1] - coords[2 * a + 1]) - (coords[2 * c] - coords[2 * a]) * (coords[2 * b + 1] - coords[2 * a + 1]);
    if (area > 0) keep.push(a, b, c);
    else keep.push(a, c, b);
  }
  return Int32Array.from(keep);
}

/** One Laplacian sweep: movable nodes go halfway to the mean of their neighbours. */
function smooth(coords: Float64Array, tris: Int32Array, firstMovable: number, movable: (x: number, y: number) => boolean): void {
  const n = coords.length / 2;
  const sx = new Float64Array(n), sy = new Float64Array(n), cnt = new Float64Array(n);
  for (let k = 0; k < tris.length; k += 3) {
    for (let e = 0; e < 3; e++) {
      const i = tris[k + e], j = tris[k + ((e + 1) % 3)];
      sx[i] += coords[2 * j];
      sy[i] += coords[2 * j + 1];
      cnt[i]++;
      sx[j] += coords[2 * i];
      sy[j] += coords[2 * i + 1];
      cnt[j]++;
    }
  }
  for (let i = firstMovable; i < n; i++) {
    if (cnt[i] === 0 || !movable(coords[2 * i], coords[2 * i + 1])) continue;
    coords[2 * i] = 0.5 * coords[2 * i] + (0.5 * sx[i]) / cnt[i];
    coords[2 * i + 1] = 0.5 * coords[2 * i + 1] + (0.5 * sy[i]) / cnt[i];
  }
}

/** Spreads the low 16 bits of v to the even bit positions. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** Reorders nodes [first, n) of `coords` in place by the Morton code of their position. */
function mortonOrder(coords: Float64Array, first: number, L: number, H: number): void {
  const n = coords.length / 2, m = n - first;
  const scale = 65535 / Math.max(L, H);
  // [m] (code, index) pairs sorted by code
  const code = new Float64Array(m);
  const idx = new Int32Array(m).map((_, k) => first + k);
  for (let k = 0; k < m; k++) {
    const i = first + k;
    code[k] = spread16(Math.floor(coords[2 * i] * scale)) + 2 * spread16(Math.floor(coords[2 * i + 1] * scale));
  }
  const order = Array.from({ length: m }, (_, k) => k).sort((a, b) => code[a] - code[b]);
  const copy = coords.slice(2 * first);
  for (let k = 0; k < m; k++) {
    const src = idx[order[k]] - first;
    coords[2 * (first + k)] = copy[2 * src];
    coords[2 * (first + k) + 1] = copy[2 * src + 1];
  }
}
