/**
 * Job checkpoints: JSON state plus named binary arrays in one file, written atomically, read
 * back with every byte checked.
 *
 * File layout (all integers little-endian):
 * ```
 * offset 0   "GNNWBCK1"                      8 bytes magic
 *        8   u32 headerLength                 bytes of the JSON header
 *       12   sha256(header)                   32 bytes
 *       44   header JSON (UTF-8)              {version, state, arrays: {name: {dtype, shape,
 *                                              offset, sha256}}, dataLength}
 *        …   zero padding to a multiple of 8
 *        D   array data, each array 8-byte aligned, at D + offset
 * ```
 * A truncated, corrupted or foreign file gives a FileFormatError with expected/got; the
 * previous checkpoint is only ever replaced by a complete new one.
 *
 * ```ts
 * saveCheckpoint('runs/a/train.ckpt', { step: 100, rng: rng.state() }, { w0: { data, shape: [4, 8] } });
 * const { state, arrays } = loadCheckpoint('runs/a/train.ckpt');
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { sha256Hex } from '../config/hash.js';
import { FileFormatError, describe } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';
import { arraySha256, checkNamedArray, type ArrayData, type DType, type NamedArray } from './dataset.js';

export const CHECKPOINT_MAGIC = 'GNNWBCK1';
export const CHECKPOINT_VERSION = 1;

interface ArrayEntry {
  dtype: DType;
  shape: number[];
  offset: number;
  sha256: string;
}

interface Header {
  version: number;
  state: unknown;
  arrays: Record<string, ArrayEntry>;
  dataLength: number;
}

export interface Checkpoint<S = unknown> {
  readonly state: S;
  readonly arrays: Readonly<Record<string, NamedArray>>;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };
const align8 = (n: number): number => (n + 7) & ~7;

/** Serialises a checkpoint to bytes (see the file layout above). */
export function encodeCheckpoint(state: unknown, arrays: Readonly<Record<string, NamedArray>> = {}): Uint8Array {
  const entries: Record<string, ArrayEntry> = {};
  let off = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const dtype = checkNamedArray(name, a);
    entries[name] = { dtype, shape: [...a.shape], offset: off, sha256: arraySha256(a.data) };
    off = align8(off + a.data.byteLength);
  }
  const header: Header = { version: CHECKPOINT_VERSION, state, arrays: entries, dataLength: off };
  const hbytes = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = align8(44 + hbytes.length);
  const out = new Uint8Array(dataStart + off);
  out.set(Buffer.from(CHECKPOINT_MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, hbytes.length, true);
  out.set(Buffer.from(sha256Hex(hbytes), 'hex'), 12);
  out.set(hbytes, 44);
  for (const [name, a] of Object.entries(arrays)) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), dataStart + entries[name].offset);
  }
  return out;
}

/** Writes a checkpoint atomically (temp + fsync + rename). */
export function saveCheckpoint(path: string, state: unknown, arrays: Readonly<Record<string, NamedArray>> = {}): void {
  writeFileAtomic(path, encodeCheckpoint(state, arrays));
}

function makeArray(dtype: DType, bytes: Uint8Array): ArrayData {
  // Copy into a fresh, aligned buffer.
  const buf = new Uint8Array(bytes).buffer; // a copy (Buffer.slice would share memory)
  return dtype === 'float32' ? new Float32Array(buf) : dtype === 'float64' ? new Float64Array(buf) : new Int32Array(buf);
}

/** Parses checkpoint bytes; `name` is used in error messages. */
export function decodeCheckpoint<S = unknown>(bytes: Uint8Array, name = '<checkpoint>'): Checkpoint<S> {
  if (bytes.length < 44) throw new FileFormatError(name, 'a gnnwb checkpoint (at least 44 bytes)', `${bytes.length} bytes`, 'Truncated?');
  const magic = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (magic !== CHECKPOINT_MAGIC) throw new FileFormatError(name, `magic '${CHECKPOINT_MAGIC}'`, JSON.stringify(magic), 'Not a gnnwb checkpoint');
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (44 + hlen > bytes.length) throw new FileFormatError(name, `a header of ${hlen} bytes`, `${bytes.length - 44} bytes after the preamble`, 'Truncated?');
  const hbytes = bytes.subarray(44, 44 + hlen);
  const hsha = Buffer.from(bytes.subarray(12, 44)).toString('hex');
  if (sha256Hex(hbytes) !== hsha) throw new FileFormatError(name, 'a header matching its sha256', 'a different sha256', 'The header is corrupt');
  let h: Header;
  try {
    h = JSON.parse(Buffer.from(hbytes).toString('utf8')) as Header;
  } catch (e) {
    throw new FileFormatError(name, 'a JSON header', (e as Error).message);
  }
  if (!h || typeof h !== 'object' || typeof h.version !== 'number' || typeof h.arrays !== 'object' || !Number.isInteger(h.dataLength)) {
    throw new FileFormatError(name, 'a header {version, state, arrays, dataLength}', describe(h));
  }
  if (h.version > CHECKPOINT_VERSION) throw new FileFormatError(name, `version <= ${CHECKPOINT_VERSION}`, `${h.version}`);
  const dataStart = align8(44 + hlen);
  if (bytes.length !== dataStart + h.dataLength) {
    throw new FileFormatError(name, `${dataStart + h.dataLength} bytes`, `${bytes.length} bytes`, bytes.length < dataStart + h.dataLength ? 'Truncated' : 'Trailing garbage');
  }
  const arrays: Record<string, NamedArray> = {};
  for (const [an, e] of Object.entries(h.arrays)) {
    const n = e.shape.reduce((p, s) => p * s, 1);
    const len = n * (BYTES[e.dtype] ?? NaN);
    if (!Number.isFinite(len) || e.offset < 0 || e.offset + len > h.dataLength) {
      throw new FileFormatError(name, `array '${an}' inside the data section`, JSON.stringify(e));
    }
    const data = makeArray(e.dtype, bytes.subarray(dataStart + e.offset, dataStart + e.offset + len));
    if (arraySha256(data) !== e.sha256) throw new FileFormatError(name, `array '${an}' matching its sha256`, 'a different sha256', 'The data is corrupt');
    arrays[an] = { data, shape: e.shape };
  }
  return { state: h.state as S, arrays };
}

/** Reads and verifies a checkpoint file. */
export function loadCheckpoint<S = unknown>(path: string): Checkpoint<S> {
  if (!existsSync(path)) throw new FileFormatError(path, 'an existing checkpoint file', 'no such file');
  return decodeCheckpoint<S>(readFileSync(path), path);
}

/** Reads a checkpoint if it exists, else null (corrupt files still throw). */
export function loadCheckpointIfExists<S = unknown>(path: string): Checkpoint<S> | null {
  return existsSync(path) ? loadCheckpoint<S>(path) : null;
}
