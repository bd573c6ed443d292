import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { segmentSum } from '../../../src/models/segment.js';
import { massConservingUpdate, p1Operators, totalMass, type FluxInputs, type FluxUpdate } from '../../../src/models/constraints/index.js';
import { absSum, icosphere, meshEdges, mlpApply, randomMesh, randomMlp } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SEED = 909;
const C = 2; // conserved channels
const F = 3;

type Layer = (x: FluxInputs) => FluxUpdate;
const good = (w: tf.Tensor[]): Layer => massConservingUpdate((x) => mlpApply(w, x));
/** Broken: the flux ψ(s, r) is not antisymmetrised. */
const broken = (w: tf.Tensor[]): Layer => (x) =>
  tf.tidy(() => {
    const hs = tf.gatherND(x.h, tf.expandDims(x.senders, 1));
    const hr = tf.gatherND(x.h, tf.expandDims(x.receivers, 1));
    const f = mlpApply(w, tf.concat([hs, hr, x.edgeSym!], 1) as tf.Tensor2D);
    return { delta: tf.div(segmentSum(f, x.receivers, x.numNodes), x.areas) as tf.Tensor2D, fluxes: f };
  });

/** Mass change Σ A Δh against the prescribed boundary inflow Σ b, on the sphere or a planar mesh. */
function conserves(build: (w: tf.Tensor[]) => Layer, domain: 'sphere' | 'plane') {
  return fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 1 }), (seed, level) => {
    const rng = new Rng(seed);
    let senders: Int32Array, receivers: Int32Array, areas: Float64Array, N: number;
    let boundary: Uint8Array | undefined;
    if (domain === 'sphere') {
      const m = icosphere(level);
      ({ senders, receivers } = meshEdges(m.triangles));
      N = m.positions.length / 3;
      // Any positive cell areas: conservation must not depend on them.
      areas = Float64Array.from({ length: N }, () => 0.1 + rng.uniform());
    } else {
      const m = randomMesh(rng, 10 + 20 * level);
      ({ senders, receivers } = meshEdges(m.triangles));
      areas = p1Operators(m.positions, m.triangles).lumpedMass;
      N = areas.length;
      boundary = m.boundary;
    }
    const E = senders.length;
    const sym = rng.uniformArray(E / 2, 0.5, 1.5);
    const w = randomMlp(rng, [2 * F + 1, 16, C]);
    const bflux = new Float32Array(N * C);
    if (boundary) for (let i = 0; i < N; i++) if (boundary[i]) for (let c = 0; c < C; c++) bflux[i * C + c] = rng.normal();
    const x: FluxInputs = {
      h: tf.tensor2d(rng.normalArray(N * F) as Float32Array, [N, F]),
      senders: tf.tensor1d(senders, 'int32'),
      receivers: tf.tensor1d(receivers, 'int32'),
      numNodes: N,
      areas: tf.tensor2d(Float32Array.from(areas), [N, 1]),
      // Symmetric edge features: meshEdges lists each edge's two directions as rows 2k, 2k+1.
      edgeSym: tf.tensor2d(Float32Array.from({ length: E }, (_, e) => sym[e >> 1]), [E, 1]),
      boundaryFlux: boundary ? tf.tensor2d(bflux, [N, C]) : undefined,
      dt: 0.1,
    };
    try {
      const out = build(w)(x);
      const delta = out.delta.dataSync();
      const fl = out.fluxes.dataSync();
      tf.dispose([out.delta, out.fluxes]);
      const dm = totalMass(delta, Float32Array.from(areas), C);
      const scale = 0.1 * (absSum(fl) + absSum(bflux)) + 1e-12;
      for (let c = 0; c < C; c++) {
        let inflow = 0;
        for (let i = 0; i < N; i++) inflow += 0.1 * bflux[i * C + c];
        if (!(Math.abs(dm[c] - inflow) <= 1e-5 * scale)) return false;
      }
      return true;
    } finally {
      tf.dispose([x.h, x.senders, x.receivers, x.areas, x.edgeSym!, ...w]);
      if (x.boundaryFlux) x.boundaryFlux.dispose();
    }
  });
}

describe('massConservingUpdate', () => {
  it('conserves total mass exactly on the closed icosahedral sphere', () => {
    fc.assert(conserves(good, 'sphere'), { seed: SEED, numRuns: 20 });
  });

  it('on a planar mesh, total mass changes only by the boundary inflow', () => {
    fc.assert(conserves(good, 'plane'), { seed: SEED + 1, numRuns: 20 });
  });

  it('the property catches non-antisymmetric fluxes', () => {
    expect(fc.check(conserves(broken, 'sphere'), { seed: SEED, numRuns: 20 }).failed).toBe(true);
  });

  it('gradients flow to the flux network and the node features', () => {
    const rng = new Rng(1);
    const m = icosphere(1);
    const { senders, receivers } = meshEdges(m.triangles);
    const N = m.positions.length / 3;
    const w = randomMlp(rng, [2 * F, 8, 1]);
    const h = tf.tensor2d(rng.normalArray(N * F) as Float32Array, [N, F]);
    const s = tf.tensor1d(senders, 'int32'), r = tf.tensor1d(receivers, 'int32');
    const areas = tf.ones([N, 1]) as tf.Tensor2D;
    const grads = tf.grads((...a: tf.Tensor[]) => {
      const out = massConservingUpdate((x) => mlpApply(a.slice(0, -1), x))({ h: a[a.length - 1] as tf.Tensor2D, senders: s, receivers: r, numNodes: N, areas });
      return tf.sum(tf.square(out.delta)) as tf.Scalar;
    })([...w, h]);
    const norms = grads.map((g) => Math.sqrt(tf.sum(tf.square(g)).dataSync()[0]));
    const lastBias = w.length - 1;
    norms.forEach((n, i) => {
      expect(Number.isFinite(n)).toBe(true);
      // The last layer's bias cancels exactly in ψ(i,j) − ψ(j,i): its gradient is 0 up to
      // rounding (wasm returns ~1e-6, native kernels exactly 0). Every other gradient is non-zero.
      if (i === lastBias) expect(n).toBeLessThan(1e-3 * Math.max(...norms));
      else expect(n, `gradient ${i}`).toBeGreaterThan(0);
    });
    tf.dispose([...grads, ...w, h, s, r, areas]);
  });

  it('totalMass pins a hand-computed case', () => {
    expect(Array.from(totalMass([1, 2, 3, 4], [0.5, 2], 2))).toEqual([6.5, 9]);
  });
});
