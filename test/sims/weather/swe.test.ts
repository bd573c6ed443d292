import { describe, expect, it } from 'vitest';
import { checkMeshValidity, icosahedralMesh } from '../../../src/geometry/sphere/index.js';
import { centroidalIcosahedralMesh } from '../../../src/geometry/sphere/centroidal.js';
import { voronoiGeometry } from '../../../src/sims/weather/voronoi.js';
import { runWilliamson, solverGeometry } from '../../../src/sims/weather/cases.js';
import { ShallowWaterSolver } from '../../../src/sims/weather/swe.js';
import { williamsonTC2 } from '../../../src/sims/weather/williamson.js';
import { EARTH_RADIUS } from '../../../src/sims/weather/units.js';

describe('Voronoi dual and centroidal solver grid', () => {
  it('cell areas tile the sphere; normals are tangent and point from i to j', () => {
    for (const mesh of [icosahedralMesh(3), centroidalIcosahedralMesh(3).mesh]) {
      const g = voronoiGeometry(mesh, EARTH_RADIUS);
      const total = g.areas.reduce((s, x) => s + x, 0);
      expect(Math.abs(total / (4 * Math.PI * EARTH_RADIUS ** 2) - 1)).toBeLessThan(1e-13);
      for (let e = 0; e < g.numEdges; e++) {
        const m = [0, 1, 2].map((d) => g.edgeMidpoint[3 * e + d]);
        const n = [0, 1, 2].map((d) => g.edgeNormal[3 * e + d]);
        expect(Math.abs(m[0] * n[0] + m[1] * n[1] + m[2] * n[2])).toBeLessThan(1e-12);
        const i = g.edgeCells[2 * e], j = g.edgeCells[2 * e + 1];
        expect([0, 1, 2].reduce((s, d) => s + n[d] * (g.centres[3 * j + d] - g.centres[3 * i + d]), 0)).toBeGreaterThan(0);
        expect(g.edgeLength[e]).toBeGreaterThan(0);
      }
    }
  });

  it('Lloyd relaxation keeps a valid mesh and makes generators the centroids of their cells', () => {
    const r = centroidalIcosahedralMesh(4);
    expect(checkMeshValidity(r.mesh).problems).toEqual([]);
    expect(r.maxShift).toBeLessThan(1e-6);
    // the unrelaxed grid is far from centroidal (the measure can fail)
    const raw = icosahedralMesh(4);
    let d = 0;
    for (let i = 0; i < raw.vertices.length; i++) d = Math.max(d, Math.abs(raw.vertices[i] - r.mesh.vertices[i]));
    expect(d).toBeGreaterThan(1e-3);
  });
});

describe('shallow-water solver: Williamson et al. (1992)', () => {
  it('TC2 (steady zonal flow, 5 days): l2 decreases with refinement, < 2e-3 at level 5', () => {
    const r = [3, 4, 5].map((level) => runWilliamson({ testCase: 2, level }));
    const l2 = r.map((x) => x.errors!.l2);
    const order = [Math.log2(l2[0] / l2[1]), Math.log2(l2[1] / l2[2])];
    console.log(`TC2 l2 at levels 3/4/5: ${l2.map((x) => x.toExponential(3)).join(' / ')}; order ${order.map((x) => x.toFixed(2)).join(', ')}; linf ${r.map((x) => x.errors!.linf.toExponential(2)).join(' / ')}`);
    expect(l2[1]).toBeLessThan(l2[0]);
    expect(l2[2]).toBeLessThan(l2[1]);
    expect(l2[2]).toBeLessThan(2e-3);
    expect(order[1]).toBeGreaterThan(1.2);
    for (const x of r) expect(x.relativeMassChange).toBeLessThan(1e-13);
  });

  it('TC2 with the flow over the poles (α = π/4) stays accurate at level 4', () => {
    const r = runWilliamson({ testCase: 2, level: 4, alpha: Math.PI / 4 });
    console.log(`TC2 α=π/4 level 4: l2 ${r.errors!.l2.toExponential(3)}`);
    expect(r.errors!.l2).toBeLessThan(2e-3);
  });

  it('TC1 (cosine bell, one revolution, 12 days): l2 reported at levels 3 and 4, decreasing', () => {
    const r = [3, 4].map((level) => runWilliamson({ testCase: 1, level }));
    console.log(`TC1 l2 at levels 3/4: ${r.map((x) => x.errors!.l2.toFixed(3)).join(' / ')}; mass change ${r.map((x) => x.relativeMassChange.toExponential(1)).join(' / ')}`);
    expect(r[1].errors!.l2).toBeLessThan(r[0].errors!.l2);
    for (const x of r) expect(x.relativeMassChange).toBeLessThan(1e-12);
  });

  it('TC5 (flow over a mountain, 15 days, level 3): mass conserved to 1e-12, energy drift reported', () => {
    const r = runWilliamson({ testCase: 5, level: 3 });
    console.log(`TC5 level 3: max relative mass change ${r.maxRelativeMassChange.toExponential(2)}, energy drift ${r.relativeEnergyChange.toExponential(3)}, enstrophy drift ${r.relativeEnstrophyChange.toExponential(3)}`);
    expect(r.maxRelativeMassChange).toBeLessThan(1e-12);
    expect(Math.abs(r.relativeEnergyChange)).toBeLessThan(0.02);
  });

  it('TC6 (Rossby–Haurwitz wave 4, 14 days, level 3) runs without blow-up', () => {
    const r = runWilliamson({ testCase: 6, level: 3 });
    const last = r.series[r.series.length - 1];
    console.log(`TC6 level 3: day ${last.day} h in [${last.minH.toFixed(0)}, ${last.maxH.toFixed(0)}] m, energy drift ${r.relativeEnergyChange.toExponential(3)}`);
    expect(last.day).toBeCloseTo(14, 6);
    expect(last.minH).toBeGreaterThan(7000);
    expect(last.maxH).toBeLessThan(11500);
  });

  it('a non-conservative continuity update is caught by the mass check', () => {
    const geo = solverGeometry(3);
    const ic = williamsonTC2(geo);
    const solver = new ShallowWaterSolver(geo, {});
    const s = solver.init(ic.h, ic.u);
    const dh = new Float64Array(geo.numCells), du = new Float64Array(3 * geo.numCells);
    solver.rhs(s.h, s.u, dh, du);
    const dm = (x: Float64Array) => x.reduce((acc, v, i) => acc + v * geo.areas[i], 0);
    expect(Math.abs(dm(dh))).toBeLessThan(1e-9 * geo.areas.reduce((a, b) => a + b, 0));
    // the same tendency divided by a uniform mean area instead of each cell's area drifts
    const mean = geo.areas.reduce((a, b) => a + b, 0) / geo.numCells;
    const bad = dh.map((v, i) => (v * geo.areas[i]) / mean);
    expect(Math.abs(dm(bad))).toBeGreaterThan(1e3 * Math.abs(dm(dh)));
  });
});
