#!/usr/bin/env node
// Install-time build of the optional native addon (native/build/Release/gnnwb_native.node).
//
// Runs from the root package.json's "install" script on `npm install` / `npm ci`, and by hand:
// `node native/build.mjs`. It NEVER fails the install: when the toolchain or the BLAS is
// missing, or the build or a load test fails, it records why in native/build-status.json
// (read by `gnnwb info`) and exits 0, and the workbench runs on wasm.
//
// Environment:
//   GNNWB_NO_NATIVE=1      skip the build (and, at run time, ignore a built addon)
//   GNNWB_BLAS_LIBS        linker flags for the BLAS (default: -lopenblas)
//   GNNWB_BLAS_INCLUDE     extra include directory holding cblas.h
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const statusFile = path.join(dir, 'build-status.json');
const addon = path.join(dir, 'build', 'Release', 'gnnwb_native.node');

function finish(ok, reason, extra = {}) {
  writeFileSync(statusFile, JSON.stringify({ ok, reason, time: new Date().toISOString(), ...extra }, null, 2) + '\n');
  console.log(`gnnwb native addon: ${ok ? 'built' : 'not built'} (${reason})${ok ? '' : '; the workbench will run on wasm'}`);
  process.exit(0);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

function tail(text, n = 3) {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('gyp info') && !l.startsWith('npm '));
  // Prefer the compiler's / linker's own error lines over node-gyp's summary.
  const errors = lines.filter((l) => !l.startsWith('gyp') && /error|cannot find|undefined reference|not found/i.test(l));
  return (errors.length ? errors : lines)
    .slice(-n)
    .join(' | ')
    .slice(0, 400);
}

// A previous build must not outlive a failed or skipped one: the status file and the addon agree.
rmSync(addon, { force: true });
if (process.env.GNNWB_NO_NATIVE === '1') finish(false, 'skipped: GNNWB_NO_NATIVE=1');

// 1. A C++ compiler.
const cxx = process.env.CXX || 'c++';
if (!run(cxx, ['--version']).ok) finish(false, `no C++ compiler ('${cxx} --version' failed)`);

// 2. A CBLAS header.
const incDirs = [process.env.GNNWB_BLAS_INCLUDE, '/usr/include', '/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu', '/usr/local/include', '/usr/include/openblas'].filter(Boolean);
if (!incDirs.some((d) => existsSync(path.join(d, 'cblas.h')))) {
  finish(false, 'no cblas.h found (Debian/Ubuntu: apt-get install libopenblas-dev; or set GNNWB_BLAS_INCLUDE)');
}

// 3. node-gyp: npm tells scripts where its bundled copy is; otherwise look beside node.
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const gyp = candidates.find((p) => existsSync(p));
if (!gyp) finish(false, 'node-gyp not found (it ships with npm)');

// Node's headers: npm's config `nodedir` (set on this kind of offline machine), else the
// headers installed beside node, else node-gyp's download.
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
mkdirSync(path.join(dir, 'build'), { recursive: true });
const build = run(process.execPath, args, { cwd: dir });
writeFileSync(path.join(dir, 'build', 'build.log'), build.out);
if (!build.ok || !existsSync(addon)) {
  rmSync(addon, { force: true });
  finish(false, `node-gyp build failed: ${tail(build.out) || build.error?.message || 'unknown error'} (log: native/build/build.log)`);
}

// 4. Load test in a fresh process: a missing shared library shows up only here.
const probe = run(process.execPath, [
  '-e',
  `const a = require(${JSON.stringify(addon)}); const h = new Uint8Array(64); const f = new Float32Array(h.buffer);
   f.set([1, 2, 3, 4], 0); f.set([5, 6, 7, 8], 4); a.sgemm(h, false, false, 2, 2, 2, 0, 16, 32, 1, 0, 0, 0);
   if (f[8] !== 19 || f[9] !== 22 || f[10] !== 43 || f[11] !== 50) throw new Error('sgemm gave ' + Array.from(f.slice(8, 12)));
   console.log(a.info().blas);`,
]);
if (!probe.ok) {
  rmSync(addon, { force: true });
  finish(false, `built but failed its load test: ${tail(probe.out, 2)}`);
}
finish(true, `built against ${probe.out.trim()}`, { blas: probe.out.trim() });
