import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { momentumDemo } from '../../src/train/mgn_constraint_demos.js';

beforeAll(async () => {
  await initBackend();
});

describe('momentum demonstration (issue 9 (a))', () => {
  it('the conserving update keeps total momentum; the plain one drifts', () => {
    const r = momentumDemo({ particles: 6, steps: 30, seed: 1 });
    expect(r.conserving.maxAbsDrift).toBeLessThan(1e-5);
    expect(r.plain.maxAbsDrift).toBeGreaterThan(1e-3);
    expect(r.plain.drift.length).toBe(31);
  });
});
