import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  axisAngleRotation, facesToEdges, grid2meshEdges, latLonGrid, localFrames, maxEdgeLength, mesh2gridEdges,
  meshEdgeFeatures, meshHierarchy, multimesh, numMeshVertices, relativeEdgeFeatures,
  rotatePoints, uniformRandomRotation, meshNodeFeatures, SphereIndex, interpolateMeshToGrid,
} from '../../../src/geometry/sphere/index.js';
import { Rng } from '../../../src/engine/rng.js';

const levels = meshHierarchy(4);

function contains(v: Float64Array, a: number, b: number, c: number, p: number[], tol = 1e-12): boolean {
  const t = (i: number, j: number) => {
    const bx = v[3 * i], by = v[3 * i + 1], bz = v[3 * i + 2], cx = v[3 * j], cy = v[3 * j + 1], cz = v[3 * j + 2];
    return p[0] * (by * cz - bz * cy) + p[1] * (bz * cx - bx * cz) + p[2] * (bx * cy - by * cx);
  };
  return t(a, b) >= -tol && t(b, c) >= -tol && t(c, a) >= -tol;
}

describe('lat-lon grid', () => {
  it('1° with poles: 181 × 360, exact poles, unit vectors', () => {
    const g = latLonGrid({ resolutionDeg: 1 });
    expect([g.nLat, g.nLon]).toEqual([181, 360]);
    expect(g.points[2]).toBe(-1);
    expect(g.points[3 * (180 * 360) + 2]).toBe(1);
    let worst = 0;
    for (let i = 0; i < g.points.length; i += 3) worst = Math.max(worst, Math.abs(Math.hypot(g.points[i], g.points[i + 1], g.points[i + 2]) - 1));
    expect(worst).toBeLessThan(1e-15);
    const h = latLonGrid({ resolutionDeg: 2, poles: 'exclude' });
    expect([h.nLat, h.nLon, h.latDeg[0]]).toEqual([90, 180, -89]);
    expect(() => latLonGrid({ resolutionDeg: 7 })).toThrow(/dividing 180/);
  });
});

describe('spatial index', () => {
  it('radius queries equal brute force (fast-check)', () => {
    const pts = levels[3].vertices;
    const idx = new SphereIndex(pts, 0.2);
    fc.assert(fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 6.28, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true }), (z, lon, r) => {
      const c = Math.sqrt(1 - z * z), x = c * Math.cos(lon), y = c * Math.sin(lon);
      const got = idx.within(x, y, z, r);
      const want: number[] = [];
      for (let i = 0; i < pts.length / 3; i++) if ((pts[3 * i] - x) ** 2 + (pts[3 * i + 1] - y) ** 2 + (pts[3 * i + 2] - z) ** 2 <= r * r) want.push(i);
      expect(got).toEqual(want);
    }), { seed: 11, numRuns: 60 });
  });
});

describe('grid ↔ mesh connectivity', () => {
  const mesh = levels[3];
  const grid = latLonGrid({ resolutionDeg: 5 });

  it('grid2mesh equals the brute-force radius query (0.6 × longest edge)', () => {
    const radius = 0.6 * maxEdgeLength(mesh);
    const e = grid2meshEdges(grid.points, mesh);
    const want: string[] = [];
    const v = mesh.vertices, p = grid.points;
    for (let i = 0; i < p.length / 3; i++) for (let m = 0; m < numMeshVertices(mesh); m++) {
      if (Math.hypot(p[3 * i] - v[3 * m], p[3 * i + 1] - v[3 * m + 1], p[3 * i + 2] - v[3 * m + 2]) <= radius) want.push(`${i},${m}`);
    }
    expect(Array.from(e.gridIndices, (g, k) => `${g},${e.meshIndices[k]}`)).toEqual(want);
    // every mesh vertex receives at least one grid point at 5° on level 3
    expect(new Set(e.meshIndices).size).toBe(numMeshVertices(mesh));
  });

  it('every grid point has exactly 3 mesh2grid edges whose triangle contains it; weights ≥ 0 sum to 1', () => {
    const m2g = mesh2gridEdges(grid.points, mesh);
    const n = grid.points.length / 3;
    expect(m2g.gridIndices.length).toBe(3 * n);
    for (let i = 0; i < n; i++) {
      const p = [grid.points[3 * i], grid.points[3 * i + 1], grid.points[3 * i + 2]];
      expect(Array.from(m2g.gridIndices.subarray(3 * i, 3 * i + 3))).toEqual([i, i, i]);
      const [a, b, c] = m2g.meshIndices.subarray(3 * i, 3 * i + 3);
      expect(contains(mesh.vertices, a, b, c, p)).toBe(true);
      const w = m2g.weights.subarray(3 * i, 3 * i + 3);
      expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
      expect(Math.abs(w[0] + w[1] + w[2] - 1)).toBeLessThan(1e-14);
      // the barycentric combination of the vertices points along p
      const q = [0, 1, 2].map((d) => w[0] * mesh.vertices[3 * a + d] + w[1] * mesh.vertices[3 * b + d] + w[2] * mesh.vertices[3 * c + d]);
      const qn = Math.hypot(q[0], q[1], q[2]);
      expect(Math.hypot(q[0] / qn - p[0], q[1] / qn - p[1], q[2] / qn - p[2])).toBeLessThan(1e-12);
    }
    // a containment test with a wrong triangle is caught
    expect(contains(mesh.vertices, mesh.faces[0], mesh.faces[1], mesh.faces[2], [0, 0, -1])).toBe(false);
  });

  it('interpolation reproduces a constant and approximates a smooth field to O(h²)', () => {
    const m2g = mesh2gridEdges(grid.points, mesh);
    const f = new Float64Array(numMeshVertices(mesh)).fill(3.5);
    const out = interpolateMeshToGrid(m2g, f);
    for (const x of out) expect(Math.abs(x - 3.5)).toBeLessThan(1e-13);
    const errAt = (m: typeof mesh) => {
      const mg = mesh2gridEdges(grid.points, m);
      const fz = Float64Array.from({ length: numMeshVertices(m) }, (_, i) => m.vertices[3 * i + 2]);
      const o = interpolateMeshToGrid(mg, fz);
      let e = 0;
      for (let i = 0; i < o.length; i++) e = Math.max(e, Math.abs(o[i] - grid.points[3 * i + 2]));
      return e;
    };
    const e3 = errAt(levels[3]), e4 = errAt(levels[4]);
    expect(e4).toBeLessThan(e3 / 3); // second order: ratio ≈ 4
  });

  it('counts are unchanged when the grid is rotated by a mesh symmetry (120° about a face centre, 72° about a vertex)', () => {
    const m = levels[4];
    const g = latLonGrid({ resolutionDeg: 2 });
    const f0 = [levels[0].faces[0], levels[0].faces[1], levels[0].faces[2]];
    const axis = [0, 1, 2].map((d) => f0.reduce((s, a) => s + levels[0].vertices[3 * a + d], 0));
    const rots = [axisAngleRotation(axis, (2 * Math.PI) / 3), axisAngleRotation([0, 0, 1], (2 * Math.PI) / 5)];
    const base = grid2meshEdges(g.points, m).gridIndices.length;
    const baseM = mesh2gridEdges(g.points, m).gridIndices.length;
    for (const R of rots) {
      // R maps the mesh vertex set onto itself
      const rv = rotatePoints(R, m.vertices);
      const idx = new SphereIndex(m.vertices, 0.05);
      for (let i = 0; i < rv.length / 3; i++) {
        const j = idx.nearest(rv[3 * i], rv[3 * i + 1], rv[3 * i + 2]);
        expect(Math.hypot(rv[3 * i] - m.vertices[3 * j], rv[3 * i + 1] - m.vertices[3 * j + 1], rv[3 * i + 2] - m.vertices[3 * j + 2])).toBeLessThan(1e-12);
      }
      const rp = rotatePoints(R, g.points);
      expect(grid2meshEdges(rp, m).gridIndices.length).toBe(base);
      expect(mesh2gridEdges(rp, m).gridIndices.length).toBe(baseM);
    }
    // a rotation that is not a mesh symmetry does change the grid2mesh count (the test can fail)
    expect(grid2meshEdges(rotatePoints(axisAngleRotation([1, 2, 3], 0.3), g.points), m).gridIndices.length).not.toBe(base);
  });

  it('level-6 multimesh + 1° grid connectivity builds fast (no all-pairs loops)', () => {
    const t0 = performance.now();
    const mm = multimesh(6);
    const g = latLonGrid({ resolutionDeg: 1 });
    const g2m = grid2meshEdges(g.points, mm.mesh);
    const m2g = mesh2gridEdges(g.points, mm.mesh);
    const ms = performance.now() - t0;
    expect(m2g.gridIndices.length).toBe(3 * 181 * 360);
    expect(g2m.gridIndices.length).toBeGreaterThan(181 * 360);
    expect(new Set(g2m.meshIndices).size).toBe(40962);
    console.log(`level-6 multimesh + 1° grid2mesh (${g2m.gridIndices.length} edges) + mesh2grid: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(30_000);
  });
});

describe('local-frame features', () => {
  const mesh = levels[3];
  const edges = facesToEdges(mesh.faces, numMeshVertices(mesh));
  const grid = latLonGrid({ resolutionDeg: 10 });

  function allFeatures(R: Float64Array | null, frame: 'mesh' | 'north') {
    const v = R ? rotatePoints(R, mesh.vertices) : mesh.vertices;
    const gp = R ? rotatePoints(R, grid.points) : grid.points;
    const fr = localFrames(v, edges, frame);
    const meshE = meshEdgeFeatures(v, edges, fr);
    const g2m = grid2meshEdges(grid.points, mesh); // connectivity is computed once, as a model would
    const g2mF = relativeEdgeFeatures({ senderPos: gp, receiverPos: v, senders: g2m.gridIndices, receivers: g2m.meshIndices, frames: fr, frameIds: g2m.meshIndices });
    return [...meshE, ...g2mF, ...meshNodeFeatures(v, edges, frame)];
  }

  it('are invariant under random global rotations (fast-check)', () => {
    const ref = allFeatures(null, 'mesh');
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const got = allFeatures(uniformRandomRotation(() => rng.uniform()), 'mesh');
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
      return err < 1e-5;
    }), { seed: 3, numRuns: 10 });
  });

  it("GraphCast's north-referenced frame is not invariant (the test detects a broken frame)", () => {
    const ref = allFeatures(null, 'north');
    const rng = new Rng(5);
    const got = allFeatures(uniformRandomRotation(() => rng.uniform()), 'north');
    let err = 0;
    for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
    expect(err).toBeGreaterThan(1e-2);
  });
});
