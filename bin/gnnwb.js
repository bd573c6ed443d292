#!/usr/bin/env node
// The `gnnwb` command. Runs the TypeScript sources through tsx's loader, so the command is
// always the code in src/ (no stale build); `npm run build` makes dist/ for notebooks and
// library users.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
