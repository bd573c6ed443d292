/**
 * Heads: conservative forces equal −finite differences of the energy; forces are trainable
 * (the gradient of a force-matching loss with respect to a parameter matches finite
 * differences — a second derivative), and a few Adam steps on forces reduce the force error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { createSchNet } from '../../src/models/equivariant/schnet.js';
import { createPaiNN } from '../../src/models/equivariant/painn.js';
import { energyAndForces, forceMatchingLoss, totalEnergy, type AtomEnergyModel } from '../../src/models/equivariant/heads.js';
import { Adam, trainStep } from '../../src/train/trainer.js';
import { atomsInputs, completeGraph, disposeInputs, randomAtoms } from './equivariant_fixtures.js';

beforeAll(async () => {
  await initBackend();
});

function energyAt(model: AtomEnergyModel, positions: Float64Array, g: ReturnType<typeof completeGraph>): number {
  const inp = atomsInputs(positions, g);
  const e = tf.tidy(() => tf.sum(totalEnergy(model, inp)));
  const v = e.dataSync()[0];
  e.dispose();
  disposeInputs(inp);
  return v;
}

/** Reference pair forces of a soft repulsion U = Σ_{i<j} exp(−r²) (free space). */
function targetForces(positions: Float64Array, n: number): Float32Array {
  const f = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (i === j) continue;
    const d = [0, 1, 2].map((k) => positions[3 * i + k] - positions[3 * j + k]);
    const r2 = d[0] ** 2 + d[1] ** 2 + d[2] ** 2;
    for (let k = 0; k < 3; k++) f[3 * i + k] += 2 * d[k] * Math.exp(-r2);
  }
  return f;
}

describe.each([
  ['SchNet', () => createSchNet({ numSpecies: 2, features: 16, interactions: 2, numRbf: 10, cutoff: 4 }, new Rng(1))],
  ['PaiNN', () => createPaiNN({ numSpecies: 2, features: 16, layers: 2, numBasis: 8, cutoff: 4 }, new Rng(1))],
])('%s force head', (_name, make) => {
  it('forces = −∂E/∂x (central differences in float64 positions)', () => {
    const model = make();
    const n = 5;
    const { positions, species } = randomAtoms(3, n, 2, 1.0);
    const g = completeGraph(n, species);
    const inp = atomsInputs(positions, g);
    const { energy, forces } = energyAndForces(model, inp);
    const F = forces.dataSync();
    energy.dispose(); forces.dispose(); disposeInputs(inp);
    const h = 1e-2;
    let maxF = 0, maxErr = 0;
    for (let c = 0; c < 3 * n; c++) {
      const p = Float64Array.from(positions), m = Float64Array.from(positions);
      p[c] += h; m[c] -= h;
      const fd = -(energyAt(model, p, g) - energyAt(model, m, g)) / (2 * h);
      maxF = Math.max(maxF, Math.abs(F[c]));
      maxErr = Math.max(maxErr, Math.abs(fd - F[c]));
    }
    expect(maxF).toBeGreaterThan(1e-3);
    expect(maxErr).toBeLessThan(0.03 * maxF + 2e-3);
    model.params.dispose();
  });

  it('is trainable on forces: ∂loss/∂θ matches finite differences, and Adam steps reduce the error', () => {
    const model = make();
    const n = 6;
    const { positions, species } = randomAtoms(5, n, 2, 1.0);
    const g = completeGraph(n, species);
    const inp = atomsInputs(positions, g);
    const target = tf.tensor2d(targetForces(positions, n), [n, 3]);
    const loss = () => forceMatchingLoss(model, inp, null, target, { energyWeight: 0, forceWeight: 1 });
    // Directional derivative along a random direction of one weight matrix (second derivative of E).
    const name = model.params.names().find((k) => k.endsWith('/0/W'))!;
    const P = model.params.get(name);
    const rng = new Rng(9);
    const U = tf.tensor(Float32Array.from({ length: P.size }, () => rng.normal()), P.shape);
    const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, [P]);
    const analytic = tf.tidy(() => tf.sum(tf.mul(grads[P.name], U))).dataSync()[0];
    value.dispose(); for (const t of Object.values(grads)) t.dispose();
    const P0 = P.clone();
    const at = (s: number) => { P.assign(tf.tidy(() => tf.add(P0, tf.mul(U, s)))); const l = loss(); const v = l.dataSync()[0]; l.dispose(); return v; };
    const h = 1e-2;
    const fd = (at(h) - at(-h)) / (2 * h);
    P.assign(P0);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-4);
    expect(Math.abs(fd - analytic)).toBeLessThan(0.05 * Math.abs(analytic) + 1e-4);
    const opt = new Adam(model.params, { lr: 3e-3 });
    const l0 = trainStep(model.params, opt, loss);
    let l = l0;
    for (let k = 0; k < 40; k++) l = trainStep(model.params, opt, loss);
    expect(l).toBeLessThan(0.5 * l0);
    for (const t of [target, U, P0]) t.dispose();
    disposeInputs(inp); opt.dispose(); model.params.dispose();
  });
});
