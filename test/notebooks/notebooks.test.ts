// Executes every notebook in notebooks/ headless (jupyter nbconvert --execute, tslab kernel)
// and fails on any cell error. Notebooks import the built dist/ (`npm run build`; .ci/run
// builds before testing). In CI this must run; elsewhere missing tools skip with a reason.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const ROOT = resolve(__dirname, '..', '..');
const NB_DIR = join(ROOT, 'notebooks');
const PREFIX = join(ROOT, '.tmp', 'jupyter');
const JUPYTER_PATH = join(PREFIX, 'share', 'jupyter');
const PYTHON = '/usr/bin/python3';

function unavailable(): string | null {
  const reasons: string[] = [];
  if (spawnSync('jupyter', ['nbconvert', '--version']).status !== 0) reasons.push('jupyter nbconvert not installed (apt jupyter-nbconvert python3-nbclient python3-ipython jupyter-client)');
  if (!existsSync(join(ROOT, 'dist', 'train', 'pipeline_nbody.js'))) reasons.push('dist/ not built (npm run build)');
  if (!reasons.length) return null;
  if (process.env.CI) throw new Error(`CI is set but notebooks cannot run: ${reasons.join('; ')}`);
  return reasons.join('; ');
}

/** Registers the tslab kernel under .tmp/jupyter (idempotent). */
function ensureKernel(): void {
  if (existsSync(join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'))) return;
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tslab'), ['install', '--python', PYTHON, '--binary', join(ROOT, 'node_modules', '.bin', 'tslab'), '--prefix', PREFIX], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tslab install failed: ${r.stderr}`);
}

interface Output {
  output_type: string;
  ename?: string;
  evalue?: string;
  data?: Record<string, unknown>;
}

const notebooks = existsSync(NB_DIR) ? readdirSync(NB_DIR).filter((f) => f.endsWith('.ipynb')).sort() : [];
const why = unavailable();

describe('notebooks (executed headless)', () => {
  it('there is at least the quickstart notebook', () => {
    expect(notebooks).toContain('01_quickstart.ipynb');
  });
  for (const nb of notebooks) {
    it.skipIf(why !== null)(`${nb} runs without cell errors${why ? ` — SKIPPED: ${why}` : ''}`, async () => {
      ensureKernel();
      const outDir = join(ROOT, '.tmp', 'notebooks');
      mkdirSync(outDir, { recursive: true });
      const outPath = join(outDir, nb);
      // Async spawn: a blocking spawnSync would starve vitest's worker RPC for minutes.
      const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
        const child = spawn('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.kernel_name=tslab', '--ExecutePreprocessor.timeout=600', '--output', outPath, nb], {
          cwd: NB_DIR,
          env: { ...process.env, JUPYTER_PATH },
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.resume();
        child.on('close', (status) => done({ status, stderr }));
      });
      expect(r.status, `nbconvert failed:\n${(r.stderr ?? '').slice(-3000)}`).toBe(0);
      expect(statSync(outPath).mtimeMs).toBeGreaterThan(Date.now() - 900_000);
      const executed = JSON.parse(readFileSync(outPath, 'utf8')) as { cells: { cell_type: string; execution_count: number | null; outputs?: Output[] }[] };
      const code = executed.cells.filter((c) => c.cell_type === 'code');
      expect(code.length).toBeGreaterThan(0);
      for (const [i, c] of code.entries()) {
        // tslab leaves execution_count null; every cell of ours prints or displays something.
        expect((c.outputs ?? []).length, `code cell ${i} has no output (not executed?)`).toBeGreaterThan(0);
        const errs = (c.outputs ?? []).filter((o) => o.output_type === 'error');
        expect(errs.map((e) => `${e.ename}: ${e.evalue}`), `code cell ${i}`).toEqual([]);
      }
      // Plots rendered inline: at least one HTML output with a plotly call.
      const html = code.flatMap((c) => c.outputs ?? []).filter((o) => o.data && typeof o.data['text/html'] !== 'undefined');
      expect(html.some((o) => String(o.data!['text/html']).includes('Plotly.newPlot'))).toBe(true);
    }, 900_000);
  }
});
