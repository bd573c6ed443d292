/**
 * Fused MLP on the native addon: the forward and the backward pass of a whole multi-layer
 * perceptron (first-layer input in parts, each optionally gathered by an index vector; bias;
 * hidden activation; optional last activation; optional LayerNorm with scale and offset) as
 * ONE TensorFlow.js op each, instead of the ~15 forward and ~35 backward ops of the composite
 * layers. It exists because profiling the native backend showed the matrix products running
 * at OpenBLAS speed while most of a GNN training step went to tfjs's per-op JavaScript and to
 * single-threaded element-wise passes between the products (docs/native.md).
 *
 * ```
 *   z_0 = Σ_p gather_p(X_p) · W_0[rows_p] + b_0         gather_p(X) = X[idx_p]  or X
 *   z_l = act(z_{l-1}) · W_l + b_l                       l = 1 … L-1
 *   y   = LN(act?(z_{L-1}))·γ + β                        (LN and the last act optional)
 * ```
 *
 * Saved for the backward pass: the inputs X_p and every pre-activation z_l (the composite path
 * keeps these plus ~10 element-wise intermediates per layer); the parameters are read again
 * from their variables. MeshGraphNets'
 * edge MLP becomes parts `[e, (v, senders), (v, receivers)]`, so neither the `[E, 3·D]`
 * concatenation nor the gathered `[E, D]` node rows are ever built.
 *
 * Derivatives: the fused backward kernel has no gradient of its own. When a gradient of the
 * gradient is being recorded (`tf.grad(tf.grad(f))`, forces trained on forces), the backward
 * pass instead differentiates the composite MLP from the saved inputs with ordinary tfjs ops,
 * so derivatives of every order stay exact (tested in test/native/fused.test.ts).
 *
 * Kernels `GnnwbMlpForward` / `GnnwbMlpBackward` are registered on the wasm backend the first
 * time the native kernels are enabled, and refuse to run while they are disabled (the layers
 * check {@link fusedMlpEnabled} first). `GNNWB_NATIVE_FUSED=0` turns the fused path off (the
 * composite layers then run on the native element-wise kernels).
 */
import { tf } from './tf.js';
import type { NativeAddon } from './native_addon.js';
import { type KernelArgs, type TensorInfo, offsetOf as off } from './native_types.js';
import { ShapeError, ValueError } from '../util/errors.js';

/** Activation codes shared with the C++ side. */
export const FUSED_ACTIVATIONS = { none: 0, relu: 1, silu: 2, tanh: 3, sigmoid: 4 } as const;
export type FusedActivation = keyof typeof FUSED_ACTIVATIONS;

/** One part of the first layer's input: `x` (`[rows, width]`), gathered by `idx` if given. */
export interface FusedPart {
  readonly x: tf.Tensor2D;
  /** int32 `[R]`: row r of this part is `x[idx[r]]`; absent: `x` has R rows itself. */
  readonly idx?: tf.Tensor1D;
}

/** What the fused op needs to know about an MLP (its parameters are read, never created). */
export interface FusedMlpSpec {
  readonly layers: readonly { readonly w: tf.Tensor; readonly b: tf.Tensor | null }[];
  readonly activation: FusedActivation;
  readonly activateLast: boolean;
  readonly norm: { readonly gamma: tf.Tensor | null; readonly beta: tf.Tensor | null; readonly eps: number } | null;
  /** Used for error messages. */
  readonly name: string;
}

let fusedAddon: NativeAddon | null = null;
let registered = false;
/** Forward/backward calls so far (tests and the bench check the fused path actually ran). */
export const fusedCounts = { forward: 0, backward: 0, composite: 0 };

/** Called by enableNativeKernels / disableNativeKernels. */
export function setFusedAddon(addon: NativeAddon | null): void {
  fusedAddon = addon;
  if (addon && !registered) {
    tf.registerKernel({ kernelName: 'GnnwbMlpForward', backendName: 'wasm', kernelFunc: forwardKernel as unknown as tf.KernelFunc });
    tf.registerKernel({ kernelName: 'GnnwbMlpBackward', backendName: 'wasm', kernelFunc: backwardKernel as unknown as tf.KernelFunc });
    registered = true;
  }
}

/** The addon while the native kernels are enabled (other fused ops: src/models/equivariant/egnn_ops.ts), else null. */
export function fusedNativeAddon(): NativeAddon | null {
  return fusedAddon;
}

let override: boolean | null = null;
/** Forces the fused path on or off (null: as `GNNWB_NATIVE_FUSED`, default on). For tests. */
export function setFusedMlpEnabled(on: boolean | null): void {
  override = on;
}

/** True when MLPs should run as the fused native op (native kernels on, wasm backend active). */
export function fusedMlpEnabled(): boolean {
  if (!fusedAddon) return false;
  if (override !== null) return override;
  if (process.env.GNNWB_NATIVE_FUSED === '0') return false;
  return tf.getBackend() === 'wasm';
}

interface Attrs {
  R: number;
  /** Per part: index of its input tensor among the unique inputs, and whether it is gathered. */
  partInput: number[];
  partGathered: boolean[];
  widths: number[];
  numInputs: number;
  act: number;
  activateLast: boolean;
  ln: boolean;
  eps: number;
  hasBias: boolean[];
  hasGamma: boolean;
  hasBeta: boolean;
  /** Whether y is a tensor of its own (false: y is z_{L-1}). */
  separateY: boolean;
}

function layerCount(a: Attrs): number {
  return a.hasBias.length;
}

function describeFields(inputs: Record<string, TensorInfo | undefined>, a: Attrs, backward: boolean, outs: Record<string, TensorInfo | null>, backend: KernelArgs['backend']): Float64Array {
  const o = (t: TensorInfo | null | undefined): number => (t ? off(backend, t) : -1);
  const L = layerCount(a);
  // (y is not read by the backward pass)
  const desc: number[] = [a.R, a.partInput.length, L, a.act, a.activateLast ? 1 : 0, a.ln ? 1 : 0, a.eps, o(inputs.gamma), o(inputs.beta), backward ? -1 : o(outs.y)];
  if (backward) desc.push(o(inputs.dy), o(outs.dgamma), o(outs.dbeta));
  let row = 0;
  a.partInput.forEach((u, p) => {
    const x = inputs[`x${u}`]!;
    desc.push(o(x), x.shape[0], a.widths[p], a.partGathered[p] ? o(inputs[`i${p}`]) : -1, row);
    // (parts of the same input share one gradient: the kernel writes it first, then adds)
    if (backward) desc.push(o(outs[`dx${u}`]));
    row += a.widths[p];
  });
  for (let l = 0; l < L; l++) {
    const w = inputs[`w${l}`]!;
    const z = backward ? inputs[`z${l}`]! : outs[`z${l}`]!;
    desc.push(o(w), w.shape[0], w.shape[1], a.hasBias[l] ? o(inputs[`b${l}`]) : -1, o(z));
    if (backward) desc.push(o(outs[`dw${l}`]), a.hasBias[l] ? o(outs[`db${l}`]) : -1);
  }
  return Float64Array.from(desc);
}

function badIndex(backend: KernelArgs['backend'], inputs: Record<string, TensorInfo | undefined>, a: Attrs, code: number, made: TensorInfo[]): never {
  for (const t of made) backend.disposeData(t.dataId);
  const part = Math.floor(code / 4294967296);
  const pos = code - part * 4294967296;
  const idx = inputs[`i${part}`]!;
  const x = inputs[`x${a.partInput[part]}`]!;
  const value = new Int32Array(backend.wasm.HEAPU8.buffer, off(backend, idx) + 4 * pos, 1)[0];
  throw new ValueError(`indices of fused MLP input part ${part} at position ${pos}`, `an index in [0, ${x.shape[0]})`, String(value), 'the fused native MLP checks indices before writing');
}

function forwardKernel(args: KernelArgs): TensorInfo[] {
  const addon = fusedAddon;
  if (!addon) throw new Error('GnnwbMlpForward: the native addon is not enabled');
  const a = args.attrs as unknown as Attrs;
  const { backend, inputs } = args;
  const L = layerCount(a);
  const made: TensorInfo[] = [];
  const outs: Record<string, TensorInfo | null> = {};
  for (let l = 0; l < L; l++) {
    outs[`z${l}`] = backend.makeOutput([a.R, inputs[`w${l}`]!.shape[1]], 'float32');
    made.push(outs[`z${l}`]!);
  }
  if (a.separateY) {
    outs.y = backend.makeOutput([a.R, inputs[`w${L - 1}`]!.shape[1]], 'float32');
    made.push(outs.y);
  } else outs.y = outs[`z${L - 1}`];
  // Offsets are read after every makeOutput: a malloc may grow (and replace) the wasm memory.
  const code = addon.mlpForward(backend.wasm.HEAPU8, describeFields(inputs, a, false, outs, backend));
  if (code >= 0) badIndex(backend, inputs, a, code, made);
  fusedCounts.forward++;
  return made;
}

function backwardKernel(args: KernelArgs): TensorInfo[] {
  const addon = fusedAddon;
  if (!addon) throw new Error('GnnwbMlpBackward: the native addon is not enabled');
  const a = args.attrs as unknown as Attrs;
  const { backend, inputs } = args;
  const L = layerCount(a);
  const made: TensorInfo[] = [];
  const outs: Record<string, TensorInfo | null> = {};
  for (let u = 0; u < a.numInputs; u++) {
    outs[`dx${u}`] = backend.makeOutput([...inputs[`x${u}`]!.shape], 'float32');
    made.push(outs[`dx${u}`]!);
  }
  for (let l = 0; l < L; l++) {
    outs[`dw${l}`] = backend.makeOutput([...inputs[`w${l}`]!.shape], 'float32');
    made.push(outs[`dw${l}`]!);
    if (a.hasBias[l]) {
      outs[`db${l}`] = backend.makeOutput([...inputs[`b${l}`]!.shape], 'float32');
      made.push(outs[`db${l}`]!);
    }
  }
  if (a.hasGamma) {
    outs.dgamma = backend.makeOutput([...inputs.gamma!.shape], 'float32');
    made.push(outs.dgamma);
  }
  if (a.hasBeta) {
    outs.dbeta = backend.makeOutput([...inputs.beta!.shape], 'float32');
    made.push(outs.dbeta);
  }
  const code = addon.mlpBackward(backend.wasm.HEAPU8, describeFields(inputs, a, true, outs, backend));
  if (code >= 0) badIndex(backend, inputs, a, code, made);
  fusedCounts.backward++;
  return made;
}

/**
 * The MLP with ordinary (differentiable to any order) tfjs ops, on the given parameter
 * tensors (order: per layer w, then b if the layer has one; then γ, β if present). Used
 * for higher derivatives.
 */
export type CompositeMlp = (parts: readonly FusedPart[], params: readonly tf.Tensor[]) => tf.Tensor2D;

/** True while the tape records (a gradient function then runs inside a higher-order gradient). */
export function isTapeOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean; state: { gradientDepth: number; kernelDepth: number } };
  return engine.isTapeOn ? engine.isTapeOn() : engine.state.gradientDepth > 0 && engine.state.kernelDepth === 0;
}

/**
 * Runs an MLP as the fused native op. `composite` must compute the same function with
 * ordinary ops (it runs only when a second derivative is recorded).
 *
 * Shapes: parts' widths sum to the first layer's input width; every ungathered part has R
 * rows, every index vector R entries → `[R, outDim]`.
 */
export function fusedMlp(spec: FusedMlpSpec, parts: readonly FusedPart[], composite: CompositeMlp): tf.Tensor2D {
  if (!fusedAddon) throw new Error('fusedMlp: the native addon is not enabled (check fusedMlpEnabled() first)');
  if (parts.length === 0) throw new ShapeError(`input of fused MLP '${spec.name}'`, 'at least one part', 'none');
  const L = spec.layers.length;
  const inDim = spec.layers[0].w.shape[0];
  let R = -1;
  for (const p of parts) {
    const n = p.idx ? p.idx.shape[0] : p.x.shape[0];
    if (R < 0) R = n;
    if (n !== R) throw new ShapeError(`parts of fused MLP '${spec.name}'`, `the same row count ${R} (ungathered rows / index lengths)`, `${n}`);
    if (p.x.rank !== 2 || p.x.dtype !== 'float32') throw new ShapeError(`part input of fused MLP '${spec.name}'`, 'a float32 [rows, width] tensor', `${p.x.dtype} [${p.x.shape.join(', ')}]`);
    if (p.idx && (p.idx.rank !== 1 || p.idx.dtype !== 'int32')) throw new ShapeError(`indices of fused MLP '${spec.name}'`, 'an int32 vector', `${p.idx.dtype} [${p.idx.shape.join(', ')}]`);
  }
  const widths = parts.map((p) => p.x.shape[1]);
  const total = widths.reduce((s, w) => s + w, 0);
  if (total !== inDim) throw new ShapeError(`parts of fused MLP '${spec.name}'`, `widths summing to ${inDim}`, `widths [${widths.join(', ')}]`);
  if (parts.filter((p) => p.idx).length > 6) throw new ShapeError(`parts of fused MLP '${spec.name}'`, 'at most 6 gathered parts', `${parts.filter((p) => p.idx).length}`);

  // Unique input tensors (v appears twice in an edge MLP: sender and receiver slots).
  const uniq: tf.Tensor2D[] = [];
  const partInput = parts.map((p) => {
    let u = uniq.indexOf(p.x);
    if (u < 0) u = uniq.push(p.x) - 1;
    return u;
  });
  const indices = parts.map((p) => p.idx ?? null);
  const attrs: Attrs = {
    R,
    partInput,
    partGathered: parts.map((p) => Boolean(p.idx)),
    widths,
    numInputs: uniq.length,
    act: FUSED_ACTIVATIONS[spec.activation],
    activateLast: spec.activateLast,
    ln: spec.norm !== null,
    eps: spec.norm?.eps ?? 0,
    hasBias: spec.layers.map((l) => l.b !== null),
    hasGamma: Boolean(spec.norm?.gamma),
    hasBeta: Boolean(spec.norm?.beta),
    separateY: spec.norm !== null || spec.activateLast,
  };
  // Differentiable inputs in order: unique xs, then per layer w (and b), then γ, β.
  const params: tf.Tensor[] = [];
  for (const l of spec.layers) {
    params.push(l.w);
    if (l.b) params.push(l.b);
  }
  if (spec.norm?.gamma) params.push(spec.norm.gamma);
  if (spec.norm?.beta) params.push(spec.norm.beta);
  const nx = uniq.length;

  const named = (xs: readonly tf.Tensor[], ps: readonly tf.Tensor[]): Record<string, tf.Tensor> => {
    const m: Record<string, tf.Tensor> = {};
    xs.forEach((x, u) => (m[`x${u}`] = x));
    indices.forEach((idx, p) => {
      if (idx) m[`i${p}`] = idx;
    });
    let k = 0;
    spec.layers.forEach((l, i) => {
      m[`w${i}`] = ps[k++];
      if (l.b) m[`b${i}`] = ps[k++];
    });
    if (spec.norm?.gamma) m.gamma = ps[k++];
    if (spec.norm?.beta) m.beta = ps[k++];
    return m;
  };

  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const ins = args.slice(0, -1) as tf.Tensor[];
    const xs = ins.slice(0, nx);
    const ps = ins.slice(nx);
    const outs = tf.engine().runKernel('GnnwbMlpForward', named(xs, ps) as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    const zs = outs.slice(0, L);
    const y = attrs.separateY ? outs[L] : zs[L - 1];
    // The parameters are not saved (one clone each per call, ~60 per EGNN step): they are the
    // MLP's variables, read again in the backward pass (a training step assigns them only
    // after its gradients).
    save([...xs, ...zs, ...(indices.filter(Boolean) as tf.Tensor[])]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const sIns = [...saved.slice(0, nx), ...ps];
        const sZs = saved.slice(nx, nx + L);
        const sIdx = saved.slice(nx + L);
        let k = 0;
        const idxOf = indices.map((i) => (i ? sIdx[k++] : null));
        const sXs = sIns.slice(0, nx) as tf.Tensor2D[];
        const sPs = sIns.slice(nx);
        if (isTapeOn()) {
          // A higher derivative is being recorded: differentiate the composite MLP instead.
          fusedCounts.composite++;
          const grads = tf.grads((...t: tf.Tensor[]) => {
            const xsT = t.slice(0, nx) as tf.Tensor2D[];
            return composite(
              partInput.map((u, p) => ({ x: xsT[u], idx: (idxOf[p] as tf.Tensor1D | null) ?? undefined })),
              t.slice(nx),
            );
          });
          return grads([...sXs, ...sPs], g);
        }
        const m = named(sXs, sPs);
        sZs.forEach((z, l) => (m[`z${l}`] = z));
        m.dy = g;
        return tf.engine().runKernel('GnnwbMlpBackward', m as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
      },
    };
  });
  return f(...uniq, ...params) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// Adam in one native call. The per-variable optimiser of src/train/trainer.ts ran ~12 tfjs ops
// per variable (EGNN N-body: 700 of the 1,325 kernels of a training step); this is one kernel
// for all of them. Same float32 operations in the same order, so the same numbers.

/** One tensor's Adam inputs. */
export interface AdamItem {
  readonly p: tf.Tensor;
  readonly g: tf.Tensor;
}

/**
 * Formula of the update (see native/src/gnnwb_native.cc adamStep):
 * mode 0: `p − m'/(sqrt(v')/s1 + s2)·s3`; mode 1: `p − m'/(sqrt(v') + s2)·s3`.
 */
export interface AdamScalars {
  readonly mode: 0 | 1;
  readonly beta1: number;
  readonly beta2: number;
  readonly s1: number;
  readonly s2: number;
  readonly s3: number;
}

let adamRegistered = false;

function adamKernel(args: KernelArgs): TensorInfo[] {
  const addon = fusedAddon;
  if (!addon) throw new Error('GnnwbAdam: the native addon is not enabled');
  const a = args.attrs as unknown as AdamScalars & { n: number; flat: boolean; starts: number[] };
  const { backend, inputs } = args;
  const outs: TensorInfo[] = [];
  for (let i = 0; i < a.n; i++) outs.push(backend.makeOutput([...inputs[`p${i}`]!.shape], 'float32'));
  let mOut: TensorInfo[] = [];
  let vOut: TensorInfo[] = [];
  if (a.flat) {
    mOut = [backend.makeOutput([...inputs.m!.shape], 'float32')];
    vOut = [backend.makeOutput([...inputs.v!.shape], 'float32')];
  } else {
    for (let i = 0; i < a.n; i++) {
      mOut.push(backend.makeOutput([...inputs[`m${i}`]!.shape], 'float32'));
      vOut.push(backend.makeOutput([...inputs[`v${i}`]!.shape], 'float32'));
    }
  }
  const desc: number[] = [a.n, a.mode, a.beta1, a.beta2, a.s1, a.s2, a.s3];
  for (let i = 0; i < a.n; i++) {
    const p = inputs[`p${i}`]!;
    const size = p.shape.reduce((x, y) => x * y, 1);
    const mo = a.flat ? 4 * a.starts[i] : 0;
    desc.push(
      off(backend, p),
      off(backend, inputs[`g${i}`]!),
      a.flat ? off(backend, inputs.m!) + mo : off(backend, inputs[`m${i}`]!),
      a.flat ? off(backend, inputs.v!) + mo : off(backend, inputs[`v${i}`]!),
      off(backend, outs[i]),
      a.flat ? off(backend, mOut[0]) + mo : off(backend, mOut[i]),
      a.flat ? off(backend, vOut[0]) + mo : off(backend, vOut[i]),
      size,
    );
  }
  addon.adamStep(backend.wasm.HEAPU8, Float64Array.from(desc));
  return [...outs, ...mOut, ...vOut];
}

function checkItems(items: readonly AdamItem[]): void {
  for (const { p, g } of items) {
    if (p.dtype !== 'float32' || g.dtype !== 'float32' || p.size !== g.size) {
      throw new ShapeError('Adam gradient', `float32 with the shape of its parameter [${p.shape.join(', ')}]`, `${g.dtype} [${g.shape.join(', ')}]`);
    }
  }
}

function runAdam(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor[] {
  if (!adamRegistered) {
    tf.registerKernel({ kernelName: 'GnnwbAdam', backendName: 'wasm', kernelFunc: adamKernel as unknown as tf.KernelFunc });
    adamRegistered = true;
  }
  return tf.engine().runKernel('GnnwbAdam', inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}

/**
 * One Adam step for per-variable moments: returns the new parameters and moments (the caller
 * assigns them). Only while {@link fusedMlpEnabled}.
 */
export function nativeAdamPerVariable(items: readonly (AdamItem & { m: tf.Tensor; v: tf.Tensor })[], s: AdamScalars): { p: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[] } {
  checkItems(items);
  const inputs: Record<string, tf.Tensor> = {};
  items.forEach((it, i) => {
    inputs[`p${i}`] = it.p;
    inputs[`g${i}`] = it.g;
    inputs[`m${i}`] = it.m;
    inputs[`v${i}`] = it.v;
  });
  const n = items.length;
  const out = runAdam(inputs, { ...s, n, flat: false, starts: [] });
  return { p: out.slice(0, n), m: out.slice(n, 2 * n), v: out.slice(2 * n) };
}

/**
 * One Adam step with the moments of all parameters in one flat vector each (models/optim.ts);
 * `starts[i]` is parameter i's offset in them. Returns the new parameters and flat moments.
 */
export function nativeAdamFlat(items: readonly AdamItem[], m: tf.Tensor, v: tf.Tensor, starts: readonly number[], s: AdamScalars): { p: tf.Tensor[]; m: tf.Tensor; v: tf.Tensor } {
  checkItems(items);
  const end = items.length ? starts[items.length - 1] + items[items.length - 1].p.size : 0;
  if (m.size < end || v.size < end) throw new ShapeError('Adam moments', `at least ${end} values`, `${m.size}, ${v.size}`);
  const inputs: Record<string, tf.Tensor> = { m, v };
  items.forEach((it, i) => {
    inputs[`p${i}`] = it.p;
    inputs[`g${i}`] = it.g;
  });
  const n = items.length;
  const out = runAdam(inputs, { ...s, n, flat: true, starts: [...starts] });
  return { p: out.slice(0, n), m: out[n], v: out[n + 1] };
}
