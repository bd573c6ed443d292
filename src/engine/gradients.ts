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

/** Axes of a reduction attribute (number, list or absent = all), normalised to [0, rank). */
function reductionAxes(axis: unknown, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/**
 * `Sum` and `Mean`: tfjs's gradients broadcast dy with `mul(dy, ones(x.shape))`, building the
 * ones array in JavaScript and copying it into the backend on every call (~14 ms per
 * MeshGraphNets processor step at 10k nodes on the native backend, profiled). Here the ones are
 * filled in the backend (`tf.fill`: a constant like tfjs's; `onesLike(x)` would tie the gradient
 * to x on the tape and hide a missing higher derivative as a zero). The same numbers as tfjs's,
 * and differentiable again.
 */
for (const kernelName of ['Sum', 'Mean'] as const) {
  tf.registerGradient({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
      const [x] = saved;
      const axes = reductionAxes((attrs as { axis?: unknown } | undefined)?.axis, x.rank);
      const expandedShape = x.shape.slice();
      for (const a of axes) expandedShape[a] = 1;
      let reduceSize = 1;
      for (const a of axes) reduceSize *= x.shape[a];
      return {
        x: () => {
          const expanded = tf.reshape(dy as tf.Tensor, expandedShape);
          // (dy / n) · ones equals tfjs's (dy · ones) / n exactly (a product with 1 is exact) and
          // makes one pass over x's size instead of two. (tf.broadcastTo runs wasm's generic
          // Tile kernel: with it the native 10k/60k processor step took 440 ms instead of 147.)
          return tf.mul(kernelName === 'Mean' ? tf.div(expanded, reduceSize) : expanded, tf.fill(x.shape, 1, 'float32'));
        },
      };
    },
  });
}
