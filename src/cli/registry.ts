/**
 * Sub-command registry of the `gnnwb` CLI. Each domain registers its handlers here (from its
 * own `cli.ts`), so `src/cli/main.ts` stays small and domains stay independent.
 *
 * A handler receives parsed arguments and returns an exit code. Errors derived from
 * `GnnwbError` are printed as one clear line and mapped to their exit code by `main`.
 */
export interface ParsedArgs {
  /** Positional arguments after the sub-command (and after the topic for `bench`). */
  readonly positional: readonly string[];
  /** `--name value` and `--flag` options (flags are `true`). */
  readonly options: Readonly<Record<string, string | true>>;
}

export interface CommandContext {
  /** Write a line to stdout (machine-readable output goes here). */
  readonly out: (line: string) => void;
  /** Write a line to stderr (progress, logs). */
  readonly log: (line: string) => void;
}

export type CommandHandler = (args: ParsedArgs, ctx: CommandContext) => Promise<number>;

export interface CommandSpec {
  /** `simulate`, `train`, `rollout`, `bench`, `report`, `info`, … */
  readonly name: string;
  /** One-line summary for `gnnwb --help`. */
  readonly summary: string;
  /** Full usage text for `gnnwb <name> --help`. */
  readonly usage: string;
  readonly run: CommandHandler;
}

const commands = new Map<string, CommandSpec>();

export function registerCommand(spec: CommandSpec): void {
  commands.set(spec.name, spec);
}

export function getCommand(name: string): CommandSpec | undefined {
  return commands.get(name);
}

export function listCommands(): CommandSpec[] {
  return [...commands.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Kinds dispatched inside `simulate`, `train`, `rollout` and `bench` by the config's `kind`
 * field (or the bench topic): e.g. `simulate` with `{"kind": "md-lj", …}`.
 */
export type KindHandler = (config: unknown, args: ParsedArgs, ctx: CommandContext) => Promise<number>;

const kinds = new Map<string, Map<string, { summary: string; run: KindHandler }>>();

export function registerKind(command: string, kind: string, summary: string, run: KindHandler): void {
  let m = kinds.get(command);
  if (!m) kinds.set(command, (m = new Map()));
  m.set(kind, { summary, run });
}

export function getKind(command: string, kind: string): { summary: string; run: KindHandler } | undefined {
  return kinds.get(command)?.get(kind);
}

export function listKinds(command: string): { kind: string; summary: string }[] {
  return [...(kinds.get(command)?.entries() ?? [])].map(([kind, v]) => ({ kind, summary: v.summary })).sort((a, b) => a.kind.localeCompare(b.kind));
}

/** Parses `argv` after the sub-command: `--k v`, `--k=v`, `--flag`, positionals. */
export function parseArgs(argv: readonly string[], flags: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options[a.slice(2, eq)] = a.slice(eq + 1);
      else {
        const name = a.slice(2);
        const next = argv[i + 1];
        if (flags.includes(name) || next === undefined || next.startsWith('--')) options[name] = true;
        else {
          options[name] = next;
          i++;
        }
      }
    } else positional.push(a);
  }
  return { positional, options };
}
