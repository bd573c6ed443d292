/**
 * Shared fixtures of the atomistic model tests (SchNet, PaiNN, heads): build AtomsInputs
 * from host arrays, run energy + forces (+ PaiNN vectors) and read them back.
 */
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import type { GraphsTuple } from '../../src/geometry/graphs_tuple.js';
import { graphsTuple } from '../../src/geometry/graphs_tuple.js';
import { energyAndForces, type AtomEnergyModel, type AtomsInputs } from '../../src/models/equivariant/heads.js';
import { minimumImageShifts } from '../../src/models/equivariant/radial.js';
import type { NumArray } from '../helpers/index.js';

/** Fully connected single graph on n atoms with int species block `z`. */
export function completeGraph(n: number, species: Int32Array): GraphsTuple {
  const s: number[] = [], r: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) { r.push(i); s.push(j); }
  return graphsTuple({
    senders: Int32Array.from(s), receivers: Int32Array.from(r), nNode: Int32Array.of(n), nEdge: Int32Array.of(s.length),
    nodes: { z: { data: species, width: 1 } },
  });
}

/** Tensors for one graph; `box` adds minimum-image shifts computed from `positions`. */
export function atomsInputs(positions: NumArray, g: GraphsTuple, box?: ArrayLike<number>): AtomsInputs {
  const N = g.nNode.reduce((a, b) => a + b, 0);
  const G = g.nNode.length;
  const nodeGraph = new Int32Array(N);
  let o = 0;
  g.nNode.forEach((c, k) => { nodeGraph.fill(k, o, o + c); o += c; });
  return {
    positions: tf.tensor2d(Float32Array.from(positions), [N, 3]),
    species: tf.tensor1d(g.nodes.z.data as Int32Array, 'int32'),
    senders: tf.tensor1d(g.senders, 'int32'),
    receivers: tf.tensor1d(g.receivers, 'int32'),
    shifts: box ? tf.tensor2d(minimumImageShifts(positions, g.senders, g.receivers, box), [g.senders.length, 3]) : undefined,
    nodeGraph: tf.tensor1d(nodeGraph, 'int32'),
    numGraphs: G,
  };
}

export function disposeInputs(inp: AtomsInputs): void {
  for (const t of [inp.positions, inp.species, inp.senders, inp.receivers, inp.shifts, inp.nodeGraph]) t?.dispose();
}

/** Energy [G] and forces [N·3] (and extra outputs from `more`) on host. */
export function runEnergyForces(
  model: AtomEnergyModel, positions: NumArray, g: GraphsTuple, box?: ArrayLike<number>,
  more?: (inp: AtomsInputs) => Record<string, tf.Tensor>,
): Record<string, Float32Array> {
  const inp = atomsInputs(positions, g, box);
  const out = tf.tidy(() => ({ ...energyAndForces(model, inp), ...(more ? more(inp) : {}) }));
  const res: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(out)) { res[k] = Float32Array.from(t.dataSync() as Float32Array); t.dispose(); }
  disposeInputs(inp);
  return res;
}

/** Random molecule-like cloud: n atoms with pairwise distances ≥ 0.7 (rejection), species < numSpecies. */
export function randomAtoms(seed: number, n: number, numSpecies: number, spread = 1.5): { positions: Float64Array; species: Int32Array } {
  const rng = new Rng(seed);
  const positions = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let tries = 0; ; tries++) {
      for (let k = 0; k < 3; k++) positions[3 * i + k] = spread * rng.normal();
      let ok = true;
      for (let j = 0; j < i && ok; j++) {
        const d = Math.hypot(positions[3 * i] - positions[3 * j], positions[3 * i + 1] - positions[3 * j + 1], positions[3 * i + 2] - positions[3 * j + 2]);
        if (d < 0.7) ok = false;
      }
      if (ok || tries > 100) break;
    }
  }
  const species = new Int32Array(n).map(() => rng.int(numSpecies));
  return { positions, species };
}
