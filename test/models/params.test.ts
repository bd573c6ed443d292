import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/engine/rng.js';
import { ParamStore, initialValues, INIT_KINDS } from '../../src/models/params.js';
import { mlp } from '../../src/models/layers.js';
import { expectNoLeaks } from '../helpers/tf.js';

beforeAll(async () => {
  await initBackend();
});

describe('ParamStore', () => {
  it('the same seed and name give the same weights, independent of creation order', () => {
    const a = new ParamStore(new Rng(11));
    const b = new ParamStore(new Rng(11));
    a.get('x', [3, 4], 'glorotUniform');
    a.get('y', [2], 'heNormal');
    b.get('y', [2], 'heNormal');
    b.get('x', [3, 4], 'glorotUniform');
    expect(a.getWeights()).toEqual(b.getWeights());
    const c = new ParamStore(new Rng(12));
    c.get('x', [3, 4], 'glorotUniform');
    expect(c.getWeights().x.data).not.toEqual(a.getWeights().x.data);
    a.dispose(); b.dispose(); c.dispose();
  });

  it('getWeights → setWeights round trip is exact (fast-check over MLP shapes)', () => {
    const r = fc.check(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }), fc.boolean(), fc.integer(), (sizes, ln, seed) => {
        const src = new ParamStore(new Rng(seed));
        mlp({ sizes, layerNorm: ln, name: 'm' }, src);
        const saved = src.getWeights();
        const json = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]))));
        const dst = new ParamStore(new Rng(seed + 1));
        mlp({ sizes, layerNorm: ln, name: 'm' }, dst);
        dst.setWeights(Object.fromEntries(Object.entries(json).map(([k, v]) => [k, { shape: (v as { shape: number[] }).shape, data: Float32Array.from((v as { data: number[] }).data) }])));
        const back = dst.getWeights();
        src.dispose(); dst.dispose();
        for (const k of Object.keys(saved)) expect(back[k].data).toEqual(saved[k].data);
      }),
      { seed: 5, numRuns: 25 },
    );
    expect(r.failed, String(r.errorInstance)).toBe(false);
  });

  it('setWeights checks names and shapes with expected/got', () => {
    const p = new ParamStore(new Rng(1));
    p.get('w', [2, 3], 'zeros');
    expect(() => p.setWeights({ w: { shape: [3, 2], data: new Float32Array(6) } })).toThrow(/Expected 'weights\['w'\].shape' to be \[2, 3\] \(got \[3, 2\]\)/);
    expect(() => p.setWeights({})).toThrow(/values for every parameter/);
    expect(() => p.setWeights({ w: { shape: [2, 3], data: new Float32Array(6) }, q: { shape: [1], data: new Float32Array(1) } })).toThrow(/unknown name/);
    p.setWeights({ q: { shape: [1], data: new Float32Array(1) } }, { strict: false });
    expect(() => p.get('w', [3, 3], 'zeros')).toThrow(/shape \[2, 3\]/);
    p.dispose();
  });

  it('initialisers have the documented scale', () => {
    const rng = new Rng(3);
    const shape = [200, 300];
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std(initialValues('glorotNormal', shape, rng))).toBeCloseTo(Math.sqrt(2 / 500), 3);
    expect(std(initialValues('heNormal', shape, rng))).toBeCloseTo(Math.sqrt(2 / 200), 3);
    expect(std(initialValues('lecunNormal', shape, rng))).toBeCloseTo(Math.sqrt(1 / 200), 3);
    expect(std(initialValues({ kind: 'glorotUniform', gain: 2 }, shape, rng))).toBeCloseTo(2 * Math.sqrt(6 / 500) / Math.sqrt(3), 3);
    expect(Math.max(...initialValues('heUniform', shape, rng).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 200));
    expect(Array.from(initialValues({ kind: 'ones', gain: 3 }, [2], rng))).toEqual([3, 3]);
    expect(INIT_KINDS.length).toBe(8);
  });

  it('creating and disposing a store leaks no tensors', async () => {
    await expectNoLeaks(() => {
      const p = new ParamStore(new Rng(1));
      mlp({ sizes: [4, 8, 2], layerNorm: true, name: 'm' }, p);
      p.setWeights(p.getWeights());
      p.dispose();
    });
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
