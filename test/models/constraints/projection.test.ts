import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { divergenceFreeProjection, p1Operators, rmsDivergence, weakDivergence, type ProjectionOptions } from '../../../src/models/constraints/index.js';
import { randomMesh } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SEED = 4242;

/** A random mesh, velocity and (optionally) channel-like boundary masks. */
function setup(seed: number, n: number, channel: boolean) {
  const rng = new Rng(seed);
  const m = randomMesh(rng, n);
  const ops = p1Operators(m.positions, m.triangles);
  const N = ops.numNodes;
  const u = Float64Array.from(rng.normalArray(2 * N));
  const options: ProjectionOptions = {};
  let velocityFixed: Uint8Array | undefined, pressureZero: Uint8Array | undefined;
  if (channel) {
    // Walls and inflow (x < 1 on the boundary) fixed; outflow (x = 1) at p = 0.
    velocityFixed = new Uint8Array(N);
    pressureZero = new Uint8Array(N);
    for (let i = 0; i < N; i++) {
      if (!m.boundary[i]) continue;
      if (m.positions[2 * i] === 1) pressureZero[i] = 1;
      else velocityFixed[i] = 1;
    }
  }
  return { ops, u, N, options: { ...options, velocityFixed, pressureZero }, rng };
}

/** Divergence of Πu on the constrained nodes, relative to that of u. */
function divergenceRatio(seed: number, n: number, channel: boolean, opts: Partial<ProjectionOptions> = {}): number {
  const s = setup(seed, n, channel);
  const P = divergenceFreeProjection(s.ops, { ...s.options, ...opts });
  const pu = P.project(s.u);
  const free = s.options.pressureZero ? Uint8Array.from(s.options.pressureZero, (z) => 1 - z) : undefined;
  return rmsDivergence(s.ops, pu, free) / rmsDivergence(s.ops, s.u, free);
}

describe('divergenceFreeProjection', () => {
  it('removes the discrete divergence on random meshes (all nodes free)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 5, max: 60 }), (seed, n) => divergenceRatio(seed, n, false) < 1e-8), { seed: SEED, numRuns: 25 });
  });

  it('with walls/inflow fixed and p = 0 at the outflow: divergence-free where constrained, fixed nodes untouched', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 5, max: 80 }), (seed, n) => {
        const s = setup(seed, n, true);
        const P = divergenceFreeProjection(s.ops, s.options);
        const pu = P.project(s.u);
        for (let i = 0; i < s.N; i++) {
          if (s.options.velocityFixed![i] && (pu[2 * i] !== s.u[2 * i] || pu[2 * i + 1] !== s.u[2 * i + 1])) return false;
        }
        const free = P.constrained;
        return rmsDivergence(s.ops, pu, free) < 1e-8 * rmsDivergence(s.ops, s.u, free) && P.info.relResidual < 1e-9;
      }),
      { seed: SEED + 1, numRuns: 25 },
    );
  });

  it('drops (and reports) a node whose triangle neighbours all have fixed velocities', () => {
    // Unit square with its centre: 4 triangles, corners fixed. D restricted to the free centre
    // velocity is zero (∫∇φ = 0), so no correction can change the centre's divergence.
    const ops = p1Operators([0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5], Int32Array.of(0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4));
    const P = divergenceFreeProjection(ops, { velocityFixed: Uint8Array.of(1, 1, 1, 1, 0) });
    expect(P.info.droppedRows).toBe(1);
    expect(Array.from(P.constrained)).toEqual([0, 0, 0, 0, 0]);
    const u = [1, 0, 0, 1, -1, 0, 0, -1, 0.3, 0.2];
    expect(Array.from(P.project(u))).toEqual(u);
  });

  it('the property catches an under-converged solve (CG capped at 3 iterations)', () => {
    const r = fc.check(fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 20, max: 60 }), (seed, n) => divergenceRatio(seed, n, false, { maxIter: 3 }) < 1e-8), { seed: SEED, numRuns: 25 });
    expect(r.failed).toBe(true);
  });

  it('is a projector (Π Π u = Π u) and its transpose is the exact adjoint', () => {
    for (const channel of [false, true]) {
      const s = setup(17, 40, channel);
      const P = divergenceFreeProjection(s.ops, s.options);
      const pu = P.project(s.u);
      const ppu = P.project(pu);
      let d = 0, nrm = 0;
      for (let k = 0; k < pu.length; k++) {
        d = Math.max(d, Math.abs(ppu[k] - pu[k]));
        nrm = Math.max(nrm, Math.abs(pu[k]));
      }
      expect(d).toBeLessThan(1e-9 * nrm);
      const g = Float64Array.from(s.rng.normalArray(2 * s.N));
      const ptg = P.projectT(g);
      let a = 0, b = 0;
      for (let k = 0; k < g.length; k++) {
        a += pu[k] * g[k];
        b += s.u[k] * ptg[k];
      }
      expect(Math.abs(a - b)).toBeLessThan(1e-9 * (Math.abs(a) + 1));
    }
  });

  it('as a tensor layer: float32 output is divergence-free to float32 precision and tf.grad gives Πᵀ g', () => {
    const s = setup(23, 50, true);
    const P = divergenceFreeProjection(s.ops, s.options);
    const u = tf.tensor2d(Float32Array.from(s.u), [s.N, 2]);
    const out = P(u);
    const free = P.constrained;
    expect(rmsDivergence(s.ops, out.dataSync(), free)).toBeLessThan(1e-5 * rmsDivergence(s.ops, s.u, free));
    const gArr = Float32Array.from(s.rng.normalArray(2 * s.N));
    const g = tf.tensor2d(gArr, [s.N, 2]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(P(x as tf.Tensor2D), g)) as tf.Scalar)(u);
    const expected = P.projectT(gArr);
    const got = grad.dataSync();
    let err = 0, nrm = 0;
    for (let k = 0; k < got.length; k++) {
      err = Math.max(err, Math.abs(got[k] - expected[k]));
      nrm = Math.max(nrm, Math.abs(expected[k]));
    }
    expect(nrm).toBeGreaterThan(0);
    expect(err).toBeLessThan(1e-5 * nrm);
    tf.dispose([u, out, g, grad]);
  });

  it('P1 weak divergence: zero for a constant field on interior nodes, Σ_i (Du)_i = boundary flux', () => {
    const s = setup(3, 30, false);
    const { positions } = randomMesh(new Rng(3), 30);
    // u = (x, 0): ∫ div u = area of the unit square = 1 = net outflow.
    const u = new Float64Array(2 * s.N);
    for (let i = 0; i < s.N; i++) u[2 * i] = positions[2 * i];
    const d = weakDivergence(s.ops, u);
    let total = 0;
    for (const v of d) total += v;
    expect(total).toBeCloseTo(1, 12);
    const c = new Float64Array(2 * s.N).fill(1);
    const dc = weakDivergence(s.ops, c);
    const { boundary } = randomMesh(new Rng(3), 30);
    for (let i = 0; i < s.N; i++) if (!boundary[i]) expect(Math.abs(dc[i])).toBeLessThan(1e-12);
  });
});
