/**
 * PaiNN: energy O(3)/translation invariant, forces and the vector head O(3)-equivariant
 * (reflections included: only polar vectors), permutations, periodic image shifts, forces
 * sum to zero; a vector head that mixes in absolute positions is caught.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { graphsTuple } from '../../src/geometry/graphs_tuple.js';
import { radiusGraph } from '../../src/geometry/neighbor_list.js';
import { createPaiNN, type PaiNN, type PaiNNConfig } from '../../src/models/equivariant/painn.js';
import { assertEquivariant, assertPermutationEquivariant, type NumArray } from '../helpers/index.js';
import { expectNoLeaks } from '../helpers/tf.js';
import { completeGraph, randomAtoms, runEnergyForces } from './equivariant_fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const CFG: PaiNNConfig = { numSpecies: 3, features: 16, layers: 2, numBasis: 8, cutoff: 4 };
const TOL = { atol: 1e-4, rtol: 1e-4 };

describe('PaiNN', () => {
  let model: PaiNN;
  beforeAll(() => { model = createPaiNN(CFG, new Rng(4)); });
  const withVectors = (m: PaiNN) => (inp: Parameters<PaiNN['vectors']>[0]) => ({ vectors: m.vectors(inp) });

  it('energy invariant; forces and vector head equivariant under O(3) and translations (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 2 ** 30 }), async (n, seed) => {
        const { positions, species } = randomAtoms(seed, n, 3);
        const g = completeGraph(n, species);
        const fn = (p: NumArray) => runEnergyForces(model, p, g, undefined, withVectors(model));
        const rep = await assertEquivariant(fn, { positions, graph: g }, { outputs: { energy: 'scalar', forces: 'vector', vectors: 'vector' }, trials: 2, seed, tolerance: TOL });
        expect(rep.scale.vectors).toBeGreaterThan(0);
      }),
      { seed: 8, numRuns: 6 },
    );
  });

  it('conservative forces sum to zero; no tensor leaks', async () => {
    const { positions, species } = randomAtoms(3, 7, 3);
    const { forces } = await expectNoLeaks(() => runEnergyForces(model, positions, completeGraph(7, species)));
    let scale = 0;
    for (const f of forces) scale = Math.max(scale, Math.abs(f));
    expect(scale).toBeGreaterThan(1e-4);
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let i = 0; i < 7; i++) s += forces[3 * i + k];
      expect(Math.abs(s)).toBeLessThan(1e-5 + 1e-4 * scale);
    }
  });

  it('node and edge permutations', async () => {
    const { positions, species } = randomAtoms(6, 6, 3);
    const g = completeGraph(6, species);
    const fn = (p: NumArray, _f: unknown, gg: typeof g | undefined) => runEnergyForces(model, p, gg!, undefined, withVectors(model));
    await assertPermutationEquivariant(fn, { positions, graph: g }, { outputs: { energy: 'graph', forces: 'node', vectors: 'node' }, trials: 3, seed: 2, tolerance: { atol: 1e-4, rtol: 0 } });
  });

  it('periodic image shifts with a minimum-image radius graph', async () => {
    const box = [6, 6, 6];
    const rng = new Rng(7);
    const n = 10;
    const positions = new Float64Array(3 * n).map(() => 6 * rng.uniform());
    const species = new Int32Array(n).map(() => rng.int(3));
    const { senders, receivers } = radiusGraph(positions, { cutoff: 2.9, box });
    const g = graphsTuple({ senders, receivers, nNode: Int32Array.of(n), nEdge: Int32Array.of(senders.length), nodes: { z: { data: species, width: 1 } } });
    const m = createPaiNN({ ...CFG, cutoff: 2.9 }, new Rng(5));
    const fn = (p: NumArray) => runEnergyForces(m, p, g, box, withVectors(m));
    await assertEquivariant(fn, { positions, graph: g, box }, { outputs: { energy: 'scalar', forces: 'vector', vectors: 'vector' }, trials: 4, seed: 3, tolerance: TOL });
  });

  it('catches a broken vector head that adds absolute positions', async () => {
    const { positions, species } = randomAtoms(11, 5, 3);
    const g = completeGraph(5, species);
    const broken = (inp: Parameters<PaiNN['vectors']>[0]) => ({ vectors: tf.add(model.vectors(inp), tf.mul(inp.positions, 0.1)) });
    const fn = (p: NumArray) => runEnergyForces(model, p, g, undefined, broken);
    await expect(assertEquivariant(fn, { positions, graph: g }, { outputs: { vectors: 'vector' }, trials: 2, seed: 1, tolerance: TOL })).rejects.toThrow(/translation\/vectors/);
  });
});
