/**
 * Dense layers, MLPs and LayerNorm as factories (STYLE.md §4): a factory checks its options,
 * creates its parameters in a {@link ParamStore} under `name`, and returns a pure function
 * of tensors.
 *
 * Speed on wasm: tfjs's default matMul gradient multiplies with `transposeA/transposeB`,
 * which the wasm backend runs ~10× slower than an explicit `tf.transpose` followed by a plain
 * matMul. {@link matMul} here carries its own gradient written that way, defined through
 * itself, so gradients of any order exist (forces from a learned energy, trained on forces,
 * need the second derivative through every dense layer).
 *
 * ```ts
 * const params = new ParamStore(new Rng(0));
 * const f = mlp({ sizes: [3, 64, 64, 1], activation: 'silu', name: 'energy' }, params);
 * const y = f(x);                         // x [N, 3] → y [N, 1]
 * ```
 */
import { tf } from '../engine/tf.js';
import type { Rng } from '../engine/rng.js';
import { ShapeError, ValueError, ConfigError, describe } from '../util/errors.js';
import { ParamStore, type Initializer } from './params.js';
import { gatherRows, segmentSum } from './segment.js';
import { nativeKernelsEnabled } from '../engine/native_kernels.js';
import { fusedMlp, fusedMlpEnabled, type CompositeMlp, type FusedMlpSpec, type FusedPart } from '../engine/native_fused.js';

/** Activations every layer accepts. */
export const ACTIVATIONS = ['relu', 'silu', 'tanh', 'sigmoid', 'none'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * tfjs saves the *output* of tanh/sigmoid/exp for their gradients as a detached clone, so a
 * second derivative through them silently loses terms (and `grad(grad(tanh))` throws). These
 * versions recompute the function inside the gradient from the input, through themselves, so
 * derivatives of every order are exact.
 *
 * Every custom gradient here reads its inputs through `save` (never a closure): tfjs disposes
 * a forward pass's intermediates before the backward pass of a nested `tf.grad`, and saved
 * tensors stay linked on the tape so the gradient itself can be differentiated.
 */
export function tanh<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([xx]);
    return {
      value: tf.tanh(xx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const t = tanh(saved[0]);
        return [tf.mul(dy, tf.sub(1, tf.mul(t, t)))];
      },
    };
  });
  return f(x) as T;
}

/** Logistic sigmoid with exact derivatives of every order (see {@link tanh}). */
export function sigmoid<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([xx]);
    return {
      value: tf.sigmoid(xx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const s = sigmoid(saved[0]);
        return [tf.mul(dy, tf.mul(s, tf.sub(1, s)))];
      },
    };
  });
  return f(x) as T;
}

/** exp with exact derivatives of every order (see {@link tanh}). */
export function exp<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([xx]);
    return { value: tf.exp(xx), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, exp(saved[0]))] };
  });
  return f(x) as T;
}

/** Applies an activation (all differentiable to any order; relu's second derivative is 0). */
export function activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return tf.mul(x, sigmoid(x)) as tf.Tensor2D;
    case 'tanh':
      return tanh(x) as tf.Tensor2D;
    case 'sigmoid':
      return sigmoid(x) as tf.Tensor2D;
    case 'none':
      return x;
  }
}

function checkActivation(what: string, a: unknown): Activation {
  if (!(ACTIVATIONS as readonly unknown[]).includes(a)) throw new ConfigError(what, `one of ${ACTIVATIONS.join(', ')}`, describe(a));
  return a as Activation;
}

function checkDim(what: string, d: unknown): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) throw new ConfigError(what, 'a positive integer', describe(d));
  return d;
}

function checkName(what: string, n: unknown): string {
  if (typeof n !== 'string' || n.length === 0) throw new ConfigError(what, 'a non-empty string (parameter name prefix)', describe(n));
  return n;
}

/**
 * Matrix product `a · b`: a plain `tf.matMul`. Its gradient is the registry override in
 * src/engine/gradients.ts (explicit transposes, lazily per input, any order), so call sites
 * stay plain tfjs ops that native kernels can replace.
 *
 * Shapes: a `[M, K]`, b `[K, N]` → `[M, N]`.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b);
}

/**
 * Column sums `Σ_rows x`, as a segment sum of every row into one segment (a scatter-add:
 * one pass over x). On wasm, for x `[60000, 128]` computed afresh (as a gradient is): 2.9 ms,
 * against 31 ms for `1ᵀ·x` (XNNPACK re-packs x as the weight matrix on every call; only a
 * repeated x hits its cache) and 10 ms for `tf.sum(x, 0)` (which transposes first).
 * Differentiable to any order (the gradient is a row gather, see segment.ts). With the native
 * kernels, `tf.sum(x, 0)` is native too (1.4 ms, accumulated in float64), so it is used there.
 *
 * Shapes: x `[M, F]` → `[F]`.
 */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  const M = x.shape[0];
  if (M === 0) return tf.zeros([x.shape[1]]);
  if (nativeKernelsEnabled()) return tf.sum(x, 0);
  // tf.zeros of int32 fills in the backend.
  return tf.reshape(segmentSum(x, tf.zeros([M], 'int32') as tf.Tensor1D, 1), [x.shape[1]]);
}

/**
 * `x + b` broadcast over rows, whose bias gradient is a {@link columnSum} (tfjs's broadcast
 * gradient reduces with `sum(dy, 0)`). Shapes: x `[M, F]`, b `[F]` → `[M, F]`.
 */
export function addBias(x: tf.Tensor2D, b: tf.Tensor): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor2D;
    const bb = args[1] as tf.Tensor1D;
    return {
      value: tf.add(xx, bb) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor) => [dy, columnSum(dy as tf.Tensor2D)],
    };
  });
  return f(x, b) as tf.Tensor2D;
}

/**
 * `y·γ + β` broadcast over rows (LayerNorm's affine part) with column-sum gradients for γ
 * and β. Shapes: y `[M, F]`, γ, β `[F]` → `[M, F]`.
 */
export function scaleShift(y: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const yy = args[0] as tf.Tensor2D;
    const g = args[1] as tf.Tensor1D;
    const b = args[2] as tf.Tensor1D;
    (args[3] as tf.GradSaveFunc)([yy, g]);
    return {
      value: tf.add(tf.mul(yy, g), b) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sy, sg] = saved as [tf.Tensor2D, tf.Tensor1D];
        const d = dy as tf.Tensor2D;
        return [tf.mul(d, sg), columnSum(tf.mul(d, sy) as tf.Tensor2D), columnSum(d)];
      },
    };
  });
  return f(y, gamma, beta) as tf.Tensor2D;
}

/** Options of {@link dense}. */
export interface DenseOptions {
  readonly inDim: number;
  readonly outDim: number;
  /** Add a bias (default true). */
  readonly bias?: boolean;
  /** Default 'none'. */
  readonly activation?: Activation;
  /** Weight initialiser (default 'lecunNormal'); biases start at zero. */
  readonly init?: Initializer;
  /** Parameter name prefix: creates `${name}/w` [inDim, outDim] and `${name}/b` [outDim]. */
  readonly name: string;
}

/** A dense layer: the function plus what it was built with. */
export interface DenseLayer {
  /** `x [rows, inDim] → activation(x·w + b) [rows, outDim]`. */
  (x: tf.Tensor2D): tf.Tensor2D;
  readonly inDim: number;
  readonly outDim: number;
  readonly activation: Activation;
  readonly name: string;
  /** The weight `[inDim, outDim]` and bias `[outDim]` (null without bias). */
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;
  /**
   * The layer applied to a concatenation given as parts: `Σ_i parts[i] · w[rows_i] + b`
   * (then the activation), equal to `layer(concat(parts, 1))` without building the concat.
   * Part widths must sum to inDim.
   */
  applyParts(parts: readonly tf.Tensor2D[]): tf.Tensor2D;
  /** `x · w[rowStart : rowStart + x.width]` with no bias and no activation. */
  partialProduct(x: tf.Tensor2D, rowStart: number): tf.Tensor2D;
  /** `activation(z + b)` for a pre-activation sum z `[rows, outDim]`. */
  finish(z: tf.Tensor2D): tf.Tensor2D;
}

/**
 * Dense (fully connected) layer `y = activation(x · w + b)`.
 *
 * Shapes: x `[rows, inDim]` → `[rows, outDim]`. Parameters `${name}/w` `[inDim, outDim]`,
 * `${name}/b` `[outDim]`. The optional `rng` overrides the store's initialisation stream.
 */
export function dense(options: DenseOptions, params: ParamStore, rng?: Rng): DenseLayer {
  const inDim = checkDim('dense.inDim', options.inDim);
  const outDim = checkDim('dense.outDim', options.outDim);
  const name = checkName('dense.name', options.name);
  const activation = checkActivation('dense.activation', options.activation ?? 'none');
  const useBias = options.bias ?? true;
  if (typeof useBias !== 'boolean') throw new ConfigError('dense.bias', 'a boolean', describe(useBias));
  if (!(params instanceof ParamStore)) throw new ValueError('params', 'a ParamStore', describe(params));
  const w = params.get(`${name}/w`, [inDim, outDim], options.init ?? 'lecunNormal', rng);
  const b = useBias ? params.get(`${name}/b`, [outDim], 'zeros', rng) : null;

  const finish = (z: tf.Tensor2D): tf.Tensor2D => {
    // [rows, outDim]
    const zb = b ? addBias(z, b) : z;
    return activate(zb, activation);
  };
  const partialProduct = (x: tf.Tensor2D, rowStart: number): tf.Tensor2D => {
    const width = x.shape[1];
    if (rowStart === 0 && width === inDim) return matMul(x, w as tf.Tensor2D);
    // [width, outDim]
    const wPart = tf.slice(w as tf.Tensor2D, [rowStart, 0], [width, outDim]);
    return matMul(x, wPart);
  };
  const layer = ((x: tf.Tensor2D): tf.Tensor2D => {
    if (x.rank !== 2 || x.shape[1] !== inDim) {
      throw new ShapeError(`input of dense '${name}'`, `a rank-2 tensor [rows, ${inDim}]`, `shape [${x.shape.join(', ')}]`);
    }
    return finish(matMul(x, w as tf.Tensor2D));
  }) as DenseLayer;
  const applyParts = (parts: readonly tf.Tensor2D[]): tf.Tensor2D => {
    let width = 0;
    for (const p of parts) width += p.shape[1];
    if (width !== inDim) throw new ShapeError(`parts of dense '${name}'`, `widths summing to ${inDim}`, `widths [${parts.map((p) => p.shape[1]).join(', ')}]`);
    let z: tf.Tensor2D | null = null;
    let row = 0;
    for (const p of parts) {
      const t = partialProduct(p, row);
      z = z ? (tf.add(z, t) as tf.Tensor2D) : t;
      row += p.shape[1];
    }
    return finish(z!);
  };
  // A function's own `name` is read-only: redefine it as the parameter prefix.
  Object.defineProperty(layer, 'name', { value: name });
  return Object.assign(layer, { inDim, outDim, activation, w, b, applyParts, partialProduct, finish });
}

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Layer widths `[in, hidden..., out]` (at least 2 entries). */
  readonly sizes: readonly number[];
  /** Hidden activation (default 'relu'). */
  readonly activation?: Activation;
  /** Apply the activation after the last layer too (default false). */
  readonly activateLast?: boolean;
  /** Apply LayerNorm to the output (MeshGraphNets style; default false). */
  readonly layerNorm?: boolean;
  readonly init?: Initializer;
  /** Parameter prefix: layers are `${name}/dense0`, `${name}/dense1`, …, norm `${name}/norm`. */
  readonly name: string;
}

/** An MLP: the function, its layers, and the tail after the first layer's matrix product. */
export interface Mlp {
  /** `x [rows, sizes[0]] → [rows, sizes[last]]`. */
  (x: tf.Tensor2D): tf.Tensor2D;
  readonly sizes: readonly number[];
  readonly layers: readonly DenseLayer[];
  readonly norm: LayerNorm | null;
  /**
   * Continues the MLP from the first layer's pre-activation product `z0 = x · w0` (without
   * bias): bias, activation, remaining layers, norm. Lets a caller compute `x · w0` in parts
   * (e.g. project node features before gathering them onto edges).
   */
  fromFirstProduct(z0: tf.Tensor2D): tf.Tensor2D;
  /** The MLP on `concat(parts, 1)` without building the concatenation. */
  applyParts(parts: readonly tf.Tensor2D[]): tf.Tensor2D;
  /**
   * The MLP on `concat([gather?(x_p, idx_p) for p in parts], 1)` without building the
   * concatenation or the gathered rows: a gathered part is multiplied by its weight rows on
   * its own rows first, then gathered (`gather(x, i)·W = gather(x·W, i)`). MeshGraphNets' edge
   * MLP is `applyGathered([{x: e}, {x: v, idx: senders}, {x: v, idx: receivers}])`.
   */
  applyGathered(parts: readonly FusedPart[]): tf.Tensor2D;
}

/**
 * Multi-layer perceptron: dense layers with `activation` between them, optionally after the
 * last, optionally followed by LayerNorm.
 *
 * Shapes: x `[rows, sizes[0]]` → `[rows, sizes[sizes.length - 1]]`.
 */
export function mlp(options: MlpOptions, params: ParamStore, rng?: Rng): Mlp {
  const name = checkName('mlp.name', options.name);
  const sizes = options.sizes;
  if (!Array.isArray(sizes) || sizes.length < 2) throw new ConfigError('mlp.sizes', 'an array of at least 2 widths [in, ..., out]', describe(sizes));
  sizes.forEach((s, i) => checkDim(`mlp.sizes[${i}]`, s));
  const activation = checkActivation('mlp.activation', options.activation ?? 'relu');
  const activateLast = options.activateLast ?? false;
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const last = i + 2 === sizes.length;
    layers.push(
      dense(
        { inDim: sizes[i], outDim: sizes[i + 1], activation: last && !activateLast ? 'none' : activation, init: options.init, name: `${name}/dense${i}` },
        params,
        rng,
      ),
    );
  }
  const norm = options.layerNorm ? layerNorm({ dim: sizes[sizes.length - 1], name: `${name}/norm` }, params) : null;
  const fromFirstProduct = (z0: tf.Tensor2D): tf.Tensor2D => {
    let h = layers[0].finish(z0);
    for (let i = 1; i < layers.length; i++) h = layers[i](h);
    return norm ? norm(h) : h;
  };
  // The fused native op (engine/native_fused.ts) when the native kernels run; `composite` is
  // the same function in ordinary ops on explicit parameters (its higher derivatives).
  const spec: FusedMlpSpec = {
    layers: layers.map((l) => ({ w: l.w, b: l.b })),
    activation,
    activateLast,
    norm: norm ? { gamma: norm.gamma, beta: norm.beta, eps: norm.eps } : null,
    name,
  };
  const composite: CompositeMlp = (parts, ps) => {
    let k = 0;
    const wb = layers.map((l) => ({ w: ps[k++] as tf.Tensor2D, b: l.b ? ps[k++] : null }));
    const gamma = norm?.gamma ? ps[k++] : null;
    const beta = norm?.beta ? ps[k++] : null;
    const H = sizes[1];
    let z: tf.Tensor2D | null = null;
    let row = 0;
    for (const p of parts) {
      const width = p.x.shape[1];
      // [width, H]
      const wPart = row === 0 && width === sizes[0] ? wb[0].w : (tf.slice(wb[0].w, [row, 0], [width, H]) as tf.Tensor2D);
      let t = matMul(p.x, wPart);
      if (p.idx) t = gatherRows(t, p.idx);
      z = z ? (tf.add(z, t) as tf.Tensor2D) : t;
      row += width;
    }
    let h = activate(wb[0].b ? addBias(z!, wb[0].b) : z!, layers[0].activation);
    for (let i = 1; i < layers.length; i++) {
      const zi = matMul(h, wb[i].w);
      h = activate(wb[i].b ? addBias(zi, wb[i].b!) : zi, layers[i].activation);
    }
    if (!norm) return h;
    let y = normalizeRows(h, norm.eps);
    if (gamma && beta) return scaleShift(y, gamma, beta);
    if (gamma) y = tf.mul(y, gamma) as tf.Tensor2D;
    if (beta) y = tf.add(y, beta) as tf.Tensor2D;
    return y;
  };
  const checkParts = (parts: readonly FusedPart[]): void => {
    let width = 0;
    for (const p of parts) {
      if (!(p.x instanceof tf.Tensor) || p.x.rank !== 2) throw new ShapeError(`part of mlp '${name}'`, 'a rank-2 tensor [rows, width]', p.x instanceof tf.Tensor ? `shape [${p.x.shape.join(', ')}]` : describe(p.x));
      width += p.x.shape[1];
    }
    if (width !== sizes[0]) throw new ShapeError(`parts of mlp '${name}'`, `widths summing to ${sizes[0]}`, `widths [${parts.map((p) => p.x.shape[1]).join(', ')}]`);
  };
  const f = ((x: tf.Tensor2D): tf.Tensor2D => {
    if (fusedMlpEnabled()) {
      if (x.rank !== 2 || x.shape[1] !== sizes[0]) throw new ShapeError(`input of mlp '${name}'`, `a rank-2 tensor [rows, ${sizes[0]}]`, `shape [${x.shape.join(', ')}]`);
      return fusedMlp(spec, [{ x }], composite);
    }
    let h = layers[0](x);
    for (let i = 1; i < layers.length; i++) h = layers[i](h);
    return norm ? norm(h) : h;
  }) as Mlp;
  const applyParts = (parts: readonly tf.Tensor2D[]): tf.Tensor2D => {
    let width = 0;
    for (const p of parts) width += p.shape[1];
    if (width !== sizes[0]) throw new ShapeError(`parts of mlp '${name}'`, `widths summing to ${sizes[0]}`, `widths [${parts.map((p) => p.shape[1]).join(', ')}]`);
    if (fusedMlpEnabled()) return fusedMlp(spec, parts.map((x) => ({ x })), composite);
    let z: tf.Tensor2D | null = null;
    let row = 0;
    for (const p of parts) {
      const t = layers[0].partialProduct(p, row);
      z = z ? (tf.add(z, t) as tf.Tensor2D) : t;
      row += p.shape[1];
    }
    return fromFirstProduct(z!);
  };
  const applyGathered = (parts: readonly FusedPart[]): tf.Tensor2D => {
    checkParts(parts);
    if (fusedMlpEnabled()) return fusedMlp(spec, parts, composite);
    let z: tf.Tensor2D | null = null;
    let row = 0;
    for (const p of parts) {
      let t = layers[0].partialProduct(p.x, row);
      if (p.idx) t = gatherRows(t, p.idx);
      z = z ? (tf.add(z, t) as tf.Tensor2D) : t;
      row += p.x.shape[1];
    }
    return fromFirstProduct(z!);
  };
  return Object.assign(f, { sizes: [...sizes], layers, norm, fromFirstProduct, applyParts, applyGathered });
}

/** `(x − μ)·r` and `r = 1/sqrt(σ² + eps)` per row. Shapes: x `[rows, F]` → `[rows, F]`, `[rows, 1]`. */
function normalizeParts(x: tf.Tensor2D, eps: number): { xhat: tf.Tensor2D; r: tf.Tensor2D } {
  // [rows, 1]
  const mean = tf.mean(x, 1, true);
  // [rows, F]
  const xc = tf.sub(x, mean);
  // [rows, 1]
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps)) as tf.Tensor2D;
  return { xhat: tf.mul(xc, r) as tf.Tensor2D, r };
}

/**
 * Row normalisation `x̂ = (x − μ)/sqrt(σ² + eps)` with the closed-form gradient
 * `∂x = r·(g − mean(g) − x̂·mean(g·x̂))` (g = ∂x̂, per row): ~8 element-wise ops on `[rows, F]`
 * instead of the ~20 of tfjs's autodiff (whose `mean` gradient also fills a `[rows, F]` ones
 * array in JavaScript). The gradient recomputes x̂ and r from the saved input with
 * differentiable ops, so second derivatives are exact.
 */
export function normalizeRows(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([xx]);
    return {
      value: normalizeParts(xx, eps).xhat,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const { xhat, r } = normalizeParts(saved[0] as tf.Tensor2D, eps);
        const g = dy as tf.Tensor2D;
        // [rows, 1] each
        const mg = tf.mean(g, 1, true);
        const mgx = tf.mean(tf.mul(g, xhat), 1, true);
        return [tf.mul(tf.sub(tf.sub(g, mg), tf.mul(xhat, mgx)), r)];
      },
    };
  });
  return f(x) as tf.Tensor2D;
}

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  readonly dim: number;
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Learnable scale γ (default true, starts at 1) and offset β (default true, starts at 0). */
  readonly scale?: boolean;
  readonly offset?: boolean;
  /** Creates `${name}/scale` and `${name}/offset`, each `[dim]`. */
  readonly name: string;
}

export interface LayerNorm {
  /** `x [rows, dim]` → normalised `[rows, dim]`. */
  (x: tf.Tensor2D): tf.Tensor2D;
  readonly dim: number;
  readonly eps: number;
  /** Scale γ and offset β `[dim]` (null when turned off). */
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;
}

/**
 * Layer normalisation (Ba, Kiros & Hinton 2016) over the feature axis:
 * `y = (x − μ) / sqrt(σ² + eps) · γ + β`, μ and σ² per row.
 *
 * Shapes: x `[rows, dim]` → `[rows, dim]`.
 */
export function layerNorm(options: LayerNormOptions, params: ParamStore): LayerNorm {
  const dim = checkDim('layerNorm.dim', options.dim);
  const name = checkName('layerNorm.name', options.name);
  const eps = options.eps ?? 1e-5;
  if (!(eps > 0)) throw new ConfigError('layerNorm.eps', 'a positive number', describe(eps));
  const gamma = (options.scale ?? true) ? params.get(`${name}/scale`, [dim], 'ones') : null;
  const beta = (options.offset ?? true) ? params.get(`${name}/offset`, [dim], 'zeros') : null;
  const f = ((x: tf.Tensor2D): tf.Tensor2D => {
    if (x.rank !== 2 || x.shape[1] !== dim) throw new ShapeError(`input of layerNorm '${name}'`, `a rank-2 tensor [rows, ${dim}]`, `shape [${x.shape.join(', ')}]`);
    // [rows, dim]
    let y = normalizeRows(x, eps);
    if (gamma && beta) return scaleShift(y, gamma, beta);
    if (gamma) y = tf.mul(y, gamma) as tf.Tensor2D;
    if (beta) y = tf.add(y, beta) as tf.Tensor2D;
    return y;
  }) as LayerNorm;
  return Object.assign(f, { dim, eps, gamma, beta });
}
