/**
 * Native kernels registered on the TensorFlow.js `wasm` backend.
 *
 * The wasm backend keeps every tensor in one `WebAssembly.Memory`; the addon
 * (native/src/gnnwb_native.cc) reads and writes that memory in place through a `Uint8Array`
 * view, so replacing a kernel costs no copy. Replaced kernels:
 *
 * | kernel        | native path                                   | falls back to wasm when            |
 * | ------------- | --------------------------------------------- | ---------------------------------- |
 * | BatchMatMul   | cblas_sgemm (transA/transB free), OpenBLAS threads | batch dims broadcast other than 1 ↔ n, non-float32 |
 * | _FusedMatMul  | cblas_sgemm + threaded bias/activation pass   | prelu, bias not `[N]` or scalar    |
 * | GatherNd      | threaded row copy, indices checked first      | indices' last dim ≠ 1, 1-byte dtypes |
 * | ScatterNd     | threaded scatter-add over column blocks       | indices' last dim ≠ 1, non-float32 |
 *
 * Plus the element-wise ops, reductions, concat, transpose and zero-copy Identity/Cast of
 * native_elementwise.ts. Every other op keeps running on the wasm backend. Out-of-range indices raise a
 * {@link ValueError} naming the position and the value (tfjs's own wasm kernels do not check).
 *
 * {@link enableNativeKernels} / {@link disableNativeKernels} swap the registrations at run time
 * (the tests compare native against the original wasm kernels in one process).
 */
import { tf } from './tf.js';
import type { NativeAddon } from './native_addon.js';
import { ELEMENTWISE_IMPLS } from './native_elementwise.js';
import { setFusedAddon } from './native_fused.js';
import { type KernelArgs, type NativeImpl, type TensorInfo, type WasmBackendLike, offsetOf as off, sizeOf as size } from './native_types.js';
import { ValueError } from '../util/errors.js';

/** Output shape and batch strides of a (batched) matrix product, or null if unsupported. */
function matmulPlan(a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean) {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // let the wasm kernel raise its own error
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  let outer: number[];
  if (batchA === batchB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else return null;
  const batch = Math.max(batchA, batchB);
  return {
    m,
    n,
    k,
    batch,
    outShape: [...outer, m, n],
    strideA: batchA === 1 ? 0 : m * k,
    strideB: batchB === 1 ? 0 : k * n,
  };
}

function runMatmul(addon: NativeAddon, backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean, plan: NonNullable<ReturnType<typeof matmulPlan>>): TensorInfo {
  const out = backend.makeOutput(plan.outShape, 'float32');
  if (size(plan.outShape) === 0) return out;
  // Read the heap after makeOutput: a malloc may grow (and replace) the wasm memory.
  addon.sgemm(backend.wasm.HEAPU8, ta, tb, plan.m, plan.n, plan.k, off(backend, a), off(backend, b), off(backend, out), plan.batch, plan.strideA, plan.strideB, plan.m * plan.n);
  return out;
}

const batchMatMul: NativeImpl = (addon, args) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  const plan = matmulPlan(a, b, ta, tb);
  return plan ? runMatmul(addon, args.backend, a, b, ta, tb, plan) : null;
};

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 2, relu6: 3, sigmoid: 4, elu: 5 };

const fusedMatMul: NativeImpl = (addon, args) => {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  const act = ACTIVATIONS[String(args.attrs?.activation ?? 'linear')];
  const plan = matmulPlan(a!, b!, ta, tb);
  if (!plan || act === undefined || preluActivationWeights) return null;
  let biasMode = 0;
  if (bias) {
    const bs = size(bias.shape);
    if (bias.dtype === 'float32' && bs === 1) biasMode = 2;
    else if (bias.dtype === 'float32' && bs === plan.n && bias.shape[bias.shape.length - 1] === plan.n) biasMode = 1;
    else return null;
  }
  const out = runMatmul(addon, args.backend, a!, b!, ta, tb, plan);
  if ((biasMode !== 0 || act !== 0) && size(plan.outShape) > 0) {
    const alpha = Number(args.attrs?.leakyreluAlpha ?? 0.2);
    addon.biasAct(args.backend.wasm.HEAPU8, off(args.backend, out), plan.batch * plan.m, plan.n, bias ? off(args.backend, bias) : 0, biasMode, act, alpha);
  }
  return out;
};

function indexError(backend: WasmBackendLike, indices: TensorInfo, pos: number, limit: number, kernel: string): never {
  const value = new Int32Array(backend.wasm.HEAPU8.buffer, off(backend, indices) + 4 * pos, 1)[0];
  throw new ValueError(`indices[${pos}]`, `an index in [0, ${limit})`, String(value), `${kernel} (native kernel) checks indices before writing`);
}

const gatherNd: NativeImpl = (addon, args) => {
  const { params, indices } = args.inputs as { params: TensorInfo; indices: TensorInfo };
  const okDtype = params.dtype === 'float32' || params.dtype === 'int32';
  if (!okDtype || indices.dtype !== 'int32' || indices.shape[indices.shape.length - 1] !== 1 || params.shape.length < 1) return null;
  const backend = args.backend;
  const n = params.shape[0];
  const f = size(params.shape.slice(1));
  const e = size(indices.shape.slice(0, -1));
  // [...indices.shape[:-1], ...params.shape[1:]]
  const out = backend.makeOutput([...indices.shape.slice(0, -1), ...params.shape.slice(1)], params.dtype);
  if (e === 0 || f === 0) return out;
  const bad = addon.gatherRows(backend.wasm.HEAPU8, off(backend, params), n, f, off(backend, indices), e, off(backend, out));
  if (bad >= 0) {
    backend.disposeData(out.dataId);
    indexError(backend, indices, bad, n, 'GatherNd');
  }
  return out;
};

const scatterNd: NativeImpl = (addon, args) => {
  const { indices, updates } = args.inputs as { indices: TensorInfo; updates: TensorInfo };
  const shape = args.attrs?.shape as number[];
  if (updates.dtype !== 'float32' || indices.dtype !== 'int32' || indices.shape[indices.shape.length - 1] !== 1 || shape.length < 1) return null;
  const n = shape[0];
  const f = size(shape.slice(1));
  const e = size(indices.shape.slice(0, -1));
  if (size(updates.shape) !== e * f) return null;
  const backend = args.backend;
  const out = backend.makeOutput(shape, 'float32');
  if (n * f === 0) return out;
  const bad = addon.scatterAdd(backend.wasm.HEAPU8, off(backend, updates), e, f, off(backend, indices), n, off(backend, out));
  if (bad >= 0) {
    backend.disposeData(out.dataId);
    indexError(backend, indices, bad, n, 'ScatterNd');
  }
  return out;
};

const IMPLS: Record<string, NativeImpl> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  GatherNd: gatherNd,
  ScatterNd: scatterNd,
  ...ELEMENTWISE_IMPLS,
};

/** Names of the kernels this module replaces. */
export const NATIVE_KERNELS: readonly string[] = Object.keys(IMPLS);

/** Calls per kernel that ran natively / fell back to wasm since the process started. */
export const nativeKernelCounts: Record<string, { native: number; fallback: number }> = Object.fromEntries(
  NATIVE_KERNELS.map((k) => [k, { native: 0, fallback: 0 }]),
);

const originals = new Map<string, tf.KernelConfig>();
let active: NativeAddon | null = null;

/**
 * Shadow mode (`GNNWB_NATIVE_SHADOW=1`, for debugging): every native result is compared with
 * the original wasm kernel's on the same inputs; a mismatch is printed to stderr with the
 * kernel's name, input shapes and attributes.
 */
const SHADOW = process.env.GNNWB_NATIVE_SHADOW === '1';

function shadowCheck(name: string, args: KernelArgs, out: TensorInfo): void {
  const backend = args.backend as unknown as WasmBackendLike & { readSync(id: object): ArrayLike<number> };
  let ref: TensorInfo;
  try {
    ref = originals.get(name)!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  } catch {
    return; // the wasm kernel rejects this input (e.g. empty tensors); nothing to compare
  }
  const a = backend.readSync(out.dataId);
  const b = backend.readSync(ref.dataId);
  let worst = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= worst)) worst = Number.isNaN(d) && Number.isNaN(a[i]) && Number.isNaN(b[i]) ? worst : Number.isNaN(d) ? Infinity : d;
  }
  const sameShape = out.shape.length === ref.shape.length && out.shape.every((d, i) => d === ref.shape[i]);
  if (worst > 1e-4 || !sameShape || a.length !== b.length) {
    const shapes = Object.entries(args.inputs).map(([k, t]) => `${k}:[${t?.shape.join(',')}]${t?.dtype}`);
    process.stderr.write(`native shadow: ${name} differs from wasm (rel ${worst.toExponential(2)}; out [${out.shape}] vs [${ref.shape}]) inputs ${shapes.join(' ')} attrs ${JSON.stringify(args.attrs)}\n`);
  }
  backend.disposeData(ref.dataId);
}

function kernelFunc(name: string): tf.KernelFunc {
  const impl = IMPLS[name];
  const counts = nativeKernelCounts[name];
  return ((args: KernelArgs) => {
    const out = active ? impl(active, args) : null;
    if (out) {
      counts.native++;
      if (SHADOW && !Array.isArray(out)) shadowCheck(name, args, out);
      return out;
    }
    counts.fallback++;
    return originals.get(name)!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
  }) as unknown as tf.KernelFunc;
}

/**
 * Replaces the wasm backend's kernels listed in {@link NATIVE_KERNELS} with the addon's
 * (idempotent). The wasm backend must be registered (its kernels are kept as fallbacks).
 */
export function enableNativeKernels(addon: NativeAddon, only?: readonly string[]): void {
  for (const name of only ?? NATIVE_KERNELS) {
    if (!IMPLS[name]) throw new Error(`no native kernel named '${name}' (have: ${NATIVE_KERNELS.join(', ')})`);
    if (!originals.has(name)) {
      const orig = tf.getKernel(name, 'wasm');
      if (!orig) throw new Error(`wasm backend has no '${name}' kernel to replace (is @tensorflow/tfjs-backend-wasm loaded?)`);
      originals.set(name, orig);
    }
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc(name) });
  }
  active = addon;
  setFusedAddon(addon);
}

/** Restores the original wasm kernels (no-op if native kernels were never enabled). */
export function disableNativeKernels(): void {
  for (const [name, orig] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(orig);
  }
  originals.clear();
  active = null;
  setFusedAddon(null);
}

/** True while the native kernels are registered. */
export function nativeKernelsEnabled(): boolean {
  return active !== null;
}
