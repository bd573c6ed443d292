import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/engine/rng.js';
import { fcc } from '../../../src/geometry/lattice.js';
import { bruteForceEdges, neighborEdges } from '../../../src/geometry/neighbor_list.js';
import { free, periodic } from '../../../src/geometry/space.js';
import { kickDrift, langevin, velocityVerlet, type Integrator, type MDState } from '../../../src/sims/md/integrators.js';
import { ljForceField } from '../../../src/sims/md/lj.js';
import { kineticEnergy, momentum, temperature } from '../../../src/sims/md/observables.js';
import { randomSprings, springForceField } from '../../../src/sims/md/springs.js';
import { maxwellBoltzmann } from '../../../src/sims/md/velocities.js';

const N = 256;
/** Edges as sorted keys sender·N + receiver (typed sort: fast enough to check every step). */
const edgeKeys = (e: { senders: Int32Array; receivers: Int32Array }) => Float64Array.from(e.senders, (x, q) => x * N + e.receivers[q]).sort();
const total = (s: MDState) => s.potentialEnergy + kineticEnergy(s.velocities, s.masses, s.dim);

/** LJ liquid: 256 atoms, fcc ρ = 0.8442 melted from T = 1.44 (the LAMMPS bench state). */
function ljLiquid(dt: number, opts: { shift?: boolean; seed?: number } = {}): { integ: Integrator; s: MDState; ff: ReturnType<typeof ljForceField>; box: Float64Array } {
  const lat = fcc(0.8442, [4, 4, 4]);
  const ff = ljForceField({ box: lat.box, shift: opts.shift ?? true });
  const integ = velocityVerlet({ force: ff, space: periodic(lat.box), dt });
  const s = integ.init(lat.positions, maxwellBoltzmann(new Rng(opts.seed ?? 1), { numParticles: N, temperature: 1.44 }));
  return { integ, s, ff, box: lat.box };
}

/** Max and RMS |E(t) − E(0)|/N over `tau` time units after 1 τ of melting. */
function energyDeviation(dt: number, tau: number): { max: number; rms: number } {
  const { integ, s } = ljLiquid(dt);
  for (let k = 0; k < Math.round(1 / dt); k++) integ.step(s);
  const e0 = total(s);
  let max = 0;
  let sum2 = 0;
  const steps = Math.round(tau / dt);
  for (let k = 0; k < steps; k++) {
    integ.step(s);
    const d = (total(s) - e0) / N;
    max = Math.max(max, Math.abs(d));
    sum2 += d * d;
  }
  return { max, rms: Math.sqrt(sum2 / steps) };
}

describe('MD integrators', () => {
  it('NVE energy drift on an LJ liquid stays below 1.5e-3 ε/atom over 5 τ at dt = 0.005, and scales as dt²', () => {
    // Bound and why: velocity Verlet conserves a shadow Hamiltonian H + O(dt²), so |E(t) − E(0)|
    // stays bounded with fluctuations ∝ dt² (measured here: max 5.8e-4, rms 2.6e-4 ε/atom); the
    // truncated force (discontinuous at r_c, energy shifted) adds a small random walk. 1.5e-3
    // ε/atom (0.03 % of |E|/N ≈ 4.6 ε) is ~2.5× the measured maximum; a broken integrator
    // (e.g. Euler, or a half-kick missing) drifts by > 1e-2 within 1 τ (see the next test).
    const a = energyDeviation(0.005, 5);
    const b = energyDeviation(0.0025, 5);
    expect(a.max).toBeLessThan(1.5e-3);
    const ratio = a.rms / b.rms;
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(8);
  });

  it('the drift test catches a first-order integrator (kick-drift on the same liquid)', () => {
    const lat = fcc(0.8442, [4, 4, 4]);
    const ff = ljForceField({ box: lat.box, shift: true });
    const integ = kickDrift({ force: ff, space: periodic(lat.box), dt: 0.005 });
    const s = integ.init(lat.positions, maxwellBoltzmann(new Rng(1), { numParticles: N, temperature: 1.44 }));
    // kick-drift's energy is E(x_n, v_{n+1}): compare consistently step to step.
    let max = 0;
    let e0 = NaN;
    for (let k = 0; k < 400; k++) {
      integ.step(s);
      const e = (s.potentialEnergy + kineticEnergy(s.velocities, s.masses)) / N;
      if (k === 200) e0 = e;
      if (k > 200) max = Math.max(max, Math.abs(e - e0));
    }
    expect(max).toBeGreaterThan(1.5e-3);
  });

  it('velocity Verlet is time reversible: forward 200 steps, flip v, 200 steps back', () => {
    const { integ, s, box } = ljLiquid(0.005);
    const x0 = Float64Array.from(s.positions);
    const v0 = Float64Array.from(s.velocities);
    for (let k = 0; k < 200; k++) integ.step(s);
    for (let i = 0; i < s.velocities.length; i++) s.velocities[i] = -s.velocities[i];
    for (let k = 0; k < 200; k++) integ.step(s);
    let dx = 0;
    let dv = 0;
    for (let i = 0; i < x0.length; i++) {
      let d = s.positions[i] - x0[i];
      d -= box[i % 3] * Math.round(d / box[i % 3]);
      dx = Math.max(dx, Math.abs(d));
      dv = Math.max(dv, Math.abs(-s.velocities[i] - v0[i]));
    }
    // Round-off (1e-16) amplified by the liquid's chaos over 1 τ: measured ~1e-12.
    expect(dx).toBeLessThan(1e-8);
    expect(dv).toBeLessThan(1e-8);
  });

  it('total momentum is conserved in NVE (pair forces)', () => {
    const { integ, s } = ljLiquid(0.005, { shift: false });
    const p0 = momentum(s.velocities, s.masses);
    for (let k = 0; k < 300; k++) integ.step(s);
    const p1 = momentum(s.velocities, s.masses);
    for (let d = 0; d < 3; d++) {
      expect(Math.abs(p0[d])).toBeLessThan(1e-12);
      expect(Math.abs(p1[d] - p0[d])).toBeLessThan(1e-10);
    }
  });

  it('the neighbour list equals brute force at every step of a run with periodic wrapping', () => {
    const lat = fcc(0.8442, [4, 4, 4]);
    const ff = ljForceField({ box: lat.box, skin: 0.3 });
    // Hot (T = 3) so particles cross the boundaries and the list is rebuilt often.
    const integ = velocityVerlet({ force: ff, space: periodic(lat.box), dt: 0.005 });
    const s = integ.init(lat.positions, maxwellBoltzmann(new Rng(9), { numParticles: N, temperature: 3 }));
    const start = Float64Array.from(s.positions);
    let wrapped = 0;
    for (let k = 0; k < 300; k++) {
      integ.step(s);
      const got = edgeKeys(neighborEdges(ff.neighborList()!, s.positions, 2.5));
      const want = edgeKeys(bruteForceEdges(s.positions, { cutoff: 2.5, box: lat.box }));
      if (got.length !== want.length || got.some((x, q) => x !== want[q])) {
        throw new Error(`step ${k}: neighbour list (${got.length} edges) differs from brute force (${want.length} edges)`);
      }
    }
    for (let i = 0; i < start.length; i++) if (Math.abs(s.positions[i] - start[i]) > lat.box[i % 3] / 2) wrapped++;
    expect(wrapped).toBeGreaterThan(0);
    expect(ff.stats.rebuilds).toBeGreaterThan(5);
  });

  it('Langevin (BAOAB) holds the target temperature', () => {
    const lat = fcc(0.8442, [4, 4, 4]);
    const ff = ljForceField({ box: lat.box, shift: true });
    const integ = langevin({ force: ff, space: periodic(lat.box), dt: 0.005, temperature: 1.0, gamma: 2, rng: new Rng(5) });
    const s = integ.init(lat.positions, maxwellBoltzmann(new Rng(1), { numParticles: N, temperature: 2.0 }));
    for (let k = 0; k < 400; k++) integ.step(s);
    let sum = 0;
    const M = 600;
    for (let k = 0; k < M; k++) {
      integ.step(s);
      sum += temperature(s.velocities, s.masses);
    }
    // Per-sample std of T is √(2/3N)·T ≈ 0.05; correlated over ~1/γ, so the mean is within ~0.02.
    expect(Math.abs(sum / M - 1.0)).toBeLessThan(0.05);
  });

  it('springs (NRI): energy conserved by velocity Verlet, momentum conserved, forces = −∇U', () => {
    const rng = new Rng(11);
    const springs = randomSprings(rng, { numParticles: 5, probability: 0.5, stiffness: 0.1 });
    for (const restLength of [0, 1]) {
      const ff = springForceField({ ...springs, restLength }, 2);
      const integ = velocityVerlet({ force: ff, space: free(2), dt: 0.001 });
      const x = new Rng(12).normalArray(10, 0.5, 0, new Float64Array(10)) as Float64Array;
      const v = new Rng(13).normalArray(10, 0.5, 0, new Float64Array(10)) as Float64Array;
      const s = integ.init(x, v);
      const e0 = total(s);
      const p0 = momentum(s.velocities, s.masses, 2);
      for (let k = 0; k < 5000; k++) integ.step(s);
      expect(Math.abs(total(s) - e0)).toBeLessThan(1e-5 * Math.max(1, Math.abs(e0)));
      const p1 = momentum(s.velocities, s.masses, 2);
      expect(Math.abs(p1[0] - p0[0]) + Math.abs(p1[1] - p0[1])).toBeLessThan(1e-12);
      const F = new Float64Array(10);
      ff.compute(s.positions, F);
      for (let c = 0; c < 10; c++) {
        const p = Float64Array.from(s.positions);
        const m = Float64Array.from(s.positions);
        p[c] += 1e-6;
        m[c] -= 1e-6;
        const fd = -(ff.compute(p, new Float64Array(10)).energy - ff.compute(m, new Float64Array(10)).energy) / 2e-6;
        expect(Math.abs(fd - F[c])).toBeLessThan(1e-6);
      }
    }
    expect(springs.i.length).toBeGreaterThan(0);
  });
});
