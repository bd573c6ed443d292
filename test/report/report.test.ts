import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, readRunMetrics } from '../../src/report/report.js';
import type { RunMetrics, RunTimings } from '../../src/report/types.js';
import { FileFormatError } from '../../src/util/errors.js';
import { main } from '../../src/cli/main.js';
import { browserUnavailable, checkReportInBrowser } from './browser.js';
import { loadReportConfig } from '../../src/report/sources.js';
import { mgnResultRun, weatherResultRun, nbodyResultRun, ljResultRun, mgnCompanionsBeside } from '../../src/report/results.js';
import { constraintsResultRun, variantKeys } from '../../src/report/constraints.js';
import { snapshotFigure } from '../../src/report/figures.js';

const ALL = 'reports/all.json';
const results = (f: string) => join('results', f);
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

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

  it('fluid result (results/mgn.json + companions): numbers as in the files, persistence over time, mesh snapshot side by side', () => {
    const src = readJson(results('mgn.json'));
    const { metrics: m, timings } = mgnResultRun(results('mgn.json'), mgnCompanionsBeside(results('mgn.json')));
    const h = src.heldOut[0];
    expect(m.domain).toBe('fluid');
    expect(m.scalars.rollout50Rmse).toBe(Number(h.rollout50Rmse.toPrecision(9)));
    expect(m.scalars['persistence.rollout50Rmse']).toBe(Number(h.persistence.rollout50Rmse.toPrecision(9)));
    const rmse = m.panels.find((p) => p.id === 'mgn-rmse')!;
    expect(rmse.series.map((s) => s.name)).toEqual(['model', 'persistence']);
    // Persistence RMSE over time from the field file reproduces the rollout-50 scalar of mgn.json.
    const pers = rmse.series[1].y.slice(1, 51);
    expect(Math.sqrt(pers.reduce((a, v) => a + v * v, 0) / 50)).toBeCloseTo(h.persistence.rollout50Rmse, 6);
    expect(m.panels.map((p) => p.id)).toEqual(expect.arrayContaining(['mgn-ke', 'mgn-div', 'mgn-rotation', 'mgn-loss']));
    expect(m.snapshots.map((s) => s.id)).toEqual(['mgn-speed-solver', 'mgn-speed-model', 'mgn-error']);
    const [a, b, err] = m.snapshots as unknown as { x: number[]; value: number[]; colorRange: number[]; row: string }[];
    expect(a.x.length).toBe(src.mesh.nodes);
    // The error field reproduces the last point of mgn.json's RMSE series: sqrt(Σ|û − u|² / 2N).
    expect(Math.sqrt(err.value.reduce((s, e) => s + e * e, 0) / (2 * err.value.length))).toBeCloseTo(h.rmseOverTime[h.rmseOverTime.length - 1], 5);
    expect(a.colorRange).toEqual(b.colorRange);
    expect(a.row).toBe(b.row);
    const solverT = timings.find((t) => t.peer?.name.startsWith('NS solver'))!;
    expect(solverT.peer!.value / solverT.value).toBeCloseTo(h.speedup, 9);
    expect(timings.some((t) => t.peer?.name.startsWith('PyTorch'))).toBe(true);
    // A training summary of another run is not drawn as this run's loss curve.
    const other = join(dir, 'mgn_train_other.json');
    writeFileSync(other, JSON.stringify({ ...readJson(results('mgn_train.json')), steps: 7 }));
    const r2 = mgnResultRun(results('mgn.json'), { train: other });
    expect(r2.metrics.panels.some((p) => p.section === 'loss')).toBe(false);
    expect(r2.metrics.notes!.join(' ')).toMatch(/another training run/);
    expect(r2.metrics.notes!.join(' ')).toMatch(/no field file/);
  });

  it('weather result: lat-weighted RMSE, ACC and mass drift vs lead with persistence and coarse solver; heatmap, never scattergeo', async () => {
    const src = readJson(results('weather.json'));
    const { metrics: m, timings } = await weatherResultRun(results('weather.json'));
    const rh = m.panels.find((p) => p.id === 'wx-rmse-h')!;
    expect(rh.series.map((s) => s.name)).toEqual(['model', 'persistence', `coarse solver (level ${src.metrics.coarseSolver.level})`]);
    expect(rh.series[0].y[3]).toBe(Number(src.metrics.model.rmseH[3].toPrecision(9)));
    expect(m.scalars['model.rmseH@24h']).toBe(Number(src.metrics.model.rmseH[src.metrics.model.leadHours.indexOf(24)].toPrecision(9)));
    expect(m.panels.find((p) => p.id === 'wx-mass')!.series.length).toBe(3);
    expect(m.panels.find((p) => p.id === 'wx-acc-h')).toBeDefined();
    expect(timings[0].peer!.value / timings[0].value).toBeCloseTo(src.timing.speedupModelVsReference, 9);
    expect(m.notes!.join(' ')).toMatch(/no history/); // loss curve: only first/last recorded
    // Newer writers add a per-grid-point linear baseline: drawn beside the others.
    const lin = join(dir, 'wx_linear.json');
    writeFileSync(lin, JSON.stringify({ ...src, metrics: { ...src.metrics, linearPerGridPoint: { ...src.metrics.persistence, rmseH: src.metrics.persistence.rmseH.map((v: number) => v / 2) } } }));
    const l = (await weatherResultRun(lin)).metrics;
    expect(l.panels.find((p) => p.id === 'wx-rmse-h')!.series.map((s) => s.name)).toContain('linear per grid point');
    expect(l.scalars['linearPerGridPoint.rmseH@24h']).toBeCloseTo(m.scalars['persistence.rmseH@24h'] / 2, 6);
    // A writer-provided snapshot on a full lat-lon grid → an equirectangular heatmap.
    const lat = [-60, 0, 60], lon = [-120, 0, 120, 180];
    const f = join(dir, 'wx_snap.json');
    writeFileSync(f, JSON.stringify({ ...src, snapshot: { lat, lon, leadHours: 24, h: { truth: lat.flatMap((a) => lon.map((b) => a + b)), model: lat.flatMap((a) => lon.map((b) => a - b)) } } }));
    const w = await weatherResultRun(f);
    expect(w.metrics.snapshots.length).toBe(2);
    const fig = snapshotFigure(w.metrics.snapshots[0]);
    expect(fig.data[0].type).toBe('heatmap');
    expect((fig.data[0].z as number[][])[2][1]).toBe(60 + 0); // z[lat index][lon index]
    expect(JSON.stringify(fig)).not.toMatch(/scattergeo/);
  });

  it('constraint demos: without | with side by side on one y range, from the files as they are', () => {
    const a = constraintsResultRun(results('constraints_momentum.json'));
    const src = readJson(results('constraints_momentum.json'));
    const row = a.metrics.panels.filter((p) => p.id.startsWith('constraints_momentum-drift-'));
    expect(row.length).toBe(2);
    expect(row[0].title).toMatch(/^plain/); // "without" first
    expect(row[1].title).toMatch(/^conserving/);
    expect(row[0].row).toBe(row[1].row);
    expect(row[0].yRange).toEqual(row[1].yRange);
    expect(row[0].logY).toBe(true); // 9.8 vs 1e-8: log scale
    expect(a.metrics.scalars['plain.maxAbsDrift']).toBe(Number(src.plain.maxAbsDrift.toPrecision(9)));
    const b = constraintsResultRun(results('constraints_mgn_projection.json'));
    const div = b.metrics.panels.filter((p) => p.id.includes('rmsDivergence'));
    expect(div.map((p) => p.series.map((s) => s.name))).toEqual([['without', 'solver'], ['with', 'solver']]);
    // A demo (c)-like file: variants found by shared keys, x from leadHours, loss tables.
    const c = join(dir, 'constraints_c.json');
    const losses = (k: number) => [{ step: 10, loss: 2 * k }, { step: 20, loss: k }];
    writeFileSync(c, JSON.stringify({ demonstration: 'flux demo', leadHours: [6, 12, 18], noFlux: { massDrift: [1e-3, 2e-3, 3e-3], rmseH: [1, 2, 3] }, flux: { massDrift: [1e-16, 0, -1e-16], rmseH: [1, 2.5, 3] }, persistence: { rmseH: [2, 3, 4] }, ratioToPersistence: { noFlux: [0.5, 0.6, 0.7], flux: [0.5, 0.8, 0.7] }, training: { noFlux: { losses: losses(1), finalLoss: 1, seconds: 9 }, flux: { losses: losses(2), finalLoss: 2, seconds: 9 } }, config: { seed: 5 }, environment: { cpus: 2, date: 'today' }, wallSeconds: 3 }));
    const m = constraintsResultRun(c).metrics;
    expect(variantKeys(readJson(c))).toEqual(['noFlux', 'flux', 'persistence']);
    const mass = m.panels.filter((p) => p.id.includes('massDrift'));
    expect(mass.map((p) => p.series[0].name)).toEqual(['noFlux', 'flux']);
    expect(mass[0].series[0].x).toEqual([6, 12, 18]);
    expect(mass[0].xLabel).toBe('lead (h)');
    // 1e-3 vs 1e-16, signed: |value| on a log axis, said so in the label.
    expect(mass[1].logY).toBe(true);
    expect(mass[1].yLabel).toMatch(/^\|/);
    expect(mass[1].series[0].y).toEqual([1e-16, 0, 1e-16]);
    const rmse = m.panels.filter((p) => p.id.includes('rmseH'));
    expect(rmse.map((p) => p.series.map((s) => s.name))).toEqual([['noFlux', 'persistence'], ['flux', 'persistence']]);
    expect(m.panels.filter((p) => p.id.includes('ratioToPersistence')).map((p) => p.series[0].name)).toEqual(['noFlux', 'flux']);
    const loss = m.panels.filter((p) => p.id.includes('loss'));
    expect(loss.length).toBe(1); // both variants' losses in one chart
    expect(loss[0].series.map((s) => [s.name, s.x, s.y])).toEqual([['noFlux', [10, 20], [2, 1]], ['flux', [10, 20], [4, 2]]]);
    expect(m.scalars['training.flux.finalLoss']).toBe(2);
    expect(Object.keys(m.scalars).filter((k) => /seconds|environment|wall/i.test(k))).toEqual([]); // wall times and machine kept out
    expect(m.seed).toBe(5);
    writeFileSync(c, JSON.stringify({ plain: { drift: [0, 1] } }));
    expect(() => constraintsResultRun(c)).toThrow(/'demonstration'/);
  });

  it(`the combined report config (${ALL}) is reproducible: same config ⇒ identical metrics.json`, async () => {
    const cfg = loadReportConfig(ALL);
    const r1 = await buildReport({ runs: cfg.runs, out: join(dir, 'all1'), title: cfg.title });
    const r2 = await buildReport({ runs: cfg.runs, out: join(dir, 'all2'), title: cfg.title });
    expect(readFileSync(r2.metricsPath, 'utf8')).toBe(readFileSync(r1.metricsPath, 'utf8'));
    const m = r1.metrics;
    expect(m.runs.map((r) => r.domain)).toEqual(expect.arrayContaining(['md', 'fluid', 'weather', 'constraints']));
    expect(m.runs.filter((r) => r.domain === 'constraints').length).toBeGreaterThanOrEqual(2);
    const fromFiles = m.runs.filter((r) => r.provenance?.result); // result files (not run folders)
    expect(fromFiles.length).toBeGreaterThanOrEqual(9);
    for (const r of fromFiles) expect(r.provenance?.resultSha256, r.run).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(m)).not.toMatch(new RegExp(process.cwd().replace(/[/\\]/g, '.'))); // no absolute paths
  }, 120_000);

  it('report configs: bad fields → exit 78 with expected/got; a missing non-optional file → exit 66; optional ones are listed', async () => {
    const bad = join(dir, 'bad-report.json');
    writeFileSync(bad, JSON.stringify({ out: 'x', runs: [{ type: 'fluid', result: 'a.json' }] }));
    const log: string[] = [];
    expect(await main(['report', '--config', bad], { out: () => {}, log: (l) => log.push(l) })).toBe(78);
    expect(log.join('\n')).toMatch(/runs\[0\]/);
    writeFileSync(bad, JSON.stringify({ out: 'rep', runs: [{ type: 'constraints', result: 'nope.json' }] }));
    expect(await main(['report', '--config', bad], { out: () => {}, log: () => {} })).toBe(66);
    writeFileSync(bad, JSON.stringify({ out: 'rep-opt', runs: [{ type: 'constraints', result: join(process.cwd(), results('constraints_momentum.json')) }, { type: 'constraints', result: 'nope.json', optional: true }] }));
    expect(await main(['report', '--config', bad], { out: () => {}, log: () => {} })).toBe(0);
    expect(readJson(join(dir, 'rep-opt', 'metrics.json')).missing).toEqual(['nope.json']);
    // Result files as positional arguments: kind detected from the contents.
    const outs: string[] = [];
    expect(await main(['report', results('nbody_linear.json'), results('lj_potential.json'), '--out', join(dir, 'pos')], { out: (l) => outs.push(l), log: () => {} })).toBe(0);
    expect(readJson(join(dir, 'pos', 'metrics.json')).runs.map((r: { kind: string }) => r.kind)).toEqual(['nbody-linear', 'lj-potential']);
    expect(nbodyResultRun(results('nbody_egnn.json')).metrics.panels[0].series.map((s) => s.name)).toEqual(['egnn train', 'egnn val', 'egnn test']);
    expect(ljResultRun(results('lj_potential.json')).metrics.panels.map((p) => p.id)).toEqual(['lj-energy', 'lj-gr']);
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

  it.skipIf(why !== null)(`the combined report (${ALL}: fluid, weather, constraint demos, MD) renders every plot in headless Chromium${why ? ` — SKIPPED: ${why}` : ''}`, async () => {
    const cfg = loadReportConfig(ALL);
    const r = await buildReport({ runs: cfg.runs, out: join(dir, 'all3'), title: cfg.title });
    const page = await checkReportInBrowser(r.htmlPath, process.env.GNNWB_SCREENSHOT_ALL ?? join(dir, 'all3', 'screenshot.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    const figs = JSON.parse(readFileSync(r.htmlPath, 'utf8').match(/<script type="application\/json" id="gnnwb-figures">(.*?)<\/script>/s)![1]) as Record<string, { data: { type: string }[] }>;
    const expected = new Set(Object.keys(figs));
    expect(Object.values(figs).flatMap((f) => f.data.map((d) => d.type)).filter((t) => t !== 'scatter' && t !== 'heatmap')).toEqual([]); // no WebGL, no scattergeo
    expect(page.plots.length).toBe(expected.size);
    for (const id of ['mgn-rmse', 'mgn-ke', 'mgn-div', 'wx-rmse-h', 'wx-acc-h', 'wx-mass']) expect(page.plots.map((p) => p.id), id).toContain(id);
    // Snapshot ids are prefixed with the run's name (the fluid result file's base name).
    for (const id of ['-mgn-speed-solver', '-mgn-speed-model', '-mgn-error']) expect(page.plots.some((p) => p.id.endsWith(id)), id).toBe(true);
    expect(page.plots.filter((p) => p.id.startsWith('constraints_')).length).toBeGreaterThanOrEqual(6);
    for (const p of page.plots) {
      expect(p.hasSvg, p.id).toBe(true);
      expect(p.traces, p.id).toBe(p.expected);
      expect(p.traces, p.id).toBeGreaterThan(0);
    }
  }, 240_000);
});
