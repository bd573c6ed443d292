import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { readFluidTrajectory } from '../../../src/sims/fluid/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'gnnwb-fluid-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const capture = () => {
  const out: string[] = [], log: string[] = [];
  return { out, log, ctx: { out: (l: string) => out.push(l), log: (l: string) => log.push(l) } };
};
const CONFIG = {
  kind: 'fluid-cylinder', seed: 5, trajectories: 1,
  channel: { length: 1.0, height: 0.41 }, mesh: { hMin: 0.03, hMax: 0.06, grading: 0.2 },
  nu: 0.002, dt: 0.01, saveEvery: 3, frames: 40, rampTime: 0,
  vary: { uMax: [0.5, 1.0], x: [0.2, 0.3], y: [0.18, 0.22], radius: [0.04, 0.06] },
};

describe('gnnwb bench fluid', () => {
  it('prints JSON with per-size cost, iterations and the growth exponent', async () => {
    const c = capture();
    expect(await main(['bench', 'fluid', '--sizes', '300,1200', '--steps', '2', '--warmup', '1'], c.ctx)).toBe(0);
    const r = JSON.parse(c.out.join('\n'));
    expect(r.bench).toBe('fluid');
    expect(r.sizes).toHaveLength(2);
    for (const s of r.sizes) {
      expect(Math.abs(s.nodes / s.targetNodes - 1)).toBeLessThan(0.3);
      expect(s.msPerStep).toBeGreaterThan(0);
      expect(s.pressureIterations).toBeGreaterThan(0);
    }
    expect(Number.isFinite(r.growthExponent)).toBe(true);
    const bad = capture();
    expect(await main(['bench', 'fluid', '--sizes', 'abc'], bad.ctx)).toBe(65);
  }, 120_000);
});

describe('gnnwb simulate (fluid-cylinder)', () => {
  it('a run killed with SIGKILL and resumed gives the same trajectory as an uninterrupted one', async () => {
    const cfg = join(dir, 'cyl.json');
    writeFileSync(cfg, JSON.stringify(CONFIG));
    const ref = join(dir, 'ref');
    expect(await main(['simulate', cfg, '--out', ref], capture().ctx)).toBe(0);
    const out = join(dir, 'killed');
    let err = '';
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'gnnwb.js'), 'simulate', cfg, '--out', out]);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/\b(1[2-9]|2\d)\/40\b/.test(err)) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(existsSync(join(out, 'traj-000.h5'))).toBe(false);
    expect(existsSync(join(out, 'traj-000.h5.partial'))).toBe(true);
    const res = capture();
    expect(await main(['simulate', cfg, '--out', out, '--resume'], res.ctx)).toBe(0);
    expect(res.log.join('\n')).toMatch(/resuming .* at frame \d+\/40/);
    const [a, b] = [await readFluidTrajectory(join(ref, 'traj-000.h5')), await readFluidTrajectory(join(out, 'traj-000.h5'))];
    expect(b.numFrames).toBe(40);
    expect(Buffer.from(b.velocity.buffer).equals(Buffer.from(a.velocity.buffer))).toBe(true);
    expect(Buffer.from(b.pressure.buffer).equals(Buffer.from(a.pressure.buffer))).toBe(true);
  }, 300_000);
});
