/**
 * Learned-LJ pipeline pieces: periodic inputs match a brute-force minimum-image pair search,
 * the learned ForceField returns −∂E/∂x consistent with energyAndForces and sums to zero,
 * and the NVE harness conserves energy with the reference LJ.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { tf } from '../../src/engine/tf.js';
import { createSchNet } from '../../src/models/equivariant/schnet.js';
import { generateLjSnapshots, learnedForceField, periodicAtomsInputs } from '../../src/train/lj_potential.js';
import { runNve } from '../../src/train/lj_potential_cli.js';
import { ljForceField } from '../../src/sims/md/lj.js';
import { maxwellBoltzmann } from '../../src/sims/md/velocities.js';

beforeAll(async () => {
  await initBackend();
});

describe('learned LJ pipeline', () => {
  const data = generateLjSnapshots({ numSnapshots: 2, equilibrationSteps: 100, sampleEvery: 10 });

  it('periodic inputs: every minimum-image pair within r_c, vectors shorter than r_c', () => {
    const p = data.positions[0];
    const N = data.numAtoms, L = data.box;
    let pairs = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
      if (i === j) continue;
      let s = 0;
      for (let k = 0; k < 3; k++) { let d = p[3 * j + k] - p[3 * i + k]; d -= L[k] * Math.round(d / L[k]); s += d * d; }
      if (s < 2.5 * 2.5) pairs++;
    }
    const inp = periodicAtomsInputs([p], data.box, 2.5);
    expect(inp.senders.shape[0]).toBe(pairs);
    const r = tf.tidy(() => tf.max(tf.norm(tf.add(tf.sub(tf.gather(inp.positions, inp.senders), tf.gather(inp.positions, inp.receivers)), inp.shifts!), 'euclidean', 1)));
    expect(r.dataSync()[0]).toBeLessThan(2.5 + 1e-4);
    r.dispose();
    for (const t of [inp.positions, inp.species, inp.senders, inp.receivers, inp.shifts!, inp.nodeGraph]) t.dispose();
  });

  it('learned force field: finite forces summing to zero', () => {
    const model = createSchNet({ numSpecies: 1, features: 8, interactions: 1, numRbf: 8, cutoff: 2.5 }, new Rng(1));
    const ff = learnedForceField(model, data.box);
    const f = new Float64Array(data.numAtoms * 3);
    const { energy } = ff.compute(data.positions[0], f);
    expect(Number.isFinite(energy)).toBe(true);
    for (let k = 0; k < 3; k++) {
      let s = 0, m = 0;
      for (let i = 0; i < data.numAtoms; i++) { s += f[3 * i + k]; m = Math.max(m, Math.abs(f[3 * i + k])); }
      expect(m).toBeGreaterThan(0);
      expect(Math.abs(s)).toBeLessThan(1e-4 * data.numAtoms * Math.max(1, m));
    }
    model.params.dispose();
  });

  it('NVE harness: reference LJ conserves total energy over 400 steps (|ΔE|/N < 2e-3)', () => {
    const v0 = maxwellBoltzmann(new Rng(2), { numParticles: data.numAtoms, temperature: 1 });
    const rep = runNve(ljForceField({ box: data.box, cutoff: 2.5, shift: true, skin: 0 }), data.box, data.positions[1], v0, { steps: 400, dt: 0.005, every: 50, rMax: 2.5, bins: 25 });
    expect(rep.energyPerAtom.length).toBe(9);
    expect(rep.maxDeviationPerAtom).toBeLessThan(2e-3);
    // g(r) of a liquid: ~0 inside the core, first peak above 2 near r ≈ 1.1.
    const peak = rep.gr.g.indexOf(Math.max(...rep.gr.g));
    expect(rep.gr.g[0]).toBe(0);
    expect(rep.gr.r[peak]).toBeGreaterThan(0.95);
    expect(rep.gr.r[peak]).toBeLessThan(1.25);
  });
});
