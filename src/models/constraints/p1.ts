/**
 * P1 (piecewise-linear) finite-element operators on a 2D triangle mesh, the minimum the
 * constraint layers need: element areas and shape-function gradients, the lumped mass (dual
 * cell area) of each node, and the weak divergence `D` with its transpose.
 *
 * With hat functions φ_i and a nodal velocity field u_h = Σ_j u_j φ_j:
 *
 *   (D u)_i   = ∫ φ_i ∇·u_h dx = Σ_{T ∋ i} (|T|/3) div_T(u),   div_T(u) = Σ_{a ∈ T} u_a · ∇φ_a|_T
 *   (Dᵀ p)_j  = Σ_{T ∋ j} ∇φ_j|_T · (|T|/3) Σ_{i ∈ T} p_i          (a vector per node)
 *   M_i       = Σ_{T ∋ i} |T|/3                                    (lumped mass = dual area)
 *
 * Σ_i (D u)_i = ∫ ∇·u_h = ∮ u_h·n: the weak divergence sums to the net boundary flux.
 * Geometry is Float64 (CONTRIBUTING.md). Arrays are flat: positions `[x0, y0, x1, y1, …]`,
 * triangles `[a0, b0, c0, a1, …]`, vectors per node `[u0x, u0y, u1x, …]`.
 *
 * Does not support: curved elements, 3D surfaces (the sphere uses dual-cell areas instead,
 * see flux.ts), quadrature beyond the lumped mass.
 */
import { ShapeError, ValueError, describe } from '../../util/errors.js';

/** Precomputed P1 geometry of a triangle mesh. */
export interface P1Operators {
  readonly numNodes: number;
  /** [T*3] vertex indices of each triangle (counter-clockwise or not: areas are absolute). */
  readonly triangles: Int32Array;
  /** [T] triangle areas, in length². */
  readonly area: Float64Array;
  /** [T*6] ∇φ_a on each triangle: (∂x φ_0, ∂y φ_0, ∂x φ_1, ∂y φ_1, ∂x φ_2, ∂y φ_2), in 1/length. */
  readonly gradPhi: Float64Array;
  /** [N] lumped mass (dual cell area) of each node, in length². */
  readonly lumpedMass: Float64Array;
}

/**
 * Builds the P1 operators of a mesh.
 * @param positions `[N*2]` node coordinates, in length units.
 * @param triangles `[T*3]` vertex indices; degenerate (zero-area) triangles are an error.
 */
export function p1Operators(positions: ArrayLike<number>, triangles: Int32Array): P1Operators {
  if (positions.length % 2 !== 0) throw new ShapeError('positions', 'a flat [N*2] array', `length ${positions.length}`);
  if (!(triangles instanceof Int32Array) || triangles.length % 3 !== 0) {
    throw new ShapeError('triangles', 'an Int32Array of length T*3', describe(triangles));
  }
  const N = positions.length / 2;
  const T = triangles.length / 3;
  const area = new Float64Array(T);
  const gradPhi = new Float64Array(T * 6);
  const lumpedMass = new Float64Array(N);
  for (let t = 0; t < T; t++) {
    const a = triangles[3 * t], b = triangles[3 * t + 1], c = triangles[3 * t + 2];
    for (const v of [a, b, c]) if (!(v >= 0 && v < N)) throw new ValueError(`triangles[${3 * t}..]`, `indices in [0, ${N})`, String(v));
    const xa = positions[2 * a], ya = positions[2 * a + 1];
    const xb = positions[2 * b], yb = positions[2 * b + 1];
    const xc = positions[2 * c], yc = positions[2 * c + 1];
    // Signed twice-area.
    const det = (xb - xa) * (yc - ya) - (xc - xa) * (yb - ya);
    if (!(Math.abs(det) > 0)) throw new ValueError(`triangle ${t}`, 'a non-degenerate triangle', `area ${det / 2}`);
    area[t] = Math.abs(det) / 2;
    // ∇φ_a = perp(x_c − x_b) / det, cyclically.
    gradPhi[6 * t] = (yb - yc) / det;
    gradPhi[6 * t + 1] = (xc - xb) / det;
    gradPhi[6 * t + 2] = (yc - ya) / det;
    gradPhi[6 * t + 3] = (xa - xc) / det;
    gradPhi[6 * t + 4] = (ya - yb) / det;
    gradPhi[6 * t + 5] = (xb - xa) / det;
    const m = area[t] / 3;
    lumpedMass[a] += m;
    lumpedMass[b] += m;
    lumpedMass[c] += m;
  }
  return Object.freeze({ numNodes: N, triangles, area, gradPhi, lumpedMass });
}

/** Per-triangle divergence div_T(u) `[T]` of a nodal velocity `u [N*2]`, in velocity/length. */
export function triangleDivergence(ops: P1Operators, u: ArrayLike<number>, out = new Float64Array(ops.area.length)): Float64Array {
  const { triangles, gradPhi } = ops;
  for (let t = 0; t < out.length; t++) {
    let d = 0;
    for (let k = 0; k < 3; k++) {
      const v = triangles[3 * t + k];
      d += u[2 * v] * gradPhi[6 * t + 2 * k] + u[2 * v + 1] * gradPhi[6 * t + 2 * k + 1];
    }
    out[t] = d;
  }
  return out;
}

/** Weak divergence `(D u) [N]` of `u [N*2]` (units: velocity·length). */
export function weakDivergence(ops: P1Operators, u: ArrayLike<number>, out = new Float64Array(ops.numNodes)): Float64Array {
  out.fill(0);
  const { triangles, gradPhi, area } = ops;
  for (let t = 0; t < area.length; t++) {
    let d = 0;
    for (let k = 0; k < 3; k++) {
      const v = triangles[3 * t + k];
      d += u[2 * v] * gradPhi[6 * t + 2 * k] + u[2 * v + 1] * gradPhi[6 * t + 2 * k + 1];
    }
    const m = (area[t] / 3) * d;
    out[triangles[3 * t]] += m;
    out[triangles[3 * t + 1]] += m;
    out[triangles[3 * t + 2]] += m;
  }
  return out;
}

/** Transpose of the weak divergence: `(Dᵀ p) [N*2]` from `p [N]`. */
export function weakDivergenceT(ops: P1Operators, p: ArrayLike<number>, out = new Float64Array(2 * ops.numNodes)): Float64Array {
  out.fill(0);
  const { triangles, gradPhi, area } = ops;
  for (let t = 0; t < area.length; t++) {
    const a = triangles[3 * t], b = triangles[3 * t + 1], c = triangles[3 * t + 2];
    const s = (area[t] / 3) * (p[a] + p[b] + p[c]);
    for (let k = 0; k < 3; k++) {
      const v = triangles[3 * t + k];
      out[2 * v] += s * gradPhi[6 * t + 2 * k];
      out[2 * v + 1] += s * gradPhi[6 * t + 2 * k + 1];
    }
  }
  return out;
}

/**
 * Area-weighted RMS of the nodal divergence `(D u)_i / M_i` over the nodes where `mask` is 1
 * (all nodes when omitted), in velocity/length. The standard fluid conservation metric.
 */
export function rmsDivergence(ops: P1Operators, u: ArrayLike<number>, mask?: Uint8Array): number {
  const d = weakDivergence(ops, u);
  let s = 0, w = 0;
  for (let i = 0; i < d.length; i++) {
    if (mask && !mask[i]) continue;
    const m = ops.lumpedMass[i];
    const di = d[i] / m;
    s += m * di * di;
    w += m;
  }
  return w > 0 ? Math.sqrt(s / w) : 0;
}
