/**
 * Cell-list Verlet neighbour lists with periodic boxes and a skin (after JAX-MD's
 * `partition.py`: `allocateNeighborList` then `updateNeighborList`, overflow is a flag in the state).
 *
 * ```
 *   allocateNeighborList(R, {cutoff, skin, box}) → list holding every pair with |r_ij| < cutoff + skin,
 *                                       with spare capacity (capacityMultiplier)
 *   updateNeighborList(list, R)       → rebuilds in place when some particle moved more than
 *                                       skin/2 since the last build (or when forced); returns
 *                                       true if it rebuilt. If a rebuild finds more pairs than
 *                                       the capacity, `list.overflow` is set and the list is
 *                                       incomplete: call assertNoOverflow(list) at the boundary
 *                                       (it throws a ValueError), then allocateNeighborList() again.
 * ```
 *
 * Storage is a *half* list (each unordered pair once) in CSR form: the partners of particle
 * `i` are `indices[offsets[i] .. offsets[i+1])`. This is what pair-force loops want (Newton's
 * third law). {@link neighborEdges} turns it into a both-direction radius graph
 * (`senders`/`receivers` Int32Array) for a `GraphsTuple`.
 *
 * Cells: side ≥ cutoff + skin; a pair can only be found in the same or one of the 13
 * "forward" neighbour cells (4 in 2D) — a precomputed half stencil. A periodic box with fewer
 * than 3 cells along an axis falls back to an O(N²) minimum-image search (same results).
 * Periodic boxes need cutoff + skin < L/2 on every axis (minimum image); free space builds its
 * grid from the bounding box at each rebuild. Positions may lie outside a periodic box: they
 * are wrapped for binning.
 *
 * Units: lengths in the positions' unit. Float64 throughout; no allocation in `update` for
 * periodic boxes.
 */
import { ShapeError, ValueError, describe } from '../util/errors.js';
import type { Positions } from './space.js';

/** Options of {@link allocateNeighborList}. Frozen plain data, JSON round-trippable. */
export interface NeighborListOptions {
  /** Interaction cutoff r_c (> 0). */
  readonly cutoff: number;
  /** Verlet skin (≥ 0): the list holds pairs within cutoff + skin. Default 0. */
  readonly skin?: number;
  /** Periodic box lengths `[Lx, Ly(, Lz)]`, or null/absent for free space. */
  readonly box?: readonly number[] | Float64Array | null;
  /** Spatial dimension when `box` is absent (2 or 3). Default 3. */
  readonly dim?: number;
  /** Spare capacity factor at allocation. Default 1.3. */
  readonly capacityMultiplier?: number;
}

export const DEFAULT_SKIN = 0;
export const DEFAULT_CAPACITY_MULTIPLIER = 1.3;

/** Neighbour list state. Buffers are updated in place by {@link updateNeighborList}. */
export interface NeighborList {
  readonly cutoff: number;
  readonly skin: number;
  readonly dim: number;
  readonly box: Float64Array | null;
  readonly numParticles: number;
  /** [N + 1] CSR offsets into `indices`. */
  readonly offsets: Int32Array;
  /** [capacity] partner indices (half list); the first `numPairs` are valid. */
  indices: Int32Array;
  /** Valid pairs stored (≤ capacity). */
  numPairs: number;
  /** Pairs found by the last build (> capacity when overflowed). */
  required: number;
  /** True when the last build found more pairs than the capacity: the list is incomplete. */
  overflow: boolean;
  /** [N * dim] positions at the last build (for the skin criterion). */
  readonly reference: Float64Array;
  /** Number of builds so far (including the first). */
  builds: number;
  /** Internal cell-grid buffers (reused across rebuilds). */
  readonly grid: CellGrid;
}

interface CellGrid {
  /** Cells per axis (3 entries; z = 1 in 2D); 0 entries mean brute force. */
  n: Int32Array;
  /** Lower corner of the grid (free space) per axis. */
  origin: Float64Array;
  /** Cell side per axis. */
  side: Float64Array;
  /** [numCells * stencilSize] forward neighbour cells (-1 = none). */
  stencil: Int32Array;
  /** [numCells * stencilSize * 3] periodic image shift added to a neighbour cell's coordinates. */
  shift: Float64Array;
  /** [N * 3] wrapped coordinates in cell order (z = 0 in 2D). */
  sorted: Float64Array;
  stencilSize: number;
  /** [N] cell of each particle. */
  cellOf: Int32Array;
  /** [numCells + 1] start of each cell in `cellAtoms`. */
  cellStart: Int32Array;
  /** [N] particles sorted by cell. */
  cellAtoms: Int32Array;
  /** [numCells] fill cursor of the counting sort. */
  cursor: Int32Array;
  bruteForce: boolean;
}

/** Builds a neighbour list for `positions` `[N * dim]` with spare capacity. */
export function allocateNeighborList(positions: Positions, options: NeighborListOptions): NeighborList {
  const { cutoff } = options;
  const skin = options.skin ?? DEFAULT_SKIN;
  const mult = options.capacityMultiplier ?? DEFAULT_CAPACITY_MULTIPLIER;
  if (!(cutoff > 0) || !Number.isFinite(cutoff)) throw new ValueError('cutoff', 'a finite number > 0', String(cutoff));
  if (!(skin >= 0) || !Number.isFinite(skin)) throw new ValueError('skin', 'a finite number >= 0', String(skin));
  if (!(mult >= 1)) throw new ValueError('capacityMultiplier', 'a number >= 1', String(mult));
  const box = options.box ? Float64Array.from(options.box) : null;
  const dim = box ? box.length : (options.dim ?? 3);
  if (dim !== 2 && dim !== 3) throw new ShapeError(box ? 'box' : 'dim', 'of dimension 2 or 3', String(dim));
  if (positions.length % dim !== 0) throw new ShapeError('positions', `a flat array of length N*${dim}`, describe(positions));
  const rList = cutoff + skin;
  if (box) {
    for (let k = 0; k < dim; k++) {
      if (!(box[k] > 2 * rList)) {
        throw new ValueError(`box[${k}]`, `longer than 2*(cutoff + skin) = ${2 * rList} (minimum image)`, String(box[k]), 'Use a larger box or a smaller cutoff/skin');
      }
    }
  }
  const N = positions.length / dim;
  const grid: CellGrid = {
    n: new Int32Array(3),
    origin: new Float64Array(3),
    side: new Float64Array(3),
    stencil: new Int32Array(0),
    shift: new Float64Array(0),
    sorted: new Float64Array(N * 3),
    stencilSize: 0,
    cellOf: new Int32Array(N),
    cellStart: new Int32Array(1),
    cellAtoms: new Int32Array(N),
    cursor: new Int32Array(1),
    bruteForce: false,
  };
  const nl: NeighborList = {
    cutoff,
    skin,
    dim,
    box,
    numParticles: N,
    offsets: new Int32Array(N + 1),
    indices: new Int32Array(Math.max(16, N * 8)),
    numPairs: 0,
    required: 0,
    overflow: false,
    reference: new Float64Array(N * dim),
    builds: 0,
    grid,
  };
  if (box) setupPeriodicGrid(nl);
  build(nl, positions);
  // Grow to the required size with spare room, then rebuild once.
  const cap = Math.max(16, Math.ceil(nl.required * mult));
  if (cap > nl.indices.length || nl.overflow) {
    nl.indices = new Int32Array(cap);
    build(nl, positions);
  } else if (nl.indices.length > 4 * cap) {
    nl.indices = nl.indices.slice(0, cap);
  }
  nl.builds = 1;
  return nl;
}

/**
 * True when some particle moved more than skin/2 (minimum image) since the last build, so
 * a pair may have entered the cutoff sphere unseen.
 */
export function needsRebuild(nl: NeighborList, positions: Positions): boolean {
  checkPositions(nl, positions);
  const lim = (nl.skin / 2) * (nl.skin / 2);
  const { dim, box, reference } = nl;
  const N = nl.numParticles;
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      let d = positions[i * dim + k] - reference[i * dim + k];
      if (box) d -= box[k] * Math.round(d / box[k]);
      s += d * d;
    }
    if (s > lim) return true;
  }
  return false;
}

/**
 * Rebuilds the list in place if {@link needsRebuild} (or `force`). Returns true if it
 * rebuilt. On overflow the flag is set and the list is incomplete (never throws here).
 */
export function updateNeighborList(nl: NeighborList, positions: Positions, force = false): boolean {
  if (!force && !needsRebuild(nl, positions)) return false;
  build(nl, positions);
  nl.builds++;
  return true;
}

/** Throws a ValueError if the list overflowed its capacity (call at the simulation boundary). */
export function assertNoOverflow(nl: NeighborList): void {
  if (nl.overflow) {
    throw new ValueError(
      'neighbor list',
      `within its capacity of ${nl.indices.length} pairs`,
      `${nl.required} pairs needed`,
      'The system compressed or clustered since allocation: allocateNeighborList() a new list (or raise capacityMultiplier)',
    );
  }
}

/**
 * Both-direction radius graph from the list: every ordered pair (i→j, j→i) with
 * |r_ij| < `cutoff` (default: the list's cutoff, so skin pairs are dropped), computed from
 * the current `positions` with minimum image. Shapes: senders, receivers `[E]` Int32Array;
 * edges come in pairs (2k: i→j, 2k+1: j→i).
 */
export function neighborEdges(nl: NeighborList, positions: Positions, cutoff = nl.cutoff): { senders: Int32Array; receivers: Int32Array } {
  assertNoOverflow(nl);
  checkPositions(nl, positions);
  if (cutoff > nl.cutoff + nl.skin) throw new ValueError('cutoff', `at most the list range ${nl.cutoff + nl.skin}`, String(cutoff));
  const { dim, box, offsets, indices } = nl;
  const rc2 = cutoff * cutoff;
  const N = nl.numParticles;
  const keep = new Int32Array(nl.numPairs * 2);
  let m = 0;
  for (let i = 0; i < N; i++) {
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const j = indices[p];
      let s = 0;
      for (let k = 0; k < dim; k++) {
        let d = positions[i * dim + k] - positions[j * dim + k];
        if (box) d -= box[k] * Math.round(d / box[k]);
        s += d * d;
      }
      if (s < rc2) {
        keep[m++] = i;
        keep[m++] = j;
      }
    }
  }
  // [E] both directions
  const senders = new Int32Array(m);
  const receivers = new Int32Array(m);
  for (let q = 0; q < m; q += 2) {
    senders[q] = keep[q];
    receivers[q] = keep[q + 1];
    senders[q + 1] = keep[q + 1];
    receivers[q + 1] = keep[q];
  }
  return { senders, receivers };
}

/** One-shot radius graph (both directions) with a cell list: all i≠j with |r_ij| < cutoff. */
export function radiusGraph(positions: Positions, options: { cutoff: number; box?: readonly number[] | Float64Array | null; dim?: number }): { senders: Int32Array; receivers: Int32Array } {
  const nl = allocateNeighborList(positions, { cutoff: options.cutoff, box: options.box, dim: options.dim, skin: 0 });
  return neighborEdges(nl, positions);
}

/**
 * Brute-force O(N²) reference: every ordered pair i≠j with minimum-image |r_ij| < cutoff,
 * sorted by (sender, receiver). For tests.
 */
export function bruteForceEdges(positions: Positions, options: { cutoff: number; box?: readonly number[] | Float64Array | null; dim?: number }): { senders: Int32Array; receivers: Int32Array } {
  const box = options.box ? Float64Array.from(options.box) : null;
  const dim = box ? box.length : (options.dim ?? 3);
  const N = positions.length / dim;
  const rc2 = options.cutoff * options.cutoff;
  const s: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      let d2 = 0;
      for (let k = 0; k < dim; k++) {
        let d = positions[i * dim + k] - positions[j * dim + k];
        if (box) d -= box[k] * Math.round(d / box[k]);
        d2 += d * d;
      }
      if (d2 < rc2) {
        s.push(i);
        r.push(j);
      }
    }
  }
  return { senders: Int32Array.from(s), receivers: Int32Array.from(r) };
}

/** Sorts an edge list by (sender, receiver); returns new arrays. For comparisons in tests. */
export function sortEdges(e: { senders: Int32Array; receivers: Int32Array }): { senders: Int32Array; receivers: Int32Array } {
  const idx = Array.from({ length: e.senders.length }, (_, k) => k);
  idx.sort((a, b) => e.senders[a] - e.senders[b] || e.receivers[a] - e.receivers[b]);
  return { senders: Int32Array.from(idx, (k) => e.senders[k]), receivers: Int32Array.from(idx, (k) => e.receivers[k]) };
}

// ---------------------------------------------------------------------------------------
// Building

function checkPositions(nl: NeighborList, positions: Positions): void {
  if (positions.length !== nl.numParticles * nl.dim) {
    throw new ShapeError('positions', `a flat array of length ${nl.numParticles * nl.dim} (${nl.numParticles} particles)`, describe(positions));
  }
}

/** Half stencil: offsets (dx, dy, dz) lexicographically > 0 (13 in 3D, 4 in 2D). */
function halfStencil(dim: number): number[][] {
  const out: number[][] = [];
  const zr = dim === 3 ? [-1, 0, 1] : [0];
  for (const dx of [-1, 0, 1]) for (const dy of [-1, 0, 1]) for (const dz of zr) {
    if (dx > 0 || (dx === 0 && (dy > 0 || (dy === 0 && dz > 0)))) out.push([dx, dy, dz]);
  }
  return out;
}

function setupPeriodicGrid(nl: NeighborList): void {
  const g = nl.grid;
  const box = nl.box!;
  const r = nl.cutoff + nl.skin;
  g.bruteForce = false;
  for (let k = 0; k < 3; k++) {
    if (k < nl.dim) {
      g.n[k] = Math.floor(box[k] / r);
      g.side[k] = box[k] / g.n[k];
      if (g.n[k] < 3) g.bruteForce = true;
    } else {
      g.n[k] = 1;
      g.side[k] = 1;
    }
    g.origin[k] = 0;
  }
  if (g.bruteForce) return;
  makeStencil(g, nl.dim, true, [box[0], box[1], nl.dim === 3 ? box[2] : 0]);
}

function setupFreeGrid(nl: NeighborList, positions: Positions): void {
  const g = nl.grid;
  const { dim } = nl;
  const N = nl.numParticles;
  const r = nl.cutoff + nl.skin;
  const lo = [0, 0, 0];
  const hi = [0, 0, 0];
  for (let k = 0; k < dim; k++) {
    lo[k] = Infinity;
    hi[k] = -Infinity;
  }
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < dim; k++) {
      const x = positions[i * dim + k];
      if (x < lo[k]) lo[k] = x;
      if (x > hi[k]) hi[k] = x;
    }
  }
  // Cell side ≥ r; grow it so the grid stays below ~max(8N, 64) cells.
  let side = r;
  const maxCells = Math.max(8 * N, 64);
  for (;;) {
    let cells = 1;
    for (let k = 0; k < dim; k++) cells *= Math.floor((N > 0 ? hi[k] - lo[k] : 0) / side) + 1;
    if (cells <= maxCells) break;
    side *= 1.5;
  }
  const old = g.n.slice();
  for (let k = 0; k < 3; k++) {
    if (k < dim && N > 0) {
      g.n[k] = Math.floor((hi[k] - lo[k]) / side) + 1;
      g.origin[k] = lo[k];
      g.side[k] = side;
    } else {
      g.n[k] = 1;
      g.origin[k] = 0;
      g.side[k] = side;
    }
  }
  g.bruteForce = false;
  if (old[0] !== g.n[0] || old[1] !== g.n[1] || old[2] !== g.n[2] || g.stencil.length === 0) makeStencil(g, dim, false);
}

function makeStencil(g: CellGrid, dim: number, wrap: boolean, boxL: ArrayLike<number> = [0, 0, 0]): void {
  const st = halfStencil(dim);
  const [nx, ny, nz] = g.n;
  const nc = nx * ny * nz;
  g.stencilSize = st.length;
  g.stencil = new Int32Array(nc * st.length);
  g.shift = new Float64Array(nc * st.length * 3);
  g.cellStart = new Int32Array(nc + 1);
  g.cursor = new Int32Array(nc);
  for (let cx = 0; cx < nx; cx++) for (let cy = 0; cy < ny; cy++) for (let cz = 0; cz < nz; cz++) {
    const c = (cx * ny + cy) * nz + cz;
    for (let s = 0; s < st.length; s++) {
      let x = cx + st[s][0];
      let y = cy + st[s][1];
      let z = cz + st[s][2];
      let id = -1;
      if (wrap) {
        // A neighbour cell reached across the upper (lower) face is the image shifted by +L (−L).
        const o = (c * st.length + s) * 3;
        g.shift[o] = x >= nx ? boxL[0] : x < 0 ? -boxL[0] : 0;
        g.shift[o + 1] = y >= ny ? boxL[1] : y < 0 ? -boxL[1] : 0;
        g.shift[o + 2] = z >= nz ? boxL[2] : z < 0 ? -boxL[2] : 0;
        x = (x + nx) % nx;
        y = (y + ny) % ny;
        z = (z + nz) % nz;
        id = (x * ny + y) * nz + z;
      } else if (x >= 0 && x < nx && y >= 0 && y < ny && z >= 0 && z < nz) {
        id = (x * ny + y) * nz + z;
      }
      g.stencil[c * st.length + s] = id;
    }
  }
}

function build(nl: NeighborList, positions: Positions): void {
  checkPositions(nl, positions);
  const { box } = nl;
  const N = nl.numParticles;
  nl.reference.set(positions);
  if (!box) setupFreeGrid(nl, positions);
  const g = nl.grid;
  if (g.bruteForce) buildBrute(nl, positions);
  else buildCells(nl, positions);
  nl.offsets[N] = Math.min(nl.required, nl.indices.length);
  nl.numPairs = nl.offsets[N];
  nl.overflow = nl.required > nl.indices.length;
}

function buildBrute(nl: NeighborList, R: Positions): void {
  const { dim, box, offsets } = nl;
  const idx = nl.indices;
  const cap = idx.length;
  const N = nl.numParticles;
  const r2 = (nl.cutoff + nl.skin) ** 2;
  let count = 0;
  for (let i = 0; i < N; i++) {
    offsets[i] = Math.min(count, cap);
    for (let j = i + 1; j < N; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        let d = R[i * dim + k] - R[j * dim + k];
        if (box) d -= box[k] * Math.round(d / box[k]);
        s += d * d;
      }
      if (s < r2) {
        if (count < cap) idx[count] = j;
        count++;
      }
    }
  }
  nl.required = count;
}

function buildCells(nl: NeighborList, R: Positions): void {
  const { dim, box, offsets } = nl;
  const g = nl.grid;
  const idx = nl.indices;
  const cap = idx.length;
  const N = nl.numParticles;
  const r2 = (nl.cutoff + nl.skin) ** 2;
  const nx = g.n[0], ny = g.n[1], nz = g.n[2];
  const nc = nx * ny * nz;
  const { cellOf, cellStart, cellAtoms, stencil, stencilSize, shift, sorted, cursor } = g;
  const ox = g.origin[0], oy = g.origin[1], oz = g.origin[2];
  const isx = 1 / g.side[0], isy = 1 / g.side[1], isz = 1 / g.side[2];
  const Lx = box ? box[0] : 0, Ly = box ? box[1] : 0, Lz = box && dim === 3 ? box[2] : 0;
  // Bin: cell of each particle (positions wrapped into the box for periodic spaces).
  cellStart.fill(0);
  for (let i = 0; i < N; i++) {
    let x = R[i * dim], y = R[i * dim + 1], z = dim === 3 ? R[i * dim + 2] : 0;
    if (box) {
      x = wrapCoord(x, Lx);
      y = wrapCoord(y, Ly);
      if (dim === 3) z = wrapCoord(z, Lz);
    }
    let cx = Math.floor((x - ox) * isx), cy = Math.floor((y - oy) * isy), cz = dim === 3 ? Math.floor((z - oz) * isz) : 0;
    if (cx >= nx) cx = nx - 1; else if (cx < 0) cx = 0;
    if (cy >= ny) cy = ny - 1; else if (cy < 0) cy = 0;
    if (cz >= nz) cz = nz - 1; else if (cz < 0) cz = 0;
    const c = (cx * ny + cy) * nz + cz;
    cellOf[i] = c;
    cellStart[c + 1]++;
  }
  for (let c = 0; c < nc; c++) cellStart[c + 1] += cellStart[c];
  // Counting sort: cellAtoms grouped by cell (increasing index within a cell), and their
  // wrapped coordinates copied contiguously into `sorted` for cache-friendly scans.
  for (let c = 0; c < nc; c++) cursor[c] = cellStart[c];
  for (let i = 0; i < N; i++) {
    const p = cursor[cellOf[i]]++;
    cellAtoms[p] = i;
    let x = R[i * dim], y = R[i * dim + 1], z = dim === 3 ? R[i * dim + 2] : 0;
    if (box) {
      x = wrapCoord(x, Lx);
      y = wrapCoord(y, Ly);
      if (dim === 3) z = wrapCoord(z, Lz);
    }
    sorted[3 * p] = x;
    sorted[3 * p + 1] = y;
    sorted[3 * p + 2] = z;
  }
  // Position of each particle in the sorted order (reuse `cursor`-free lookup via cellOf).
  let count = 0;
  for (let i = 0; i < N; i++) {
    offsets[i] = count < cap ? count : cap;
    const c = cellOf[i];
    // Find i's slot in its cell (cells hold ~ρ(r_c+skin)³ particles).
    let pi = cellStart[c];
    while (cellAtoms[pi] !== i) pi++;
    const xi = sorted[3 * pi], yi = sorted[3 * pi + 1], zi = sorted[3 * pi + 2];
    // Same cell: partners with a larger index (no image shift inside a cell).
    for (let p = cellStart[c], e = cellStart[c + 1]; p < e; p++) {
      const j = cellAtoms[p];
      if (j <= i) continue;
      const dx = xi - sorted[3 * p], dy = yi - sorted[3 * p + 1], dz = zi - sorted[3 * p + 2];
      if (dx * dx + dy * dy + dz * dz < r2) {
        if (count < cap) idx[count] = j;
        count++;
      }
    }
    // Forward cells of the half stencil: every partner, at the stencil's periodic image.
    const sb = c * stencilSize;
    for (let s = 0; s < stencilSize; s++) {
      const cn = stencil[sb + s];
      if (cn < 0) continue;
      const o = (sb + s) * 3;
      const xs = xi - (box ? shift[o] : 0), ys = yi - (box ? shift[o + 1] : 0), zs = zi - (box ? shift[o + 2] : 0);
      for (let p = cellStart[cn], e = cellStart[cn + 1]; p < e; p++) {
        const dx = xs - sorted[3 * p], dy = ys - sorted[3 * p + 1], dz = zs - sorted[3 * p + 2];
        if (dx * dx + dy * dy + dz * dz < r2) {
          if (count < cap) idx[count] = cellAtoms[p];
          count++;
        }
      }
    }
  }
  nl.required = count;
}

/** x wrapped into [0, L). */
function wrapCoord(x: number, L: number): number {
  if (x >= 0 && x < L) return x;
  let y = x - L * Math.floor(x / L);
  if (y >= L) y -= L;
  return y;
}
