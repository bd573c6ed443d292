/**
 * Config hashes: `sha256(stableStringify(config))`, so two configs with the same content hash
 * the same whatever the key order. Stored in every dataset manifest, checkpoint and report.
 *
 * ```ts
 * configHash({ b: 1, a: [1, 2] }) === configHash({ a: [1, 2], b: 1 }); // true
 * ```
 */
import { createHash } from 'node:crypto';
import { ConfigError, describe } from '../util/errors.js';

/**
 * JSON with object keys sorted at every level and no whitespace. Rejects values JSON cannot
 * represent faithfully (NaN, ±Infinity, undefined inside arrays, functions, bigint).
 */
export function stableStringify(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new ConfigError(path, 'a finite number', describe(value));
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map((v, i) => stableStringify(v, `${path}[${i}]`)).join(',') + ']';
      if (ArrayBuffer.isView(value)) throw new ConfigError(path, 'plain JSON data', describe(value));
      const keys = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableStringify((value as Record<string, unknown>)[k], `${path}.${k}`)).join(',') + '}';
    }
    default:
      throw new ConfigError(path, 'plain JSON data', describe(value));
  }
}

/** Hex sha256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` of the config's stable JSON. */
export function configHash(config: unknown): string {
  return 'sha256:' + sha256Hex(stableStringify(config));
}
