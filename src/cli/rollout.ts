/** `gnnwb rollout <config.json>`: Roll a trained model out against the reference simulator and write metrics. Dispatches on the config's `kind` (see batch.ts). */
import { registerCommand } from './registry.js';
import { batchUsage, runBatch } from './batch.js';

registerCommand({
  name: 'rollout',
  summary: 'Roll a trained model out against the reference simulator and write metrics',
  get usage() {
    return batchUsage('rollout', 'Roll a trained model out against the reference simulator and write metrics.');
  },
  run: (args, ctx) => runBatch('rollout', args, ctx),
});
