/**
 * The one place that loads h5wasm (HDF5 compiled to WebAssembly). Its Node build reads and
 * writes real files by path. We switch HDF5's error stack to "throw" mode, so a bad file gives a
 * JavaScript exception (turned into a FileFormatError here) instead of a page of HDF5-DIAG
 * text on stderr.
 */
import h5wasm from 'h5wasm/node';
import { existsSync, statSync } from 'node:fs';
import { FileFormatError } from '../util/errors.js';

export type H5 = typeof h5wasm;
export type H5File = InstanceType<H5['File']>;

let ready: Promise<H5> | null = null;

/** h5wasm, initialised once, with HDF5 errors thrown as exceptions. */
export function loadH5(): Promise<H5> {
  if (!ready) {
    ready = h5wasm.ready.then((mod) => {
      (mod as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
      return h5wasm;
    });
  }
  return ready;
}

/** The most telling line of an h5wasm error (its last `minor:` line), for "got …" messages. */
export function h5ErrorSummary(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'object' && err && 'message' in err ? String((err as { message: unknown }).message) : String(err);
  const minors = [...text.matchAll(/minor:\s*(.+)/g)].map((m) => m[1].trim());
  const majors = [...text.matchAll(/major:\s*(.+)/g)].map((m) => m[1].trim());
  if (minors.length) return `${majors[majors.length - 1] ?? 'HDF5 error'}: ${minors[minors.length - 1]}`;
  return text.split('\n').filter(Boolean).slice(-1)[0]?.slice(0, 200) ?? 'an HDF5 error';
}

/** The 8-byte HDF5 signature, found at offset 0, 512, 1024, … */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Opens an HDF5 file for reading; missing, empty or unreadable files give FileFormatError. */
export async function openH5Read(path: string): Promise<H5File> {
  if (!existsSync(path)) throw new FileFormatError(path, 'an existing HDF5 file', 'no such file');
  const st = statSync(path);
  if (!st.isFile()) throw new FileFormatError(path, 'a regular HDF5 file', 'a folder or special file');
  if (st.size < SIGNATURE.length) throw new FileFormatError(path, 'an HDF5 file (at least 8 bytes)', `${st.size} bytes`);
  const h5 = await loadH5();
  try {
    return new h5.File(path, 'r');
  } catch (e) {
    throw new FileFormatError(path, 'a readable HDF5 file', h5ErrorSummary(e), 'The file may be truncated, corrupt or not HDF5');
  }
}
