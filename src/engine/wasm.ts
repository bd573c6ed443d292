/**
 * Starts the TensorFlow.js wasm backend (SIMD build).
 *
 * Multi-threading: see `wasm_threads.ts` (owned by the engine); for now the single-threaded
 * SIMD binary is used.
 */
import { tf } from './tf.js';

/** Starts wasm; returns the thread count actually in use. */
export async function startWasm(threads: number): Promise<number> {
  void threads;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
  await tf.ready();
  return 1;
}
