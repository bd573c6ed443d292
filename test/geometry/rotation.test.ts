import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { block, graphsTuple } from '../../src/geometry/graphs_tuple.js';
import { radiusGraph } from '../../src/geometry/neighbor_list.js';
import {
  applyMatrix,
  composeMatrices,
  determinant,
  orthogonalityError,
  quaternionToMatrix,
  randomOrthogonal,
  randomRotation,
  transposeMatrix,
} from '../../src/geometry/rotation.js';
import { assertEquivariant, equivarianceError, type SymmetryFn } from '../helpers/equivariance.js';
import { assertPermutationEquivariant } from '../helpers/permutation.js';
import { rotation } from '../helpers/arbitraries.js';

const SEED = 7;

/** Kolmogorov–Smirnov statistic of samples against a CDF. */
function ks(samples: number[], cdf: (x: number) => number): number {
  const s = [...samples].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const F = cdf(x);
    d = Math.max(d, Math.abs(F - i / s.length), Math.abs(F - (i + 1) / s.length));
  });
  return d;
}
/** KS critical value at α = 0.001. */
const ksCrit = (n: number) => 1.95 / Math.sqrt(n);
/** Rotation angle θ of a 3×3 rotation: trace = 1 + 2 cos θ. */
const angle = (Q: Float64Array) => Math.acos(Math.max(-1, Math.min(1, (Q[0] + Q[4] + Q[8] - 1) / 2)));
/** Haar measure on SO(3): P(θ ≤ t) = (t − sin t)/π. */
const haarAngleCdf = (t: number) => (t - Math.sin(t)) / Math.PI;

describe('rotations', () => {
  it('property: orthogonal with det +1 (SO) or ±1 (O), in 2D and 3D', () => {
    for (const dim of [2, 3]) {
      fc.assert(
        fc.property(rotation({ dim }), rotation({ dim, reflections: true }), (R, Q) => {
          expect(orthogonalityError(R)).toBeLessThan(1e-12);
          expect(determinant(R)).toBeCloseTo(1, 12);
          expect(orthogonalityError(Q)).toBeLessThan(1e-12);
          expect(Math.abs(Math.abs(determinant(Q)) - 1)).toBeLessThan(1e-12);
          expect(orthogonalityError(composeMatrices(R, transposeMatrix(R)))).toBeLessThan(1e-12);
        }),
        { seed: SEED, numRuns: 200 },
      );
    }
  });

  it('hand case: quaternion (cos 45°, 0, 0, sin 45°) rotates x to y', () => {
    const Q = quaternionToMatrix(Math.SQRT1_2, 0, 0, Math.SQRT1_2);
    const y = applyMatrix(Q, Float64Array.of(1, 0, 0));
    expect(y[0]).toBeCloseTo(0, 12);
    expect(y[1]).toBeCloseTo(1, 12);
  });

  it('statistics: uniform on SO(3) (rotation-angle law and Archimedes), reflections with probability ½', () => {
    const rng = new Rng(SEED);
    const n = 4000;
    const angles: number[] = [];
    const zs: number[] = [];
    let reflected = 0;
    for (let i = 0; i < n; i++) {
      const Q = randomRotation(rng, 3);
      angles.push(angle(Q));
      zs.push(Q[8]); // z-component of Q e_z: uniform on [-1, 1] for a uniform direction
      if (determinant(randomOrthogonal(rng, 3)) < 0) reflected++;
    }
    expect(ks(angles, haarAngleCdf)).toBeLessThan(ksCrit(n));
    expect(ks(zs, (z) => (z + 1) / 2)).toBeLessThan(ksCrit(n));
    // Binomial(n, ½): 4 standard deviations.
    expect(Math.abs(reflected - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
    // 2D: angle uniform on [0, 2π).
    const a2: number[] = [];
    for (let i = 0; i < n; i++) {
      const R = randomRotation(rng, 2);
      a2.push((Math.atan2(R[2], R[0]) + 2 * Math.PI) % (2 * Math.PI));
    }
    expect(ks(a2, (t) => t / (2 * Math.PI))).toBeLessThan(ksCrit(n));
  });

  it('the uniformity test catches a non-uniform sampler (uniform Euler angles)', () => {
    const rng = new Rng(SEED);
    const n = 4000;
    const angles: number[] = [];
    for (let i = 0; i < n; i++) {
      const [a, b, c] = [rng.uniform() * 2 * Math.PI, rng.uniform() * Math.PI, rng.uniform() * 2 * Math.PI];
      const Rz = (t: number) => Float64Array.of(Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1);
      const Ry = (t: number) => Float64Array.of(Math.cos(t), 0, Math.sin(t), 0, 1, 0, -Math.sin(t), 0, Math.cos(t));
      angles.push(angle(composeMatrices(Rz(a), composeMatrices(Ry(b), Rz(c)))));
    }
    expect(ks(angles, haarAngleCdf)).toBeGreaterThan(ksCrit(n));
  });
});

describe('test toolkit: equivariance and permutation helpers', () => {
  // A physical function: pairwise harmonic repulsion energy (scalar), forces (vector), and
  // positions after a small force step ('position').
  const physical: SymmetryFn = (x) => {
    const n = x.length / 3;
    const f = new Float64Array(x.length);
    let e = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      const d = [0, 1, 2].map((k) => x[3 * i + k] - x[3 * j + k]);
      const r = Math.hypot(...d);
      e += (r - 1) ** 2;
      for (let k = 0; k < 3; k++) {
        f[3 * i + k] -= (2 * (r - 1) * d[k]) / r;
        f[3 * j + k] += (2 * (r - 1) * d[k]) / r;
      }
    }
    return { energy: Float64Array.of(e), forces: f, next: x.map((v, i) => v + 0.01 * f[i]) as Float64Array };
  };
  const positions = new Rng(3).normalArray(8 * 3, 1, 0, new Float64Array(24)) as Float64Array;
  const tol = { atol: 1e-9, rtol: 1e-12 };

  it('accepts an equivariant function (rotations, reflections, translations)', async () => {
    const rep = await assertEquivariant(physical, { positions }, { outputs: { energy: 'scalar', forces: 'vector', next: 'position' }, tolerance: tol, seed: 1 });
    expect(rep.maxError).toBeLessThan(1e-9);
  });

  it('catches a broken function with a readable report', async () => {
    // Broken: adds an external field along x (not rotation invariant) and a chiral term.
    const broken: SymmetryFn = (x, f, g) => {
      const out = physical(x, f, g) as Record<string, Float64Array>;
      let chiral = 0;
      // Sum of triple products a · (b × c) over consecutive points.
      for (let i = 0; i + 8 < x.length; i += 3) {
        const [a0, a1, a2, b0, b1, b2, c0, c1, c2] = Array.from(x.subarray(i, i + 9));
        chiral += a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
      }
      return { ...out, energy: Float64Array.of(out.energy[0] + x[0]), chirality: Float64Array.of(chiral) };
    };
    await expect(assertEquivariant(broken, { positions }, { outputs: { energy: 'scalar', forces: 'vector' }, tolerance: tol })).rejects.toThrow(
      /Not equivariant[\s\S]*rotation\s+energy\s+scalar[\s\S]*NO/,
    );
    // A pseudoscalar-like triple product is rotation invariant but flips under reflection.
    const rep = await equivarianceError(broken, { positions }, { outputs: { chirality: 'scalar' }, transforms: ['rotation', 'reflection'] });
    expect(rep.worst.rotation.chirality).toBeLessThan(1e-9);
    expect(rep.worst.reflection.chirality).toBeGreaterThan(1e-3);
  });

  it('periodic shifts: a minimum-image radius graph degree is invariant, a wrapped-coordinate sum is not', async () => {
    const box = [6, 7, 8];
    const x = new Rng(4).uniformArray(30 * 3, 0, 6, new Float64Array(90)) as Float64Array;
    const degree: SymmetryFn = (p) => {
      const e = radiusGraph(p, { cutoff: 1.8, box });
      const deg = new Float64Array(p.length / 3);
      for (const s of e.senders) deg[s]++;
      return { degree: deg, sum: Float64Array.of(Array.from(p).reduce((a, b) => a + b, 0)) };
    };
    await assertEquivariant(degree, { positions: x, box }, { outputs: { degree: 'scalar' }, tolerance: { atol: 0, rtol: 0 } });
    await expect(assertEquivariant(degree, { positions: x, box }, { outputs: { sum: 'scalar' }, tolerance: tol })).rejects.toThrow(/periodic-shift/);
  });

  it('permutation equivariance over nodes and edges; a broken function is caught', async () => {
    const g = graphsTuple({
      nodes: { x: block(Float32Array.of(1, 2, 3, 4, 5), 1) },
      edges: { w: block(Float32Array.of(0.5, 1, 2, 3), 1) },
      senders: Int32Array.of(0, 1, 2, 4),
      receivers: Int32Array.of(1, 2, 0, 0),
    });
    const pos = new Float64Array(15).map((_, i) => i * 0.1);
    // Messages w·x_sender summed at receivers, and per-edge messages.
    const fn: SymmetryFn = (_p, _f, graph) => {
      const agg = new Float64Array(5);
      const msg = new Float64Array(graph!.senders.length);
      graph!.senders.forEach((s, e) => {
        msg[e] = graph!.edges.w.data[e] * graph!.nodes.x.data[s];
        agg[graph!.receivers[e]] += msg[e];
      });
      return { agg, msg, total: Float64Array.of(agg.reduce((a, b) => a + b, 0)) };
    };
    await assertPermutationEquivariant(fn, { positions: pos, graph: g }, { outputs: { agg: 'node', msg: 'edge', total: 'graph' }, seed: 2 });
    // Broken: depends on the node index.
    const broken: SymmetryFn = (p, f, graph) => {
      const out = fn(p, f, graph) as Record<string, Float64Array>;
      return { ...out, agg: out.agg.map((v, i) => v + i) };
    };
    await expect(assertPermutationEquivariant(broken, { positions: pos, graph: g }, { outputs: { agg: 'node' }, seed: 2 })).rejects.toThrow(/nodes\s+agg\s+node[\s\S]*NO/);
  });
});
