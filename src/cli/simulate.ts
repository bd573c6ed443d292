/** `gnnwb simulate <config.json>`: Run a reference simulator and write its trajectory dataset (HDF5 + manifest). Dispatches on the config's `kind` (see batch.ts). */
import { registerCommand } from './registry.js';
import { batchUsage, runBatch } from './batch.js';

registerCommand({
  name: 'simulate',
  summary: 'Run a reference simulator and write its trajectory dataset (HDF5 + manifest)',
  get usage() {
    return batchUsage('simulate', 'Run a reference simulator and write its trajectory dataset (HDF5 + manifest).');
  },
  run: (args, ctx) => runBatch('simulate', args, ctx),
});
