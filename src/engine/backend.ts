/**
 * TensorFlow.js backend choice at run time.
 *
 * Order tried by `auto`: `tfjs-node-gpu` → `tfjs-node` → `wasm` → `cpu`. The two native
 * packages are `optionalDependencies`: their install script downloads libtensorflow, which
 * fails on offline machines, so they are simply absent there and `wasm` is chosen. Override
 * with the environment variable `GNNWB_BACKEND` or the CLI flag `--backend`.
 *
 * Every attempt is recorded, so `gnnwb info` can say which backend runs and why the ones
 * before it were passed over.
 */
import { tf } from './tf.js';
import { createRequire } from 'node:module';
import os from 'node:os';
import { ValueError } from '../util/errors.js';

/** Backends the workbench knows how to start. */
export const BACKENDS = ['tfjs-node-gpu', 'tfjs-node', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

/** One backend tried during start-up. */
export interface BackendAttempt {
  readonly name: BackendName;
  readonly ok: boolean;
  /** Why it was not used (package missing, failed to initialise, …). */
  readonly reason?: string;
}

/** What {@link initBackend} chose and why. */
export interface BackendInfo {
  /** The backend TensorFlow.js now runs on. */
  readonly name: BackendName;
  /** The tfjs backend id (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** The request: `auto` or a forced name, and where it came from. */
  readonly requested: BackendRequest;
  readonly requestSource: 'default' | 'env GNNWB_BACKEND' | 'option';
  /** Human-readable reason for the choice. */
  readonly reason: string;
  /** Threads the backend computes with (wasm: its thread pool; cpu: 1). */
  readonly threads: number;
  readonly attempts: readonly BackendAttempt[];
  readonly tfjsVersion: string;
}

let current: BackendInfo | null = null;

const TF_ID: Record<BackendName, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  native: 'wasm', // wasm backend with native kernels registered on it (native.ts)
  wasm: 'wasm',
  cpu: 'cpu',
};

function parseRequest(value: string, source: string): BackendRequest {
  if (value === 'auto' || (BACKENDS as readonly string[]).includes(value)) return value as BackendRequest;
  throw new ValueError(source, `one of auto, ${BACKENDS.join(', ')}`, JSON.stringify(value));
}

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Forced backend; falls back to `GNNWB_BACKEND`, then `auto`. */
  readonly backend?: BackendRequest;
  /** Threads for the wasm backend (default: `GNNWB_THREADS` or the machine's core count). */
  readonly threads?: number;
}

/**
 * Starts a TensorFlow.js backend (once per process; later calls return the same info unless
 * a different backend is forced). A forced backend that cannot start is an error, not a
 * silent fallback.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  let requested: BackendRequest = 'auto';
  let requestSource: BackendInfo['requestSource'] = 'default';
  if (options.backend !== undefined) {
    requested = parseRequest(options.backend, 'backend');
    requestSource = 'option';
  } else if (process.env.GNNWB_BACKEND) {
    requested = parseRequest(process.env.GNNWB_BACKEND, 'GNNWB_BACKEND');
    requestSource = 'env GNNWB_BACKEND';
  }
  if (current && (requested === 'auto' || requested === current.name)) return current;

  const threads = resolveThreads(options.threads);
  // `native` joins `auto` (ahead of wasm) only with GNNWB_NATIVE_AUTO=1 for now: docs/native.md.
  const nativeInAuto = process.env.GNNWB_NATIVE_AUTO === '1';
  const order: BackendName[] = requested === 'auto' ? BACKENDS.filter((b) => b !== 'native' || nativeInAuto) : [requested];
  const attempts: BackendAttempt[] = [];
  if (requested === 'auto' && !nativeInAuto) {
    const { nativeAddonStatus } = await import('./native_addon.js');
    const st = nativeAddonStatus();
    attempts.push({ name: 'native', ok: false, reason: `opt-in (GNNWB_BACKEND=native or GNNWB_NATIVE_AUTO=1); ${st.loaded ? 'addon ' + st.reason : st.reason}` });
  }
  for (const name of order) {
    try {
      const usedThreads = await startBackend(name, threads);
      attempts.push({ name, ok: true });
      const skipped = attempts.filter((a) => !a.ok);
      const reason =
        requested === 'auto'
          ? skipped.length === 0
            ? `${name} is the first choice and started`
            : `${skipped.map((a) => `${a.name}: ${a.reason}`).join('; ')}; ${name} started`
          : `forced by ${requestSource}`;
      current = {
        name,
        tfBackend: TF_ID[name],
        requested,
        requestSource,
        reason,
        threads: usedThreads,
        attempts,
        tfjsVersion: tf.version_core,
      };
      return current;
    } catch (err) {
      attempts.push({ name, ok: false, reason: shortReason(err) });
      if (requested !== 'auto') {
        throw new ValueError(
          `backend (${requestSource})`,
          `a backend that starts on this machine`,
          `${name}, which failed: ${shortReason(err)}`,
          `Use --backend auto to fall back`,
        );
      }
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/** The backend started by {@link initBackend}, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}

function resolveThreads(requested?: number): number {
  const env = process.env.GNNWB_THREADS;
  const n = requested ?? (env ? Number(env) : os.availableParallelism());
  if (!Number.isInteger(n) || n < 1) throw new ValueError('threads', 'a positive integer', String(n));
  return n;
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find (module|package)/.test(msg)) return 'package not installed';
  return msg.split('\n')[0].slice(0, 200);
}

const require = createRequire(import.meta.url);

async function startBackend(name: BackendName, threads: number): Promise<number> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      const pkg = name === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      require.resolve(pkg); // throws "Cannot find module" quickly when absent
      await import(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not start`);
      await tf.ready();
      return os.availableParallelism();
    }
    case 'native': // the wasm backend with native kernels registered on it (native.ts)
    case 'wasm': {
      // The emscripten glue of tfjs-backend-wasm installs process-wide 'uncaughtException' and
      // 'unhandledRejection' handlers that rethrow and print its whole minified source. Keep
      // Node's own reporting: remove the handlers it added.
      const before = {
        uncaughtException: process.listeners('uncaughtException'),
        unhandledRejection: process.listeners('unhandledRejection'),
      };
      const { startWasm } = await import('./wasm.js');
      try {
        if (name === 'native') return await (await import('./native.js')).startNative(threads);
        return await startWasm(threads);
      } finally {
        for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
          for (const l of (process as NodeJS.EventEmitter).listeners(ev)) {
            if (!(before[ev] as unknown[]).includes(l)) (process as NodeJS.EventEmitter).removeListener(ev, l as (...args: unknown[]) => void);
          }
        }
      }
    }
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
      await tf.ready();
      return 1;
    }
  }
}
