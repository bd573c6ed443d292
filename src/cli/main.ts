/**
 * Entry point of the `gnnwb` command: `gnnwb <command> [args]`.
 * Commands register themselves in `registry.ts`; each domain's `cli.ts` is imported here.
 */
import { GnnwbError } from '../util/errors.js';
import { getCommand, listCommands, parseArgs, type CommandContext } from './registry.js';
import './info.js';
import '../sims/md/cli.js';
import './bench.js';
import '../train/nbody_cli.js';
import './workbench.js';
import '../engine/native_bench.js';
import '../sims/fluid/cli.js';
import '../sims/weather/cli.js';
import '../train/weather_cli.js';
import '../train/mgn_cli.js';
import '../train/constraint_demos_cli.js';

const HELP_FLAGS = ['help', 'json', 'resume', 'force', 'quiet'];

// `gnnwb info | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

export async function main(argv: readonly string[], ctx?: CommandContext): Promise<number> {
  const c: CommandContext = ctx ?? {
    out: (line) => process.stdout.write(line + '\n'),
    log: (line) => process.stderr.write(line + '\n'),
  };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    c.out('gnnwb — GNN Workbench: simulate → train → rollout → report\n');
    c.out('usage: gnnwb <command> [options]\n');
    for (const cmd of listCommands()) c.out(`  ${cmd.name.padEnd(12)} ${cmd.summary}`);
    c.out('\n`gnnwb <command> --help` for a command\'s options.');
    return name ? 0 : 64;
  }
  const cmd = getCommand(name);
  if (!cmd) {
    c.log(`gnnwb: unknown command '${name}'. Expected one of: ${listCommands().map((x) => x.name).join(', ')}`);
    return 64; // EX_USAGE
  }
  const args = parseArgs(rest, HELP_FLAGS);
  if (args.options.help) {
    c.out(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(args, c);
  } catch (err) {
    if (err instanceof GnnwbError) {
      c.log(`gnnwb ${name}: ${err.name}: ${err.message}`);
      return err.exitCode;
    }
    // Anything else is a bug of ours, not bad input: one line by default, the trace on request.
    if (process.env.GNNWB_DEBUG) throw err;
    const msg = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
    c.log(`gnnwb ${name}: internal error: ${msg} (set GNNWB_DEBUG=1 for the stack trace)`);
    return 70; // EX_SOFTWARE
  }
}
