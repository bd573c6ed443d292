import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import './fixtures/counter_kind.js';
import { main } from '../../src/cli/main.js';
import { readDataset } from '../../src/io/dataset.js';
import { progress, formatDuration } from '../../src/cli/progress.js';
import fc from 'fast-check';

function capture() {
  const out: string[] = [];
  const log: string[] = [];
  return { ctx: { out: (l: string) => out.push(l), log: (l: string) => log.push(l) }, out, log };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-cli-'));
});

function writeConfig(name: string, c: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(c));
  return p;
}

describe('gnnwb simulate (batch engine)', () => {
  it('runs a config through its kind, writes config.json, data and a done marker; a re-run skips it', async () => {
    const cfg = writeConfig('one.json', { kind: 'test-counter', steps: 5 });
    const out = join(dir, 'one');
    const c = capture();
    expect(await main(['simulate', cfg, '--out', out], c.ctx)).toBe(0);
    expect(c.out).toEqual(['frame 0', 'frame 1', 'frame 2', 'frame 3', 'frame 4']);
    expect(existsSync(join(out, 'done-simulate.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).config).toEqual({ kind: 'test-counter', steps: 5 });
    const ds = await readDataset(join(out, 'data.h5'));
    expect(ds.arrays.x.shape).toEqual([5, 64]);
    const c2 = capture();
    expect(await main(['simulate', cfg, '--out', out], c2.ctx)).toBe(0);
    expect(c2.out).toEqual([]);
    expect(c2.log.join('\n')).toContain('already done, skipped');
  });

  it('bad inputs: clear error line and the error class exit code, no output folder', async () => {
    const cases: [string[], number, RegExp][] = [
      [['simulate', join(dir, 'nope.json')], 66, /no such file/],
      [['simulate', writeConfig('syntax.json', {}).replace('syntax', 'syntax') + '', '--out', join(dir, 'x1')], 78, /'kind' to be a string/],
      [['simulate', writeConfig('unk.json', { kind: 'nope' }), '--out', join(dir, 'x2')], 78, /'kind' to be one of .*"test-counter".* \(got "nope"\)/],
      [['simulate', writeConfig('bad.json', { kind: 'test-counter', steps: -1 }), '--out', join(dir, 'x3')], 78, /'steps' to be an integer >= 1 \(got number -1\)/],
      [['simulate', writeConfig('sh.json', { kind: 'test-counter', steps: 1 }), '--shard', '3/2', '--out', join(dir, 'x4')], 78, /'--shard' to be 'k\/n'/],
      [['simulate'], 78, /config file argument/],
    ];
    writeFileSync(join(dir, 'broken.json'), '{"kind": "test-counter", "steps": 3,}');
    cases.push([['simulate', join(dir, 'broken.json'), '--out', join(dir, 'x5')], 78, /valid JSON .*line 1, column 37/]);
    for (const [argv, code, re] of cases) {
      const c = capture();
      expect(await main(argv, c.ctx), argv.join(' ')).toBe(code);
      expect(c.log.join('\n'), argv.join(' ')).toMatch(re);
      expect(c.log.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(existsSync(join(dir, 'x2'))).toBe(false);
    expect(existsSync(join(dir, 'x5'))).toBe(false);
  });

  it('a sweep split over 3 shards and merged equals the unsharded sweep', async () => {
    const cfg = writeConfig('sweep.json', { kind: 'test-counter', steps: 3, n: 4, sweep: { a: [1, 2, 3], steps: [2, 3] } });
    const whole = join(dir, 'sweep-whole');
    const sharded = join(dir, 'sweep-sharded');
    expect(await main(['simulate', cfg, '--out', whole], capture().ctx)).toBe(0);
    for (const k of [1, 2]) expect(await main(['simulate', cfg, '--out', sharded, '--shard', `${k}/3`], capture().ctx)).toBe(0);
    const c = capture();
    expect(await main(['merge', sharded], c.ctx)).toBe(65);
    expect(c.log.join('\n')).toMatch(/2 missing: 0002-[0-9a-f]{8}, 0005-/);
    expect(await main(['simulate', cfg, '--out', sharded, '--shard', '3/3'], capture().ctx)).toBe(0);
    expect(await main(['merge', sharded], capture().ctx)).toBe(0);
    expect(await main(['merge', whole], capture().ctx)).toBe(0);
    const a = JSON.parse(readFileSync(join(whole, 'sweep.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(sharded, 'sweep.json'), 'utf8'));
    expect(a.complete).toBe(6);
    expect(b).toEqual(a); // same runs, same values, same data checksums in metrics
    expect(readdirSync(sharded).filter((f) => /^\d{4}-/.test(f)).length).toBe(6);
  });

  it('a batch killed midway (SIGKILL) and resumed gives the same outputs as an uninterrupted one', async () => {
    const fixture = join(__dirname, 'fixtures', 'run_main.ts');
    const cfg = writeConfig('kill.json', { kind: 'test-counter', steps: 12, n: 256, delay: 100, sweep: { a: [0.5, 1.5] } });
    const same = writeConfig('kill-ref.json', { kind: 'test-counter', steps: 12, n: 256, delay: 100, sweep: { a: [0.5, 1.5] } });
    const ref = join(dir, 'kill-ref');
    expect(await main(['simulate', same, '--out', ref], capture().ctx)).toBe(0);
    const out = join(dir, 'kill-run');
    let frames = 0;
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, 'simulate', cfg, '--out', out]);
      child.stdout.on('data', (d: Buffer) => {
        frames += (d.toString().match(/frame/g) ?? []).length;
        if (frames >= 16) child.kill('SIGKILL'); // second run, partway
      });
      child.on('exit', () => resolve());
    });
    expect(frames).toBeLessThan(24);
    const plan = JSON.parse(readFileSync(join(out, 'sweep-plan.json'), 'utf8'));
    const [r1, r2] = plan.runs.map((r: { name: string }) => join(out, r.name));
    expect(existsSync(join(r1, 'done-simulate.json'))).toBe(true);
    expect(existsSync(join(r2, 'done-simulate.json'))).toBe(false);
    expect(existsSync(join(r2, 'data.h5.partial'))).toBe(true);
    // Without --resume the interrupted run refuses to start over silently.
    const bad = capture();
    expect(await main(['simulate', cfg, '--out', out], bad.ctx)).toBe(78);
    expect(bad.log.join('\n')).toMatch(/--resume/);
    const res = capture();
    expect(await main(['simulate', cfg, '--out', out, '--resume'], res.ctx)).toBe(0);
    expect(res.log.join('\n')).toContain('already done, skipped');
    const resumed = res.out.filter((l) => l.startsWith('frame')).map((l) => Number(l.slice(6)));
    expect(resumed.length).toBeLessThan(12); // the second run resumed, not restarted
    expect(resumed[resumed.length - 1]).toBe(11);
    for (const r of plan.runs as { name: string }[]) {
      const [x, y] = [await readDataset(join(ref, r.name, 'data.h5')), await readDataset(join(out, r.name, 'data.h5'))];
      expect(y.manifest.arrays).toEqual(x.manifest.arrays);
      expect(readFileSync(join(out, r.name, 'metrics.json'), 'utf8')).toBe(readFileSync(join(ref, r.name, 'metrics.json'), 'utf8'));
    }
  }, 120_000);
});

describe('fuzz: mutated config files through the CLI', () => {
  it('exit 0 or a config/file error code, one error line, never a stack trace or a half-written output', async () => {
    const text = JSON.stringify({ kind: 'test-counter', steps: 3, n: 4, a: 0.5 });
    let k = 0;
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.integer({ min: 0, max: text.length }).map((n) => text.slice(0, n)),
      fc.record({ at: fc.integer({ min: 0, max: text.length - 1 }), ch: fc.constantFrom('x', '"', '{', '}', ',', ':', '-', '1', ' ', '', 'e', '.') }).map(({ at, ch }) => text.slice(0, at) + ch + text.slice(at + 1)),
    ), async (t) => {
      const p = join(dir, `fz${++k}.json`);
      writeFileSync(p, t);
      const c = capture();
      const code = await main(['simulate', p, '--out', join(dir, `fz-out${k}`)], c.ctx);
      expect([0, 65, 66, 78]).toContain(code);
      if (code !== 0) {
        const errs = c.log.filter((l) => /^gnnwb simulate: \w+Error: /.test(l));
        expect(errs.length).toBe(1);
        expect(errs[0]).toMatch(/Error: .*[Ee]xpected .* \(got .*\)/);
        expect(c.log.join('\n')).not.toMatch(/\n\s+at /);
        expect(existsSync(join(dir, `fz-out${k}`, 'data.h5'))).toBe(false);
      } else {
        expect(existsSync(join(dir, `fz-out${k}`, 'data.h5'))).toBe(true);
      }
    }), { seed: 99, numRuns: 40 });
  }, 120_000);
});

describe('progress', () => {
  it('plain mode logs every 10% with rate and ETA, bar mode redraws in place', () => {
    let t = 0;
    const lines: string[] = [];
    const p = progress({ label: 'sim', total: 100, tty: false, stream: { write: (s) => lines.push(s) }, now: () => t });
    for (let i = 1; i <= 100; i++) {
      t += 10;
      p.update(i);
    }
    p.done('ok');
    expect(lines.length).toBe(10); // 10%..90% and the final line
    expect(lines[0]).toBe('sim 10/100 (10%) 100/s ETA 0:01\n');
    expect(lines[9]).toBe('sim 100/100 (100%) 100/s done in 0:01 ok\n');
    const bar: string[] = [];
    t = 0;
    const q = progress({ label: 'sim', total: 4, tty: true, stream: { write: (s) => bar.push(s), columns: 200 }, now: () => t });
    t = 500;
    q.update(2, 'E=1');
    expect(bar[0]).toBe('\r\x1b[2Ksim [##########----------]  50%  2/4  4.0/s  ETA 0:01  E=1');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
