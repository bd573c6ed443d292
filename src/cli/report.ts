/**
 * `gnnwb report <run-dir|result.json>... [--out DIR] [--title T]` and
 * `gnnwb report --config reports/all.json [--out DIR]`: metrics.json + self-contained report.html.
 */
import { join } from 'node:path';
import { buildReport } from '../report/report.js';
import { loadReportConfig } from '../report/sources.js';
import { ConfigError } from '../util/errors.js';
import { registerCommand } from './registry.js';

registerCommand({
  name: 'report',
  summary: 'metrics.json + self-contained HTML report (plotly inlined) from run folders, result files or a report config',
  usage: `gnnwb report <run-dir|result.json>... [--out DIR] [--title TEXT]
gnnwb report --config reports/all.json [--out DIR] [--title TEXT]

Each argument is a run folder (its metrics.json and timings.json, or an MD simulation folder)
or a result file of results/ (mgn.json, weather*.json, constraints_*.json, nbody_*.json,
lj_potential.json; the kind is read from the contents; mgn.json picks up mgn_train.json,
mgn_fields.json and mgn_bench_mp4.json beside it). A report config (JSON, see
docs/workbench.md) lists the sources explicitly, with companions and optional entries; its
paths are relative to the config file.

Writes DIR/metrics.json (deterministic: the same sources on the same backend give the same
bytes) and DIR/report.html (one file, plotly.js inlined, opens offline). DIR defaults to the
config's "out", else the first run folder (runs/report when the first argument is a file).`,
  async run(args, ctx) {
    const title = typeof args.options.title === 'string' ? args.options.title : undefined;
    const outOpt = typeof args.options.out === 'string' ? args.options.out : undefined;
    if (args.options.config !== undefined) {
      if (typeof args.options.config !== 'string') throw new ConfigError('--config', 'a report config file (JSON)', 'no value');
      if (args.positional.length) throw new ConfigError('<run-dir>', 'no run arguments with --config (list them in the config)', args.positional.join(' '));
      const cfg = loadReportConfig(args.options.config);
      const out = outOpt ?? cfg.out;
      if (!out) throw new ConfigError('out', 'an output folder (config "out" or --out DIR)', 'none');
      const r = await buildReport({ runs: cfg.runs, out, title: title ?? cfg.title });
      ctx.out(`report: ${r.htmlPath}`);
      ctx.out(`metrics: ${r.metricsPath}`);
      return 0;
    }
    if (args.positional.length === 0) throw new ConfigError('<run-dir>', 'at least one run folder or result file (or --config FILE)', 'none');
    const first = args.positional[0];
    const out = outOpt ?? (first.toLowerCase().endsWith('.json') ? join('runs', 'report') : first);
    const r = await buildReport({ runs: args.positional, out, title });
    ctx.out(`report: ${r.htmlPath}`);
    ctx.out(`metrics: ${r.metricsPath}`);
    return 0;
  },
});
