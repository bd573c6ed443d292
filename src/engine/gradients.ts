/**
 * Gradient overrides registered on top of tfjs's own (vendor/tfjs-gradients.mjs).
 *
 * `BatchMatMul`: tfjs differentiates `C = op(A)·op(B)` with `matMul(…, transposeA/B = true)`,
 * which the wasm backend runs ~10× slower than a plain product (measured: docs/engine.md).
 * The override computes the same products with explicit `tf.transpose` + plain `tf.matMul`,
 * and picks the cheaper of `op(x)·op(y)` and `(op(y)ᵀ·op(x)ᵀ)ᵀ` by the number of elements
 * the transposes move (e.g. `Aᵀ·dy` for A `[E, 384]`, dy `[E, 128]` transposes dy, not A).
 * It stays a registry gradient, so gradients are computed lazily per input (no `dA` for a
 * constant A), call sites stay plain `tf.matMul` (native kernels can replace the forward
 * kernel), and second derivatives go through this same gradient again.
 *
 * Importing this module installs the overrides (engine/tf.ts does, after the vendored ones).
 */
import * as tf from '@tensorflow/tfjs-core';

function swapLast(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.transpose(x);
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/** Elements of the last two dims (a transpose's cost, up to the batch factor). */
function matSize(x: tf.Tensor): number {
  return x.shape[x.rank - 2] * x.shape[x.rank - 1];
}

/**
 * `op(x)·op(y)` (op = transpose when the flag is set) with explicit transposes only, choosing
 * between the direct form and `(op(y)ᵀ·op(x)ᵀ)ᵀ` by transposed elements.
 */
export function matMulExplicit(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  const direct = (tx ? matSize(x) : 0) + (ty ? matSize(y) : 0);
  // Result shape of op(x)·op(y): rows of op(x) × cols of op(y).
  const rows = tx ? x.shape[x.rank - 1] : x.shape[x.rank - 2];
  const cols = ty ? y.shape[y.rank - 2] : y.shape[y.rank - 1];
  const swapped = (tx ? 0 : matSize(x)) + (ty ? 0 : matSize(y)) + rows * cols;
  if (swapped < direct) {
    // op(y)ᵀ = y when ty, else yᵀ; likewise for x.
    const yt = ty ? y : swapLast(y);
    const xt = tx ? x : swapLast(x);
    return swapLast(tf.matMul(yt, xt));
  }
  return tf.matMul(tx ? swapLast(x) : x, ty ? swapLast(y) : y);
}

tf.registerGradient({
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [a, b] = saved;
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return { a: () => matMulExplicit(g, b, false, true), b: () => matMulExplicit(a, g, true, false) };
    if (!transposeA && transposeB) return { a: () => matMulExplicit(g, b, false, false), b: () => matMulExplicit(g, a, true, false) };
    if (transposeA && !transposeB) return { a: () => matMulExplicit(b, g, false, true), b: () => matMulExplicit(a, g, false, false) };
    return { a: () => matMulExplicit(b, g, true, true), b: () => matMulExplicit(g, a, true, true) };
  },
});
