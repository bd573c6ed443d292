/**
 * Benchmark reports: from one or more run folders (each with `metrics.json`, optionally
 * `timings.json`, see types.ts) to
 *
 * - `<out>/metrics.json`: every run's scalars and chart series, the environment (git commit,
 *   Node, backend, CPU, package versions), seeds and config hashes. Deterministic: no clock
 *   times, no wall-clock timings, keys in a fixed order, so re-running the same report config
 *   on the same backend gives the same bytes (test/report).
 * - `<out>/report.html`: one self-contained page (plotly.js inlined, no network access) with
 *   loss curves, rollout error vs time, conservation drift, equivariance error, field snapshots
 *   (particles / mesh colour map / map projection) and the performance table against peers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { FileFormatError } from '../util/errors.js';
import type { EnvironmentInfo } from '../cli/info.js';
import { panelFigure, snapshotFigure, type Figure } from './figures.js';
import { SECTIONS, type Panel, type RunMetrics, type RunTimings, type Timing } from './types.js';

const require = createRequire(import.meta.url);

export interface ReportOptions {
  /** Run folders (each holding metrics.json). */
  readonly runs: readonly string[];
  /** Output folder for metrics.json and report.html. */
  readonly out: string;
  readonly title?: string;
  /** Environment to record (default: environmentInfo() of the current process). */
  readonly environment?: EnvironmentInfo;
}

export interface ReportMetrics {
  readonly format: 'gnnwb-report';
  readonly formatVersion: 1;
  readonly title: string;
  readonly environment: Record<string, unknown>;
  readonly git: { readonly commit: string | null };
  readonly runs: readonly Omit<RunMetrics, 'snapshots'>[];
}

/** Current git commit of the working tree (null outside a repository). */
export function gitCommit(cwd = process.cwd()): { commit: string | null; dirty: boolean | null } {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  if (r.status !== 0) return { commit: null, dirty: null };
  const s = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' });
  return { commit: r.stdout.trim(), dirty: s.status === 0 ? s.stdout.trim().length > 0 : null };
}

/** Reads and checks a run folder's metrics.json. */
export function readRunMetrics(dir: string): RunMetrics {
  const p = join(dir, 'metrics.json');
  if (!existsSync(p)) throw new FileFormatError(p, 'a run metrics file (written by gnnwb rollout/quickstart)', 'no such file');
  let m: RunMetrics;
  try {
    m = JSON.parse(readFileSync(p, 'utf8')) as RunMetrics;
  } catch (e) {
    throw new FileFormatError(p, 'JSON', (e as Error).message);
  }
  if (m?.format !== 'gnnwb-run-metrics') throw new FileFormatError(p, "format 'gnnwb-run-metrics'", JSON.stringify(m?.format));
  if (!Array.isArray(m.panels) || !Array.isArray(m.snapshots) || typeof m.scalars !== 'object') {
    throw new FileFormatError(p, 'fields panels[], snapshots[], scalars{}', Object.keys(m).join(', '));
  }
  for (const [i, panel] of m.panels.entries()) {
    if (!SECTIONS.includes(panel.section) || !Array.isArray(panel.series) || panel.series.some((s: { x: unknown; y: unknown }) => !Array.isArray(s.x) || !Array.isArray(s.y) || (s.x as unknown[]).length !== (s.y as unknown[]).length)) {
      throw new FileFormatError(p, `panels[${i}] = {section: ${SECTIONS.join('|')}, series: [{x, y} of equal length]}`, JSON.stringify(panel).slice(0, 100));
    }
  }
  return m;
}

function readTimings(dir: string): Timing[] {
  const p = join(dir, 'timings.json');
  if (!existsSync(p)) return [];
  try {
    const t = JSON.parse(readFileSync(p, 'utf8')) as RunTimings;
    return Array.isArray(t.timings) ? [...t.timings] : [];
  } catch (e) {
    throw new FileFormatError(p, 'JSON timings', (e as Error).message);
  }
}

/** Environment without fields that change between identical runs. */
function stableEnvironment(env: EnvironmentInfo): Record<string, unknown> {
  const { backend, ...rest } = env;
  return { ...rest, backend: { name: backend.name, threads: backend.threads } };
}

/**
 * Loads a run folder for the report: its gnnwb `metrics.json`, or, for folders of other
 * producers, an adapter (MD simulation folders: src/report/adapters.ts).
 */
export async function loadRun(dir: string): Promise<{ dir: string; metrics: RunMetrics; timings: Timing[] }> {
  const p = join(dir, 'metrics.json');
  const own = existsSync(p) && (() => {
    try {
      return (JSON.parse(readFileSync(p, 'utf8')) as { format?: unknown }).format === 'gnnwb-run-metrics';
    } catch {
      return false;
    }
  })();
  if (!own) {
    const { isMdSimulationDir, mdSimulationMetrics } = await import('./adapters.js');
    if (isMdSimulationDir(dir)) return { dir, ...(await mdSimulationMetrics(dir)) };
  }
  return { dir, metrics: readRunMetrics(dir), timings: readTimings(dir) };
}

/** Builds metrics.json and report.html in `opts.out`; returns the paths and the metrics. */
export async function buildReport(opts: ReportOptions): Promise<{ metricsPath: string; htmlPath: string; metrics: ReportMetrics }> {
  const runs: { dir: string; metrics: RunMetrics; timings: Timing[] }[] = [];
  for (const d of opts.runs) runs.push(await loadRun(d));
  const env = opts.environment ?? (await (await import('../cli/info.js')).environmentInfo());
  const git = gitCommit();
  const title = opts.title ?? `gnnwb report: ${runs.map((r) => r.metrics.run).join(', ')}`;
  const metrics: ReportMetrics = {
    format: 'gnnwb-report',
    formatVersion: 1,
    title,
    environment: stableEnvironment(env),
    git: { commit: git.commit },
    runs: runs.map(({ metrics: m }) => ({
      format: m.format,
      run: m.run,
      domain: m.domain,
      kind: m.kind,
      seed: m.seed,
      configHash: m.configHash,
      scalars: m.scalars,
      panels: m.panels,
      ...(m.provenance ? { provenance: m.provenance } : {}),
    })),
  };
  const metricsPath = join(opts.out, 'metrics.json');
  writeJsonAtomic(metricsPath, metrics);
  const html = renderHtml(metrics, runs, env, git.dirty);
  const htmlPath = join(opts.out, 'report.html');
  writeFileAtomic(htmlPath, html);
  return { metricsPath: resolve(metricsPath), htmlPath: resolve(htmlPath), metrics };
}

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
}

/** The inlined plotly bundle (with the one `<!--` in a string literal escaped for HTML). */
function plotlySource(): string {
  const path = require.resolve('plotly.js-dist-min');
  return readFileSync(path, 'utf8').replaceAll('<!--', '\\x3C!--').replaceAll('</script', '<\\/script');
}

function renderHtml(metrics: ReportMetrics, runs: { dir: string; metrics: RunMetrics; timings: Timing[] }[], env: EnvironmentInfo, dirty: boolean | null): string {
  const figures: { section: string; fig: Figure }[] = [];
  for (const section of SECTIONS) {
    // One chart per panel id, with every run that has it.
    const ids = [...new Set(runs.flatMap((r) => r.metrics.panels.filter((p) => p.section === section).map((p) => p.id)))];
    for (const id of ids) {
      const have = runs.flatMap((r) => r.metrics.panels.filter((p) => p.id === id).map((panel: Panel) => ({ run: r.metrics.run, panel })));
      figures.push({ section, fig: panelFigure(have[0].panel, have) });
    }
  }
  for (const r of runs) for (const s of r.metrics.snapshots) figures.push({ section: 'snapshots', fig: snapshotFigure({ ...s, id: `${r.metrics.run}-${s.id}`, title: runs.length > 1 ? `${r.metrics.run}: ${s.title}` : s.title }) });
  const sectionTitle: Record<string, string> = {
    loss: 'Training loss',
    'rollout-error': 'Rollout error vs time',
    conservation: 'Conservation drift',
    equivariance: 'Equivariance error',
    other: 'Other metrics',
    snapshots: 'Field snapshots',
  };
  const body: string[] = [];
  body.push(`<h1>${esc(metrics.title)}</h1>`);
  body.push(`<p class="muted">gnnwb ${esc(env.gnnwb)} · git ${esc(metrics.git.commit ?? 'unknown')}${dirty ? ' (working tree had uncommitted changes)' : ''} · backend ${esc(env.backend.name)} (${env.backend.threads} thread${env.backend.threads > 1 ? 's' : ''})</p>`);
  body.push('<h2>Runs</h2><table><tr><th>run</th><th>domain</th><th>kind</th><th>seed</th><th>config hash</th></tr>');
  for (const r of metrics.runs) body.push(`<tr><td>${esc(r.run)}</td><td>${esc(r.domain)}</td><td>${esc(r.kind)}</td><td>${r.seed}</td><td><code>${esc(r.configHash.slice(0, 23))}…</code></td></tr>`);
  body.push('</table>');
  const scalarNames = [...new Set(metrics.runs.flatMap((r) => Object.keys(r.scalars)))];
  if (scalarNames.length) {
    body.push(`<h2>Results</h2><table><tr><th>metric</th>${metrics.runs.map((r) => `<th>${esc(r.run)}</th>`).join('')}</tr>`);
    for (const k of scalarNames) body.push(`<tr><td>${esc(k)}</td>${metrics.runs.map((r) => `<td class="num">${k in r.scalars ? fmt(r.scalars[k]) : '–'}</td>`).join('')}</tr>`);
    body.push('</table>');
  }
  let current = '';
  for (const { section, fig } of figures) {
    if (section !== current) {
      body.push(`<h2>${esc(sectionTitle[section] ?? section)}</h2>`);
      current = section;
    }
    body.push(`<div class="plot" id="plot-${esc(fig.id)}" data-figure="${esc(fig.id)}"></div>`);
  }
  const timings = runs.flatMap((r) => r.timings.map((t) => ({ run: r.metrics.run, ...t })));
  body.push('<h2>Performance against peers</h2>');
  if (timings.length) {
    body.push('<table><tr><th>run</th><th>measurement</th><th>value</th><th>peer</th><th>peer value</th><th>ratio (peer / ours)</th></tr>');
    for (const t of timings) {
      const ratio = t.peer && t.value > 0 ? fmt(t.peer.value / t.value) : '–';
      body.push(`<tr><td>${esc(t.run)}</td><td>${esc(t.name)}${t.note ? `<br><span class="muted">${esc(t.note)}</span>` : ''}</td><td class="num">${fmt(t.value)} ${esc(t.unit)}</td><td>${esc(t.peer?.name ?? '–')}</td><td class="num">${t.peer ? `${fmt(t.peer.value)} ${esc(t.unit)}` : '–'}</td><td class="num">${ratio}</td></tr>`);
    }
    body.push('</table><p class="muted">Wall-clock timings, measured in the same run as their peer; they vary between runs and are kept out of metrics.json.</p>');
  } else body.push('<p class="muted">No timings recorded.</p>');
  body.push('<h2>Environment</h2><table>');
  body.push(`<tr><td>node</td><td>${esc(env.node)} (${esc(env.platform)}/${esc(env.arch)})</td></tr>`);
  body.push(`<tr><td>cpu</td><td>${esc(env.cpu)}, ${env.cores} cores, ${env.memoryGiB} GiB</td></tr>`);
  body.push(`<tr><td>backend</td><td>${esc(env.backend.name)}: ${esc(env.backend.reason)}</td></tr>`);
  for (const [p, v] of Object.entries(env.packages)) body.push(`<tr><td>${esc(p)}</td><td>${esc(v ?? '(not installed)')}</td></tr>`);
  body.push('</table>');
  const figJson = JSON.stringify(Object.fromEntries(figures.map(({ fig }) => [fig.id, { data: fig.data, layout: fig.layout }]))).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(metrics.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px}
td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777;font-size:13px}.plot{margin-bottom:1em}
</style>
<script>${plotlySource()}</script>
</head><body>
${body.join('\n')}
<script type="application/json" id="gnnwb-figures">${figJson}</script>
<script>
(function () {
  var figs = JSON.parse(document.getElementById('gnnwb-figures').textContent);
  var divs = document.querySelectorAll('div.plot');
  for (var i = 0; i < divs.length; i++) {
    var f = figs[divs[i].getAttribute('data-figure')];
    Plotly.newPlot(divs[i], f.data, f.layout, { responsive: true, displaylogo: false, topojsonURL: 'data:,' });
  }
})();
</script>
</body></html>
`;
}
