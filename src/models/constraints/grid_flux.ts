/**
 * Mass-conserving flux head on a latitude-longitude grid (finite-volume, C-grid faces).
 *
 * A grid model (e.g. the GraphCast-style decoder) predicts, per cell, two extra output channels
 * z = (z_E, z_N): the mass flux density through the cell's **east** face and through its
 * **north** face. Each face is owned by exactly one cell (the cell west of it, resp. south of
 * it), so every face carries one value that is subtracted from one cell and added to its
 * neighbour: the fluxes are antisymmetric by construction. The height increment of cell c is
 * the area-weighted divergence
 *
 *   A_c Δh_c = κ ( Σ_{f: into c} z_f ℓ_f − Σ_{f: out of c} z_f ℓ_f )
 *
 * with ℓ_f the face length and A_c the cell area on the unit sphere, and κ a fixed scale.
 * Summed over the sphere, Σ_c A_c Δh_c = 0 for *any* z: the area-weighted total mass is
 * conserved exactly (up to floating-point rounding; the host Float64 version to ~1e-16).
 *
 * ```
 *   lat ↑   ┌──────┬──────┐  cell (i, j) owns its east face (i, j)|(i, j+1) (periodic in j)
 *           │ i+1,j│      │  and its north face (i, j)/(i+1, j) (none on the top row).
 *           ├──z_N─┼──────┤  ℓ_east  = upper_i − lower_i        (radians of latitude)
 *           │ i,j z_E i,j+1│  ℓ_north = cos(upper_i) Δλ
 *           └──────┴──────┘  A_i = (sin upper_i − sin lower_i) Δλ
 *                       lon →
 * ```
 * Cell latitude bounds are the row latitude ± Δ/2 clipped to ±90° (so pole rows, when the
 * grid includes them, are polar wedges and the cells tile the sphere exactly: Σ A = 4π).
 *
 * Shapes: z `[Ng, 2]` (row-major grid index iLat·nLon + iLon); result Δh `[Ng, 1]`.
 * Not supported: grids that are not global, reduced (Gaussian) grids.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError, ValueError } from '../../util/errors.js';
import { gatherRows, segmentSum } from '../segment.js';

/** The grid description needed (a subset of `LatLonGrid` from src/geometry/sphere). */
export interface LatLonGridLike {
  readonly nLat: number;
  readonly nLon: number;
  /** [nLat] degrees, ascending, equally spaced by `spec.resolutionDeg`. */
  readonly latDeg: ArrayLike<number>;
  readonly spec: { readonly resolutionDeg: number };
}

/** The faces and cell areas of a global lat-lon grid (unit sphere). */
export interface LatLonFaces {
  readonly numCells: number;
  /** [Ng] cell areas (steradians); they sum to 4π. */
  readonly areas: Float64Array;
  /** [Nf] the cell that owns face f (west or south of it). */
  readonly owner: Int32Array;
  /** [Nf] the cell across face f (east or north). */
  readonly neighbour: Int32Array;
  /** [Nf] 0 = east face (z_E), 1 = north face (z_N). */
  readonly channel: Int32Array;
  /** [Nf] face length (radians on the unit sphere). */
  readonly length: Float64Array;
}

/** Builds the C-grid faces of a global lat-lon grid (see the module doc). */
export function latLonFaces(grid: LatLonGridLike): LatLonFaces {
  const { nLat, nLon } = grid;
  const d = grid.spec.resolutionDeg;
  if (!(nLat >= 2 && nLon >= 3) || grid.latDeg.length !== nLat) {
    throw new ShapeError('grid', 'a global grid with nLat ≥ 2, nLon ≥ 3 and latDeg of length nLat', `nLat ${nLat}, nLon ${nLon}, latDeg length ${grid.latDeg.length}`);
  }
  if (Math.abs(nLon * d - 360) > 1e-6) throw new ValueError('grid.nLon', `360 / resolutionDeg = ${360 / d}`, String(nLon), 'Only global grids are supported');
  const rad = Math.PI / 180;
  const dLon = (2 * Math.PI) / nLon;
  const lower = new Float64Array(nLat), upper = new Float64Array(nLat);
  for (let i = 0; i < nLat; i++) {
    lower[i] = Math.max(-90, grid.latDeg[i] - d / 2) * rad;
    upper[i] = Math.min(90, grid.latDeg[i] + d / 2) * rad;
  }
  const Ng = nLat * nLon;
  const areas = new Float64Array(Ng);
  for (let i = 0; i < nLat; i++) {
    const a = (Math.sin(upper[i]) - Math.sin(lower[i])) * dLon;
    for (let j = 0; j < nLon; j++) areas[i * nLon + j] = a;
  }
  const Nf = Ng + (nLat - 1) * nLon;
  const owner = new Int32Array(Nf), neighbour = new Int32Array(Nf), channel = new Int32Array(Nf);
  const length = new Float64Array(Nf);
  let f = 0;
  for (let i = 0; i < nLat; i++) {
    for (let j = 0; j < nLon; j++) {
      const c = i * nLon + j;
      // East face: (i, j) | (i, j+1 mod nLon).
      owner[f] = c;
      neighbour[f] = i * nLon + ((j + 1) % nLon);
      channel[f] = 0;
      length[f] = upper[i] - lower[i];
      f++;
      if (i + 1 < nLat) {
        // North face: (i, j) / (i+1, j) at latitude upper_i.
        owner[f] = c;
        neighbour[f] = c + nLon;
        channel[f] = 1;
        length[f] = Math.cos(upper[i]) * dLon;
        f++;
      }
    }
  }
  return { numCells: Ng, areas, owner, neighbour, channel, length };
}

/**
 * Host version in Float64: Δh `[Ng]` from z `[Ng·2]` (row-major, channels east, north).
 * Σ_c A_c Δh_c is zero to ~1e-16 relative (each face term is added once and subtracted once).
 */
export function gridFluxDivergenceHost(faces: LatLonFaces, z: ArrayLike<number>, scale = 1): Float64Array {
  const Ng = faces.numCells;
  if (z.length !== 2 * Ng) throw new ShapeError('z', `length ${2 * Ng} ([Ng, 2])`, `length ${z.length}`);
  const net = new Float64Array(Ng);
  for (let f = 0; f < faces.owner.length; f++) {
    const flux = z[2 * faces.owner[f] + faces.channel[f]] * faces.length[f];
    net[faces.owner[f]] -= flux;
    net[faces.neighbour[f]] += flux;
  }
  for (let c = 0; c < Ng; c++) net[c] = (scale * net[c]) / faces.areas[c];
  return net;
}

/** The differentiable head: `z [Ng, 2] → Δh [Ng, 1]`, plus its static tensors to dispose. */
export interface GridFluxHead {
  (z: tf.Tensor2D, scale?: number): tf.Tensor2D;
  readonly faces: LatLonFaces;
  dispose(): void;
}

/**
 * Builds the tensor version of the head (gradients flow to z through gather/segment-sum).
 *
 * ```ts
 * const head = gridFluxHead(latLonFaces(grid));
 * const dh = head(z, kappa);   // [Ng, 1]; Σ A·dh = 0 up to float32 rounding
 * ```
 */
export function gridFluxHead(faces: LatLonFaces): GridFluxHead {
  const Ng = faces.numCells;
  const Nf = faces.owner.length;
  // [Nf] index into z flattened to [2·Ng, 1]
  const pick = tf.tensor1d(Int32Array.from(faces.owner, (c, f) => 2 * c + faces.channel[f]), 'int32');
  const owner = tf.tensor1d(faces.owner, 'int32');
  const neighbour = tf.tensor1d(faces.neighbour, 'int32');
  const len = tf.tensor2d(Float32Array.from(faces.length), [Nf, 1]);
  const invArea = tf.tensor2d(Float32Array.from(faces.areas, (a) => 1 / a), [Ng, 1]);
  const head = ((z: tf.Tensor2D, scale = 1): tf.Tensor2D => {
    if (z.rank !== 2 || z.shape[0] !== Ng || z.shape[1] !== 2) throw new ShapeError('z', `[${Ng}, 2]`, `[${z.shape.join(', ')}]`);
    return tf.tidy(() => {
      // [Nf, 1] face fluxes z_f ℓ_f (positive from owner to neighbour)
      const flux = tf.mul(gatherRows(tf.reshape(z, [2 * Ng, 1]) as tf.Tensor2D, pick), len) as tf.Tensor2D;
      // [Ng, 1] inflow − outflow
      const net = tf.sub(segmentSum(flux, neighbour, Ng), segmentSum(flux, owner, Ng));
      return tf.mul(net, tf.mul(invArea, scale)) as tf.Tensor2D;
    });
  }) as GridFluxHead;
  return Object.assign(head, { faces, dispose: () => tf.dispose([pick, owner, neighbour, len, invArea]) });
}
