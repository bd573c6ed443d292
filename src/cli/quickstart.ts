/**
 * `gnnwb quickstart` (`npm run quickstart`): simulate → train → rollout → report on the charged
 * N-body system with EGNN, small default, a few minutes. Re-running after a kill continues
 * where it stopped. Writes <out>/report.html (default runs/quickstart/report.html).
 */
import { resolve } from 'node:path';
import { loadJsonFile } from '../config/load.js';
import { runQuickstart, QUICKSTART_DEFAULTS } from '../train/pipeline_nbody.js';
import { registerCommand, registerKind } from './registry.js';
import { startRequestedBackend } from './batch.js';
import { configKind } from '../config/load.js';

export const QUICKSTART_OUT = 'runs/quickstart';

registerCommand({
  name: 'quickstart',
  summary: 'simulate → train → rollout → report on a small N-body + EGNN problem (minutes)',
  usage: `gnnwb quickstart [--out DIR] [--config FILE] [--force] [--backend NAME] [--threads N]

Runs the whole pipeline on the charged N-body system with EGNN and writes DIR/report.html
(default ${QUICKSTART_OUT}/report.html). Killed midway? Run it again: finished stages are kept,
the interrupted one resumes. --config takes a JSON object overriding the defaults:
${JSON.stringify(QUICKSTART_DEFAULTS)}
--force starts over when DIR holds a run of a different config.`,
  async run(args, ctx) {
    const out = typeof args.options.out === 'string' ? args.options.out : QUICKSTART_OUT;
    const raw = typeof args.options.config === 'string' ? loadJsonFile(args.options.config) : {};
    if (raw && typeof raw === 'object' && 'kind' in raw) configKind(raw, ['nbody-pipeline']);
    await startRequestedBackend(args);
    const r = await runQuickstart(out, raw, ctx.log, { force: !!args.options.force });
    ctx.out(`Report written. Open it in a browser:\n  ${r.htmlPath}\n  (file://${resolve(r.htmlPath)})\nMetrics: ${r.metricsPath}`);
    return 0;
  },
});

// The same pipeline as a batch kind: `gnnwb rollout config.json` with {"kind": "nbody-pipeline", …}
// runs every stage into --out (sweeps and shards work as for any kind).
registerKind('rollout', 'nbody-pipeline', 'quickstart pipeline: simulate → train (EGNN) → rollout → report in one run folder', async (config, args, ctx) => {
  const { kind: _k, ...rest } = config as Record<string, unknown>;
  const r = await runQuickstart(String(args.options.out), rest, ctx.log, { force: !!args.options.force });
  ctx.out(`report: ${r.htmlPath}`);
  return 0;
});
