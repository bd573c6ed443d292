import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { latLonGrid } from '../../../src/geometry/sphere/latlon_grid.js';
import { gridFluxDivergenceHost, gridFluxHead, latLonFaces, type LatLonFaces } from '../../../src/models/constraints/grid_flux.js';
import { absSum, mlpApply, randomMlp } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SEED = 4242;
const RES = [45, 30, 20, 15, 10] as const;
const FIN = 5;

function faces(resIndex: number, poles: 'include' | 'exclude'): LatLonFaces {
  return latLonFaces(latLonGrid({ resolutionDeg: RES[resIndex], poles }));
}

/** Σ A Δh relative to Σ A |Δh| for z = MLP(random inputs) with random weights. */
function massChange(f: LatLonFaces, rng: Rng, host: boolean, broken = false): { rel: number; denom: number } {
  const Ng = f.numCells;
  const w = randomMlp(rng, [FIN, 16, 2]);
  const x = tf.tensor2d(rng.normalArray(Ng * FIN) as Float32Array, [Ng, FIN]);
  const zT = mlpApply(w, x);
  const z = zT.dataSync().slice();
  let dh: ArrayLike<number>;
  if (broken) {
    // Broken: the receiving cell takes its *own* z instead of the owner's (not antisymmetric).
    const net = new Float64Array(Ng);
    for (let k = 0; k < f.owner.length; k++) {
      net[f.owner[k]] -= z[2 * f.owner[k] + f.channel[k]] * f.length[k];
      net[f.neighbour[k]] += z[2 * f.neighbour[k] + f.channel[k]] * f.length[k];
    }
    dh = net.map((v, c) => v / f.areas[c]);
  } else if (host) {
    dh = gridFluxDivergenceHost(f, z, 0.7);
  } else {
    const head = gridFluxHead(f);
    const out = head(zT, 0.7);
    dh = out.dataSync().slice();
    out.dispose();
    head.dispose();
  }
  tf.dispose([...w, x, zT]);
  let m = 0, denom = 0;
  for (let c = 0; c < Ng; c++) {
    m += f.areas[c] * dh[c];
    denom += f.areas[c] * Math.abs(dh[c]);
  }
  return { rel: Math.abs(m) / (denom + 1e-300), denom };
}

const arb = fc.tuple(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: RES.length - 1 }), fc.boolean());

describe('latLonFaces', () => {
  it('cells tile the sphere (Σ A = 4π) and every face joins two distinct cells', () => {
    for (let r = 0; r < RES.length; r++) {
      for (const poles of ['include', 'exclude'] as const) {
        const f = faces(r, poles);
        const total = f.areas.reduce((a, b) => a + b, 0);
        expect(Math.abs(total - 4 * Math.PI)).toBeLessThan(1e-12);
        for (let k = 0; k < f.owner.length; k++) expect(f.owner[k]).not.toBe(f.neighbour[k]);
      }
    }
  });

  it('pins a hand-computed 90° grid (poles excluded): areas, face lengths, divergence', () => {
    // Rows at ±45°, bounds [-90, 0] and [0, 90]; 4 longitudes (Δλ = π/2).
    const f = latLonFaces({ nLat: 2, nLon: 4, latDeg: [-45, 45], spec: { resolutionDeg: 90 } });
    expect(Array.from(f.areas).map((a) => +a.toFixed(12))).toEqual(Array(8).fill(+(Math.PI / 2).toFixed(12)));
    // 8 east faces of length π/2, 4 north faces on the equator of length π/2.
    expect(f.owner.length).toBe(12);
    for (const l of f.length) expect(l).toBeCloseTo(Math.PI / 2, 12);
    // One unit of northward flux out of cell 0 into cell 4: Δh = ∓(π/2)/(π/2) = ∓1.
    const z = new Float64Array(16);
    z[1] = 1;
    expect(Array.from(gridFluxDivergenceHost(f, z))).toEqual([-1, 0, 0, 0, 1, 0, 0, 0]);
    // A uniform eastward flux around a latitude ring changes nothing.
    const ze = Float64Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 3 : 0));
    for (const v of gridFluxDivergenceHost(f, ze)) expect(Math.abs(v)).toBeLessThan(1e-15);
  });
});

describe('gridFluxHead (mass-conserving flux layer on the lat-lon sphere)', () => {
  it('host Float64: area-weighted total mass is unchanged to 1e-13 for random weights and inputs', () => {
    fc.assert(fc.property(arb, ([seed, r, incl]) => massChange(faces(r, incl ? 'include' : 'exclude'), new Rng(seed), true).rel < 1e-13), { seed: SEED, numRuns: 25 });
  });

  it('tensor (float32): Σ A Δh = 0 to float32 rounding for random weights and inputs', () => {
    fc.assert(fc.property(arb, ([seed, r, incl]) => {
      const { rel, denom } = massChange(faces(r, incl ? 'include' : 'exclude'), new Rng(seed), false);
      return denom > 0 && rel < 2e-6;
    }), { seed: SEED + 1, numRuns: 15 });
  });

  it('the property catches non-antisymmetric face fluxes', () => {
    const res = fc.check(fc.property(arb, ([seed, r, incl]) => massChange(faces(r, incl ? 'include' : 'exclude'), new Rng(seed), true, true).rel < 1e-6), { seed: SEED, numRuns: 25 });
    expect(res.failed).toBe(true);
  });

  it('tensor and host versions agree', () => {
    const f = faces(3, 'include');
    const rng = new Rng(5);
    const z = rng.normalArray(2 * f.numCells) as Float32Array;
    const head = gridFluxHead(f);
    const zt = tf.tensor2d(z, [f.numCells, 2]);
    const out = head(zt, 2);
    const a = out.dataSync();
    const b = gridFluxDivergenceHost(f, z, 2);
    const scale = absSum(b) / b.length;
    for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4 * scale);
    tf.dispose([out, zt]);
    head.dispose();
  });

  it('gradients flow to every weight and to the inputs', () => {
    const f = faces(4, 'include');
    const rng = new Rng(9);
    const Ng = f.numCells;
    const w = randomMlp(rng, [FIN, 8, 2]);
    const x = tf.tensor2d(rng.normalArray(Ng * FIN) as Float32Array, [Ng, FIN]);
    const target = tf.tensor2d(rng.normalArray(Ng) as Float32Array, [Ng, 1]);
    const head = gridFluxHead(f);
    const grads = tf.grads((...a: tf.Tensor[]) => {
      const dh = head(mlpApply(a.slice(0, -1), a[a.length - 1] as tf.Tensor2D), 0.05);
      return tf.sum(tf.square(tf.sub(dh, target))) as tf.Scalar;
    })([...w, x]);
    const norms = grads.map((g) => {
      const s = tf.sum(tf.square(g));
      const n = Math.sqrt(s.dataSync()[0]);
      s.dispose();
      return n;
    });
    const lastBias = w.length - 1;
    norms.forEach((n, i) => {
      expect(Number.isFinite(n), `gradient ${i}`).toBe(true);
      // A constant z (the last bias) still moves mass between rows of different face lengths,
      // so its gradient is non-zero too.
      expect(n, `gradient ${i}`).toBeGreaterThan(i === lastBias ? 0 : 1e-8);
    });
    tf.dispose(grads);
    // The head itself leaks nothing under differentiation.
    const z2 = tf.concat([target, target], 1);
    const b2 = tf.memory().numTensors;
    tf.dispose(tf.grads((zz: tf.Tensor) => tf.sum(tf.square(head(zz as tf.Tensor2D, 0.1))) as tf.Scalar)([z2]));
    expect(tf.memory().numTensors).toBe(b2);
    z2.dispose();
    tf.dispose([...w, x, target]);
    head.dispose();
  });

  it('rejects z of the wrong shape', () => {
    const head = gridFluxHead(faces(0, 'include'));
    const z = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => head(z)).toThrow(/z/);
    z.dispose();
    head.dispose();
  });
});
