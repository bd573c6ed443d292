/** `gnnwb train <config.json>`: Train a model on a dataset; checkpoints make it resumable. Dispatches on the config's `kind` (see batch.ts). */
import { registerCommand } from './registry.js';
import { batchUsage, runBatch } from './batch.js';

registerCommand({
  name: 'train',
  summary: 'Train a model on a dataset; checkpoints make it resumable',
  get usage() {
    return batchUsage('train', 'Train a model on a dataset; checkpoints make it resumable.');
  },
  run: (args, ctx) => runBatch('train', args, ctx),
});
