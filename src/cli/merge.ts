/**
 * `gnnwb merge <out>`: after a sharded sweep (`--shard k/n` on one or more machines, run
 * folders copied into one `<out>`), check that every planned run finished and gather them into
 * `<out>/sweep.json` (name, swept values, config hash, finished commands, metrics if present).
 * Missing runs are listed and the exit code is 65.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { ConfigError, FileFormatError, ValueError } from '../util/errors.js';
import { registerCommand } from './registry.js';

interface Plan {
  command: string;
  total: number;
  runs: { index: number; name: string; values: Record<string, unknown>; configHash: string }[];
}

export interface MergedRun {
  readonly index: number;
  readonly name: string;
  readonly values: Record<string, unknown>;
  readonly configHash: string;
  readonly done: string[];
  readonly metrics: unknown;
}

export interface MergeResult {
  readonly total: number;
  readonly complete: number;
  readonly missing: string[];
  readonly runs: MergedRun[];
}

/** Gathers the runs of `out` that finished `command` (default: the plan's command). */
export function mergeSweep(out: string, command?: string): MergeResult {
  const planPath = join(out, 'sweep-plan.json');
  if (!existsSync(planPath)) throw new FileFormatError(planPath, 'a sweep plan written by a sweep run', 'no such file', 'Is this the --out folder of a sweep?');
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(planPath, 'utf8')) as Plan;
  } catch (e) {
    throw new FileFormatError(planPath, 'JSON', (e as Error).message);
  }
  if (!Array.isArray(plan?.runs)) throw new FileFormatError(planPath, 'a plan with runs[]', 'no runs');
  const cmd = command ?? plan.command;
  const runs: MergedRun[] = [];
  const missing: string[] = [];
  for (const r of plan.runs) {
    const dir = join(out, r.name);
    const done = existsSync(dir) ? readdirSync(dir).filter((f) => /^done-.+\.json$/.test(f)).map((f) => f.slice(5, -5)).sort() : [];
    if (!done.includes(cmd)) {
      missing.push(r.name);
      continue;
    }
    const marker = JSON.parse(readFileSync(join(dir, `done-${cmd}.json`), 'utf8')) as { configHash: string };
    if (marker.configHash !== r.configHash) throw new ConfigError(dir, `a run of ${r.configHash.slice(0, 19)}…`, `${marker.configHash.slice(0, 19)}…`);
    const mp = join(dir, 'metrics.json');
    runs.push({ index: r.index, name: r.name, values: r.values, configHash: r.configHash, done, metrics: existsSync(mp) ? JSON.parse(readFileSync(mp, 'utf8')) : null });
  }
  return { total: plan.runs.length, complete: runs.length, missing, runs };
}

registerCommand({
  name: 'merge',
  summary: 'gather the runs of a (sharded) sweep into sweep.json; fails if any is missing',
  usage: 'gnnwb merge <out> [--command simulate|train|rollout]\n\nChecks every run in <out>/sweep-plan.json finished the command and writes <out>/sweep.json.',
  async run(args, ctx) {
    const out = args.positional[0];
    if (!out) throw new ConfigError('<out>', 'the --out folder of a sweep', 'no argument');
    const res = mergeSweep(out, typeof args.options.command === 'string' ? args.options.command : undefined);
    if (res.missing.length) {
      throw new ValueError(`${out}`, `all ${res.total} runs finished`, `${res.missing.length} missing: ${res.missing.slice(0, 10).join(', ')}${res.missing.length > 10 ? ', …' : ''}`, 'Run the missing shards (with --resume), then merge again');
    }
    writeJsonAtomic(join(out, 'sweep.json'), res);
    ctx.out(`merged ${res.complete}/${res.total} runs → ${join(out, 'sweep.json')}`);
    return 0;
  },
});
