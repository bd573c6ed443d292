/**
 * Shared fixtures of the constraint-layer tests: random MLPs with explicit weights (so tests
 * can differentiate with respect to them), random symmetric graphs and random Delaunay meshes.
 */
import Delaunator from 'delaunator';
import { tf } from '../../../src/engine/tf.js';
import { Rng } from '../../../src/engine/rng.js';

/** Weights of an MLP: [W0, b0, W1, b1, …]. */
export type MlpWeights = tf.Tensor[];

/** Random MLP weights (Glorot-scaled normals, nonzero biases). Caller disposes. */
export function randomMlp(rng: Rng, sizes: number[]): MlpWeights {
  const w: tf.Tensor[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fin = sizes[l], fout = sizes[l + 1];
    w.push(tf.tensor2d(rng.normalArray(fin * fout, Math.sqrt(2 / (fin + fout))) as Float32Array, [fin, fout]));
    w.push(tf.tensor1d(rng.normalArray(fout, 0.3) as Float32Array));
  }
  return w;
}

/** Applies an MLP (tanh or softplus between layers, linear last layer) row-wise. */
export function mlpApply(weights: readonly tf.Tensor[], x: tf.Tensor2D, act: 'tanh' | 'softplus' = 'tanh'): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  for (let l = 0; l < weights.length; l += 2) {
    h = tf.add(tf.matMul(h, weights[l] as tf.Tensor2D), weights[l + 1]) as tf.Tensor2D;
    if (l + 2 < weights.length) h = act === 'tanh' ? tf.tanh(h) : tf.softplus(h);
  }
  return h;
}

/** A random symmetric edge set on n nodes (each unordered pair with probability p, both directions, shuffled). */
export function randomSymmetricGraph(rng: Rng, n: number, p = 0.5): { senders: Int32Array; receivers: Int32Array } {
  const s: number[] = [], r: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rng.uniform() < p) {
        s.push(i, j);
        r.push(j, i);
      }
    }
  }
  if (s.length === 0 && n >= 2) {
    s.push(0, 1);
    r.push(1, 0);
  }
  const perm = rng.permutation(s.length);
  return { senders: Int32Array.from(perm, (k) => s[k]), receivers: Int32Array.from(perm, (k) => r[k]) };
}

/**
 * Random points in the unit square triangulated by Delaunay: the 4 corners, `perSide` random
 * points on each side and `n` interior points. `boundary` marks nodes on the square's sides.
 */
export function randomMesh(rng: Rng, n: number, perSide = 3): { positions: Float64Array; triangles: Int32Array; boundary: Uint8Array } {
  const pts = [0, 0, 1, 0, 1, 1, 0, 1];
  for (let k = 0; k < perSide; k++) {
    pts.push(0.05 + 0.9 * rng.uniform(), 0, 0.05 + 0.9 * rng.uniform(), 1, 0, 0.05 + 0.9 * rng.uniform(), 1, 0.05 + 0.9 * rng.uniform());
  }
  for (let i = 0; i < n; i++) pts.push(0.04 + 0.92 * rng.uniform(), 0.04 + 0.92 * rng.uniform());
  const positions = Float64Array.from(pts);
  const d = new Delaunator(positions);
  const triangles = Int32Array.from(d.triangles);
  const N = positions.length / 2;
  const boundary = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const x = positions[2 * i], y = positions[2 * i + 1];
    if (x === 0 || x === 1 || y === 0 || y === 1) boundary[i] = 1;
  }
  return { positions, triangles, boundary };
}

/** Symmetric edge set (both directions) of a triangle list. */
export function meshEdges(triangles: Int32Array): { senders: Int32Array; receivers: Int32Array } {
  const seen = new Set<string>();
  const s: number[] = [], r: number[] = [];
  for (let t = 0; t < triangles.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = triangles[t + k], b = triangles[t + ((k + 1) % 3)];
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      if (seen.has(key)) continue;
      seen.add(key);
      s.push(a, b);
      r.push(b, a);
    }
  }
  return { senders: Int32Array.from(s), receivers: Int32Array.from(r) };
}

/** Icosahedron (12 vertices, 20 faces) subdivided `level` times and projected to the unit sphere. */
export function icosphere(level: number): { positions: Float64Array; triangles: Int32Array } {
  const t = (1 + Math.sqrt(5)) / 2;
  const v: number[][] = [
    [-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
    [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1],
  ].map((p) => { const n = Math.hypot(p[0], p[1], p[2]); return p.map((c) => c / n); });
  let f: number[][] = [
    [0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
    [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1],
  ];
  for (let l = 0; l < level; l++) {
    const mid = new Map<string, number>();
    const m = (a: number, b: number): number => {
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      let k = mid.get(key);
      if (k === undefined) {
        const p = [0, 1, 2].map((c) => (v[a][c] + v[b][c]) / 2);
        const n = Math.hypot(p[0], p[1], p[2]);
        v.push(p.map((c) => c / n));
        k = v.length - 1;
        mid.set(key, k);
      }
      return k;
    };
    const nf: number[][] = [];
    for (const [a, b, c] of f) {
      const ab = m(a, b), bc = m(b, c), ca = m(c, a);
      nf.push([a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]);
    }
    f = nf;
  }
  return { positions: Float64Array.from(v.flat()), triangles: Int32Array.from(f.flat()) };
}

/** Sum of the rows of a flat [N*D] array, in Float64. */
export function columnSums(a: ArrayLike<number>, d: number): number[] {
  const s = new Array<number>(d).fill(0);
  for (let i = 0; i < a.length; i++) s[i % d] += a[i];
  return s;
}

/** Sum of absolute values. */
export function absSum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
}
