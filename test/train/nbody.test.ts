/**
 * N-body training: checkpoint files round-trip exactly, a stopped run resumes to the same
 * result as an uninterrupted one, and the small-config path learns (EGNN beats the static
 * and the linear-dynamics baselines after a few epochs on 200 trajectories).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { checkpointFromJson, checkpointToJson, loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint_state.js';
import { generateNBodyDataset } from '../../src/train/nbody_data.js';
import { evaluateNBody, predictNBody, trainNBody } from '../../src/train/nbody.js';

beforeAll(async () => {
  await initBackend();
});

describe('checkpoint files', () => {
  it('round-trip bit-exactly (fast-check over tensors, incl. NaN, ±Inf, −0, subnormals)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.float32Array({ maxLength: 40 }), { maxKeys: 5 }),
        fc.record({ epoch: fc.nat(), best: fc.integer(), note: fc.string() }),
        (tensors, meta) => {
          const state = { meta, tensors: Object.fromEntries(Object.entries(tensors).map(([k, d]) => [k, { shape: [d.length], data: d }])) };
          const back = checkpointFromJson<typeof meta>(checkpointToJson(state));
          expect(back.meta).toEqual(meta);
          for (const [k, t] of Object.entries(state.tensors)) {
            expect(new Uint8Array(back.tensors[k].data.buffer)).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
            expect(back.tensors[k].shape).toEqual(t.shape);
          }
        },
      ),
      { seed: 21, numRuns: 100 },
    );
  });

  it('rejects a foreign or truncated file with a clear error', () => {
    expect(() => checkpointFromJson('{"format":"x","version":1}', 'a.json')).toThrow(/gnnwb-checkpoint/);
    expect(() => checkpointFromJson('{"format":"gnnwb-ch', 'b.json')).toThrow(/invalid JSON/);
  });
});

describe('N-body training (small config)', () => {
  const data = generateNBodyDataset({ numTrain: 200, numVal: 100, numTest: 100, seed: 5 });
  const tiny = { hidden: 16, layers: 2, batchSize: 50, evalEvery: 1, seed: 3 } as const;

  it('resumes after a stop to exactly the uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnnwb-nbody-'));
    try {
      const full = await trainNBody({ ...tiny, model: 'egnn', epochs: 4 }, data);
      const fullPred = predictNBody(full.model, data.test);
      const ck = join(dir, 'ck.json');
      // First call stops after its first epoch (time budget 0 s), leaving a checkpoint.
      const part = await trainNBody({ ...tiny, model: 'egnn', epochs: 4, checkpointPath: ck, maxSeconds: 0 }, data);
      expect(part.finished).toBe(false);
      expect(part.result.epochsDone).toBe(1);
      expect(loadCheckpoint(ck)).not.toBeNull();
      part.model.params.dispose();
      const rest = await trainNBody({ ...tiny, model: 'egnn', epochs: 4, checkpointPath: ck, checkpointEvery: 1 }, data);
      expect(rest.finished).toBe(true);
      expect(rest.result.history.map((h) => h.trainMse)).toEqual(full.result.history.map((h) => h.trainMse));
      expect(rest.result.testMseAtBest).toBe(full.result.testMseAtBest);
      expect(Array.from(predictNBody(rest.model, data.test))).toEqual(Array.from(fullPred));
      // The saved best parameters reproduce the saved best test MSE.
      const saved = loadCheckpoint<{ testMseAtBest: number }>(ck)!;
      expect(saved.meta.testMseAtBest).toBe(rest.result.testMseAtBest);
      full.model.params.dispose();
      rest.model.params.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to resume a checkpoint on other data; a session-1 checkpoint (no rng recorded) means the gnnwb stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnnwb-nbody-'));
    try {
      const ck = join(dir, 'ck.json');
      const cfg = { ...tiny, model: 'linear' as const, epochs: 3, checkpointPath: ck, maxSeconds: 0, data: { seed: 5, numTrain: 200, numVal: 100, numTest: 100 } };
      (await trainNBody(cfg, data)).model.params.dispose();
      // New checkpoints record the resolved data options, rng included, so the same config resumes.
      const saved = loadCheckpoint<{ config: { data: Record<string, unknown> } }>(ck)!;
      expect(saved.meta.config.data.rng).toBe('numpy-legacy');
      const again = await trainNBody(cfg, data);
      expect(again.result.epochsDone).toBe(2);
      again.model.params.dispose();
      // A session-1 checkpoint recorded data without rng: it stands for the 'gnnwb' stream, so
      // today's default ('numpy-legacy') is refused.
      delete saved.meta.config.data.rng;
      saveCheckpoint(ck, saved);
      await expect(trainNBody(cfg, data)).rejects.toThrow(/checkpoint .* was trained on/);
      await expect(trainNBody({ ...cfg, data: { ...cfg.data, rng: 'gnnwb', seed: 6 } }, data)).rejects.toThrow(/"seed":5/);
      const ok = await trainNBody({ ...cfg, data: { ...cfg.data, rng: 'gnnwb' } }, data);
      expect(ok.result.epochsDone).toBe(2);
      ok.model.params.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('EGNN learns: beats the static and linear-dynamics baselines within 15 epochs', async () => {
    let staticMse = 0;
    const s = data.test;
    for (let i = 0; i < s.xT.length; i++) staticMse += (s.xT[i] - s.x0[i]) ** 2;
    staticMse /= s.xT.length;
    const lin = await trainNBody({ ...tiny, model: 'linear', epochs: 30, lr: 0.05 }, data);
    const linMse = evaluateNBody(lin.model, data.test);
    const egnn = await trainNBody({ ...tiny, hidden: 32, model: 'egnn', epochs: 15, lr: 2e-3 }, data);
    const egnnMse = egnn.result.testMseAtBest;
    // Measured here: static ≈ 0.26, linear ≈ 0.08, EGNN (15 epochs on 200 trajectories) well below.
    expect(linMse).toBeLessThan(0.6 * staticMse);
    expect(egnnMse).toBeLessThan(0.8 * linMse);
    lin.model.params.dispose();
    egnn.model.params.dispose();
  });
});
