import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./fixtures/threads_child.ts', import.meta.url));

/** Runs the child with a deadline; resolves with its output, exit code and wall time. */
function runChild(threads: number, size: number, timeoutMs: number): Promise<{ code: number | null; signal: string | null; out: string; err: string; ms: number; timedOut: boolean }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, ['--import', 'tsx', child, String(threads), String(size)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += String(d).slice(0, 300)));
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, ms: Date.now() - t0, timedOut });
    });
  });
}

describe('multi-threaded wasm in Node', () => {
  it('a process with 2 wasm threads computes correctly and exits by itself within the deadline', async () => {
    const r = await runChild(2, 256, 90_000);
    expect(r.timedOut, `child hung (no exit within 90 s); stderr: ${r.err}`).toBe(false);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res.threads, `thread note: ${res.note}`).toBe(2);
    expect(res.sumFinite).toBe(true);
    expect(Math.abs(res.y00 - res.c00)).toBeLessThan(1e-3 * Math.max(1, Math.abs(res.c00)));
  });

  it('1 thread also exits cleanly (control)', async () => {
    const r = await runChild(1, 64, 90_000);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!).threads).toBe(1);
  });

  it('the exit check can fail: a child that keeps a ref’d handle is caught by the deadline', async () => {
    // Same harness, a script that never exits: proves the deadline path reports a hang.
    const r = await new Promise<{ timedOut: boolean }>((resolve) => {
      const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        resolve({ timedOut: true });
      }, 1500);
      p.on('close', () => {
        clearTimeout(timer);
        resolve({ timedOut: false });
      });
    });
    expect(r.timedOut).toBe(true);
  });
});
