import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/engine/rng.js';
import { channelMesh } from '../../../src/geometry/trimesh/index.js';
import { p1Operators, weakDivergence, weakDivergenceT } from '../../../src/models/constraints/p1.js';
import { nodalDivergence } from '../../../src/models/constraints/p1_tensor.js';

beforeAll(async () => {
  await initBackend();
});

describe('nodalDivergence (tensor P1 divergence)', () => {
  const mesh = channelMesh({ length: 1, height: 0.41, obstacles: [{ center: [0.2, 0.2], radius: 0.05 }], hMin: 0.03, hMax: 0.08, seed: 1 });
  const ops = p1Operators(mesh.positions, mesh.triangles);
  const N = mesh.numNodes;

  it('equals the host weak divergence over the lumped mass; zero for a constant field, exact for a linear one', () => {
    const div = nodalDivergence(ops);
    const u = new Rng(3).normalArray(2 * N) as Float32Array;
    const host = weakDivergence(ops, u);
    const got = tf.tidy(() => div.apply(tf.tensor2d(u, [N, 2])).dataSync());
    let err = 0, scale = 0;
    for (let i = 0; i < N; i++) {
      err = Math.max(err, Math.abs(got[i] - host[i] / ops.lumpedMass[i]));
      scale = Math.max(scale, Math.abs(host[i] / ops.lumpedMass[i]));
    }
    expect(err).toBeLessThan(1e-5 * scale);
    // u = (2x + a, -y + b): div_T = 1 on every triangle, so (D u)_i / M_i = 1 at every node
    const lin = new Float32Array(2 * N);
    for (let i = 0; i < N; i++) { lin[2 * i] = 2 * mesh.positions[2 * i] + 0.3; lin[2 * i + 1] = -mesh.positions[2 * i + 1] - 0.7; }
    const d = tf.tidy(() => div.apply(tf.tensor2d(lin, [N, 2])).dataSync());
    for (let i = 0; i < N; i++) expect(Math.abs(d[i] - 1)).toBeLessThan(1e-4);
    const c = new Float32Array(2 * N).fill(0.5);
    const d0 = tf.tidy(() => div.apply(tf.tensor2d(c, [N, 2])).dataSync());
    for (let i = 0; i < N; i++) expect(Math.abs(d0[i])).toBeLessThan(1e-3);
    expect(() => div.apply(tf.zeros([N, 3]) as tf.Tensor2D)).toThrow(/\[\d+, 2\]/);
    div.dispose();
  });

  it('its gradient is the transpose: ∂/∂u Σ_i w_i div_i = Dᵀ (w / M)', () => {
    const div = nodalDivergence(ops);
    const w = new Rng(4).normalArray(N) as Float32Array;
    const g = tf.tidy(() => {
      const wt = tf.tensor2d(w, [N, 1]);
      return tf.grad((u: tf.Tensor) => tf.sum(tf.mul(div.apply(u as tf.Tensor2D), wt)))(tf.zeros([N, 2])).dataSync();
    });
    // Dᵀ p with p = w / M, host
    const want = weakDivergenceT(ops, Float64Array.from(w, (x, i) => x / ops.lumpedMass[i]));
    let err = 0, scale = 0;
    for (let k = 0; k < 2 * N; k++) { err = Math.max(err, Math.abs(g[k] - want[k])); scale = Math.max(scale, Math.abs(want[k])); }
    expect(err).toBeLessThan(1e-4 * scale);
    div.dispose();
  });
});
