import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkMeshValidity, facesToEdges, icosahedralCounts, icosahedron, meshHierarchy, multimesh,
  numMeshVertices, splitMesh, type TriangularMesh,
} from '../../../src/geometry/sphere/index.js';

const levels = meshHierarchy(5);

describe('icosahedral mesh', () => {
  it('level 0 is the regular icosahedron: 12 vertices, equal edges', () => {
    const m = icosahedron();
    expect(numMeshVertices(m)).toBe(12);
    const e = facesToEdges(m.faces, 12);
    const lens = Array.from(e.senders, (s, k) => {
      const r = e.receivers[k];
      return Math.hypot(m.vertices[3 * s] - m.vertices[3 * r], m.vertices[3 * s + 1] - m.vertices[3 * r + 1], m.vertices[3 * s + 2] - m.vertices[3 * r + 2]);
    });
    expect(Math.max(...lens) - Math.min(...lens)).toBeLessThan(1e-12);
  });

  it.each([0, 1, 2, 3, 4, 5])('level %i: closed-form counts, Euler characteristic 2, valid and outward', (r) => {
    const rep = checkMeshValidity(levels[r]);
    expect(rep.problems).toEqual([]);
    const c = icosahedralCounts(r);
    expect([rep.numVertices, rep.numEdges, rep.numFaces]).toEqual([c.vertices, c.edges, c.faces]);
    expect(rep.euler).toBe(2);
  });

  it('levels 6 and 7 have the closed-form counts and are valid', () => {
    const l6 = splitMesh(levels[5]);
    const l7 = splitMesh(l6);
    for (const [r, m] of [[6, l6], [7, l7]] as const) {
      const rep = checkMeshValidity(m);
      expect(rep.problems).toEqual([]);
      expect(rep.numVertices).toBe(icosahedralCounts(r).vertices);
      expect(rep.numFaces).toBe(icosahedralCounts(r).faces);
    }
    expect(numMeshVertices(l7)).toBe(163842);
  });

  it('refinement keeps the coarse vertices as a prefix', () => {
    const a = levels[3].vertices, b = levels[4].vertices;
    expect(Array.from(b.subarray(0, a.length))).toEqual(Array.from(a));
  });

  it('the validity checker catches broken meshes (flipped face, missing face, off-sphere vertex)', () => {
    const m = levels[2];
    const flipped = Int32Array.from(m.faces);
    [flipped[4], flipped[5]] = [flipped[5], flipped[4]];
    expect(checkMeshValidity({ vertices: m.vertices, faces: flipped }).problems.length).toBeGreaterThan(0);
    expect(checkMeshValidity({ vertices: m.vertices, faces: m.faces.slice(3) }).problems.length).toBeGreaterThan(0);
    const v = Float64Array.from(m.vertices);
    v[2] *= 1.01; // vertex 0 is the north pole (0, 0, 1)
    expect(checkMeshValidity({ vertices: v, faces: m.faces }).problems.length).toBeGreaterThan(0);
  });

  it('property: directed edge sets are symmetric at every level (fast-check)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), (r) => {
      const m: TriangularMesh = levels[r];
      const e = facesToEdges(m.faces, numMeshVertices(m));
      const set = new Set<string>();
      for (let k = 0; k < e.senders.length; k++) set.add(`${e.senders[k]},${e.receivers[k]}`);
      for (let k = 0; k < e.senders.length; k++) if (!set.has(`${e.receivers[k]},${e.senders[k]}`)) return false;
      return e.senders.length === 2 * icosahedralCounts(r).edges;
    }), { seed: 7, numRuns: 12 });
  });

  it('multimesh level 6: 40,962 vertices, 327,660 directed symmetric edges', () => {
    const mm = multimesh(6);
    expect(numMeshVertices(mm.mesh)).toBe(40962);
    expect(mm.edges.senders.length).toBe(327660);
    const nv = 40962;
    const keys = new Set<number>();
    for (let k = 0; k < mm.edges.senders.length; k++) keys.add(mm.edges.senders[k] * nv + mm.edges.receivers[k]);
    let asym = 0;
    for (let k = 0; k < mm.edges.senders.length; k++) if (!keys.has(mm.edges.receivers[k] * nv + mm.edges.senders[k])) asym++;
    expect(asym).toBe(0);
    // per-level counts 60·4^r
    const perLevel = new Array(7).fill(0);
    for (const l of mm.edgeLevel) perLevel[l]++;
    expect(perLevel).toEqual([0, 1, 2, 3, 4, 5, 6].map((r) => 60 * 4 ** r));
  });
});
