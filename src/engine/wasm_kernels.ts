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
 *
 * `BatchMatMul` with an empty inner dimension (e.g. a weight gradient `xᵀ·dy` over zero rows):
 * tfjs-backend-wasm 4.22 returns the output uninitialised instead of zeros; the override runs
 * the original kernel and zeroes its output in that case (found by the fused-MLP property test
 * with 0-row inputs).
 */
import { tf } from './tf.js';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

interface HeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
}

let installed = false;

/** Installs the overrides (once per process); returns the names of the overridden kernels. */
export function installWasmKernels(): string[] {
  if (installed) return [];
  installed = true;
  const names = ['BatchMatMul'];
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const out = matMul.kernelFunc(args) as tf.TensorInfo;
      const a = args.inputs.a as tf.TensorInfo;
      const r = a.shape.length;
      const inner = args.attrs?.transposeA ? a.shape[r - 2] : a.shape[r - 1];
      if (inner === 0) {
        const backend = args.backend as unknown as HeapBackend;
        const at = backend.dataIdMap.get(out.dataId).memoryOffset;
        backend.wasm.HEAPU8.fill(0, at, at + 4 * out.shape.reduce((x, y) => x * y, 1));
      }
      return out;
    },
  });
  if (process.env.GNNWB_WASM_COPY_IDENTITY === '1') return names;
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
  return [...names, 'Identity'];
}
