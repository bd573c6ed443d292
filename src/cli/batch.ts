/**
 * The shared engine of `gnnwb simulate|train|rollout <config.json>`: load the JSON config,
 * expand its sweep, keep this shard's runs, and dispatch each run on its `kind` to the handler
 * a domain registered with `registerKind(command, kind, …)`.
 *
 * Each run gets a folder (`--out`, default `runs/<config name>`; sweeps add `/<run name>`)
 * holding `config.json` (the run's resolved config) and, when the handler returned 0,
 * `done-<command>.json`. A finished run is skipped when the batch is run again, so re-running
 * a killed batch with `--resume` continues where it stopped: finished runs are kept, the
 * interrupted run resumes through its handler (which sees `--resume` and its `--out` folder).
 *
 * The handler contract (see docs/workbench.md): `run(config, args, ctx)` with
 * `args.options.out` = the run folder, `args.options.resume` = true when resuming; write
 * outputs there atomically (src/io), `metrics.json` for reports; return an exit code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { configKind, loadJsonFile } from '../config/load.js';
import { expandSweep, parseShard, selectShard, type SweepRun } from '../config/sweep.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { ConfigError, FileFormatError } from '../util/errors.js';
import { getKind, listKinds, type CommandContext, type ParsedArgs } from './registry.js';

export const BATCH_OPTIONS = `options:
  --out DIR        output folder (default runs/<config name>); a sweep puts each run in DIR/<run>
  --shard k/n      run only shard k of n of a sweep (runs with index % n == k-1); merge with \`gnnwb merge DIR\`
  --resume         continue a killed batch: finished runs are skipped, the interrupted one resumes
  --force          redo runs already marked done
  --backend NAME   tfjs backend to start before the handlers run (see gnnwb info); --threads N for wasm`;

export interface DoneMarker {
  readonly command: string;
  readonly kind: string;
  readonly run: string;
  readonly configHash: string;
  readonly exitCode: 0;
  readonly finished: string;
}

/** The name used for the default output folder: the config file's name without `.json`. */
export function defaultOut(configPath: string): string {
  return join('runs', basename(configPath).replace(/\.json$/i, ''));
}

/** Folder of one run: `out` for a single run, `out/<name>` inside a sweep. */
export function runDir(out: string, run: SweepRun, isSweep: boolean): string {
  return isSweep ? join(out, run.name) : out;
}

function readDone(path: string): DoneMarker | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DoneMarker;
  } catch {
    throw new FileFormatError(path, 'a JSON done marker', 'unreadable JSON', 'Delete it to redo the run');
  }
}

/**
 * Starts the backend named by `--backend` / `--threads` (if given) before any handler runs;
 * handlers calling `initBackend()` then get the same one.
 */
export async function startRequestedBackend(args: ParsedArgs): Promise<void> {
  const { backend, threads } = args.options;
  if (backend === undefined && threads === undefined) return;
  const n = threads === undefined ? undefined : Number(threads);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new ConfigError('--threads', 'an integer >= 1', String(threads));
  const { initBackend } = await import('../engine/backend.js');
  await initBackend({ backend: typeof backend === 'string' ? (backend as never) : undefined, threads: n });
}

/** Runs `command` over the config's runs (this shard's). Returns the first non-zero exit code or 0. */
export async function runBatch(command: string, args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const [configPath, ...extra] = args.positional;
  if (!configPath) throw new ConfigError('<config.json>', `a config file argument: gnnwb ${command} <config.json>`, 'no argument');
  if (extra.length) throw new ConfigError('arguments', 'one config file', `${args.positional.length} arguments`);
  const raw = loadJsonFile(configPath);
  const runs = expandSweep(raw);
  const isSweep = typeof raw === 'object' && raw !== null && 'sweep' in raw;
  const shard = args.options.shard !== undefined ? parseShard(args.options.shard) : null;
  if (shard && !isSweep && shard.n > 1) ctx.log(`gnnwb ${command}: note: --shard ${shard.k}/${shard.n} on a config without a sweep (1 run)`);
  const mine = selectShard(runs, shard);
  const known = listKinds(command).map((k) => k.kind);
  // Validate every run's kind before starting any work.
  for (const r of mine) {
    const kind = configKind(r.config, known);
    if (!getKind(command, kind)) {
      throw new ConfigError(`${isSweep ? `runs[${r.index}].` : ''}kind`, known.length ? `one of ${known.map((k) => JSON.stringify(k)).join(', ')} for \`gnnwb ${command}\`` : `a kind registered for \`gnnwb ${command}\` (none are registered)`, JSON.stringify(kind));
    }
  }
  const out = typeof args.options.out === 'string' ? args.options.out : defaultOut(configPath);
  await startRequestedBackend(args);
  if (isSweep) {
    writeJsonAtomic(join(out, 'sweep-plan.json'), {
      command,
      total: runs.length,
      runs: runs.map((r) => ({ index: r.index, name: r.name, values: r.values, configHash: r.configHash })),
    });
  }
  ctx.log(`gnnwb ${command}: ${mine.length} run${mine.length === 1 ? '' : 's'}${shard ? ` (shard ${shard.k}/${shard.n} of ${runs.length})` : ''} → ${out}`);
  let i = 0;
  for (const r of mine) {
    i++;
    const kind = configKind(r.config);
    const dir = runDir(out, r, isSweep);
    const donePath = join(dir, `done-${command}.json`);
    const done = readDone(donePath);
    if (done && !args.options.force) {
      if (done.configHash !== r.configHash) {
        throw new ConfigError(`${dir}`, `a run of config ${r.configHash.slice(0, 19)}…`, `a finished run of ${done.configHash.slice(0, 19)}…`, 'Use another --out, or --force to redo it');
      }
      ctx.log(`[${i}/${mine.length}] ${r.name} (${kind}): already done, skipped`);
      continue;
    }
    const prev = existsSync(join(dir, 'config.json')) ? (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { configHash?: string }) : null;
    if (prev && prev.configHash !== r.configHash && !args.options.force) {
      throw new ConfigError(dir, `a folder for config ${r.configHash.slice(0, 19)}…`, `a folder used by config ${String(prev.configHash).slice(0, 19)}…`, 'Use another --out, or --force');
    }
    writeJsonAtomic(join(dir, 'config.json'), { configHash: r.configHash, run: r.name, values: r.values, config: r.config });
    ctx.log(`[${i}/${mine.length}] ${r.name} (${kind})${Object.keys(r.values).length ? ' ' + JSON.stringify(r.values) : ''}`);
    const handler = getKind(command, kind)!;
    const runArgs: ParsedArgs = { positional: [], options: { ...args.options, out: dir } };
    const code = await handler.run(r.config, runArgs, ctx);
    if (code !== 0) {
      ctx.log(`gnnwb ${command}: run ${r.name} failed with exit code ${code}; re-run with --resume to continue`);
      return code;
    }
    const marker: DoneMarker = { command, kind, run: r.name, configHash: r.configHash, exitCode: 0, finished: new Date().toISOString() };
    writeJsonAtomic(donePath, marker);
  }
  return 0;
}

/** Registers `simulate`, `train` or `rollout` as a batch command. */
export function batchUsage(command: string, what: string): string {
  const kinds = listKinds(command);
  return `gnnwb ${command} <config.json> [options]\n\n${what}\nThe config's "kind" picks the handler${kinds.length ? ':\n' + kinds.map((k) => `  ${k.kind.padEnd(20)} ${k.summary}`).join('\n') : ' (none registered yet)'}\n\n${BATCH_OPTIONS}`;
}
