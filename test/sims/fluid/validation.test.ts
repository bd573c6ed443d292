/**
 * Solver validation: Taylor–Green decay rate, Ghia et al. (1982) cavity at Re 100, discrete
 * divergence at the solver tolerance. The fine cavity runs only with GNNWB_SLOW=1.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { channelMesh, interpolate, locatePoint } from '../../../src/geometry/trimesh/index.js';
import { cavityBoundary, exactBoundary } from '../../../src/sims/fluid/boundary.js';
import { NsSolver } from '../../../src/sims/fluid/ns_solver.js';

const SLOW = process.env.GNNWB_SLOW === '1';
/** Yields to the event loop (keeps vitest's worker RPC alive during long solver loops). */
const tick = () => new Promise<void>((r) => setImmediate(r));
const ghia = JSON.parse(readFileSync(new URL('./fixtures/ghia1982_re100.json', import.meta.url), 'utf8')) as { y: number[]; u: number[] };

/** Taylor–Green vortex on [0,1]², k = π: u = (sin kx cos ky, −cos kx sin ky) e^{−2νk²t}. */
async function taylorGreen(h: number, nu: number, dt: number, T: number, exactProjection = false, consistentMass = false) {
  const k = Math.PI;
  const mesh = channelMesh({ length: 1, height: 1, obstacles: [], hMin: h, hMax: h, seed: 11 });
  const f = (x: number, y: number, t: number): [number, number] => {
    const e = Math.exp(-2 * nu * k * k * t);
    return [Math.sin(k * x) * Math.cos(k * y) * e, -Math.cos(k * x) * Math.sin(k * y) * e];
  };
  const s = new NsSolver(mesh, exactBoundary(mesh, f), { nu, dt, exactProjection, consistentMass });
  const u0 = new Float64Array(2 * mesh.numNodes);
  for (let i = 0; i < mesh.numNodes; i++) [u0[2 * i], u0[2 * i + 1]] = f(mesh.positions[2 * i], mesh.positions[2 * i + 1], 0);
  s.setState(u0, new Float64Array(mesh.numNodes), 0);
  const ts: number[] = [], le: number[] = [];
  let worstWeak = 0, worstNodal = 0, maxNodal = 0;
  while (s.time < T - 1e-9) {
    if (s.steps % 50 === 0) await tick();
    const st = s.step();
    worstWeak = Math.max(worstWeak, st.weakDivergenceNorm / st.weakDivergenceTolerance);
    if (exactProjection) worstNodal = Math.max(worstNodal, st.divergenceNorm / st.divergenceTolerance);
    maxNodal = Math.max(maxNodal, st.divergenceNorm);
    ts.push(s.time);
    le.push(Math.log(s.kineticEnergy()));
  }
  // least-squares slope of log KE over the last 3/4 of the run
  const i0 = Math.floor(ts.length / 4);
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = i0; i < ts.length; i++) {
    n++;
    sx += ts[i];
    sy += le[i];
    sxx += ts[i] ** 2;
    sxy += ts[i] * le[i];
  }
  const rate = -(n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { rate, exact: 4 * nu * k * k, nodes: mesh.numNodes, worstWeak, worstNodal, maxNodal };
}

describe('Taylor–Green vortex', () => {
  it('kinetic energy decays at 4νk² within 2%; weak divergence at the CG tolerance every step', async () => {
    const r = await taylorGreen(0.05, 0.01, 0.005, 2);
    const rel = r.rate / r.exact - 1;
    console.log(`Taylor–Green (K projection): ${r.nodes} nodes, decay rate ${r.rate.toFixed(5)} vs 4νk² = ${r.exact.toFixed(5)} (rel. error ${(100 * rel).toFixed(3)}%), max weak-div/tolerance ${r.worstWeak.toFixed(3)}, max nodal ‖Bu‖ ${r.maxNodal.toExponential(2)}`);
    expect(Math.abs(rel)).toBeLessThan(0.02);
    expect(r.worstWeak).toBeLessThanOrEqual(1.0001);
  });
  it('with exactProjection: decay within 2% and nodal divergence ‖Bu‖ at the CG tolerance every step', async () => {
    const r = await taylorGreen(0.05, 0.01, 0.005, 2, true);
    const rel = r.rate / r.exact - 1;
    console.log(`Taylor–Green (exact projection): decay rate rel. error ${(100 * rel).toFixed(3)}%, max nodal-div/tolerance ${r.worstNodal.toFixed(3)}, max nodal ‖Bu‖ ${r.maxNodal.toExponential(2)}`);
    expect(Math.abs(rel)).toBeLessThan(0.02);
    expect(r.worstNodal).toBeLessThanOrEqual(1.0001);
    expect(r.maxNodal).toBeLessThan(1e-10);
  });
  it('with consistentMass: decay within 2%', async () => {
    const r = await taylorGreen(0.05, 0.01, 0.005, 2, false, true);
    const rel = r.rate / r.exact - 1;
    console.log(`Taylor–Green (consistent mass): decay rate rel. error ${(100 * rel).toFixed(3)}%`);
    expect(Math.abs(rel)).toBeLessThan(0.02);
    expect(r.worstWeak).toBeLessThanOrEqual(1.0001);
  });
  it('the decay-rate check can fail: a wrong viscosity is caught', () => {
    const k = Math.PI, nu = 0.01;
    const mesh = channelMesh({ length: 1, height: 1, obstacles: [], hMin: 0.05, hMax: 0.05, seed: 11 });
    // data decays with ν but the solver runs with 1.1ν
    const f = (x: number, y: number, t: number): [number, number] => {
      const e = Math.exp(-2 * nu * k * k * t);
      return [Math.sin(k * x) * Math.cos(k * y) * e, -Math.cos(k * x) * Math.sin(k * y) * e];
    };
    const s = new NsSolver(mesh, exactBoundary(mesh, f), { nu: 1.1 * nu, dt: 0.005 });
    const u0 = new Float64Array(2 * mesh.numNodes);
    for (let i = 0; i < mesh.numNodes; i++) [u0[2 * i], u0[2 * i + 1]] = f(mesh.positions[2 * i], mesh.positions[2 * i + 1], 0);
    s.setState(u0, new Float64Array(mesh.numNodes), 0);
    const e0 = s.kineticEnergy();
    while (s.time < 1 - 1e-9) s.step();
    const rate = -Math.log(s.kineticEnergy() / e0) / s.time;
    expect(Math.abs(rate / (4 * nu * k * k) - 1)).toBeGreaterThan(0.02);
  });
});

async function cavity(h: number, dt: number, T: number) {
  const mesh = channelMesh({ length: 1, height: 1, obstacles: [], hMin: h, hMax: h, seed: 5 });
  const s = new NsSolver(mesh, cavityBoundary(mesh, 1), { nu: 0.01, dt, pressureRtol: 1e-7 });
  let worstDivRatio = 0;
  while (s.time < T - 1e-9) {
    if (s.steps % 50 === 0) await tick();
    const st = s.step();
    worstDivRatio = Math.max(worstDivRatio, st.weakDivergenceNorm / st.weakDivergenceTolerance);
  }
  const diffs = ghia.y.map((y, k) => interpolate(locatePoint(mesh, 0.5, y), s.u, 2, 0) - ghia.u[k]);
  const maxAbs = Math.max(...diffs.map(Math.abs));
  return { nodes: mesh.numNodes, maxAbs, diffs, worstDivRatio };
}

describe('lid-driven cavity, Re 100, vs Ghia, Ghia & Shin (1982) Table I', () => {
  it('coarse mesh (≈670 nodes, t = 10): centreline u within 0.07 of Ghia (regression check; the 0.02 claim is the slow test)', async () => {
    const r = await cavity(0.04, 0.01, 10);
    console.log(`cavity coarse: ${r.nodes} nodes, max |u − u_Ghia| = ${r.maxAbs.toFixed(4)}; diffs ${r.diffs.map((d) => d.toFixed(3)).join(' ')}; max weak-div/tolerance ${r.worstDivRatio.toFixed(3)}`);
    expect(r.maxAbs).toBeLessThan(0.07);
    expect(r.worstDivRatio).toBeLessThanOrEqual(1.0001);
  });
  if (SLOW) {
    it('fine mesh (h = 0.025, ≈1.6k nodes, t = 15): centreline u within 0.02 of Ghia', async () => {
      const r = await cavity(0.025, 0.005, 15);
      console.log(`cavity fine: ${r.nodes} nodes, max |u − u_Ghia| = ${r.maxAbs.toFixed(4)}; diffs ${r.diffs.map((d) => d.toFixed(4)).join(' ')}`);
      expect(r.maxAbs).toBeLessThan(0.02);
    }, 900_000);
  } else {
    it('fine cavity vs Ghia (0.02 max-abs) NOT RUN: set GNNWB_SLOW=1 (takes minutes)', () => {
      expect(SLOW).toBe(false);
    });
  }
});
