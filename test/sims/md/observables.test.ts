import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/engine/rng.js';
import { fcc } from '../../../src/geometry/lattice.js';
import { kineticEnergy, momentum, pressure, radialDistribution, temperature } from '../../../src/sims/md/observables.js';
import { ljForceField } from '../../../src/sims/md/lj.js';
import { maxwellBoltzmann } from '../../../src/sims/md/velocities.js';

describe('MD observables', () => {
  it('g(r) of an fcc lattice: peaks at a/√2, a, a√(3/2), a√2 holding 12, 6, 24, 12 neighbours', () => {
    const lat = fcc(0.8442, [6, 6, 6]);
    const a = lat.latticeConstant;
    const N = lat.positions.length / 3;
    const rho = N / (lat.box[0] * lat.box[1] * lat.box[2]);
    const { r, g } = radialDistribution(lat.positions, lat.box, { rMax: 2.5, bins: 250 });
    const dr = r[1] - r[0];
    // Group non-empty bins into peaks; each peak's position and coordination number.
    const peaks: { r: number; n: number }[] = [];
    for (let b = 0; b < g.length; b++) {
      if (g[b] === 0) continue;
      const n = g[b] * rho * (4 / 3) * Math.PI * ((r[b] + dr / 2) ** 3 - (r[b] - dr / 2) ** 3);
      const last = peaks[peaks.length - 1];
      if (last && Math.abs(last.r - r[b]) < 2 * dr) last.n += n;
      else peaks.push({ r: r[b], n });
    }
    const want = [
      { r: a / Math.SQRT2, n: 12 },
      { r: a, n: 6 },
      { r: a * Math.sqrt(1.5), n: 24 },
      { r: a * Math.SQRT2, n: 12 },
    ];
    expect(peaks.length).toBe(want.length);
    peaks.forEach((p, k) => {
      expect(Math.abs(p.r - want[k].r)).toBeLessThan(dr);
      expect(p.n).toBeCloseTo(want[k].n, 6);
    });
  });

  it('g(r) of an ideal gas (uniform random points) is ≈ 1', () => {
    const rng = new Rng(2);
    const L = 12;
    const R = rng.uniformArray(3000 * 3, 0, L, new Float64Array(9000)) as Float64Array;
    const { g } = radialDistribution(R, [L, L, L], { rMax: 4, bins: 8 });
    for (let b = 2; b < 8; b++) expect(Math.abs(g[b] - 1)).toBeLessThan(0.1);
  });

  it('Maxwell–Boltzmann: zero momentum, exact temperature, Gaussian components with variance T/m', () => {
    const N = 20000;
    const m = new Float64Array(N).map((_, i) => (i % 2 ? 1 : 4));
    const v = maxwellBoltzmann(new Rng(3), { numParticles: N, temperature: 1.5, masses: m });
    for (const p of momentum(v, m)) expect(Math.abs(p)).toBeLessThan(1e-9);
    expect(temperature(v, m)).toBeCloseTo(1.5, 12);
    // Variance of v_x for the heavy (m = 4) particles: T/m = 0.375 (sampling error ~1.4 %).
    let s2 = 0;
    for (let i = 0; i < N; i += 2) s2 += v[3 * i] ** 2;
    expect(Math.abs(s2 / (N / 2) / 0.375 - 1)).toBeLessThan(0.05);
    // Kurtosis of a Gaussian is 3.
    let s4 = 0;
    for (let i = 1; i < N; i += 2) s4 += v[3 * i] ** 4;
    expect(Math.abs(s4 / (N / 2) / 1.5 ** 2 - 3)).toBeLessThan(0.25);
  });

  it('pressure: force-free gas gives 2KE/3V; the LAMMPS bench lattice matches the LAMMPS step-0 energy and pressure', () => {
    const v = maxwellBoltzmann(new Rng(4), { numParticles: 1000, temperature: 2 });
    const m = new Float64Array(1000).fill(1);
    const ke = kineticEnergy(v, m);
    // 2 KE / (3V) = (3N − 3) T / (3V).
    expect(pressure(ke, 0, [10, 10, 10])).toBeCloseTo((2997 * 2) / 3000, 12);
    // LAMMPS bench/in.lj step 0 (fcc 0.8442, T 1.44, lj/cut 2.5): E_pair −6.7733681, Press −5.0197073
    // for 32,000 atoms. Per-atom energy and virial of a perfect lattice do not depend on size.
    const lat = fcc(0.8442, [8, 8, 8]);
    const n = lat.positions.length / 3;
    const F = new Float64Array(n * 3);
    const res = ljForceField({ box: lat.box }).compute(lat.positions, F);
    expect(res.energy / n).toBeCloseTo(-6.7733681, 6);
    const kineticPart = 0.8442 * 1.44 * (31999 / 32000);
    expect(pressure(0, res.virial, lat.box)).toBeCloseTo(-5.0197073 - kineticPart, 5);
  });
});
