/**
 * SchNet: energy O(3)/translation invariant, forces equivariant, node/edge permutation
 * equivariance, periodic image shifts (minimum-image neighbour list), forces sum to zero;
 * a deliberately broken SchNet (absolute positions in the embedding) is caught.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { graphsTuple } from '../../src/geometry/graphs_tuple.js';
import { radiusGraph } from '../../src/geometry/neighbor_list.js';
import { createSchNet, type SchNet, type SchNetConfig } from '../../src/models/equivariant/schnet.js';
import { assertEquivariant, assertPermutationEquivariant, type NumArray } from '../helpers/index.js';
import { completeGraph, randomAtoms, runEnergyForces } from './equivariant_fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const CFG: SchNetConfig = { numSpecies: 3, features: 16, interactions: 2, numRbf: 12, cutoff: 4 };
const TOL = { atol: 1e-4, rtol: 1e-4 };

describe('SchNet', () => {
  let model: SchNet;
  beforeAll(() => { model = createSchNet(CFG, new Rng(2)); });

  it('energy invariant, forces equivariant under rotations, reflections, translations (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 2 ** 30 }), async (n, seed) => {
        const { positions, species } = randomAtoms(seed, n, 3);
        const g = completeGraph(n, species);
        const fn = (p: NumArray) => runEnergyForces(model, p, g);
        await assertEquivariant(fn, { positions, graph: g }, { outputs: { energy: 'scalar', forces: 'vector' }, trials: 2, seed, tolerance: TOL });
      }),
      { seed: 7, numRuns: 10 },
    );
  });

  it('conservative forces sum to zero', () => {
    for (const seed of [1, 2, 3]) {
      const { positions, species } = randomAtoms(seed, 7, 3);
      const { forces } = runEnergyForces(model, positions, completeGraph(7, species));
      let scale = 0;
      for (const f of forces) scale = Math.max(scale, Math.abs(f));
      expect(scale).toBeGreaterThan(1e-3);
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let i = 0; i < 7; i++) s += forces[3 * i + k];
        expect(Math.abs(s)).toBeLessThan(1e-5 * 7 + 1e-5 * scale);
      }
    }
  });

  it('node and edge permutations', async () => {
    const { positions, species } = randomAtoms(4, 6, 3);
    const g = completeGraph(6, species);
    const fn = (p: NumArray, _f: unknown, gg: typeof g | undefined) => runEnergyForces(model, p, gg!);
    await assertPermutationEquivariant(fn, { positions, graph: g }, { outputs: { energy: 'graph', forces: 'node' }, trials: 3, seed: 1, tolerance: { atol: 1e-4, rtol: 0 } });
  });

  it('periodic image shifts: energy and forces unchanged under a wrapped translation', async () => {
    const box = [6, 6, 6];
    const rng = new Rng(5);
    const n = 10;
    const positions = new Float64Array(3 * n).map(() => 6 * rng.uniform());
    const species = new Int32Array(n).map(() => rng.int(3));
    const { senders, receivers } = radiusGraph(positions, { cutoff: 2.9, box });
    const g = graphsTuple({ senders, receivers, nNode: Int32Array.of(n), nEdge: Int32Array.of(senders.length), nodes: { z: { data: species, width: 1 } } });
    const pbcModel = createSchNet({ ...CFG, cutoff: 2.9 }, new Rng(3));
    const fn = (p: NumArray) => runEnergyForces(pbcModel, p, g, box);
    await assertEquivariant(fn, { positions, graph: g, box }, { outputs: { energy: 'scalar', forces: 'vector' }, trials: 4, seed: 2, tolerance: TOL });
  });

  it('catches a broken SchNet that reads absolute positions', async () => {
    const broken = createSchNet({ ...CFG, brokenAbsolutePositions: true }, new Rng(2));
    const { positions, species } = randomAtoms(9, 5, 3);
    const g = completeGraph(5, species);
    const fn = (p: NumArray) => runEnergyForces(broken, p, g);
    await expect(assertEquivariant(fn, { positions, graph: g }, { outputs: { energy: 'scalar', forces: 'vector' }, trials: 2, seed: 1, tolerance: TOL })).rejects.toThrow(/Not equivariant/);
  });
});
