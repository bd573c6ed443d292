/**
 * Reading config files: JSON text → plain data, with errors that point at the line and column,
 * and the `kind` every command config carries.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ConfigError, FileFormatError, describe } from '../util/errors.js';

/** Largest config file accepted (configs are small; this catches passing a dataset by mistake). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** True if `text` is valid JSON or could become valid by appending characters. */
function viablePrefix(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch (e) {
    const msg = (e as Error).message;
    if (/end of (JSON )?input/i.test(msg)) return true;
    const m = /position (\d+)/.exec(msg);
    return m !== null && Number(m[1]) >= text.length;
  }
}

/** Offset of the first character that makes `text` invalid JSON (binary search on prefixes). */
function errorOffset(text: string): number {
  let lo = 0;
  let hi = text.length; // viable(lo) holds; find the first non-viable prefix length
  if (viablePrefix(text)) return text.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (viablePrefix(text.slice(0, mid))) lo = mid;
    else hi = mid;
  }
  return hi - 1;
}

/** Parses JSON text; syntax errors become ConfigError with line:column. */
export function parseJsonText(text: string, name: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : errorOffset(text);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    const first = msg.split('\n')[0].replace(/, ".*$/s, '').slice(0, 80);
    throw new ConfigError(name, 'valid JSON', `a syntax error at line ${line}, column ${col}: ${first}`);
  }
}

/** Reads a JSON config file (missing/unreadable → FileFormatError; bad JSON → ConfigError). */
export function loadJsonFile(path: string): unknown {
  if (!existsSync(path)) throw new FileFormatError(path, 'an existing JSON config file', 'no such file');
  const st = statSync(path);
  if (!st.isFile()) throw new FileFormatError(path, 'a regular file', 'a folder or special file');
  if (st.size > MAX_CONFIG_BYTES) throw new FileFormatError(path, `a config of at most ${MAX_CONFIG_BYTES} bytes`, `${st.size} bytes`);
  const buf = readFileSync(path);
  const text = buf.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(buf)) throw new FileFormatError(path, 'UTF-8 text', 'invalid UTF-8 bytes');
  return parseJsonText(text, path);
}

/** The `kind` of a command config: `{"kind": "md-nbody", …}`. */
export function configKind(config: unknown, known: readonly string[] = []): string {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ConfigError('(root)', 'a JSON object with a "kind" field', describe(config));
  const k = (config as Record<string, unknown>).kind;
  if (typeof k !== 'string' || k === '') {
    throw new ConfigError('kind', `a string${known.length ? ` (one of ${known.join(', ')})` : ''}`, k === undefined ? 'a missing field' : describe(k));
  }
  return k;
}
