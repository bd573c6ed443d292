/**
 * Parameter sweeps and sharding.
 *
 * A config may carry `"sweep": {"<dotted.path>": [v1, v2, …], …}`: the run list is the
 * Cartesian product of those values (first key varies slowest), each applied to a copy of the
 * config without the `sweep` field. Each run gets a stable name `<index>-<hash8>` (hash of its
 * config), so shards and resumed runs agree on names.
 *
 * `--shard k/n` (1-based) takes runs whose index i satisfies i % n === k − 1; the union of all
 * shards is the whole list, with no overlap. `mergeShards` (src/cli/merge.ts) gathers the results.
 *
 * ```ts
 * expandSweep({ kind: 'md', dt: 0.01, sweep: { dt: [0.01, 0.02], 'model.latent': [32, 64] } });
 * // 4 runs: dt 0.01/latent 32, dt 0.01/latent 64, dt 0.02/latent 32, dt 0.02/latent 64
 * ```
 */
import { ConfigError, describe } from '../util/errors.js';
import { configHash } from './hash.js';

/** Largest sweep accepted (guards against a typo making a million runs). */
export const MAX_SWEEP_RUNS = 10_000;

export interface SweepRun {
  /** Position in the full sweep (0-based). */
  readonly index: number;
  /** `<index, 4 digits>-<first 8 hex of the config hash>`. */
  readonly name: string;
  /** The config for this run (no `sweep` field). */
  readonly config: unknown;
  /** The swept values of this run, by path. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly configHash: string;
}

/** Sets `obj[path]` for a dotted path (creating objects on the way), on a deep copy. */
export function setPath(obj: unknown, path: string, value: unknown): unknown {
  const keys = path.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) throw new ConfigError(`sweep.${path}`, 'a dotted path of field names', JSON.stringify(path));
  const root = structuredClone(obj) as Record<string, unknown>;
  let cur = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = cur[keys[i]];
    if (next === undefined) cur[keys[i]] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new ConfigError(`sweep.${path}`, `'${keys.slice(0, i + 1).join('.')}' to be an object`, describe(next));
    }
    cur = cur[keys[i]] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = structuredClone(value);
  return root;
}

/** Expands `config.sweep` into the list of runs (one run if there is no sweep). */
export function expandSweep(config: unknown): SweepRun[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ConfigError('(root)', 'a JSON object', describe(config));
  const { sweep, ...base } = config as Record<string, unknown>;
  if (sweep === undefined) return [{ index: 0, name: `0000-${configHash(base).slice(7, 15)}`, config: base, values: {}, configHash: configHash(base) }];
  if (typeof sweep !== 'object' || sweep === null || Array.isArray(sweep)) throw new ConfigError('sweep', 'an object {"dotted.path": [values…]}', describe(sweep));
  const axes = Object.entries(sweep as Record<string, unknown>);
  let total = 1;
  for (const [p, vals] of axes) {
    if (!Array.isArray(vals) || vals.length === 0) throw new ConfigError(`sweep.${p}`, 'a non-empty array of values', describe(vals));
    total *= vals.length;
    if (total > MAX_SWEEP_RUNS) throw new ConfigError('sweep', `at most ${MAX_SWEEP_RUNS} runs`, `${total}+ runs`);
  }
  const runs: SweepRun[] = [];
  for (let i = 0; i < total; i++) {
    let rest = i;
    let cfg: unknown = base;
    const values: Record<string, unknown> = {};
    // First axis varies slowest.
    const picks: number[] = [];
    for (let a = axes.length - 1; a >= 0; a--) {
      const n = (axes[a][1] as unknown[]).length;
      picks[a] = rest % n;
      rest = Math.floor(rest / n);
    }
    axes.forEach(([p, vals], a) => {
      const v = (vals as unknown[])[picks[a]];
      cfg = setPath(cfg, p, v);
      values[p] = v;
    });
    const h = configHash(cfg);
    runs.push({ index: i, name: `${String(i).padStart(4, '0')}-${h.slice(7, 15)}`, config: cfg, values, configHash: h });
  }
  return runs;
}

export interface Shard {
  /** 1-based shard number. */
  readonly k: number;
  readonly n: number;
}

/** Parses `k/n` (1 ≤ k ≤ n). */
export function parseShard(text: unknown): Shard {
  const m = typeof text === 'string' ? /^(\d+)\/(\d+)$/.exec(text) : null;
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || k < 1 || k > n) throw new ConfigError('--shard', "'k/n' with 1 <= k <= n (e.g. 2/4)", describe(text));
  return { k, n };
}

/** The runs of shard k/n: indices i with i % n === k − 1. */
export function selectShard<T extends { index: number }>(runs: readonly T[], shard: Shard | null): T[] {
  return shard ? runs.filter((r) => r.index % shard.n === shard.k - 1) : [...runs];
}
