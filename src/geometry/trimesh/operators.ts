/**
 * Linear (P1) finite-element operators on a triangle mesh.
 *
 * For a triangle T with nodes (a, b, c) the hat functions φ have constant gradients
 * `∇φ_a = (y_b − y_c, x_c − x_b) / (2|T|)` (cyclic). From them:
 *
 * - lumped mass          m_i = Σ_{T∋i} |T| / 3                       (area of node i's dual cell)
 * - stiffness            K_ij = Σ_T |T| ∇φ_i·∇φ_j                   (−Δ, natural BCs)
 * - nodal gradient       (∇u)_i = (1/m_i) Σ_{T∋i} (|T|/3) (∇u_h)_T   (= M_L⁻¹ ∫ φ_i ∇u_h)
 * - nodal divergence     (∇·v)_i = (1/m_i) Σ_{T∋i} (|T|/3) (∇·v_h)_T
 * - nodal Laplacian      (Δu)_i = −(1/m_i) (K u)_i                   (weak form; converges in
 *                        norm as the solution of a Poisson problem, not pointwise on
 *                        irregular meshes, and ignores boundary flux terms at boundary nodes)
 *
 * All arrays are Float64; vector fields are interleaved `[N*2]` (x0, y0, x1, y1, …).
 */
import { csrFind, csrPattern, type Csr } from './sparse.js';
import { ValueError } from '../../util/errors.js';
import type { TriMesh } from './types.js';

export interface P1Geometry {
  readonly numNodes: number;
  readonly triangles: Int32Array;
  /** [T] triangle areas. */
  readonly area: Float64Array;
  /** [T*3] x-component of ∇φ of each of the triangle's three nodes. */
  readonly gx: Float64Array;
  /** [T*3] y-component of ∇φ. */
  readonly gy: Float64Array;
  /** [N] lumped mass (dual-cell area). */
  readonly lumpedMass: Float64Array;
}

/** Areas, hat-function gradients and lumped masses; throws on degenerate triangles. */
export function p1Geometry(m: TriMesh): P1Geometry {
  const t = m.triangles, p = m.positions;
  const nt = t.length / 3;
  const area = new Float64Array(nt), gx = new Float64Array(3 * nt), gy = new Float64Array(3 * nt);
  const mass = new Float64Array(m.numNodes);
  for (let k = 0; k < nt; k++) {
    const a = t[3 * k], b = t[3 * k + 1], c = t[3 * k + 2];
    const xa = p[2 * a], ya = p[2 * a + 1], xb = p[2 * b], yb = p[2 * b + 1], xc = p[2 * c], yc = p[2 * c + 1];
    const a2 = (xb - xa) * (yc - ya) - (xc - xa) * (yb - ya);
    if (!(a2 > 0)) throw new ValueError(`triangle ${k}`, 'counter-clockwise with positive area', `2·area ${a2}`);
    area[k] = a2 / 2;
    gx[3 * k] = (yb - yc) / a2;
    gy[3 * k] = (xc - xb) / a2;
    gx[3 * k + 1] = (yc - ya) / a2;
    gy[3 * k + 1] = (xa - xc) / a2;
    gx[3 * k + 2] = (ya - yb) / a2;
    gy[3 * k + 2] = (xb - xa) / a2;
    for (let e = 0; e < 3; e++) mass[t[3 * k + e]] += area[k] / 3;
  }
  return { numNodes: m.numNodes, triangles: t, area, gx, gy, lumpedMass: mass };
}

/** CSR pattern of the mesh (node i couples with itself and its edge neighbours). */
export function meshPattern(g: P1Geometry): Csr {
  const t = g.triangles;
  const rows = new Int32Array(t.length * 3), cols = new Int32Array(t.length * 3);
  let q = 0;
  for (let k = 0; k < t.length; k += 3) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    rows[q] = t[k + i];
    cols[q++] = t[k + j];
  }
  return csrPattern(g.numNodes, rows, cols);
}

/** [T*9] position in `pattern.values` of local entry (i, j) of each triangle. */
export function trianglePositions(g: P1Geometry, pattern: Csr): Int32Array {
  const t = g.triangles;
  const pos = new Int32Array(t.length * 3);
  for (let k = 0; k < t.length / 3; k++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    pos[9 * k + 3 * i + j] = csrFind(pattern, t[3 * k + i], t[3 * k + j]);
  }
  return pos;
}

/** Stiffness matrix K (−Δ with natural boundary conditions), symmetric positive semidefinite. */
export function stiffnessMatrix(g: P1Geometry): Csr {
  const K = meshPattern(g);
  const pos = trianglePositions(g, K);
  for (let k = 0; k < g.area.length; k++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    K.values[pos[9 * k + 3 * i + j]] += g.area[k] * (g.gx[3 * k + i] * g.gx[3 * k + j] + g.gy[3 * k + i] * g.gy[3 * k + j]);
  }
  return K;
}

/** Nodal gradient of scalar u [N] → out [N*2]. */
export function gradient(g: P1Geometry, u: Float64Array, out = new Float64Array(2 * g.numNodes)): Float64Array {
  const t = g.triangles;
  out.fill(0);
  for (let k = 0; k < g.area.length; k++) {
    const a = t[3 * k], b = t[3 * k + 1], c = t[3 * k + 2];
    const dx = g.gx[3 * k] * u[a] + g.gx[3 * k + 1] * u[b] + g.gx[3 * k + 2] * u[c];
    const dy = g.gy[3 * k] * u[a] + g.gy[3 * k + 1] * u[b] + g.gy[3 * k + 2] * u[c];
    const w = g.area[k] / 3;
    for (const i of [a, b, c]) {
      out[2 * i] += w * dx;
      out[2 * i + 1] += w * dy;
    }
  }
  for (let i = 0; i < g.numNodes; i++) {
    out[2 * i] /= g.lumpedMass[i];
    out[2 * i + 1] /= g.lumpedMass[i];
  }
  return out;
}

/** Integrated divergence b_i = ∫ φ_i ∇·v_h of vector field v [N*2] → out [N]. */
export function divergenceIntegrated(g: P1Geometry, v: Float64Array, out = new Float64Array(g.numNodes)): Float64Array {
  const t = g.triangles;
  out.fill(0);
  for (let k = 0; k < g.area.length; k++) {
    const a = t[3 * k], b = t[3 * k + 1], c = t[3 * k + 2];
    const d =
      g.gx[3 * k] * v[2 * a] + g.gx[3 * k + 1] * v[2 * b] + g.gx[3 * k + 2] * v[2 * c] +
      g.gy[3 * k] * v[2 * a + 1] + g.gy[3 * k + 1] * v[2 * b + 1] + g.gy[3 * k + 2] * v[2 * c + 1];
    const w = (g.area[k] / 3) * d;
    out[a] += w;
    out[b] += w;
    out[c] += w;
  }
  return out;
}

/** Nodal divergence of vector field v [N*2] → out [N]. */
export function divergence(g: P1Geometry, v: Float64Array, out = new Float64Array(g.numNodes)): Float64Array {
  divergenceIntegrated(g, v, out);
  for (let i = 0; i < g.numNodes; i++) out[i] /= g.lumpedMass[i];
  return out;
}

/** Nodal Laplacian −M_L⁻¹ K u of scalar u [N] → out [N] (see module doc for its limits). */
export function laplacian(g: P1Geometry, K: Csr, u: Float64Array, out = new Float64Array(g.numNodes)): Float64Array {
  for (let i = 0; i < g.numNodes; i++) {
    let s = 0;
    for (let k = K.rowPtr[i]; k < K.rowPtr[i + 1]; k++) s += K.values[k] * u[K.colIdx[k]];
    out[i] = -s / g.lumpedMass[i];
  }
  return out;
}
