/**
 * Segment ops: every gather/scatter of the workbench lives here, with its gradients.
 *
 * Message passing is `gatherRows` (node → edge) followed by a segment reduction
 * (edge → node). The two are each other's adjoints:
 *
 *   y = gatherRows(x, idx)          y[e, :] = x[idx[e], :]
 *   z = segmentSum(d, idx, n)       z[k, :] = Σ_{e : idx[e] = k} d[e, :]
 *
 *   ∂L/∂x = segmentSum(∂L/∂y, idx, N)     ∂L/∂d = gatherRows(∂L/∂z, idx)
 *
 * Both are defined with `tf.customGrad` through each other, so gradients of any order
 * exist (forces from a learned energy can be trained on). On wasm, `gatherND` is ~20× faster
 * than `gather` and `scatterND` (which sums duplicate indices) replaces the missing
 * `UnsortedSegmentSum` kernel (DESIGN.md, engine notes).
 *
 * Conventions for all reductions:
 * - `segmentIds` is an int32 `[E]` tensor with values in `[0, numSegments)`; ids need not be
 *   sorted. Out-of-range ids are a caller bug: validate host-side with {@link checkSegmentIds}
 *   (tfjs kernels do not check them).
 * - Empty segments give 0 (sum, mean, max, softmax has no rows for them).
 *
 * Shapes: data `[E, F]`, segmentIds `[E]`, result `[numSegments, F]`.
 */
import { tf } from '../engine/tf.js';
import { ShapeError, ValueError, describe } from '../util/errors.js';
import { exp } from './layers.js';

/** Host-side check that every id lies in `[0, numSegments)`. */
export function checkSegmentIds(what: string, ids: Int32Array, numSegments: number): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!(v >= 0 && v < numSegments)) {
      throw new ValueError(`${what}[${i}]`, `an index in [0, ${numSegments})`, String(v));
    }
  }
}

function check2d(what: string, t: tf.Tensor): asserts t is tf.Tensor2D {
  if (t.rank !== 2) throw new ShapeError(what, 'a rank-2 tensor [rows, features]', `shape [${t.shape.join(', ')}]`);
}

function checkIds(what: string, ids: tf.Tensor, rows?: number): asserts ids is tf.Tensor1D {
  if (ids.rank !== 1 || ids.dtype !== 'int32') {
    throw new ShapeError(what, 'an int32 tensor of rank 1', `${ids.dtype} tensor of shape [${ids.shape.join(', ')}]`);
  }
  if (rows !== undefined && ids.shape[0] !== rows) {
    throw new ShapeError(what, `length ${rows} (rows of data)`, `length ${ids.shape[0]}`);
  }
}

function rawGather(x: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor2D {
  // [E, F]
  return tf.gatherND(x, tf.expandDims(idx, 1)) as tf.Tensor2D;
}

function rawScatter(d: tf.Tensor2D, idx: tf.Tensor1D, n: number): tf.Tensor2D {
  // [n, F]; scatterND sums duplicate indices.
  if (d.shape[0] === 0) return tf.zeros([n, d.shape[1]]);
  return tf.scatterND(tf.expandDims(idx, 1), d, [n, d.shape[1]]) as tf.Tensor2D;
}

/**
 * Row gather: `y[e, :] = x[indices[e], :]`.
 *
 * Shapes: x `[N, F]` float32, indices `[E]` int32 → `[E, F]`.
 * Gradient: `segmentSum(dy, indices, N)` (differentiable again).
 */
export function gatherRows(x: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  check2d('x', x);
  checkIds('indices', indices);
  const n = x.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor2D;
    // Through `save`, not the closure: a nested tf.grad disposes forward-pass tensors
    // (indices made inside it) before its backward pass runs.
    (args[1] as tf.GradSaveFunc)([indices]);
    return {
      value: rawGather(xx, indices),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [segmentSum(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, n)],
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * Segment sum: `z[k, :] = Σ_{e: ids[e] = k} data[e, :]`; empty segments are 0.
 *
 * Shapes: data `[E, F]`, segmentIds `[E]` int32 → `[numSegments, F]`.
 * Gradient: `gatherRows(dz, segmentIds)` (differentiable again).
 */
export function segmentSum(data: tf.Tensor2D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  check2d('data', data);
  checkIds('segmentIds', segmentIds, data.shape[0]);
  if (!Number.isInteger(numSegments) || numSegments < 0) throw new ValueError('numSegments', 'an integer >= 0', describe(numSegments));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const d = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([segmentIds]);
    return {
      value: rawScatter(d, segmentIds, numSegments),
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => [gatherRows(dz as tf.Tensor2D, saved[0] as tf.Tensor1D)],
    };
  });
  return f(data) as tf.Tensor2D;
}

/** Number of rows per segment, as a float32 `[numSegments, 1]` tensor. */
export function segmentCounts(segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return tf.tidy(() => rawScatter(tf.ones([segmentIds.shape[0], 1]), segmentIds, numSegments));
}

/**
 * Segment mean; empty segments are 0.
 * Shapes: data `[E, F]`, segmentIds `[E]` → `[numSegments, F]`.
 */
export function segmentMean(data: tf.Tensor2D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return tf.tidy(() => {
    const counts = segmentCounts(segmentIds, numSegments); // [S, 1]
    return tf.div(segmentSum(data, segmentIds, numSegments), tf.maximum(counts, 1)) as tf.Tensor2D;
  });
}

/**
 * Segment max; empty segments are 0. The gradient flows to every row that attains its
 * segment's maximum (ties share it equally).
 * Shapes: data `[E, F]`, segmentIds `[E]` → `[numSegments, F]`.
 */
export function segmentMax(data: tf.Tensor2D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  check2d('data', data);
  checkIds('segmentIds', segmentIds, data.shape[0]);
  return tf.tidy(() => {
    const F = data.shape[1];
    if (data.shape[0] === 0) return tf.zeros([numSegments, F]) as tf.Tensor2D;
    // Route the gradient through constant selection weights: rows at their segment's max,
    // ties share equally. Computed host-side, so no gradient flows into the mask.
    const w = segmentMaxWeights(data, segmentIds, numSegments); // [E, F]
    return segmentSum(tf.mul(data, w) as tf.Tensor2D, segmentIds, numSegments);
  });
}

/** Host-side `[E, F]` weights: 1/(number of ties) where a row attains its segment max, else 0. */
function segmentMaxWeights(data: tf.Tensor2D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  const E = data.shape[0];
  const F = data.shape[1];
  const vals = data.dataSync();
  const ids = segmentIds.dataSync();
  const mx = new Float32Array(numSegments * F).fill(-Infinity);
  for (let e = 0; e < E; e++) {
    const k = ids[e];
    for (let j = 0; j < F; j++) if (vals[e * F + j] > mx[k * F + j]) mx[k * F + j] = vals[e * F + j];
  }
  const ties = new Float32Array(numSegments * F);
  for (let e = 0; e < E; e++) {
    const k = ids[e];
    for (let j = 0; j < F; j++) if (vals[e * F + j] === mx[k * F + j]) ties[k * F + j]++;
  }
  const w = new Float32Array(E * F);
  for (let e = 0; e < E; e++) {
    const k = ids[e];
    for (let j = 0; j < F; j++) if (vals[e * F + j] === mx[k * F + j]) w[e * F + j] = 1 / ties[k * F + j];
  }
  return tf.tensor2d(w, [E, F]);
}

/**
 * Per-segment maximum as a constant (not differentiated) tensor; empty segments are 0.
 * Computed host-side: tfjs has no differentiable max-scatter kernel on wasm.
 */
function segmentMaxConstant(data: tf.Tensor2D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  const E = data.shape[0];
  const F = data.shape[1];
  const vals = data.dataSync();
  const ids = segmentIds.dataSync();
  const mx = new Float32Array(numSegments * F).fill(-Infinity);
  for (let e = 0; e < E; e++) {
    const k = ids[e];
    for (let j = 0; j < F; j++) if (vals[e * F + j] > mx[k * F + j]) mx[k * F + j] = vals[e * F + j];
  }
  for (let i = 0; i < mx.length; i++) if (mx[i] === -Infinity) mx[i] = 0;
  return tf.tensor2d(mx, [numSegments, F]);
}

/**
 * Softmax of `logits` within each segment: `a[e] = exp(l[e]) / Σ_{e' in seg(e)} exp(l[e'])`,
 * computed stably (the segment max is subtracted). Used for attention over incoming edges.
 * Shapes: logits `[E, H]`, segmentIds `[E]` → `[E, H]`.
 */
export function segmentSoftmax(logits: tf.Tensor2D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return tf.tidy(() => {
    // The shift by the segment max cancels in the ratio, so it is a constant for gradients.
    const mx = segmentMaxConstant(logits, segmentIds, numSegments); // [S, H]
    const ex = exp(tf.sub(logits, rawGather(mx, segmentIds))) as tf.Tensor2D; // [E, H] (exp exact to any order)
    const den = segmentSum(ex, segmentIds, numSegments); // [S, H]
    return tf.div(ex, gatherRows(den, segmentIds)) as tf.Tensor2D;
  });
}
