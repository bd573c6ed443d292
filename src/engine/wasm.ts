/**
 * Starts the TensorFlow.js wasm backend (SIMD build), multi-threaded in Node when asked.
 *
 * Why a shim: tfjs-backend-wasm 4.22 reports "no thread support" in Node
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false there, tfjs issue #3830) because
 * its Emscripten glue starts pthread workers from `blob:` URLs (`new Worker(blobUrl)`) and
 * hands them the main script as a `Blob`; Node's `worker_threads.Worker` accepts neither.
 * The shim:
 *
 * 1. writes the worker script and the threaded glue (both shipped in the package's
 *    `wasm-out/`) to files in a per-user cache directory,
 * 2. while the backend initialises, replaces `worker_threads.Worker` with a subclass that
 *    maps the `blob:` URL to the worker file and the `Blob` main script to the glue file,
 * 3. sets the flag to true and `setThreadsCount(n)`, starts the backend, then restores
 *    `worker_threads.Worker`,
 *
 * 4. reports `2·threads` logical cores to the glue while it starts (XNNPACK's pool is sized
 *    `cores / 2` by a static initialiser; `setThreadsCount` alone leaves it at 1 in 4.22).
 *
 * Exit: the glue `ref()`s a worker while it runs a pthread, and XNNPACK's pool threads run
 * forever, so a plain start hangs the process at exit. The shim `unref()`s every worker it
 * created once the backend is up (tested: a child process with 2 threads must exit by itself
 * within a deadline).
 * If anything in the threaded start fails, wasm starts single-threaded and the reason is kept
 * in {@link wasmThreadNote}.
 */
import { tf } from './tf.js';
import { installWasmKernels } from './wasm_kernels.js';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

let note = '';

/** Why wasm runs with fewer threads than requested (empty when it got what it asked for). */
export function wasmThreadNote(): string {
  return note;
}

/** Writes the worker script and threaded glue to a cache dir; returns their paths. */
function writeThreadFiles(): { worker: string; main: string } {
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `gnnwb-wasm-${version}-${uid}`);
  mkdirSync(dir, { recursive: true });
  const files = {
    worker: path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs'),
    main: path.join(dir, 'tfjs-backend-wasm-threaded-simd.cjs'),
  };
  const sources = {
    worker: path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'),
    main: path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'),
  };
  // wasm-out's worker file is a CommonJS module exporting the script as a string (with real
  // newlines where the script has "\n" escapes: tfjs re-escapes them, and so do we).
  const workerSource = (require(sources.worker) as { wasmWorkerContents: string }).wasmWorkerContents.replace(/\n/g, '\\n');
  for (const k of ['worker', 'main'] as const) {
    const src = k === 'worker' ? workerSource : readFileSync(sources[k], 'utf8');
    // Rewrite when absent or different (another tfjs version, a partial write).
    if (!existsSync(files[k]) || readFileSync(files[k], 'utf8') !== src) {
      const tmp = `${files[k]}.${process.pid}.tmp`;
      writeFileSync(tmp, src);
      // rename is atomic: concurrent processes never see a half-written file
      renameSync(tmp, files[k]);
    }
  }
  return files;
}

type WorkerCtor = typeof import('node:worker_threads').Worker;

/** Runs `start` with `worker_threads.Worker` replaced by the blob-mapping subclass. */
async function withWorkerShim<T>(files: { worker: string; main: string }, threads: number, start: () => Promise<T>): Promise<T> {
  const wt = require('node:worker_threads') as { Worker: WorkerCtor };
  const Original = wt.Worker;
  const created: import('node:worker_threads').Worker[] = [];
  class ShimWorker extends Original {
    constructor(url: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      const target = typeof url === 'string' && url.startsWith('blob:') ? files.worker : url;
      super(target, options);
      created.push(this);
    }
    override postMessage(value: unknown, transferList?: readonly import('node:worker_threads').TransferListItem[]): void {
      const msg = value as { cmd?: string; urlOrBlob?: unknown } | null;
      if (msg && msg.cmd === 'load' && typeof msg.urlOrBlob !== 'string') value = { ...msg, urlOrBlob: files.main };
      super.postMessage(value, transferList);
    }
  }
  wt.Worker = ShimWorker as unknown as WorkerCtor;
  const osMod = require('node:os') as { cpus: typeof os.cpus };
  const originalCpus = osMod.cpus;
  // The module's static initialiser sizes XNNPACK's pool as emscripten_num_logical_cores()/2
  // (capped to [1, 4]; `setThreadsCount` does not resize it in 4.22): the glue reads
  // os.cpus().length in Node, so report 2·threads logical cores while the module starts.
  osMod.cpus = () => {
    const real = originalCpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(real.length, 1)]);
  };
  try {
    const result = await start();
    // The glue ref()s a worker while it runs a pthread (XNNPACK's pool threads run for the
    // life of the process), which would keep Node from exiting. The main thread waits for
    // pool work synchronously, so the workers need no event-loop reference: unref them all.
    for (const w of created) w.unref();
    return result;
  } finally {
    wt.Worker = Original;
    osMod.cpus = originalCpus;
  }
}

/** Starts wasm; returns the thread count actually in use. */
export async function startWasm(threads: number): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  note = '';
  if (threads > 1) {
    try {
      const files = writeThreadFiles();
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(threads);
      const ok = await withWorkerShim(files, threads, async () => {
        const started = await tf.setBackend('wasm');
        await tf.ready();
        return started;
      });
      if (!ok) throw new Error('threaded wasm backend did not start');
      installWasmKernels();
      const got = wasm.getThreadsCount();
      if (got !== threads) note = `wasm reports ${got} threads (asked for ${threads})`;
      return got;
    } catch (err) {
      note = `threaded wasm failed (${err instanceof Error ? err.message.split('\n')[0].slice(0, 160) : String(err)}); running 1 thread`;
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      // The failed factory stays registered; setBackend below runs it again, single-threaded.
    }
  }
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
  await tf.ready();
  installWasmKernels();
  return 1;
}
