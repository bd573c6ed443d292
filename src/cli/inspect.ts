/**
 * `gnnwb inspect <file>`: checks and summarises a workbench file — an HDF5 dataset (manifest,
 * arrays, checksums verified), a checkpoint (`.ckpt`), or an extended XYZ file. A truncated,
 * corrupt or wrong file is one error line and a non-zero exit code (66), never a stack trace.
 */
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { readDataset } from '../io/dataset.js';
import { loadCheckpoint, CHECKPOINT_MAGIC } from '../io/checkpoint.js';
import { readExtxyz } from '../io/extxyz.js';
import { ConfigError, FileFormatError } from '../util/errors.js';
import { registerCommand } from './registry.js';

/** The file's kind from its first bytes (HDF5 signature, checkpoint magic) or its extension. */
export function sniff(path: string): 'hdf5' | 'checkpoint' | 'extxyz' | 'unknown' {
  if (!existsSync(path)) throw new FileFormatError(path, 'an existing file', 'no such file');
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(8);
  const n = readSync(fd, head, 0, 8, 0);
  closeSync(fd);
  const s = head.subarray(0, n);
  if (s.equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'hdf5';
  if (s.toString('latin1') === CHECKPOINT_MAGIC) return 'checkpoint';
  if (/\.(ext)?xyz$/i.test(path)) return 'extxyz';
  if (/\.h5$|\.hdf5$/i.test(path)) return 'hdf5';
  if (/\.ckpt$/i.test(path)) return 'checkpoint';
  return 'unknown';
}

registerCommand({
  name: 'inspect',
  summary: 'check and summarise a dataset (.h5), checkpoint (.ckpt) or extended XYZ file',
  usage: 'gnnwb inspect <file> [--json]\n\nVerifies the file (manifest, shapes, sha256 checksums) and prints a summary. Exit 66 on a bad file.',
  async run(args, ctx) {
    const path = args.positional[0];
    if (!path) throw new ConfigError('<file>', 'a file to inspect', 'no argument');
    const kind = sniff(path);
    let summary: Record<string, unknown>;
    if (kind === 'hdf5') {
      const ds = await readDataset(path);
      const m = ds.manifest;
      summary = { type: 'gnnwb dataset', simulator: m.simulator, seed: m.seed, configHash: m.configHash, gnnwbVersion: m.gnnwbVersion, created: m.created, arrays: Object.fromEntries(Object.entries(m.arrays).map(([k, a]) => [k, `${a.dtype} [${a.shape.join(', ')}]`])), attributes: m.attributes, checksums: 'ok' };
    } else if (kind === 'checkpoint') {
      const c = loadCheckpoint(path);
      summary = { type: 'gnnwb checkpoint', state: c.state, arrays: Object.fromEntries(Object.entries(c.arrays).map(([k, a]) => [k, `[${a.shape.join(', ')}]`])), checksums: 'ok' };
    } else if (kind === 'extxyz') {
      const frames = readExtxyz(path);
      summary = { type: 'extended XYZ', frames: frames.length, atoms: frames[0]?.species.length ?? 0, velocities: !!frames[0]?.velocities, lattice: frames[0]?.lattice ? Array.from(frames[0].lattice) : null };
    } else {
      throw new FileFormatError(path, 'an HDF5 dataset, a gnnwb checkpoint or an extended XYZ file', 'an unrecognised file (no HDF5 signature or checkpoint magic)');
    }
    if (args.options.json) ctx.out(JSON.stringify(summary, null, 2));
    else for (const [k, v] of Object.entries(summary)) ctx.out(`${k.padEnd(14)} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return 0;
  },
});
