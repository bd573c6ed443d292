import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/engine/rng.js';
import { fcc } from '../../../src/geometry/lattice.js';
import { ljForceField, ljPairEnergy } from '../../../src/sims/md/lj.js';
import { assertEquivariant, equivarianceError } from '../../helpers/equivariance.js';

/** A perturbed 256-atom fcc configuration at ρ = 0.8442 (L = 6.72 σ). */
function liquidLike(seed: number, amp = 0.15): { R: Float64Array; box: Float64Array } {
  const lat = fcc(0.8442, [4, 4, 4]);
  const rng = new Rng(seed);
  const R = lat.positions.map((x) => x + amp * (2 * rng.uniform() - 1));
  return { R: Float64Array.from(R), box: lat.box };
}

describe('Lennard-Jones', () => {
  it('hand case: two atoms at the minimum r = 2^(1/6) σ have U = −ε and no force; at r = σ, U = 0 and F = 24ε/σ', () => {
    const ff = ljForceField({ cutoff: 2.5 });
    const F = new Float64Array(6);
    const rmin = 2 ** (1 / 6);
    const e = ff.compute(Float64Array.of(0, 0, 0, rmin, 0, 0), F);
    expect(e.energy).toBeCloseTo(-1, 12);
    expect(Math.abs(F[0])).toBeLessThan(1e-12);
    const e2 = ljForceField({ cutoff: 2.5 }).compute(Float64Array.of(0, 0, 0, 1, 0, 0), F);
    expect(e2.energy).toBeCloseTo(0, 12);
    expect(F[0]).toBeCloseTo(-24, 10); // atom 0 pushed towards −x
    expect(F[3]).toBeCloseTo(24, 10);
    expect(e2.virial).toBeCloseTo(24, 10); // r·F = 1 · 24
  });

  it('shift: energy continuous at the cutoff; shifted minus unshifted = pairs · U(r_c)', () => {
    expect(ljPairEnergy(2.5 - 1e-12, { shift: true })).toBeCloseTo(0, 10);
    expect(ljPairEnergy(2.5 - 1e-12)).toBeCloseTo(4 * (2.5 ** -12 - 2.5 ** -6), 10);
    const { R, box } = liquidLike(1);
    const F = new Float64Array(R.length);
    const a = ljForceField({ box, shift: false }).compute(R, F).energy;
    const b = ljForceField({ box, shift: true }).compute(R, F).energy;
    const uc = ljPairEnergy(2.5 - 1e-15);
    const pairs = (b - a) / -uc;
    expect(Math.abs(pairs - Math.round(pairs))).toBeLessThan(1e-6);
    expect(pairs).toBeGreaterThan(1000);
  });

  it('forces equal −finite-difference gradients of the energy (periodic, 256 atoms)', () => {
    const { R, box } = liquidLike(2);
    const F = new Float64Array(R.length);
    const scratch = new Float64Array(R.length);
    const ff = ljForceField({ box, shift: true });
    ff.compute(R, F);
    const rng = new Rng(3);
    const h = 1e-6;
    let worst = 0;
    for (let t = 0; t < 24; t++) {
      const c = rng.int(R.length);
      const Rp = Float64Array.from(R);
      const Rm = Float64Array.from(R);
      Rp[c] += h;
      Rm[c] -= h;
      // A fresh field per evaluation: no neighbour-list state carried over.
      const ep = ljForceField({ box, shift: true }).compute(Rp, scratch).energy;
      const em = ljForceField({ box, shift: true }).compute(Rm, scratch).energy;
      const fd = -(ep - em) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - F[c]) / Math.max(1, Math.abs(F[c])));
    }
    // Central differences: truncation O(h²·U''') ~ 1e-10, round-off ~ 1e-16·|U|/h ~ 1e-7.
    expect(worst).toBeLessThan(1e-5);
  });

  it('pair forces sum to zero (Newton 3: total momentum conserved)', () => {
    const { R, box } = liquidLike(4);
    const F = new Float64Array(R.length);
    ljForceField({ box }).compute(R, F);
    const tot = [0, 0, 0];
    let scale = 0;
    for (let i = 0; i < R.length; i++) {
      tot[i % 3] += F[i];
      scale = Math.max(scale, Math.abs(F[i]));
    }
    for (const t of tot) expect(Math.abs(t)).toBeLessThan(1e-10 * scale * R.length);
  });

  it('positions outside the box give the same forces as wrapped ones', () => {
    const { R, box } = liquidLike(5);
    const shifted = R.map((x, i) => x + (i % 2 ? 2 : -1) * box[i % 3]);
    const F1 = new Float64Array(R.length);
    const F2 = new Float64Array(R.length);
    const e1 = ljForceField({ box }).compute(R, F1).energy;
    const e2 = ljForceField({ box }).compute(Float64Array.from(shifted), F2).energy;
    expect(e2).toBeCloseTo(e1, 9);
    for (let i = 0; i < R.length; i++) expect(F2[i]).toBeCloseTo(F1[i], 9);
  });

  it('2D LJ forces equal −finite differences', () => {
    const rng = new Rng(6);
    const box = [8, 8];
    const R = new Float64Array(40);
    // A perturbed square lattice, spacing 1.2.
    for (let i = 0; i < 20; i++) {
      R[2 * i] = (i % 5) * 1.6 + 0.2 * rng.uniform();
      R[2 * i + 1] = Math.floor(i / 5) * 2 + 0.2 * rng.uniform();
    }
    const F = new Float64Array(40);
    ljForceField({ box }).compute(R, F);
    const s = new Float64Array(40);
    for (const c of [0, 7, 13, 31]) {
      const Rp = Float64Array.from(R);
      const Rm = Float64Array.from(R);
      Rp[c] += 1e-6;
      Rm[c] -= 1e-6;
      const fd = -(ljForceField({ box }).compute(Rp, s).energy - ljForceField({ box }).compute(Rm, s).energy) / 2e-6;
      expect(Math.abs(fd - F[c])).toBeLessThan(1e-5 * Math.max(1, Math.abs(F[c])));
    }
  });

  it('symmetries (test toolkit): E invariant and F equivariant under O(3) + translations (free cluster) and periodic shifts (box)', async () => {
    const cluster = fcc(0.8442, [2, 2, 2]).positions.map((x, i) => x + 0.05 * Math.sin(i));
    const freeFn = (x: Float64Array | Float32Array) => {
      const F = new Float64Array(x.length);
      const e = ljForceField({ cutoff: 2.5 }).compute(Float64Array.from(x), F).energy;
      return { energy: Float64Array.of(e), forces: F };
    };
    await assertEquivariant(freeFn, { positions: Float64Array.from(cluster) }, { outputs: { energy: 'scalar', forces: 'vector' }, tolerance: { atol: 1e-9, rtol: 1e-10 }, seed: 3 });
    const { R, box } = liquidLike(8);
    const boxFn = (x: Float64Array | Float32Array) => {
      const F = new Float64Array(x.length);
      const e = ljForceField({ box }).compute(Float64Array.from(x), F).energy;
      return { energy: Float64Array.of(e), forces: F };
    };
    await assertEquivariant(boxFn, { positions: R, box }, { outputs: { energy: 'scalar', forces: 'scalar' }, tolerance: { atol: 1e-9, rtol: 1e-11 }, seed: 4 });
    // And the toolkit sees that a box is not rotation invariant (cutoff sphere vs images).
    const rep = await equivarianceError(boxFn, { positions: R, box }, { outputs: { energy: 'scalar' }, transforms: ['rotation'] });
    expect(rep.worst.rotation.energy).toBeGreaterThan(1e-3);
  });

  it('a neighbour-list overflow inside the force field re-allocates and forces stay exact; dangerous builds are counted', () => {
    const { R, box } = liquidLike(9, 0.05);
    const ff = ljForceField({ box, shift: true });
    const F = new Float64Array(R.length);
    ff.compute(R, F);
    // Move every atom 0.4 σ towards a corner region: far more pairs than allocated.
    const squeezed = R.map((x, i) => (x * 0.55 + 0.1 * (i % 3)));
    const e1 = ff.compute(squeezed, F).energy;
    expect(ff.stats.reallocations).toBeGreaterThanOrEqual(1);
    const F2 = new Float64Array(R.length);
    const e2 = ljForceField({ box, shift: true }).compute(squeezed, F2).energy;
    expect(e1).toBe(e2);
    for (let i = 0; i < F.length; i++) expect(F[i]).toBe(F2[i]);
    // rebuildEvery 2 with a jump of 0.3 σ (> skin/2 = 0.15) between builds: counted as dangerous.
    const every = ljForceField({ box, rebuildEvery: 2 });
    every.compute(R, F);
    every.compute(R, F);
    every.compute(R.map((x, i) => (i === 0 ? x + 0.3 : x)), F);
    expect(every.stats.dangerousBuilds).toBe(1);
  });
});
