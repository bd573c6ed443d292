/**
 * Native versions of the light but frequent ops of a training step (element-wise arithmetic,
 * reductions, concat, transpose) and zero-copy Identity / same-dtype Cast.
 *
 * Profiling one MeshGraphNets processor step (10k nodes / 60k edges, latent 128) on the native
 * backend with only the matrix products and gather/scatter replaced showed these ops taking
 * more than half of the step: the wasm kernels are single-threaded, wasm's `Sum` over the rows
 * of a matrix (every bias gradient) first transposes it, `Concat` runs in JavaScript, and
 * `Identity` / `Cast` copy their input. Each function here handles the common layouts and
 * returns `null` for anything else, which then runs on the original wasm kernel.
 *
 * Layouts handled (float32 unless noted):
 * - Add, Sub, Multiply, RealDiv: output `[R, C]` (C = last dim); each operand full, a row
 *   vector broadcast over rows (`[C]`, `[1, C]`), a column broadcast over columns (`[R, 1]`),
 *   or a scalar.
 * - Sum, Mean: over trailing axes (per-row sums) or leading axes (per-column sums, the bias
 *   gradient), or all axes. Accumulates in float64.
 * - Concat: any axis, float32 or int32 (4-byte elements).
 * - Transpose: rank 2, float32 or int32.
 * - Identity (any dtype but string) and Cast to the same dtype: share the input's data
 *   (reference counted, as tfjs's cpu backend does) instead of copying it.
 */
import { tf } from './tf.js';
import { type KernelArgs, type NativeImpl, type TensorInfo, offsetOf, sizeOf } from './native_types.js';

const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

/** Broadcast shape of two shapes, or null if they do not broadcast. */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Operand mode for the addon's `binary`: 0 full, 1 row vector, 2 column, 3 scalar; -1 unsupported. */
function operandMode(shape: readonly number[], out: readonly number[]): number {
  const n = out.length;
  const padded = [...Array<number>(n - shape.length).fill(1), ...shape];
  if (padded.every((d, i) => d === out[i])) return 0;
  if (sizeOf(shape) === 1) return 3;
  if (n >= 1 && padded.slice(0, -1).every((d) => d === 1) && padded[n - 1] === out[n - 1]) return 1;
  if (n >= 1 && padded[n - 1] === 1 && padded.slice(0, -1).every((d, i) => d === out[i])) return 2;
  return -1;
}

function binary(op: number): NativeImpl {
  return (addon, { inputs, backend }) => {
    const a = inputs.a!;
    const b = inputs.b!;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const outShape = broadcastShape(a.shape, b.shape);
    if (!outShape) return null; // the wasm kernel raises tfjs's own error
    const am = operandMode(a.shape, outShape);
    const bm = operandMode(b.shape, outShape);
    if (am < 0 || bm < 0) return null;
    const out = backend.makeOutput(outShape, 'float32');
    const total = sizeOf(outShape);
    if (total === 0) return out;
    const cols = outShape.length === 0 ? 1 : outShape[outShape.length - 1];
    addon.binary(backend.wasm.HEAPU8, op, offsetOf(backend, a), am, offsetOf(backend, b), bm, total / cols, cols, offsetOf(backend, out));
    return out;
  };
}

/** `Square`: x·x with the threaded binary kernel (the same float32 product as wasm's). */
const square: NativeImpl = (addon, { inputs, backend }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32') return null;
  const out = backend.makeOutput([...x.shape], 'float32');
  const total = sizeOf(x.shape);
  if (total === 0) return out;
  const cols = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const xo = offsetOf(backend, x);
  addon.binary(backend.wasm.HEAPU8, BINARY_OPS.Multiply, xo, 0, xo, 0, total / Math.max(1, cols), Math.max(1, cols), offsetOf(backend, out));
  return out;
};

/** Normalised, sorted reduction axes. */
function axesOf(axis: unknown, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
}

function reduce(mean: boolean): NativeImpl {
  return (addon, { inputs, backend, attrs }) => {
    const x = inputs.x!;
    if (x.dtype !== 'float32') return null;
    const shape = x.shape;
    const rank = shape.length;
    const axes = axesOf(attrs?.axis, rank);
    if (axes.some((a) => a < 0 || a >= rank)) return null;
    const keepDims = Boolean(attrs?.keepDims);
    const outShape = keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    const count = axes.reduce((p, a) => p * shape[a], 1);
    if (sizeOf(shape) === 0 || count === 0) return null;
    const k = axes.length;
    if (k === 0) return null;
    const trailing = axes.every((a, i) => a === rank - k + i);
    const leading = axes.every((a, i) => a === i);
    if (!trailing && !leading) return null;
    const out = backend.makeOutput(outShape, 'float32');
    const scale = mean ? 1 / count : 1;
    if (trailing) {
      // [rows, cols] with cols = product of the reduced trailing dims
      addon.reduceSum(backend.wasm.HEAPU8, offsetOf(backend, x), sizeOf(shape) / count, count, 1, scale, offsetOf(backend, out));
    } else {
      // [rows, cols] with rows = product of the reduced leading dims
      addon.reduceSum(backend.wasm.HEAPU8, offsetOf(backend, x), count, sizeOf(shape) / count, 0, scale, offsetOf(backend, out));
    }
    return out;
  };
}

const concat: NativeImpl = (addon, { inputs, backend, attrs }) => {
  const list = Array.from(inputs as unknown as ArrayLike<TensorInfo>);
  if (list.length === 0) return null;
  const dtype = list[0].dtype;
  if ((dtype !== 'float32' && dtype !== 'int32') || list.some((t) => t.dtype !== dtype)) return null;
  const rank = list[0].shape.length;
  if (rank === 0 || list.some((t) => t.shape.length !== rank)) return null;
  let axis = Number(Array.isArray(attrs?.axis) ? (attrs!.axis as number[])[0] : (attrs?.axis ?? 0));
  if (axis < 0) axis += rank;
  if (!(axis >= 0 && axis < rank)) return null;
  const lead = list[0].shape.slice(0, axis);
  const tail = list[0].shape.slice(axis + 1);
  for (const t of list) {
    if (!t.shape.slice(0, axis).every((d, i) => d === lead[i]) || !t.shape.slice(axis + 1).every((d, i) => d === tail[i])) return null;
  }
  const outShape = [...lead, list.reduce((s, t) => s + t.shape[axis], 0), ...tail];
  const out = backend.makeOutput(outShape, dtype);
  const rows = sizeOf(lead);
  const dstCols = sizeOf(outShape.slice(axis));
  if (rows * dstCols === 0) return out;
  let col = 0;
  for (const t of list) {
    const cols = sizeOf(t.shape.slice(axis));
    if (cols > 0) addon.copyBlock(backend.wasm.HEAPU8, offsetOf(backend, t), rows, cols, offsetOf(backend, out), dstCols, col);
    col += cols;
  }
  return out;
};

const transpose: NativeImpl = (addon, { inputs, backend, attrs }) => {
  const x = inputs.x!;
  const perm = attrs?.perm as number[] | undefined;
  if (x.shape.length !== 2 || !perm || perm[0] !== 1 || perm[1] !== 0) return null;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const [rows, cols] = x.shape;
  const out = backend.makeOutput([cols, rows], x.dtype);
  if (rows * cols === 0) return out;
  addon.transpose2d(backend.wasm.HEAPU8, offsetOf(backend, x), rows, cols, offsetOf(backend, out));
  return out;
};

/** Shares the input's data (tensors are immutable; the backend reference-counts data ids). */
function share(x: TensorInfo, args: KernelArgs): TensorInfo | null {
  if (x.dtype === 'string') return null;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

const identity: NativeImpl = (_addon, args) => share(args.inputs.x!, args);
const cast: NativeImpl = (_addon, args) => (args.attrs?.dtype === args.inputs.x!.dtype ? share(args.inputs.x!, args) : null);

/**
 * Copies `n` 4-byte elements starting at element `flatOffset` of x into a new tensor. The
 * wasm backend's Slice (and SplitV, which calls it once per piece) first copies the *whole*
 * input out of the heap with `readSync`: splitting Adam's flat update vector of a 15-block
 * MeshGraphNets processor (2.3M values, 240 pieces) copied 2.2 GB per step (270 ms).
 */
function copyRange(backend: KernelArgs['backend'], x: TensorInfo, flatOffset: number, n: number, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, x.dtype);
  if (n > 0) {
    const heap = backend.wasm.HEAPU8; // after makeOutput (a malloc may replace the memory)
    const src = offsetOf(backend, x) + 4 * flatOffset;
    heap.copyWithin(offsetOf(backend, out), src, src + 4 * n);
  }
  return out;
}

const fourBytes = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32';

/** Element strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

const slice: NativeImpl = (_addon, { inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (!fourBytes(x)) return null;
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs!.begin as number[], attrs!.size as number[]);
  if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return null;
  const st = strides(x.shape);
  const flat = begin.reduce((acc, b, i) => acc + b * st[i], 0);
  return copyRange(backend, x, flat, sizeOf(size), size);
};

const splitV: NativeImpl = (_addon, { inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (!fourBytes(x)) return null;
  const rank = x.shape.length;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
  // Pieces are contiguous only when every dimension before the axis is 1.
  for (let i = 0; i < axis; i++) if (x.shape[i] !== 1) return null;
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs!.numOrSizeSplits as number | number[], axis);
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outs: TensorInfo[] = [];
  let start = 0;
  for (const n of sizes) {
    const shape = x.shape.slice();
    shape[axis] = n;
    outs.push(copyRange(backend, x, start * inner, n * inner, rank ? shape : []));
    start += n;
  }
  return outs;
};

/** Kernel name → native implementation. */
export const ELEMENTWISE_IMPLS: Record<string, NativeImpl> = {
  Slice: slice,
  SplitV: splitV,
  Square: square,
  Add: binary(BINARY_OPS.Add),
  Sub: binary(BINARY_OPS.Sub),
  Multiply: binary(BINARY_OPS.Multiply),
  RealDiv: binary(BINARY_OPS.RealDiv),
  Sum: reduce(false),
  Mean: reduce(true),
  Concat: concat,
  Transpose: transpose,
  Identity: identity,
  Cast: cast,
};
