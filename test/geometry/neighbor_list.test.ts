import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { fcc } from '../../src/geometry/lattice.js';
import {
  allocateNeighborList,
  assertNoOverflow,
  bruteForceEdges,
  neighborEdges,
  radiusGraph,
  sortEdges,
  updateNeighborList,
} from '../../src/geometry/neighbor_list.js';
import { applyMatrix } from '../../src/geometry/rotation.js';
import { batch, block, graphsTuple, numEdges } from '../../src/geometry/graphs_tuple.js';
import { pointCloud, pointsInBox, rotation } from '../helpers/arbitraries.js';

const SEED = 424242;
type Edges = { senders: Int32Array; receivers: Int32Array };

/**
 * The brute-force oracle, both directions: every returned pair is within the cutoff (no
 * extras) and every pair within the cutoff is returned (none missing). Returns a message or ''.
 */
function compareToBrute(got: Edges, positions: Float64Array, cutoff: number, box: Float64Array | null, dim = 3): string {
  const want = sortEdges(bruteForceEdges(positions, { cutoff, box, dim }));
  const g = sortEdges(got);
  const key = (e: Edges, k: number) => `${e.senders[k]}->${e.receivers[k]}`;
  const wantSet = new Set(Array.from({ length: want.senders.length }, (_, k) => key(want, k)));
  const gotSet = new Set(Array.from({ length: g.senders.length }, (_, k) => key(g, k)));
  const extra = [...gotSet].filter((x) => !wantSet.has(x));
  const missing = [...wantSet].filter((x) => !gotSet.has(x));
  if (gotSet.size !== g.senders.length) return `duplicate edges (${g.senders.length} edges, ${gotSet.size} distinct)`;
  if (extra.length || missing.length) return `extra pairs [${extra.slice(0, 5).join(', ')}] missing pairs [${missing.slice(0, 5).join(', ')}] of ${want.senders.length}`;
  return '';
}

const cutoffArb = fc.double({ min: 0.5, max: 1.9, noNaN: true });
const skinArb = fc.double({ min: 0, max: 0.5, noNaN: true });

describe('neighbor list', () => {
  it('hand case: three points on a line in a periodic box', () => {
    // x = 0.5, 1.5, 9.6 in a box of 10: pairs (0,1) d=1, (0,2) d=0.9 through the boundary.
    const R = Float64Array.of(0.5, 0, 0, 1.5, 0, 0, 9.6, 0, 0);
    const e = sortEdges(radiusGraph(R, { cutoff: 1.05, box: [10, 10, 10] }));
    expect([...e.senders]).toEqual([0, 0, 1, 2]);
    expect([...e.receivers]).toEqual([1, 2, 0, 0]);
  });

  it('property: equals brute force in periodic boxes (cell and small-box paths), both directions', () => {
    fc.assert(
      fc.property(pointsInBox({ maxPoints: 80, minBox: 5 }), cutoffArb, skinArb, ({ box, positions }, cutoff, skin) => {
        const nl = allocateNeighborList(positions, { cutoff, skin, box });
        expect(compareToBrute(neighborEdges(nl, positions), positions, cutoff, box)).toBe('');
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('property: equals brute force in 2D periodic boxes', () => {
    fc.assert(
      fc.property(pointsInBox({ dim: 2, maxPoints: 60, minBox: 5 }), cutoffArb, ({ box, positions }, cutoff) => {
        const nl = allocateNeighborList(positions, { cutoff, skin: 0.2, box });
        expect(compareToBrute(neighborEdges(nl, positions), positions, cutoff, box, 2)).toBe('');
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('property: equals brute force in free space', () => {
    fc.assert(
      fc.property(pointCloud({ maxPoints: 60, scale: 4 }), cutoffArb, (positions, cutoff) => {
        const nl = allocateNeighborList(positions, { cutoff, skin: 0.3 });
        expect(compareToBrute(neighborEdges(nl, positions), positions, cutoff, null)).toBe('');
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('property: stays exact after moves below skin/2 without a rebuild, and rebuilds after larger moves', () => {
    fc.assert(
      fc.property(pointsInBox({ minPoints: 2, maxPoints: 60, minBox: 5 }), cutoffArb, fc.nat(), ({ box, positions }, cutoff, seed) => {
        const skin = 0.4;
        const nl = allocateNeighborList(positions, { cutoff, skin, box });
        const rng = new Rng(seed);
        // Small moves: every particle by < skin/2 (no rebuild needed).
        const moved = positions.map((x) => x + (rng.uniform() - 0.5) * 0.2);
        expect(updateNeighborList(nl, moved)).toBe(false);
        expect(compareToBrute(neighborEdges(nl, moved), moved, cutoff, box)).toBe('');
        // One particle jumps by more than skin/2: a rebuild is required.
        const jumped = Float64Array.from(moved);
        jumped[0] += 0.3;
        expect(updateNeighborList(nl, jumped)).toBe(true);
        expect(compareToBrute(neighborEdges(nl, jumped), jumped, cutoff, box)).toBe('');
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('property: unchanged under rotation and translation of a free point set', () => {
    fc.assert(
      fc.property(pointCloud({ maxPoints: 50, scale: 4 }), rotation({ reflections: true }), fc.double({ min: -50, max: 50, noNaN: true }), (positions, Q, t) => {
        const cutoff = 1.5;
        const a = sortEdges(radiusGraph(positions, { cutoff }));
        const moved = applyMatrix(Q, positions).map((x, i) => x + t * (1 + (i % 3)));
        const b = sortEdges(radiusGraph(moved, { cutoff }));
        expect([...b.senders]).toEqual([...a.senders]);
        expect([...b.receivers]).toEqual([...a.receivers]);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('property: relabelling particles relabels the edges', () => {
    fc.assert(
      fc.property(pointsInBox({ maxPoints: 50 }), fc.nat(), ({ box, positions }, seed) => {
        const n = positions.length / 3;
        const perm = new Rng(seed).permutation(n); // new k = old perm[k]
        const inv = new Int32Array(n);
        perm.forEach((old, k) => (inv[old] = k));
        const P = new Float64Array(positions.length);
        for (let k = 0; k < n; k++) for (let c = 0; c < 3; c++) P[3 * k + c] = positions[3 * perm[k] + c];
        const a = radiusGraph(positions, { cutoff: 1.7, box });
        const mapped = sortEdges({ senders: a.senders.map((s) => inv[s]), receivers: a.receivers.map((r) => inv[r]) });
        const b = sortEdges(radiusGraph(P, { cutoff: 1.7, box }));
        expect([...b.senders]).toEqual([...mapped.senders]);
        expect([...b.receivers]).toEqual([...mapped.receivers]);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('a broken neighbour list (periodic images ignored) is caught by the oracle', () => {
    const result = fc.check(
      fc.property(pointsInBox({ minPoints: 10, maxPoints: 60 }), ({ box, positions }) => {
        const broken = allocateNeighborList(positions, { cutoff: 1.8, skin: 0 }); // free space: no images
        return compareToBrute(neighborEdges(broken, positions), positions, 1.8, box) === '';
      }),
      { seed: SEED, numRuns: 50 },
    );
    expect(result.failed).toBe(true);
    // And a list that drops the last pair is caught too.
    const lat = fcc(0.8442, [3, 3, 3]);
    const nl = allocateNeighborList(lat.positions, { cutoff: 1.5, box: lat.box });
    const e = neighborEdges(nl, lat.positions);
    const dropped = { senders: e.senders.slice(0, -2), receivers: e.receivers.slice(0, -2) };
    expect(compareToBrute(dropped, lat.positions, 1.5, lat.box)).toMatch(/missing pairs/);
  });

  it('overflow is a flag, turned into a clear error at the boundary', () => {
    const lat = fcc(0.5, [4, 4, 4]);
    const nl = allocateNeighborList(lat.positions, { cutoff: 1.5, skin: 0.3, box: lat.box, capacityMultiplier: 1 });
    expect(nl.overflow).toBe(false);
    // Compress every particle towards the origin corner: many more pairs than allocated.
    const squeezed = lat.positions.map((x) => x * 0.6);
    expect(updateNeighborList(nl, squeezed)).toBe(true);
    expect(nl.overflow).toBe(true);
    expect(nl.required).toBeGreaterThan(nl.indices.length);
    expect(() => assertNoOverflow(nl)).toThrow(/capacity of \d+ pairs.*allocateNeighborList/);
    expect(() => neighborEdges(nl, squeezed)).toThrow(/capacity/);
    // Re-allocating fixes it.
    const fresh = allocateNeighborList(squeezed, { cutoff: 1.5, skin: 0.3, box: lat.box });
    expect(compareToBrute(neighborEdges(fresh, squeezed), squeezed, 1.5, lat.box)).toBe('');
  });

  it('rejects a cutoff beyond half the box with a teaching error', () => {
    expect(() => allocateNeighborList(new Float64Array(6), { cutoff: 3, skin: 0.5, box: [6, 10, 10] })).toThrow(/box\[0\].*minimum image/);
  });

  it('fcc lattice: 12 nearest neighbours at a/√2 for every atom', () => {
    const lat = fcc(0.8442, [5, 5, 5]);
    const nn = lat.latticeConstant / Math.SQRT2;
    const e = radiusGraph(lat.positions, { cutoff: nn * 1.05, box: lat.box });
    const deg = new Int32Array(lat.positions.length / 3);
    for (const s of e.senders) deg[s]++;
    expect(Math.min(...deg)).toBe(12);
    expect(Math.max(...deg)).toBe(12);
  });

  it('edges plug into a GraphsTuple (both directions, symmetric) and batch with another graph', () => {
    const lat = fcc(0.8442, [3, 3, 3]);
    const e = radiusGraph(lat.positions, { cutoff: 1.3, box: lat.box });
    const g = graphsTuple({ nodes: { pos: block(Float32Array.from(lat.positions), 3) }, senders: e.senders, receivers: e.receivers });
    expect(numEdges(g)).toBe(108 * 12);
    for (let k = 0; k < e.senders.length; k += 2) {
      expect(e.senders[k]).toBe(e.receivers[k + 1]);
      expect(e.receivers[k]).toBe(e.senders[k + 1]);
    }
    const b = batch([g, g]);
    expect(Math.max(...b.senders)).toBe(2 * 108 - 1);
  });
});
