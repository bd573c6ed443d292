#!/usr/bin/env node
// Runs the whole test suite with vitest and prints one closing line `N passed, N failed`.
// Fails (exit 1) when any test fails, when a file fails to load, or when no test ran at all:
// a suite that silently finds nothing must never look green.
//
// Usage: node scripts/run-tests.mjs [vitest args...]   (e.g. a path filter)
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const out = join('.tmp', 'test-results.json');
mkdirSync('.tmp', { recursive: true });
rmSync(out, { force: true });
const args = ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: process.env });

let passed = 0, failed = 0, skipped = 0, files = 0, fileErrors = 0;
try {
  const res = JSON.parse(readFileSync(out, 'utf8'));
  passed = res.numPassedTests ?? 0;
  failed = res.numFailedTests ?? 0;
  skipped = (res.numPendingTests ?? 0) + (res.numTodoTests ?? 0);
  files = res.testResults?.length ?? 0;
  fileErrors = (res.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
} catch (e) {
  console.error(`run-tests: could not read ${out}: ${e.message}`);
  failed += 1;
}
// vitest can exit non-zero with every test passed (an unhandled error in a worker, a timeout
// in its own RPC): count that as a failure so the closing line agrees with the exit code.
const runnerError = r.status !== 0 && failed + fileErrors === 0 ? 1 : 0;
console.log(`\ntest files: ${files}${fileErrors ? ` (${fileErrors} failed to load)` : ''}`);
if (runnerError) console.log(`vitest exited with status ${r.status} although no test failed (unhandled error above): counted as 1 failure`);
console.log(`${passed} passed, ${failed + fileErrors + runnerError} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (passed === 0) {
  console.error('run-tests: no test passed — a run that finds no tests is a failure');
  process.exit(1);
}
process.exit(r.status === 0 && failed === 0 && fileErrors === 0 ? 0 : 1);
