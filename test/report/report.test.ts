import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, readRunMetrics } from '../../src/report/report.js';
import type { RunMetrics, RunTimings } from '../../src/report/types.js';
import { FileFormatError } from '../../src/util/errors.js';
import { main } from '../../src/cli/main.js';
import { browserUnavailable, checkReportInBrowser } from './browser.js';

let dir: string;

/** A run folder with every kind of panel and snapshot (md particles, fluid mesh, sphere). */
function syntheticRun(name: string, scale: number): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const steps = [...Array(20).keys()];
  const nodesX: number[] = [], nodesY: number[] = [], val: number[] = [], tri: number[] = [];
  for (let j = 0; j < 6; j++) for (let i = 0; i < 10; i++) {
    nodesX.push(i * 0.2);
    nodesY.push(j * 0.1);
    val.push(Math.sin(i) * Math.cos(j));
  }
  for (let j = 0; j < 5; j++) for (let i = 0; i < 9; i++) {
    const a = j * 10 + i;
    tri.push(a, a + 1, a + 10, a + 1, a + 11, a + 10);
  }
  const lat: number[] = [], lon: number[] = [], h: number[] = [];
  for (let la = -80; la <= 80; la += 20) for (let lo = -180; lo < 180; lo += 30) {
    lat.push(la);
    lon.push(lo);
    h.push(Math.cos((la * Math.PI) / 180));
  }
  const m: RunMetrics = {
    format: 'gnnwb-run-metrics',
    run: name,
    domain: 'test',
    kind: 'synthetic',
    seed: 3,
    configHash: 'sha256:' + '0'.repeat(64),
    scalars: { finalLoss: 0.01 * scale, rolloutRmse: 0.2 * scale },
    panels: [
      { id: 'loss', section: 'loss', title: 'Loss', xLabel: 'step', yLabel: 'MSE', logY: true, series: [{ name: 'train', x: steps, y: steps.map((s) => scale / (s + 1)) }] },
      { id: 'rmse', section: 'rollout-error', title: 'RMSE', xLabel: 'frame', yLabel: 'RMSE', series: [{ name: 'model', x: steps, y: steps.map((s) => s * 0.01 * scale) }] },
      { id: 'energy', section: 'conservation', title: 'Energy drift', xLabel: 'frame', yLabel: 'drift', series: [{ name: 'model', x: steps, y: steps.map((s) => s * 1e-4) }] },
      { id: 'eq', section: 'equivariance', title: 'Equivariance', xLabel: 'trial', yLabel: 'err', logY: true, series: [{ name: 'model', x: [0, 1, 2], y: [1e-7, 2e-7, 1.5e-7] }] },
    ],
    snapshots: [
      { type: 'particles', id: 'md', title: 'Particles', numParticles: 2, reference: [0, 0, 0, 1, 1, 1, 0.1, 0, 0, 1.1, 1, 1], predicted: [0, 0, 0, 1, 1, 1, 0.12, 0, 0, 1.1, 1.05, 1], color: [1, -1] },
      { type: 'mesh2d', id: 'fluid', title: 'Vorticity', x: nodesX, y: nodesY, value: val, triangles: tri, colorLabel: 'ω' },
      { type: 'sphere', id: 'sw', title: 'Height', lat, lon, value: h, colorLabel: 'h' },
    ],
  };
  writeFileSync(join(d, 'metrics.json'), JSON.stringify(m));
  const t: RunTimings = { format: 'gnnwb-run-timings', timings: [{ name: 'step', value: 2 * scale, unit: 'ms', peer: { name: 'torch', value: 3 }, note: 'same run' }] };
  writeFileSync(join(d, 'timings.json'), JSON.stringify(t));
  return d;
}

let mdDir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-report-'));
  // A real MD simulation folder (src/sims/md via gnnwb simulate), reported through the adapter.
  const cfg = join(dir, 'md.json');
  writeFileSync(cfg, JSON.stringify({ kind: 'md-lj', seed: 1, init: { lattice: 'fcc', density: 0.8442, cells: [4, 4, 4], temperature: 1.44 }, potential: { epsilon: 1, sigma: 1, cutoff: 2.5, shift: true }, neighbor: { skin: 0.3, rebuildEvery: 0 }, integrator: { type: 'nve', dt: 0.005 }, steps: 60, frameEvery: 10, thermoEvery: 10, extxyz: false }));
  mdDir = join(dir, 'md-run');
  const code = await main(['simulate', cfg, '--out', mdDir], { out: () => {}, log: () => {} });
  if (code !== 0) throw new Error(`md simulate failed with ${code}`);
}, 120_000);

describe('report', () => {
  it('same runs, same backend ⇒ byte-identical metrics.json (timings are kept out of it)', async () => {
    const a = syntheticRun('a', 1);
    const b = syntheticRun('b', 2);
    const r1 = await buildReport({ runs: [a, b], out: join(dir, 'rep1') });
    // Timings change between runs; metrics.json must not.
    writeFileSync(join(a, 'timings.json'), JSON.stringify({ format: 'gnnwb-run-timings', timings: [{ name: 'step', value: 99, unit: 'ms' }] }));
    const r2 = await buildReport({ runs: [a, b], out: join(dir, 'rep2') });
    expect(readFileSync(r2.metricsPath, 'utf8')).toBe(readFileSync(r1.metricsPath, 'utf8'));
    const m = JSON.parse(readFileSync(r1.metricsPath, 'utf8'));
    expect(m.runs.map((r: { run: string }) => r.run)).toEqual(['a', 'b']);
    expect(m.environment.backend.name).toBeTypeOf('string');
    expect(m.environment.packages['h5wasm']).toBe('0.10.3');
    expect(m.runs[0].seed).toBe(3);
    expect(m.runs[0].configHash).toMatch(/^sha256:/);
    expect(JSON.stringify(m)).not.toMatch(/"created"|\d{4}-\d\d-\d\dT\d\d:/); // no clock times
    const html = readFileSync(r1.htmlPath, 'utf8');
    const ownParts = html.slice(0, html.indexOf('<script>')) + html.slice(html.indexOf('</script>'));
    expect(ownParts).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/); // self-contained
    expect(html.length).toBeGreaterThan(3_000_000); // plotly inlined
  });

  it('MD simulation folders (trajectory.h5 + thermo.jsonl) are reported through the adapter, reproducibly', async () => {
    const r1 = await buildReport({ runs: [mdDir], out: join(dir, 'md-rep1') });
    const r2 = await buildReport({ runs: [mdDir], out: join(dir, 'md-rep2') });
    expect(readFileSync(r2.metricsPath, 'utf8')).toBe(readFileSync(r1.metricsPath, 'utf8'));
    const run = r1.metrics.runs[0];
    expect(run.kind).toBe('md-lj');
    expect(run.scalars.numParticles).toBe(256);
    expect(run.scalars.frames).toBe(7);
    expect(Math.abs(run.scalars.energyDriftPerAtom)).toBeLessThan(1e-3); // NVE, 60 steps of dt 0.005
    expect(run.panels.map((p) => p.id)).toEqual(['md-energy', 'md-temperature']);
    expect(readFileSync(r1.htmlPath, 'utf8')).toContain('atom-steps/s');
  });

  it('bad run folders give FileFormatError; `gnnwb report` maps it to exit 66', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    expect(() => readRunMetrics(bad)).toThrow(FileFormatError);
    writeFileSync(join(bad, 'metrics.json'), '{"format": "gnnwb-run-metrics", "panels": [{"section": "loss", "series": [{"x": [1,2], "y": [1]}]}], "snapshots": [], "scalars": {}}');
    expect(() => readRunMetrics(bad)).toThrow(/series: \[\{x, y\} of equal length\]/);
    writeFileSync(join(bad, 'metrics.json'), '{"format": "gnnwb-run-metr');
    const log: string[] = [];
    expect(await main(['report', bad, '--out', join(dir, 'badrep')], { out: () => {}, log: (l) => log.push(l) })).toBe(66);
    expect(log.join('\n')).toMatch(/FileFormatError: File '.*metrics.json': expected JSON/);
    expect(existsSync(join(dir, 'badrep', 'report.html'))).toBe(false);
  });

  const why = browserUnavailable();
  it.skipIf(why !== null)(`renders every plot in headless Chromium with no console errors and no network${why ? ` — SKIPPED: ${why}` : ''}`, async () => {
    const a = syntheticRun('c', 1);
    const r = await buildReport({ runs: [a, syntheticRun('d', 3), mdDir], out: join(dir, 'rep3') });
    const shot = join(dir, 'rep3', 'screenshot.png');
    const page = await checkReportInBrowser(r.htmlPath, process.env.GNNWB_SCREENSHOT ?? shot);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    // 4 panels (shared across runs) + 3 snapshots per synthetic run + MD: 2 panels + 1 snapshot.
    expect(page.plots.length).toBe(4 + 6 + 3);
    for (const p of page.plots) {
      expect(p.hasSvg, p.id).toBe(true);
      expect(p.traces, p.id).toBe(p.expected);
      expect(p.traces, p.id).toBeGreaterThan(0);
    }
    expect(page.plots.find((p) => p.id === 'loss')!.traces).toBe(2); // one line per run
  }, 180_000);
});
