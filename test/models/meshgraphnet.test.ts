import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/engine/rng.js';
import { graphsTuple, type GraphsTuple } from '../../src/geometry/graphs_tuple.js';
import { channelMesh, triangleEdges, type TriMesh } from '../../src/geometry/trimesh/index.js';
import { meshGraphNet, type MeshGraphNet, type MgnMesh } from '../../src/models/meshgraphnet.js';
import { assertEquivariant, assertPermutationEquivariant, equivarianceError, type NumArray } from '../helpers/index.js';

let mesh: TriMesh;
let model: MeshGraphNet;
let full: MeshGraphNet;
let velocity: Float64Array;

beforeAll(async () => {
  await initBackend();
  mesh = channelMesh({ length: 2.2, height: 0.41, obstacles: [{ center: [0.2, 0.2], radius: 0.05 }], hMin: 0.04, hMax: 0.09, seed: 1 });
  const rng = new Rng(3);
  velocity = Float64Array.from(rng.normalArray(2 * mesh.numNodes));
  model = meshGraphNet({ latent: 32, messagePassingSteps: 3, seed: 1 });
  full = meshGraphNet({ seed: 2 }); // the paper's size: latent 128, 15 steps
  // Statistics from this input, then frozen for the symmetry checks.
  for (const m of [model, full]) {
    const prepared = m.prepare(asMgnMesh(mesh.positions, mesh.nodeTypes, triangleEdges(mesh.triangles, mesh.numNodes)));
    const v = tf.tensor2d(Float32Array.from(velocity), [mesh.numNodes, 2]);
    m.forward(prepared, v, { accumulate: true }).dispose();
    m.outputNormalizer.accumulate(Float32Array.from(velocity, (x) => 0.01 * x));
    v.dispose();
    prepared.dispose();
  }
});

afterAll(() => {
  model?.dispose();
  full?.dispose();
});

function asMgnMesh(pos: NumArray, types: Int32Array, e: { senders: Int32Array; receivers: Int32Array }): MgnMesh {
  return { meshPos: Float32Array.from(pos), nodeType: types, senders: e.senders, receivers: e.receivers };
}

/** The symmetry function: features = [vx, vy, type] per node; output 'dv' = network output [N*2]. */
function mgnFn(m: MeshGraphNet, tweak?: (pos: NumArray, v: Float32Array) => void) {
  return (pos: NumArray, features: unknown, graph: GraphsTuple | undefined): Record<string, NumArray> => {
    const f = features as Float64Array;
    const N = f.length / 3;
    const v = new Float32Array(2 * N);
    const types = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      v[2 * i] = f[3 * i];
      v[2 * i + 1] = f[3 * i + 1];
      types[i] = f[3 * i + 2];
    }
    tweak?.(pos, v);
    const prepared = m.prepare(asMgnMesh(pos, types, graph!));
    const vt = tf.tensor2d(v, [N, 2]);
    const out = m.forward(prepared, vt);
    const dv = Float64Array.from(out.dataSync());
    tf.dispose([vt, out]);
    prepared.dispose();
    return { dv };
  };
}

function inputs() {
  const N = mesh.numNodes;
  const features = new Float64Array(3 * N);
  for (let i = 0; i < N; i++) {
    features[3 * i] = velocity[2 * i];
    features[3 * i + 1] = velocity[2 * i + 1];
    features[3 * i + 2] = mesh.nodeTypes[i];
  }
  const e = triangleEdges(mesh.triangles, N);
  const graph = graphsTuple({ senders: e.senders, receivers: e.receivers, numNodes: N });
  return { positions: mesh.positions, features, graph, dim: 2 };
}

describe('MeshGraphNet', () => {
  it('has the paper architecture: 15 processor blocks, latent 128, 2 hidden layers per MLP', () => {
    const names = full.params.names();
    expect(names.filter((n) => /^mgn\/processor\/\d+\/edge\/dense0\/w$/.test(n)).length).toBe(15);
    expect(full.params.variable('mgn/processor/0/edge/dense0/w').shape).toEqual([3 * 128, 128]);
    expect(full.params.variable('mgn/encoder/node/dense0/w').shape).toEqual([11, 128]);
    expect(names.filter((n) => n.startsWith('mgn/decoder/') && n.endsWith('/w')).length).toBe(3);
    expect(names.some((n) => n.startsWith('mgn/decoder/norm'))).toBe(false); // no LayerNorm in the decoder
    expect(names.some((n) => n.startsWith('mgn/encoder/node/norm'))).toBe(true);
  });

  it('is permutation-equivariant over node and edge relabelling (small and full-size model)', async () => {
    const inp = inputs();
    await assertPermutationEquivariant(mgnFn(model), inp, { outputs: { dv: 'node' }, trials: 2, seed: 5, tolerance: { atol: 1e-4, rtol: 0 } });
    await assertPermutationEquivariant(mgnFn(full), inp, { outputs: { dv: 'node' }, trials: 1, seed: 6, tolerance: { atol: 1e-3, rtol: 0 } });
  });

  it('is translation-invariant (only relative mesh positions enter)', async () => {
    await assertEquivariant(mgnFn(model), inputs(), { outputs: { dv: 'scalar' }, transforms: ['translation'], trials: 3, seed: 7, translationScale: 5, tolerance: { atol: 1e-4, rtol: 1e-4 } });
  });

  it('the translation check catches a model that sees absolute positions', async () => {
    const leaky = mgnFn(model, (pos, v) => {
      for (let k = 0; k < v.length; k++) v[k] += 0.3 * pos[k];
    });
    await expect(assertEquivariant(leaky, inputs(), { outputs: { dv: 'scalar' }, transforms: ['translation'], trials: 3, seed: 7, translationScale: 5, tolerance: { atol: 1e-4, rtol: 1e-4 } })).rejects.toThrow(/Not equivariant/);
  });

  it('is not rotation-equivariant: the measured error is reported, not hidden', async () => {
    // Rotate mesh positions *and* input velocities; compare with the rotated output.
    const inp = inputs();
    const rotFn = (pos: NumArray, features: unknown, graph: GraphsTuple | undefined) => {
      // Recover the rotation from the first two positions' displacement vs the original.
      const f = Float64Array.from(features as Float64Array);
      const R = rotationFrom(inp.positions, pos);
      for (let i = 0; i < f.length / 3; i++) {
        const x = f[3 * i], y = f[3 * i + 1];
        f[3 * i] = R[0] * x + R[1] * y;
        f[3 * i + 1] = R[2] * x + R[3] * y;
      }
      return mgnFn(model)(pos, f, graph);
    };
    const rep = await equivarianceError(rotFn, inp, { outputs: { dv: 'vector' }, transforms: ['rotation'], trials: 3, seed: 8 });
    const rel = rep.worst.rotation.dv / rep.scale.dv;
    // eslint-disable-next-line no-console
    console.log(`MGN rotation error (untrained, latent 32, 3 steps): max |err| / max |out| = ${rel.toExponential(3)}`);
    expect(Number.isFinite(rel)).toBe(true);
    expect(rel).toBeGreaterThan(1e-3);
  });

  it('validates its inputs with clear errors', () => {
    expect(() => meshGraphNet({ latent: 0 })).toThrow(/latent/);
    expect(() => model.prepare({ meshPos: new Float32Array(4), nodeType: Int32Array.of(0, 12), senders: new Int32Array(0), receivers: new Int32Array(0) })).toThrow(/nodeType\[1\]/);
  });
});

/** 2×2 rotation R (row-major) with pos ≈ R·orig (least squares over the centred points). */
function rotationFrom(orig: NumArray, pos: NumArray): Float64Array {
  const N = orig.length / 2;
  let cx = 0, cy = 0, dx = 0, dy = 0;
  for (let i = 0; i < N; i++) { cx += orig[2 * i] / N; cy += orig[2 * i + 1] / N; dx += pos[2 * i] / N; dy += pos[2 * i + 1] / N; }
  let a = 0, b = 0;
  for (let i = 0; i < N; i++) {
    const x = orig[2 * i] - cx, y = orig[2 * i + 1] - cy, X = pos[2 * i] - dx, Y = pos[2 * i + 1] - dy;
    a += x * X + y * Y;
    b += x * Y - y * X;
  }
  const th = Math.atan2(b, a);
  return Float64Array.of(Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th));
}
