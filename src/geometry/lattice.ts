/**
 * Crystal lattices for initial states.
 *
 * ```
 *   fcc: 4 atoms per cubic cell of side a, basis (0,0,0) (½,½,0) (½,0,½) (0,½,½)·a,
 *        number density ρ = 4/a³  ⇒  a = (4/ρ)^(1/3);  nearest neighbours at a/√2 (12 of them),
 *        then a (6), a√(3/2) (24), a√2 (12), ...
 * ```
 * The LAMMPS `lattice fcc 0.8442` command uses the same convention (reduced density ρ*).
 */
import { ValueError } from '../util/errors.js';

export interface Lattice {
  /** [N * 3] positions inside [0, L). */
  readonly positions: Float64Array;
  /** [3] periodic box lengths. */
  readonly box: Float64Array;
  /** Cubic lattice constant a. */
  readonly latticeConstant: number;
}

/**
 * Face-centred cubic lattice of `cells = [nx, ny, nz]` cubic cells at number density
 * `density` (atoms per unit volume). N = 4 nx ny nz. Atom order: cell by cell (x slowest),
 * basis within a cell.
 */
export function fcc(density: number, cells: readonly [number, number, number] | readonly number[]): Lattice {
  if (!(density > 0) || !Number.isFinite(density)) throw new ValueError('density', 'a finite number > 0', String(density));
  if (cells.length !== 3 || cells.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new ValueError('cells', 'three positive integers [nx, ny, nz]', JSON.stringify(cells));
  }
  const a = Math.cbrt(4 / density);
  const [nx, ny, nz] = cells;
  const basis = [0, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5];
  // [N * 3]
  const positions = new Float64Array(4 * nx * ny * nz * 3);
  let p = 0;
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) for (let k = 0; k < nz; k++) {
    for (let b = 0; b < 4; b++) {
      positions[p++] = (i + basis[3 * b]) * a;
      positions[p++] = (j + basis[3 * b + 1]) * a;
      positions[p++] = (k + basis[3 * b + 2]) * a;
    }
  }
  return { positions, box: Float64Array.of(nx * a, ny * a, nz * a), latticeConstant: a };
}

/** Simple cubic lattice of `cells` at `density` (one atom per cell). */
export function simpleCubic(density: number, cells: readonly number[]): Lattice {
  if (!(density > 0)) throw new ValueError('density', 'a finite number > 0', String(density));
  const a = Math.cbrt(1 / density);
  const [nx, ny, nz] = cells;
  const positions = new Float64Array(nx * ny * nz * 3);
  let p = 0;
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) for (let k = 0; k < nz; k++) {
    positions[p++] = i * a;
    positions[p++] = j * a;
    positions[p++] = k * a;
  }
  return { positions, box: Float64Array.of(nx * a, ny * a, nz * a), latticeConstant: a };
}
