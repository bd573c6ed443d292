/**
 * The `native` backend choice: TensorFlow.js's wasm backend with its heavy kernels (matrix
 * products, row gather, scatter-add) replaced by the optional native addon, which runs them
 * with OpenBLAS and a thread pool directly on the wasm heap (see native_kernels.ts, and
 * docs/native.md for why this design and the measurements behind it).
 *
 * Selected with `GNNWB_BACKEND=native` / `--backend native`, and by `auto` ahead of `wasm`
 * when the addon is built.
 */
import { loadNativeAddon, nativeAddonStatus } from './native_addon.js';
import { enableNativeKernels } from './native_kernels.js';

export { loadNativeAddon, nativeAddonStatus, type NativeAddon, type NativeAddonStatus } from './native_addon.js';
export { enableNativeKernels, disableNativeKernels, nativeKernelsEnabled, nativeKernelCounts, NATIVE_KERNELS } from './native_kernels.js';

/**
 * Starts the wasm backend and registers the native kernels on it.
 *
 * @param threads threads for the native kernels and OpenBLAS (the wasm backend itself runs
 *   the remaining light ops single-threaded).
 * @returns the thread count the native kernels use.
 * @throws when the addon is not built or fails to load (the message says why).
 */
export async function startNative(threads: number): Promise<number> {
  const addon = loadNativeAddon();
  if (!addon) throw new Error(nativeAddonStatus().reason);
  const { startWasm } = await import('./wasm.js');
  await startWasm(1);
  // GNNWB_NATIVE_KERNEL_THREADS: threads of the addon's own kernels (default: as OpenBLAS).
  const kernelThreads = Number(process.env.GNNWB_NATIVE_KERNEL_THREADS ?? threads);
  addon.setThreads(Number.isInteger(kernelThreads) && kernelThreads >= 1 ? kernelThreads : threads, threads);
  // GNNWB_NATIVE_KERNELS=BatchMatMul,GatherNd,... limits the replaced kernels (bisecting, benchmarks).
  const only = process.env.GNNWB_NATIVE_KERNELS?.split(',').map((k) => k.trim()).filter(Boolean);
  enableNativeKernels(addon, only);
  return addon.info().threads;
}
