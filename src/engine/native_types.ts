/**
 * Types and helpers shared by the native kernel files (native_kernels.ts, native_elementwise.ts):
 * the parts of tfjs-backend-wasm's `BackendWasm` the kernels touch, and the kernel contract.
 */
import type { tf } from './tf.js';
import type { NativeAddon } from './native_addon.js';

export type TensorInfo = tf.TensorInfo;

/** The parts of tfjs-backend-wasm's BackendWasm the native kernels use. */
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

/** What tfjs passes a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined> & { [i: number]: TensorInfo };
  backend: WasmBackendLike;
  attrs?: Record<string, unknown>;
}

/**
 * A native kernel: returns its output, or `null` when this input is not one it handles (the
 * caller then runs the original wasm kernel).
 */
export type NativeImpl = (addon: NativeAddon, args: KernelArgs) => TensorInfo | TensorInfo[] | null;

/** Number of elements of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Byte offset of a tensor's data in the wasm heap. */
export const offsetOf = (backend: WasmBackendLike, t: TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;
