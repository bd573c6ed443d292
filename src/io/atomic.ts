/**
 * Atomic file output: every file the workbench writes appears complete or not at all.
 *
 * The data goes to a temporary file in the same folder (same file system, so `rename` is
 * atomic on POSIX), is flushed, and is renamed over the target in one step. A reader never sees
 * a half-written file, and a run killed mid-write leaves the previous good file in place (plus,
 * at worst, a stray `*.tmp-*` file that the next write ignores).
 *
 * ```ts
 * writeFileAtomic('runs/a/metrics.json', JSON.stringify(m));
 * await withAtomicOutput('data/md.h5', async (tmp) => writeHdf5(tmp));
 * ```
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { FileFormatError } from '../util/errors.js';

let counter = 0;

/** A fresh temporary path beside `path` (same folder, unique per process and call). */
export function tempPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter}`);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems do not allow fsync on a folder; the rename is still atomic.
  }
}

export interface AtomicOptions {
  /** Refuse to replace an existing file (FileFormatError). Default false. */
  readonly noOverwrite?: boolean;
  /** fsync data and folder (survives power loss, not only a killed process). Default true. */
  readonly durable?: boolean;
}

function checkOverwrite(path: string, opts: AtomicOptions): void {
  if (opts.noOverwrite && existsSync(path)) {
    throw new FileFormatError(path, 'no existing file (refusing to overwrite)', 'an existing file', 'Delete it or choose another output path');
  }
}

/** Writes `data` to `path` atomically (temp file + fsync + rename). Creates parent folders. */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicOptions = {}): void {
  checkOverwrite(path, opts);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (opts.durable !== false) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (opts.durable !== false) fsyncDir(dirname(path));
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown, opts: AtomicOptions = {}): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', opts);
}

/**
 * Runs `write(tmpPath)` (which must create the file at `tmpPath`, e.g. through a library that
 * only writes to a path, like h5wasm) and renames the result onto `path`. If `write` throws,
 * the temporary file is removed and `path` is untouched.
 */
export async function withAtomicOutput<T>(path: string, write: (tmpPath: string) => Promise<T> | T, opts: AtomicOptions = {}): Promise<T> {
  checkOverwrite(path, opts);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  let result: T;
  try {
    result = await write(tmp);
    if (!existsSync(tmp)) throw new FileFormatError(tmp, 'a file written by the callback', 'no file');
    if (opts.durable !== false) {
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, path);
  if (opts.durable !== false) fsyncDir(dirname(path));
  return result;
}
