/**
 * Loads the optional native addon (`native/build/Release/gnnwb_native.node`, built by
 * `node native/build.mjs` at install time against the system BLAS).
 *
 * The addon is optional: where it was not built (no C++ toolchain, no BLAS, or
 * `GNNWB_NO_NATIVE=1` at install), {@link loadNativeAddon} returns `null` and
 * {@link nativeAddonStatus} says why, so `gnnwb info` can explain why `wasm` runs instead.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions the addon exports (see native/src/gnnwb_native.cc). */
export interface NativeAddon {
  /** `C[b] = op(A[b]) op(B[b])`, row-major float32; offsets in bytes into `heap`, strides in elements. */
  sgemm(
    heap: Uint8Array,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    aOff: number,
    bOff: number,
    cOff: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void;
  /** `C = act(C + bias)` over `[m, n]`; biasMode 0 none, 1 per column, 2 scalar; act 0 linear, 1 relu, 2 leakyrelu, 3 relu6, 4 sigmoid, 5 elu. */
  biasAct(heap: Uint8Array, cOff: number, m: number, n: number, biasOff: number, biasMode: number, act: number, alpha: number): void;
  /** `out[e,:] = x[idx[e],:]` (4-byte elements); returns -1, or the position of the first out-of-range index. */
  gatherRows(heap: Uint8Array, xOff: number, n: number, f: number, idxOff: number, e: number, outOff: number): number;
  /** `out = 0; out[idx[e],:] += d[e,:]` (float32); returns -1, or the position of the first out-of-range index. */
  scatterAdd(heap: Uint8Array, dOff: number, e: number, f: number, idxOff: number, n: number, outOff: number): number;
  /** `out = a (op) b` over `[rows, cols]`; op 0 add, 1 sub, 2 mul, 3 div; modes 0 full, 1 row vector, 2 column, 3 scalar. */
  binary(heap: Uint8Array, op: number, aOff: number, aMode: number, bOff: number, bMode: number, rows: number, cols: number, outOff: number): void;
  /** Sum over axis 1 (→ [rows]) or axis 0 (→ [cols]) of `[rows, cols]`, times `scale`. */
  reduceSum(heap: Uint8Array, xOff: number, rows: number, cols: number, axis: number, scale: number, outOff: number): void;
  /** `dst[r, colStart + c] = src[r, c]` (4-byte elements). */
  copyBlock(heap: Uint8Array, srcOff: number, rows: number, cols: number, dstOff: number, dstCols: number, colStart: number): void;
  /** `out[c, r] = x[r, c]` (4-byte elements). */
  transpose2d(heap: Uint8Array, xOff: number, rows: number, cols: number, outOff: number): void;
  /** Fused MLP forward (descriptor layout in native_fused.ts); -1, or part·2³² + position of a bad index. */
  mlpForward(heap: Uint8Array, desc: Float64Array): number;
  /** Fused MLP backward (descriptor layout in native_fused.ts); -1, or part·2³² + position of a bad index. */
  mlpBackward(heap: Uint8Array, desc: Float64Array): number;
  /** One Adam update of many tensors (descriptor layout in native/src/gnnwb_native.cc). */
  adamStep(heap: Uint8Array, desc: Float64Array): void;
  /** EGNN coordinate path (descriptor layout in native_egnn.ts); -1, or the position of a bad index (senders: E + position). */
  egnnRadial(heap: Uint8Array, desc: Float64Array): number;
  egnnRadialGrad(heap: Uint8Array, desc: Float64Array): number;
  egnnCoord(heap: Uint8Array, desc: Float64Array): number;
  egnnCoordGrad(heap: Uint8Array, desc: Float64Array): number;
  /** Threads for the addon's own kernels and OpenBLAS; returns OpenBLAS's thread count. */
  setThreads(n: number, blasThreads?: number): number;
  info(): { blas: string; threads: number; blasThreads: number; hardwareThreads: number };
}

/** Whether the addon loaded, and why not. */
export interface NativeAddonStatus {
  readonly loaded: boolean;
  /** Absolute path of the `.node` file looked for. */
  readonly path: string;
  /** Why it did not load (not built, failed to load), or the BLAS it was built against. */
  readonly reason: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root: this file is src/engine/ (tsx) or dist/engine/ (built). */
const root = path.resolve(here, '..', '..');
const addonPath = path.join(root, 'native', 'build', 'Release', 'gnnwb_native.node');
const buildLog = path.join(root, 'native', 'build-status.json');

let cached: { addon: NativeAddon | null; status: NativeAddonStatus } | null = null;

/**
 * Environment variables this module set for the addon's BLAS (not by the user). A benchmark
 * that starts a peer process (PyTorch) removes them, so the peer runs in its own default.
 */
export const injectedEnv: Record<string, string> = {};

/** `process.env` without the variables {@link injectedEnv} added (for peer processes). */
export function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(injectedEnv)) delete env[k];
  return env;
}

/** The native addon, or null when it is not built or fails to load (see {@link nativeAddonStatus}). */
export function loadNativeAddon(): NativeAddon | null {
  if (cached) return cached.addon;
  if (process.env.GNNWB_NO_NATIVE === '1') {
    cached = { addon: null, status: { loaded: false, path: addonPath, reason: 'disabled by GNNWB_NO_NATIVE=1' } };
    return null;
  }
  if (!existsSync(addonPath)) {
    cached = { addon: null, status: { loaded: false, path: addonPath, reason: `addon not built (${whyNotBuilt()})` } };
    return null;
  }
  try {
    // OpenBLAS's idle worker threads spin for 2^28 cycles (~0.1 s) after each product before
    // sleeping; on this 2-core machine they then compete with the addon's own threaded passes
    // between the products (measured: MeshGraphNets processor step 10k/60k, 212 -> 176 ms).
    // OpenBLAS reads the variable once, when the library loads, so it is set before the addon.
    if (process.env.OPENBLAS_THREAD_TIMEOUT === undefined) {
      process.env.OPENBLAS_THREAD_TIMEOUT = '4';
      injectedEnv.OPENBLAS_THREAD_TIMEOUT = '4';
    }
    const require = createRequire(import.meta.url);
    const addon = require(addonPath) as NativeAddon;
    cached = { addon, status: { loaded: true, path: addonPath, reason: `built against ${addon.info().blas}` } };
    return addon;
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 160);
    cached = { addon: null, status: { loaded: false, path: addonPath, reason: `addon failed to load: ${msg}` } };
    return null;
  }
}

/** Whether the addon loaded and why (loads it on first call). */
export function nativeAddonStatus(): NativeAddonStatus {
  loadNativeAddon();
  return cached!.status;
}

/** The install-time build's own account (native/build-status.json written by native/build.mjs). */
function whyNotBuilt(): string {
  try {
    const s = JSON.parse(readFileSync(buildLog, 'utf8')) as { ok?: boolean; reason?: string };
    if (s.reason) return `install-time build: ${s.reason}`;
  } catch {
    // no status file: the build script never ran
  }
  return 'run `node native/build.mjs` (needs a C++ toolchain and a BLAS such as libopenblas-dev)';
}
