import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { browserUnavailable, checkReportInBrowser } from '../report/browser.js';

// A tiny quickstart (the default is the same pipeline, bigger): seconds, not minutes.
const TINY = { steps: 1200, rolloutFrames: 5, trainTrajectories: 6, valTrajectories: 2, testTrajectories: 2, epochs: 4, hidden: 16, layers: 2, equivarianceTrials: 3 };

let dir: string;
let cfg: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-qs-'));
  cfg = join(dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify(TINY));
});

const capture = () => {
  const out: string[] = [];
  const log: string[] = [];
  return { ctx: { out: (l: string) => out.push(l), log: (l: string) => log.push(l) }, out, log };
};

describe('gnnwb quickstart', () => {
  let reportA = '';

  it('runs simulate → train → rollout → report and says where the report is', async () => {
    const a = join(dir, 'a');
    const c = capture();
    expect(await main(['quickstart', '--out', a, '--config', cfg], c.ctx)).toBe(0);
    reportA = join(a, 'report.html');
    expect(c.out.join('\n')).toContain(reportA);
    for (const f of ['run/data.h5', 'run/train.ckpt.json', 'run/metrics.json', 'run/timings.json', 'metrics.json', 'report.html']) expect(existsSync(join(a, f)), f).toBe(true);
    const m = JSON.parse(readFileSync(join(a, 'run', 'metrics.json'), 'utf8'));
    expect(m.panels.map((p: { section: string }) => p.section)).toEqual(['loss', 'rollout-error', 'conservation', 'conservation', 'equivariance']);
    expect(m.scalars.epochs).toBe(4);
    expect(m.scalars.equivarianceErrorMax).toBeLessThan(1e-4); // EGNN is E(3)-equivariant up to float32 rounding
    expect(m.scalars['rolloutRmse@5']).toBeGreaterThan(0);
    // Running again finds every stage done.
    const c2 = capture();
    expect(await main(['quickstart', '--out', a, '--config', cfg], c2.ctx)).toBe(0);
    expect(c2.log.join('\n')).toMatch(/data.h5 exists, skipped[\s\S]*train-result.json exists, skipped[\s\S]*metrics.json exists, skipped/);
    // A different config in the same folder is refused (exit 78), not mixed in.
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...TINY, epochs: 5 }));
    const c3 = capture();
    expect(await main(['quickstart', '--out', a, '--config', join(dir, 'other.json')], c3.ctx)).toBe(78);
    expect(c3.log.join('\n')).toMatch(/--force/);
  }, 240_000);

  it('killed midway (SIGKILL during training) and re-run gives the same metrics as the uninterrupted run', async () => {
    expect(reportA).not.toBe('');
    const b = join(dir, 'b');
    let killedAt = '';
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['bin/gnnwb.js', 'quickstart', '--out', b, '--config', cfg], { cwd: join(__dirname, '..', '..') });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (!killedAt && /train 2\/4/.test(err)) {
          killedAt = 'train epoch 2';
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(killedAt).toBe('train epoch 2');
    expect(existsSync(join(b, 'run', 'train-result.json'))).toBe(false);
    expect(existsSync(join(b, 'run', 'train.ckpt.json'))).toBe(true);
    const c = capture();
    expect(await main(['quickstart', '--out', b, '--config', cfg], c.ctx)).toBe(0);
    expect(c.log.join('\n')).toMatch(/data.h5 exists, skipped[\s\S]*resumed from/);
    const a = join(dir, 'a');
    expect(readFileSync(join(b, 'run', 'metrics.json'), 'utf8')).toBe(readFileSync(join(a, 'run', 'metrics.json'), 'utf8'));
    const [ra, rb] = [join(a, 'metrics.json'), join(b, 'metrics.json')].map((p) => JSON.parse(readFileSync(p, 'utf8')));
    expect(rb.runs).toEqual(ra.runs);
  }, 240_000);

  const why = browserUnavailable();
  it.skipIf(why !== null)(`the quickstart report opens in headless Chromium: every plot rendered, no console errors${why ? ` — SKIPPED: ${why}` : ''}`, async () => {
    expect(reportA).not.toBe('');
    const page = await checkReportInBrowser(reportA, process.env.GNNWB_SCREENSHOT);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.plots.length).toBe(6); // 5 panels + the particle snapshot
    for (const p of page.plots) {
      expect(p.hasSvg, p.id).toBe(true);
      expect(p.traces, p.id).toBe(p.expected);
    }
  }, 180_000);
});
