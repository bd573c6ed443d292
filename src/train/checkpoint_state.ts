/**
 * Checkpoints: named float32 tensors (parameters, optimiser moments) plus JSON metadata
 * (epoch, best validation, history, config), in one JSON file with base64-encoded
 * little-endian float32 payloads, so a save → load round trip is bit-exact.
 *
 * Files are written atomically (write `path.tmp`, then rename), so a run killed while saving
 * leaves the previous checkpoint intact and training can resume from it.
 *
 * Format (`format: "gnnwb-checkpoint"`, `version: 1`):
 * ```json
 * { "format": "gnnwb-checkpoint", "version": 1, "meta": { ... },
 *   "tensors": { "egnn/embed/W": { "shape": [1, 64], "data": "<base64 float32>" }, ... } }
 * ```
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileFormatError } from '../util/errors.js';

export interface TensorRecord {
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface CheckpointState<M = unknown> {
  readonly meta: M;
  readonly tensors: Record<string, TensorRecord>;
}

function encode(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function decode(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Serialises a checkpoint to a JSON string. */
export function checkpointToJson<M>(state: CheckpointState<M>): string {
  const tensors: Record<string, { shape: number[]; data: string }> = {};
  for (const [k, t] of Object.entries(state.tensors)) tensors[k] = { shape: t.shape, data: encode(t.data) };
  return JSON.stringify({ format: 'gnnwb-checkpoint', version: 1, meta: state.meta, tensors });
}

/** Parses a checkpoint JSON string (`file` names it in errors). */
export function checkpointFromJson<M>(text: string, file = '<string>'): CheckpointState<M> {
  let obj: { format?: string; version?: number; meta?: M; tensors?: Record<string, { shape: number[]; data: string }> };
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(file, 'a JSON checkpoint', `invalid JSON (${(e as Error).message})`);
  }
  if (obj.format !== 'gnnwb-checkpoint' || obj.version !== 1) {
    throw new FileFormatError(file, 'format "gnnwb-checkpoint" version 1', `format ${JSON.stringify(obj.format)} version ${obj.version}`);
  }
  const tensors: Record<string, TensorRecord> = {};
  for (const [k, t] of Object.entries(obj.tensors ?? {})) {
    const data = decode(t.data);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new FileFormatError(file, `${size} values for tensor '${k}'`, `${data.length}`);
    tensors[k] = { shape: t.shape, data };
  }
  return { meta: obj.meta as M, tensors };
}

/** Writes a checkpoint atomically. */
export function saveCheckpoint<M>(path: string, state: CheckpointState<M>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, checkpointToJson(state));
  renameSync(tmp, path);
}

/** Reads a checkpoint, or returns null if the file does not exist. */
export function loadCheckpoint<M>(path: string): CheckpointState<M> | null {
  if (!existsSync(path)) return null;
  return checkpointFromJson<M>(readFileSync(path, 'utf8'), path);
}
