/** `gnnwb report <run-dir>... [--out DIR] [--title T]`: metrics.json + self-contained report.html. */
import { buildReport } from '../report/report.js';
import { ConfigError } from '../util/errors.js';
import { registerCommand } from './registry.js';

registerCommand({
  name: 'report',
  summary: 'metrics.json + self-contained HTML report (plotly inlined) from run folders',
  usage: `gnnwb report <run-dir>... [--out DIR] [--title TEXT]

Reads each run folder's metrics.json (and timings.json) and writes DIR/metrics.json
(deterministic: same runs on the same backend give the same bytes) and DIR/report.html
(one file, plotly.js inlined, opens offline). DIR defaults to the first run folder.`,
  async run(args, ctx) {
    if (args.positional.length === 0) throw new ConfigError('<run-dir>', 'at least one run folder', 'none');
    const out = typeof args.options.out === 'string' ? args.options.out : args.positional[0];
    const r = await buildReport({ runs: args.positional, out, title: typeof args.options.title === 'string' ? args.options.title : undefined });
    ctx.out(`report: ${r.htmlPath}`);
    ctx.out(`metrics: ${r.metricsPath}`);
    return 0;
  },
});
