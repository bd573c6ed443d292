/**
 * Kernel overrides for the wasm backend that remove avoidable copies.
 *
 * `Identity`: tfjs-backend-wasm 4.22 copies the whole buffer. The engine calls Identity for
 * every tensor it saves for a backward pass (`clone` in saveTensorsForBackwardMode), so each
 * matMul, relu, mul … of a training step copied its inputs once more. Tensors are immutable
 * (every wasm kernel writes a fresh output; `Variable.assign` swaps the data id), so the
 * override shares the data id and bumps its reference count, exactly as wasm's own Reshape
 * kernel does. Measured effect: docs/engine.md.
 *
 * Set `GNNWB_WASM_COPY_IDENTITY=1` to keep the copying kernel (for A/B measurements).
 */
import { tf } from './tf.js';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

let installed = false;

/** Installs the overrides (once per process); returns the names of the overridden kernels. */
export function installWasmKernels(): string[] {
  if (installed || process.env.GNNWB_WASM_COPY_IDENTITY === '1') return [];
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  installed = true;
  return ['Identity'];
}
