/**
 * Schema-checked configs: small combinators that validate plain JSON, fill defaults, and return
 * deeply frozen plain data. Every error is a ConfigError naming the JSON path, what was
 * expected and what was found:
 *
 * ```ts
 * const Sim = obj({
 *   kind: literal('md-nbody'),
 *   particles: num({ integer: true, min: 2, default: 5 }),
 *   dt: num({ min: 0, exclusiveMin: true, default: 0.001 }),
 *   init: obj({ speed: expr(['x', 'y', 'z'], { default: '0' }) }, { default: {} }),
 * });
 * const cfg = parseConfig(Sim, JSON.parse(text));
 * // ConfigError: Expected 'particles' to be an integer >= 2 (got number 1.5)
 * ```
 *
 * Formula fields (`expr`) stay strings in the config (so it round-trips through JSON) but are
 * checked by compiling them (see expr.ts); compile again where they are used.
 */
import { ConfigError, describe } from '../util/errors.js';
import { compileExpression } from './expr.js';

/** A validator for values of type T. `path` is the JSON path used in errors. */
export interface Schema<T> {
  /** What the schema expects, in words (for errors and docs). */
  readonly expects: string;
  /** Default used when the field is absent (undefined: the field is required). */
  readonly default?: T;
  /** True if an absent field is allowed without a default. */
  readonly optional?: boolean;
  parse(value: unknown, path: string): T;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

function fail(path: string, expected: string, value: unknown, hint?: string): never {
  throw new ConfigError(path || '(root)', expected, describe(value), hint);
}

export interface NumOptions {
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly integer?: boolean;
  readonly default?: number;
}

/** A finite number with optional bounds. */
export function num(o: NumOptions = {}): Schema<number> {
  const parts = [o.integer ? 'an integer' : 'a finite number'];
  if (o.min !== undefined) parts.push(`${o.exclusiveMin ? '>' : '>='} ${o.min}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  const expects = parts.join(' ');
  return {
    expects,
    default: o.default,
    parse(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, expects, v);
      if (o.integer && !Number.isInteger(v)) fail(path, expects, v);
      if (o.min !== undefined && (o.exclusiveMin ? v <= o.min : v < o.min)) fail(path, expects, v);
      if (o.max !== undefined && v > o.max) fail(path, expects, v);
      return v;
    },
  };
}

/** A string, optionally one of a fixed set. */
export function str(o: { oneOf?: readonly string[]; default?: string; pattern?: RegExp } = {}): Schema<string> {
  const expects = o.oneOf ? `one of ${o.oneOf.map((s) => JSON.stringify(s)).join(', ')}` : o.pattern ? `a string matching ${o.pattern}` : 'a string';
  return {
    expects,
    default: o.default,
    parse(v, path) {
      if (typeof v !== 'string') fail(path, expects, v);
      if (o.oneOf && !o.oneOf.includes(v)) fail(path, expects, v, nearest(v, o.oneOf));
      if (o.pattern && !o.pattern.test(v)) fail(path, expects, v);
      return v;
    },
  };
}

/** Exactly this string (e.g. a `kind`). */
export function literal<S extends string>(value: S): Schema<S> {
  const expects = JSON.stringify(value);
  return { expects, default: undefined, parse: (v, path) => (v === value ? value : fail(path, expects, v)) };
}

export function bool(o: { default?: boolean } = {}): Schema<boolean> {
  return { expects: 'true or false', default: o.default, parse: (v, path) => (typeof v === 'boolean' ? v : fail(path, 'true or false', v)) };
}

/** A math expression in `variables` (kept as its source string; validated by compiling). */
export function expr(variables: readonly string[], o: { default?: string; constants?: readonly string[] } = {}): Schema<string> {
  const expects = `a math expression in ${variables.join(', ')}`;
  return {
    expects,
    default: o.default,
    parse(v, path) {
      if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
      const consts = Object.fromEntries((o.constants ?? []).map((c) => [c, 1]));
      compileExpression(v, variables, path, consts);
      return v as string;
    },
  };
}

/** An array of items, with optional length bounds. */
export function arr<T>(item: Schema<T>, o: { minLength?: number; maxLength?: number; default?: T[] } = {}): Schema<T[]> {
  const bounds = o.minLength !== undefined && o.minLength === o.maxLength ? ` of length ${o.minLength}` : `${o.minLength ? ` of at least ${o.minLength}` : ''}${o.maxLength !== undefined ? ` of at most ${o.maxLength}` : ''}`;
  const expects = `an array${bounds} of ${item.expects}`;
  return {
    expects,
    default: o.default,
    parse(v, path) {
      if (!Array.isArray(v)) fail(path, expects, v);
      if ((o.minLength !== undefined && v.length < o.minLength) || (o.maxLength !== undefined && v.length > o.maxLength)) fail(path, expects, v);
      return v.map((x, i) => item.parse(x, join(path, i)));
    },
  };
}

/** Marks a field optional (absent → undefined). */
export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return { ...s, optional: true, parse: (v, path) => (v === undefined ? undefined : s.parse(v, path)) };
}

/** A map from any key to values of one schema. */
export function record<T>(value: Schema<T>, o: { default?: Record<string, T> } = {}): Schema<Record<string, T>> {
  const expects = `an object of ${value.expects}`;
  return {
    expects,
    default: o.default,
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, expects, v);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value.parse(x, join(path, k))]));
    },
  };
}

/** Any JSON value (checked to be JSON-representable). */
export function json(o: { default?: unknown } = {}): Schema<unknown> {
  return {
    expects: 'JSON data',
    default: o.default,
    parse(v, path) {
      checkJson(v, path);
      return v;
    },
  };
}

function checkJson(v: unknown, path: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(path, 'a finite number', v);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkJson(x, join(path, i)));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as object)) checkJson(x, join(path, k));
    return;
  }
  fail(path, 'JSON data', v);
}

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: S[K] extends Schema<infer T> ? T : never };

/**
 * An object with known fields. Unknown fields are errors (with a "did you mean" hint) unless
 * `allowUnknown`. Absent fields take their schema's default; absent fields without one are
 * errors unless the schema is `optional`.
 */
export function obj<S extends Shape>(shape: S, o: { default?: Partial<Out<S>>; allowUnknown?: boolean } = {}): Schema<Out<S>> {
  const expects = `an object with fields {${Object.keys(shape).join(', ')}}`;
  return {
    expects,
    default: o.default as Out<S> | undefined,
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, expects, v);
      const src = v as Record<string, unknown>;
      if (!o.allowUnknown) {
        for (const k of Object.keys(src)) {
          if (!(k in shape)) throw new ConfigError(join(path, k), `absent (known fields: ${Object.keys(shape).join(', ')})`, `an unknown field`, nearest(k, Object.keys(shape)));
        }
      }
      const out: Record<string, unknown> = o.allowUnknown ? { ...src } : {};
      for (const [k, s] of Object.entries(shape)) {
        let x = src[k];
        if (x === undefined) {
          if (s.default !== undefined) x = structuredClone(s.default);
          else if (s.optional) continue;
          else throw new ConfigError(join(path, k), s.expects, 'a missing field');
        }
        out[k] = s.parse(x, join(path, k));
      }
      return out as Out<S>;
    },
  };
}

/** Tagged union on a string field (default `kind`): picks the schema by the tag's value. */
export function tagged<V extends Record<string, Schema<unknown>>>(variants: V, tag = 'kind'): Schema<SchemaOut<V[keyof V]>> {
  const names = Object.keys(variants);
  const expects = `an object with ${tag} one of ${names.join(', ')}`;
  return {
    expects,
    parse(v, path) {
      if (typeof v !== 'object' || v === null) fail(path, expects, v);
      const t = (v as Record<string, unknown>)[tag];
      const s = typeof t === 'string' ? variants[t] : undefined;
      if (!s) throw new ConfigError(join(path, tag), `one of ${names.map((n) => JSON.stringify(n)).join(', ')}`, describe(t), typeof t === 'string' ? nearest(t, names) : undefined);
      return s.parse(v, path) as SchemaOut<V[keyof V]>;
    },
  };
}

/** The parsed type of a schema (distributes over unions of schemas). */
export type SchemaOut<S> = S extends Schema<infer T> ? T : never;

/** Recursively freezes plain data. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** Validates `value` against `schema` and returns deeply frozen data. */
export function parseConfig<T>(schema: Schema<T>, value: unknown, path = ''): T {
  return deepFreeze(schema.parse(value, path));
}

/** "Did you mean 'x'?" for the nearest candidate by edit distance, if close. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? `Did you mean '${best}'?` : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
