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
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { FileFormatError } from '../util/errors.js';
import type { EnvironmentInfo } from '../cli/info.js';
import { panelFigure, snapshotFigure, type Figure } from './figures.js';
import { SECTIONS, type Panel, type RunMetrics, type RunTimings, type Timing } from './types.js';
import type { RunSource } from './sources.js';

const require = createRequire(import.meta.url);

export interface ReportOptions {
  /**
   * Runs: run folders (metrics.json, or an MD simulation folder), result files
   * (`results/mgn.json`, `weather*.json`, `constraints_*.json`, `nbody_*.json`,
   * `lj_potential.json`; kind detected from the contents), or explicit {@link RunSource}s.
   */
  readonly runs: readonly (string | RunSource)[];
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
  /** Optional sources that were absent (report configs: `optional: true`). */
  readonly missing?: readonly string[];
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
 * Loads a run for the report: a run folder's gnnwb `metrics.json`; an MD simulation folder
 * (src/report/adapters.ts); a result file or an explicit source (src/report/sources.ts).
 */
export async function loadRun(src: string | RunSource): Promise<{ dir: string; metrics: RunMetrics; timings: Timing[] }> {
  if (typeof src !== 'string' || !isDirectory(src)) {
    const { loadSource } = await import('./sources.js');
    const r = await loadSource(typeof src === 'string' ? { type: 'auto', path: src } : src);
    return { dir: typeof src === 'string' ? src : sourcePath(src), ...r };
  }
  const dir = src;
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

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return true; // let readRunMetrics report the missing folder
  }
}

/** The file or folder a source names (for messages). */
export function sourcePath(s: RunSource): string {
  return 'result' in s ? s.result : s.path;
}

/** Builds metrics.json and report.html in `opts.out`; returns the paths and the metrics. */
export async function buildReport(opts: ReportOptions): Promise<{ metricsPath: string; htmlPath: string; metrics: ReportMetrics }> {
  const runs: { dir: string; metrics: RunMetrics; timings: Timing[] }[] = [];
  const missing: string[] = [];
  for (const d of opts.runs) {
    if (typeof d !== 'string' && d.optional && !existsSync(sourcePath(d))) {
      missing.push(basename(sourcePath(d)));
      continue;
    }
    runs.push(await loadRun(d));
  }
  const dup = runs.map((r) => r.metrics.run).find((n, i, a) => a.indexOf(n) !== i);
  if (dup !== undefined) throw new FileFormatError(runs.find((r) => r.metrics.run === dup)!.dir, 'distinct run names in one report', `'${dup}' twice (give one source a "name")`);
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
      ...(m.title ? { title: m.title } : {}),
      ...(m.provenance ? { provenance: m.provenance } : {}),
      ...(m.notes?.length ? { notes: m.notes } : {}),
    })),
    ...(missing.length ? { missing } : {}),
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

/** One plot in the page, with what groups it (section, run, row of side-by-side plots). */
interface Placed {
  readonly section: string;
  readonly run: string;
  readonly row?: string;
  readonly note?: string;
  readonly fig: Figure;
}

const SECTION_TITLES: Record<string, string> = {
  loss: 'Training loss',
  'rollout-error': 'Rollout error vs time',
  conservation: 'Conservation drift',
  equivariance: 'Equivariance error',
  constraints: 'Physics-constraint demonstrations: without | with the constraint',
  other: 'Other metrics',
  snapshots: 'Field snapshots',
};

/** Plots in page order: sections, panel ids shared across runs, then snapshots per run. */
function placeFigures(runs: readonly { metrics: RunMetrics }[]): Placed[] {
  const placed: Placed[] = [];
  for (const section of SECTIONS) {
    // One chart per panel id, with every run that has it.
    const ids = [...new Set(runs.flatMap((r) => r.metrics.panels.filter((p) => p.section === section).map((p) => p.id)))];
    for (const id of ids) {
      const have = runs.flatMap((r) => r.metrics.panels.filter((p) => p.id === id).map((panel: Panel) => ({ run: r.metrics.run, panel })));
      const only = have.length === 1 ? have[0] : null;
      // Side by side: a run's panels with the same row; panels shared by several runs when
      // every run puts them in the same row.
      const sharedRow = have.every((h) => h.panel.row && h.panel.row === have[0].panel.row) ? have[0].panel.row : undefined;
      const row = only ? (only.panel.row ? `${only.run}/${only.panel.row}` : undefined) : sharedRow ? `${have.map((h) => h.run).join('+')}/${sharedRow}` : undefined;
      placed.push({ section, run: only?.run ?? '', row, note: have[0].panel.note, fig: panelFigure(have[0].panel, have) });
    }
  }
  for (const r of runs) {
    for (const s of r.metrics.snapshots) {
      placed.push({ section: 'snapshots', run: r.metrics.run, row: s.row ? `${r.metrics.run}/${s.row}` : undefined, fig: snapshotFigure({ ...s, id: `${r.metrics.run}-${s.id}`, title: runs.length > 1 ? `${r.metrics.run}: ${s.title}` : s.title }) });
    }
  }
  return placed;
}

function renderHtml(metrics: ReportMetrics, runs: { dir: string; metrics: RunMetrics; timings: Timing[] }[], env: EnvironmentInfo, dirty: boolean | null): string {
  const figures = placeFigures(runs);
  const body: string[] = [];
  body.push(`<h1>${esc(metrics.title)}</h1>`);
  body.push(`<p class="muted">gnnwb ${esc(env.gnnwb)} · git ${esc(metrics.git.commit ?? 'unknown')}${dirty ? ' (working tree had uncommitted changes)' : ''} · backend ${esc(env.backend.name)} (${env.backend.threads} thread${env.backend.threads > 1 ? 's' : ''})</p>`);
  const what = metrics.runs.some((r) => r.title);
  body.push(`<h2>Runs</h2><table><tr><th>run</th><th>domain</th><th>kind</th><th>seed</th><th>config hash</th>${what ? '<th>what</th>' : ''}</tr>`);
  for (const r of metrics.runs) body.push(`<tr><td>${esc(r.run)}</td><td>${esc(r.domain)}</td><td>${esc(r.kind)}</td><td>${r.seed}</td><td><code>${esc(r.configHash.slice(0, 23))}…</code></td>${what ? `<td>${esc(r.title ?? '')}</td>` : ''}</tr>`);
  body.push('</table>');
  if (metrics.missing?.length) body.push(`<p class="muted">Optional sources not found (not in this report): ${metrics.missing.map((m) => `<code>${esc(m)}</code>`).join(', ')}</p>`);
  // Headline numbers: one table per domain (runs of a domain share metric names).
  const domains = [...new Set(metrics.runs.map((r) => r.domain))];
  if (metrics.runs.some((r) => Object.keys(r.scalars).length)) body.push('<h2>Results</h2>');
  for (const d of domains) {
    const rs = metrics.runs.filter((r) => r.domain === d && Object.keys(r.scalars).length);
    const names = [...new Set(rs.flatMap((r) => Object.keys(r.scalars)))];
    if (!names.length) continue;
    if (domains.length > 1) body.push(`<h3>${esc(d)}</h3>`);
    body.push(`<table><tr><th>metric</th>${rs.map((r) => `<th>${esc(r.run)}</th>`).join('')}</tr>`);
    for (const k of names) body.push(`<tr><td>${esc(k)}</td>${rs.map((r) => `<td class="num">${k in r.scalars ? fmt(r.scalars[k]) : '–'}</td>`).join('')}</tr>`);
    body.push('</table>');
  }
  const noted = metrics.runs.filter((r) => r.notes?.length);
  if (noted.length) {
    body.push('<h2>Notes</h2><ul class="notes">');
    for (const r of noted) for (const n of r.notes!) body.push(`<li><b>${esc(r.run)}</b>: ${esc(n)}</li>`);
    body.push('</ul>');
  }
  let current = '';
  let currentRun = '';
  for (let i = 0; i < figures.length; ) {
    const { section, run, row } = figures[i];
    if (section !== current) {
      body.push(`<h2>${esc(SECTION_TITLES[section] ?? section)}</h2>`);
      current = section;
      currentRun = '';
    }
    if ((section === 'constraints' || section === 'snapshots') && run && run !== currentRun) {
      const title = runs.find((r) => r.metrics.run === run)?.metrics.title;
      body.push(`<h3>${esc(run)}${title ? `: ${esc(title)}` : ''}</h3>`);
      currentRun = run;
    }
    // Consecutive plots of one row are drawn side by side.
    let j = i + 1;
    while (row && j < figures.length && figures[j].row === row && figures[j].section === section) j++;
    const cell = (f: Placed) => `<div class="cell"><div class="plot" id="plot-${esc(f.fig.id)}" data-figure="${esc(f.fig.id)}"></div>${f.note ? `<p class="muted">${esc(f.note)}</p>` : ''}</div>`;
    body.push(j - i > 1 ? `<div class="row">${figures.slice(i, j).map(cell).join('')}</div>` : cell(figures[i]));
    i = j;
  }
  const timings = runs.flatMap((r) => r.timings.map((t) => ({ run: r.metrics.run, ...t })));
  body.push('<h2>Performance against peers</h2>');
  if (timings.length) {
    body.push('<table><tr><th>run</th><th>measurement</th><th>value</th><th>peer</th><th>peer value</th><th>ratio (peer / ours)</th></tr>');
    for (const t of timings) {
      const ratio = t.peer && t.value > 0 ? fmt(t.peer.value / t.value) : '–';
      body.push(`<tr><td>${esc(t.run)}</td><td>${esc(t.name)}${t.note ? `<br><span class="muted">${esc(t.note)}</span>` : ''}</td><td class="num">${fmt(t.value)} ${esc(t.unit)}</td><td>${esc(t.peer?.name ?? '–')}</td><td class="num">${t.peer ? `${fmt(t.peer.value)} ${esc(t.unit)}` : '–'}</td><td class="num">${ratio}</td></tr>`);
    }
    body.push('</table><p class="muted">Wall-clock timings as recorded by each run folder or result file; a peer, where given, was measured in the same invocation (compare ratios: absolute times depend on the load of the machine). Timings vary between runs and are kept out of metrics.json.</p>');
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
td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777;font-size:13px}.plot{margin-bottom:0.5em}
.row{display:flex;gap:12px}.row>.cell{flex:1 1 0;min-width:0}.notes li{font-size:13px;margin:2px 0}
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
