import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { ParamStore } from '../../src/models/params.js';
import { graphCast, type GraphCastModel } from '../../src/models/graphcast.js';
import { buildGraphCastGraph, disposeGraphCastGraph, graphCastTensors, type GraphCastHostGraph } from '../../src/models/graphcast_graph.js';
import { latLonGrid } from '../../src/geometry/sphere/index.js';
import { expectNoLeaks } from '../helpers/tf.js';

// 6° grid with poles (31 × 60): 72° is 12 columns, a symmetry of the icosahedral mesh.
const GRID = latLonGrid({ resolutionDeg: 6 });
const LEVEL = 2;
const IN = 5;
const OUT = 3;

function makeModel(seed: number, meshInDim = 3): { model: GraphCastModel; params: ParamStore } {
  const params = new ParamStore(new Rng(seed));
  const model = graphCast({ gridInDim: IN, gridOutDim: OUT, meshInDim, edgeDim: 4, latent: 16, processorLayers: 3 }, params);
  return { model, params };
}

function run(model: GraphCastModel, host: GraphCastHostGraph, inputs: Float32Array): Float32Array {
  const g = graphCastTensors(host);
  const x = tf.tensor2d(inputs, [host.numGrid, IN]);
  const y = model(x, g);
  const out = y.dataSync().slice() as Float32Array;
  y.dispose();
  x.dispose();
  disposeGraphCastGraph(g);
  return out;
}

function randomInputs(n: number, seed: number): Float32Array {
  return new Rng(seed).normalArray(n * IN) as Float32Array;
}

/** Relabels grid nodes (new id = perm[old id]) and mesh nodes (new id = meshPerm[old id]). */
function relabel(h: GraphCastHostGraph, gridPerm: Int32Array, meshPerm: Int32Array): GraphCastHostGraph {
  const map = (ids: Int32Array, p: Int32Array) => Int32Array.from(ids, (i) => p[i]);
  const meshFeatures = new Float32Array(h.meshFeatures.length);
  for (let i = 0; i < h.numMesh; i++) meshFeatures.set(h.meshFeatures.subarray(3 * i, 3 * i + 3), 3 * meshPerm[i]);
  return {
    ...h,
    meshFeatures,
    g2m: { ...h.g2m, senders: map(h.g2m.senders, gridPerm), receivers: map(h.g2m.receivers, meshPerm) },
    m2m: { ...h.m2m, senders: map(h.m2m.senders, meshPerm), receivers: map(h.m2m.receivers, meshPerm) },
    m2g: { ...h.m2g, senders: map(h.m2g.senders, meshPerm), receivers: map(h.m2g.receivers, gridPerm) },
  };
}

function permuteRows(x: Float32Array, perm: Int32Array, width: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < perm.length; i++) out.set(x.subarray(width * i, width * i + width), width * perm[i]);
  return out;
}

function permuteInts(x: Int32Array, perm: Int32Array): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < perm.length; i++) out[perm[i]] = x[i];
  return out;
}

/** Also shuffles the order of edges within each set (edge relabelling). */
function shuffleEdges(h: GraphCastHostGraph, rng: Rng): GraphCastHostGraph {
  const shuffle = <T extends { senders: Int32Array; receivers: Int32Array; features: Float32Array }>(s: T): T => {
    const p = rng.permutation(s.senders.length);
    return { ...s, senders: permuteInts(s.senders, p), receivers: permuteInts(s.receivers, p), features: permuteRows(s.features, p, 4) };
  };
  return { ...h, g2m: shuffle(h.g2m), m2m: shuffle(h.m2m), m2g: shuffle(h.m2g) };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Mesh-vertex permutation induced by a rotation about z by `angle` (found by nearest match). */
function meshRotationPermutation(v: Float64Array, angle: number): Int32Array {
  const n = v.length / 3;
  const c = Math.cos(angle), s = Math.sin(angle);
  const key = (x: number, y: number, z: number) => `${Math.round(x * 1e6)},${Math.round(y * 1e6)},${Math.round(z * 1e6)}`;
  const byKey = new Map<string, number>();
  for (let i = 0; i < n; i++) byKey.set(key(v[3 * i], v[3 * i + 1], v[3 * i + 2]), i);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = v[3 * i], y = v[3 * i + 1], z = v[3 * i + 2];
    const j = byKey.get(key(c * x - s * y, s * x + c * y, z));
    if (j === undefined) throw new Error(`rotation by ${angle} is not a symmetry of the mesh (vertex ${i})`);
    perm[i] = j;
  }
  return perm;
}

/** Grid permutation for a longitude shift by `cols` columns: (i, j) → (i, j + cols). */
function gridShiftPermutation(cols: number): Int32Array {
  const { nLat, nLon } = GRID;
  const perm = new Int32Array(nLat * nLon);
  for (let i = 0; i < nLat; i++) for (let j = 0; j < nLon; j++) perm[i * nLon + j] = i * nLon + ((j + cols) % nLon);
  return perm;
}

describe('GraphCast-style model', () => {
  let host: GraphCastHostGraph;
  let hostNoLon: GraphCastHostGraph;
  beforeAll(async () => {
    await initBackend();
    host = buildGraphCastGraph(GRID, { meshLevel: LEVEL });
    hostNoLon = buildGraphCastGraph(GRID, { meshLevel: LEVEL, absoluteLongitude: false });
  });
  afterAll(() => undefined);

  it('builds the graph GraphCast describes: 3 mesh2grid edges per grid point, symmetric multimesh', () => {
    expect(host.numGrid).toBe(31 * 60);
    expect(host.numMesh).toBe(162);
    expect(host.m2g.senders.length).toBe(3 * host.numGrid);
    // every mesh vertex receives from at least one grid point at radius 0.6 × longest edge
    const got = new Uint8Array(host.numMesh);
    for (const r of host.g2m.receivers) got[r] = 1;
    expect(got.reduce((a, b) => a + b, 0)).toBe(host.numMesh);
    const keys = new Set<string>();
    for (let e = 0; e < host.m2m.senders.length; e++) keys.add(`${host.m2m.senders[e]}>${host.m2m.receivers[e]}`);
    for (let e = 0; e < host.m2m.senders.length; e++) expect(keys.has(`${host.m2m.receivers[e]}>${host.m2m.senders[e]}`)).toBe(true);
  });

  it('maps [Ng, in] to [Ng, out], finite, without leaking tensors', async () => {
    const { model, params } = makeModel(1);
    await expectNoLeaks(() => {
      const y = run(model, host, randomInputs(host.numGrid, 2));
      expect(y.length).toBe(host.numGrid * OUT);
      expect(y.every(Number.isFinite)).toBe(true);
    });
    params.dispose();
  });

  it('rejects inputs of the wrong shape with expected/got', () => {
    const { model, params } = makeModel(1);
    const g = graphCastTensors(host);
    const x = tf.zeros([host.numGrid, IN + 1]) as tf.Tensor2D;
    expect(() => model(x, g)).toThrow(/Expected 'grid inputs' to be \[1860, 5\] \(got \[1860, 6\]\)/);
    x.dispose();
    disposeGraphCastGraph(g);
    params.dispose();
    expect(() => graphCast({ gridInDim: 0, gridOutDim: 1, meshInDim: 3, edgeDim: 4 }, new ParamStore(1))).toThrow(/graphCast.gridInDim/);
  });

  it('is equivariant to relabelling grid nodes, mesh nodes and edges (fast-check)', () => {
    const { model, params } = makeModel(3);
    const x = randomInputs(host.numGrid, 4);
    const y = run(model, host, x);
    const scale = maxAbs(y);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const rng = new Rng(seed);
        const gp = rng.permutation(host.numGrid);
        const mp = rng.permutation(host.numMesh);
        const h2 = shuffleEdges(relabel(host, gp, mp), rng);
        const y2 = run(model, h2, permuteRows(x, gp, IN));
        const err = maxAbsDiff(y2, permuteRows(y, gp, OUT));
        return err <= 1e-4 * Math.max(1, scale);
      }),
      { seed: 20261122, numRuns: 4 },
    );
    params.dispose();
  });

  it('a relabelling that forgets to relabel the edges is caught (the test can fail)', () => {
    const { model, params } = makeModel(3);
    const x = randomInputs(host.numGrid, 4);
    const y = run(model, host, x);
    const gp = new Rng(9).permutation(host.numGrid);
    // Broken: grid rows permuted but grid2mesh/mesh2grid edges left pointing at old ids.
    const y2 = run(model, host, permuteRows(x, gp, IN));
    expect(maxAbsDiff(y2, permuteRows(y, gp, OUT))).toBeGreaterThan(1e-3);
    params.dispose();
  });

  it('is exactly equivariant to the 72° longitude rotation (a mesh and grid symmetry) without absolute-longitude inputs', () => {
    const { model, params } = makeModel(5);
    const gp = gridShiftPermutation(12); // 72° = 12 columns of 6°
    const mp = meshRotationPermutation(hostNoLon.meshVertices, (72 * Math.PI) / 180);
    // The rotated discretisation is the same graph relabelled: check that first.
    const rotated = relabel(hostNoLon, gp, mp);
    const edgeKey = (s: Int32Array, r: Int32Array, e: number) => `${s[e]}>${r[e]}`;
    const orig = new Map<string, number>();
    for (let e = 0; e < hostNoLon.g2m.senders.length; e++) orig.set(edgeKey(hostNoLon.g2m.senders, hostNoLon.g2m.receivers, e), e);
    for (let e = 0; e < rotated.g2m.senders.length; e++) {
      const k = orig.get(edgeKey(rotated.g2m.senders, rotated.g2m.receivers, e));
      expect(k).toBeDefined();
      for (let c = 0; c < 4; c++) expect(Math.abs(rotated.g2m.features[4 * e + c] - hostNoLon.g2m.features[4 * k! + c])).toBeLessThan(1e-5);
    }
    // f(rotate(x)) = rotate(f(x)) on the unchanged graph.
    const x = randomInputs(hostNoLon.numGrid, 6);
    const y = run(model, hostNoLon, x);
    const yRot = run(model, hostNoLon, permuteRows(x, gp, IN));
    const err = maxAbsDiff(yRot, permuteRows(y, gp, OUT));
    expect(err).toBeLessThan(1e-4 * Math.max(1, maxAbs(y)));
    params.dispose();
  });

  it('with absolute longitude as an input the 72° symmetry is broken, and a 6° shift is not a mesh symmetry (measured)', () => {
    const { model, params } = makeModel(5);
    const x = randomInputs(host.numGrid, 6);
    const y = run(model, host, x);
    const scale = Math.max(1, maxAbs(y));
    const err72 = maxAbsDiff(run(model, host, permuteRows(x, gridShiftPermutation(12), IN)), permuteRows(y, gridShiftPermutation(12), OUT)) / scale;
    const yNo = run(model, hostNoLon, x);
    const err6 = maxAbsDiff(run(model, hostNoLon, permuteRows(x, gridShiftPermutation(1), IN)), permuteRows(yNo, gridShiftPermutation(1), OUT)) / Math.max(1, maxAbs(yNo));
    console.log(`GraphCast symmetry errors (relative max-abs): 72° with absolute longitude ${err72.toExponential(2)}; 6° shift without ${err6.toExponential(2)}`);
    expect(err72).toBeGreaterThan(1e-3);
    expect(err6).toBeGreaterThan(1e-3);
    params.dispose();
  });

  it('graphCastTensors(host, 3): one call on 3 stacked samples equals 3 single calls (disjoint copies)', () => {
    const { model, params } = makeModel(5);
    const xs = [0, 1, 2].map((k) => randomInputs(host.numGrid, 20 + k));
    const single = xs.map((x) => run(model, host, x));
    const g3 = graphCastTensors(host, 3);
    expect(g3.numGrid).toBe(3 * host.numGrid);
    expect(g3.m2m.senders.shape[0]).toBe(3 * host.m2m.senders.length);
    const stacked = new Float32Array(3 * host.numGrid * IN);
    xs.forEach((x, k) => stacked.set(x, k * x.length));
    const x3 = tf.tensor2d(stacked, [3 * host.numGrid, IN]);
    const y3 = model(x3, g3);
    const out = y3.dataSync().slice() as Float32Array;
    y3.dispose();
    x3.dispose();
    disposeGraphCastGraph(g3);
    let err = 0;
    single.forEach((y, k) => y.forEach((v, i) => (err = Math.max(err, Math.abs(v - out[k * y.length + i])))));
    expect(err).toBeLessThan(1e-4 * Math.max(1, maxAbs(single[0])));
    // The check can fail: the samples' outputs differ, so copies mixed up or sharing nodes
    // would not match their single calls.
    const mixed = single[0].some((v, i) => Math.abs(v - single[1][i]) > 1e-3);
    expect(mixed).toBe(true);
    expect(() => graphCastTensors(host, 0)).toThrow(/copies/);
    params.dispose();
  });

  it('gradients reach every parameter', () => {
    const { model, params } = makeModel(7);
    const g = graphCastTensors(host);
    const x = tf.tensor2d(randomInputs(host.numGrid, 8), [host.numGrid, IN]);
    const names = params.names();
    const vars = names.map((n) => params.variable(n));
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model(x, g))) as tf.Scalar, vars);
    let zero = 0;
    for (const v of vars) {
      const gr = grads[v.name];
      if (!gr || maxAbs(gr.dataSync() as Float32Array) === 0) zero++;
    }
    expect(zero).toBe(0);
    value.dispose();
    Object.values(grads).forEach((t) => t.dispose());
    x.dispose();
    disposeGraphCastGraph(g);
    params.dispose();
  });
});
