/**
 * Runs a PyTorch peer script (bench/torch/*.py) with Debian's `/usr/bin/python3` in the same
 * invocation as our benchmark, so both are measured under the same machine load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { peerEnv } from '../engine/native_addon.js';

/** The interpreter with python3-torch (the pyenv python3 on PATH has no torch). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Whether `/usr/bin/python3 -c 'import torch'` works. */
export function torchAvailable(): { ok: boolean; reason?: string } {
  if (!existsSync(SYSTEM_PYTHON)) return { ok: false, reason: `${SYSTEM_PYTHON} not found` };
  const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { ok: false, reason: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() };
  return { ok: true };
}

/** The BLAS library libblas.so.3 resolves to (Debian alternatives), e.g. `openblas-pthread`. */
export function systemBlas(): string {
  for (const p of ['/usr/lib/x86_64-linux-gnu/libblas.so.3', '/usr/lib/aarch64-linux-gnu/libblas.so.3']) {
    try {
      const real = realpathSync(p);
      const m = /\/([^/]*(openblas|blis|atlas|mkl)[^/]*)\//.exec(real);
      return m ? m[1] : real;
    } catch {
      // not on this architecture
    }
  }
  return 'unknown';
}

/** Absolute path of a script under bench/torch/. */
export function torchScript(name: string): string {
  return fileURLToPath(new URL(`../../bench/torch/${name}`, import.meta.url));
}

/** Runs a peer script and parses the JSON it prints on stdout. Throws with its stderr on failure. */
export function runTorchScript(script: string, args: readonly string[], timeoutMs = 900_000): unknown {
  const r = spawnSync(SYSTEM_PYTHON, [torchScript(script), ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20, env: peerEnv() });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${(r.stderr ?? '').trim().slice(-500)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
