/**
 * Small neural-network pieces for the equivariant models: a named parameter set of
 * `tf.Variable`s made from a seeded {@link Rng}, dense layers and MLPs.
 *
 * Kept local to `models/equivariant` so the EGNN/SchNet/PaiNN code has no dependency on the
 * order in which the shared layer library lands; the initialisations are PyTorch's (the
 * reference implementations' framework) so training behaves like the papers' code:
 * - `torch.nn.Linear` default: W, b ~ U(−1/√fanIn, 1/√fanIn);
 * - `xavier_uniform_(gain)`: W ~ U(−a, a), a = gain·√(6 / (fanIn + fanOut)).
 *
 * Dense layers use the shared `matMul` and `sigmoid` of `models/layers.ts` (explicit-transpose
 * gradients, fast on wasm, exact to any order), so second derivatives (forces trained through
 * an energy) are exact.
 */
import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import { ShapeError, ValueError } from '../../util/errors.js';
import { gatherRows } from '../segment.js';
import { matMul, sigmoid } from '../layers.js';
import { fusedMlp, fusedMlpEnabled, type CompositeMlp, type FusedMlpSpec, type FusedPart } from '../../engine/native_fused.js';

/** A named, ordered set of trainable variables. */
export class Params {
  private readonly vars = new Map<string, tf.Variable>();

  /** Creates a variable from host data; names must be unique. */
  add(name: string, shape: number[], data: Float32Array): tf.Variable {
    if (this.vars.has(name)) throw new ValueError('param name', 'a unique name', JSON.stringify(name));
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new ShapeError(`params.${name}`, `${size} values for shape [${shape}]`, `${data.length}`);
    const v = tf.variable(tf.tensor(data, shape, 'float32'), true, `${name}_${uid++}`);
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new ValueError('param name', `one of ${[...this.vars.keys()].slice(0, 8).join(', ')}…`, JSON.stringify(name));
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Total number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Host copies of all values, by name. */
  snapshot(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, v] of this.vars) out[k] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
    return out;
  }

  /** Assigns values by name; every parameter must be present with its shape. */
  restore(values: Record<string, { shape: number[]; data: Float32Array }>): void {
    for (const [k, v] of this.vars) {
      const s = values[k];
      if (!s) throw new ValueError(`checkpoint params`, `an entry '${k}'`, 'none');
      if (s.data.length !== v.size) throw new ShapeError(`checkpoint params.${k}`, `${v.size} values`, `${s.data.length}`);
      v.assign(tf.tensor(s.data, v.shape, 'float32'));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let uid = 0;

/** Weight initialisation schemes. */
export type Init = { kind: 'torch' } | { kind: 'xavier'; gain: number };

/** Dense layer parameters `W [fanIn, fanOut]` and optional `b [fanOut]`. */
export interface Dense {
  readonly W: tf.Variable;
  readonly b: tf.Variable | null;
  readonly fanIn: number;
  readonly fanOut: number;
}

/** Creates a dense layer's parameters under `name/W`, `name/b`. */
export function dense(params: Params, rng: Rng, name: string, fanIn: number, fanOut: number, opts: { bias?: boolean; init?: Init } = {}): Dense {
  const init = opts.init ?? { kind: 'torch' };
  const bound = init.kind === 'torch' ? 1 / Math.sqrt(fanIn) : init.gain * Math.sqrt(6 / (fanIn + fanOut));
  const r = rng.fork(name);
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = r.uniformIn(-bound, bound);
  const W = params.add(`${name}/W`, [fanIn, fanOut], w);
  let b: tf.Variable | null = null;
  if (opts.bias ?? true) {
    const bb = new Float32Array(fanOut);
    const bBound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < fanOut; i++) bb[i] = r.uniformIn(-bBound, bBound);
    b = params.add(`${name}/b`, [fanOut], bb);
  }
  return { W, b, fanIn, fanOut };
}

/**
 * `y = x·W + b`.
 * Shapes: x `[rows, fanIn]` → `[rows, fanOut]`.
 */
export function applyDense(layer: Dense, x: tf.Tensor2D): tf.Tensor2D {
  if (x.shape[1] !== layer.fanIn) throw new ShapeError('dense input', `[rows, ${layer.fanIn}]`, `[${x.shape.join(', ')}]`);
  const y = matMul(x, layer.W as tf.Tensor as tf.Tensor2D);
  return layer.b ? (tf.add(y, layer.b) as tf.Tensor2D) : y;
}

export type Activation = 'silu' | 'ssp' | 'none';

/**
 * Shifted softplus ssp(x) = ln(½eˣ + ½) = softplus(x) − ln 2 (SchNet), with its derivative
 * σ(x) computed through the any-order `sigmoid`, so second derivatives are exact.
 */
export function ssp(x: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([xx]);
    return { value: tf.sub(tf.softplus(xx), Math.LN2), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, sigmoid(saved[0]))] };
  });
  return f(x) as tf.Tensor2D;
}

export function act(a: Activation, x: tf.Tensor2D): tf.Tensor2D {
  if (a === 'none') return x;
  if (a === 'ssp') return ssp(x);
  // SiLU x·σ(x) (PyTorch nn.SiLU).
  return tf.mul(x, sigmoid(x)) as tf.Tensor2D;
}

/** A multilayer perceptron: dense layers with an activation after each (optionally not the last). */
export interface Mlp {
  readonly layers: readonly Dense[];
  readonly activation: Activation;
  readonly activateLast: boolean;
}

/**
 * Creates an MLP `sizes[0] → sizes[1] → … → sizes[k]`; `lastInit`/`lastBias` set the last
 * layer's initialisation (EGNN's coordinate MLP ends in a bias-free layer with xavier gain 0.001).
 */
export function mlp(
  params: Params, rng: Rng, name: string, sizes: readonly number[],
  opts: { activation?: Activation; activateLast?: boolean; lastBias?: boolean; lastInit?: Init } = {},
): Mlp {
  if (sizes.length < 2) throw new ValueError(`${name} sizes`, 'at least [in, out]', JSON.stringify(sizes));
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const last = i + 2 === sizes.length;
    layers.push(dense(params, rng, `${name}/${i}`, sizes[i], sizes[i + 1], last ? { bias: opts.lastBias ?? true, init: opts.lastInit } : {}));
  }
  return { layers, activation: opts.activation ?? 'silu', activateLast: opts.activateLast ?? false };
}

/** Applies an MLP. Shapes: `[rows, sizes[0]]` → `[rows, sizes[k]]`. */
/** The fused native op's view of an MLP (cached per MLP). */
const specs = new WeakMap<Mlp, { spec: FusedMlpSpec; composite: CompositeMlp }>();

function fusedFor(m: Mlp): { spec: FusedMlpSpec; composite: CompositeMlp } {
  let f = specs.get(m);
  if (f) return f;
  const spec: FusedMlpSpec = {
    layers: m.layers.map((l) => ({ w: l.W, b: l.b })),
    activation: m.activation === 'silu' ? 'silu' : 'none',
    activateLast: m.activateLast,
    norm: null,
    name: 'equivariant mlp',
  };
  // The same MLP in ordinary ops on explicit parameters (higher derivatives).
  const composite: CompositeMlp = (parts, ps) => {
    let k = 0;
    const wb = m.layers.map((l) => ({ W: ps[k++] as tf.Tensor2D, b: l.b ? ps[k++] : null }));
    const out = m.layers[0].fanOut;
    let y: tf.Tensor2D | null = null;
    let row = 0;
    for (const p of parts) {
      const w = p.x.shape[1];
      let t = matMul(p.x, tf.slice(wb[0].W, [row, 0], [w, out]));
      if (p.idx) t = gatherRows(t, p.idx);
      y = y ? (tf.add(y, t) as tf.Tensor2D) : t;
      row += w;
    }
    for (let i = 0; i < wb.length; i++) {
      if (i > 0) y = matMul(y!, wb[i].W);
      if (wb[i].b) y = tf.add(y!, wb[i].b!) as tf.Tensor2D;
      if (i + 1 < wb.length || m.activateLast) y = act(m.activation, y!);
    }
    return y!;
  };
  f = { spec, composite };
  specs.set(m, f);
  return f;
}

/** Whether this MLP runs as the fused native op (native kernels on; SiLU or no activation). */
function useFused(m: Mlp): boolean {
  return m.activation !== 'ssp' && fusedMlpEnabled();
}

function fused(m: Mlp, parts: readonly FusedPart[]): tf.Tensor2D {
  const { spec, composite } = fusedFor(m);
  return fusedMlp(spec, parts, composite);
}

/**
 * The MLP on `concat(parts, 1)`: one fused native op without the concatenation when the
 * native kernels run, else `applyMlp(m, concat(parts))`.
 */
export function applyMlpParts(m: Mlp, parts: readonly tf.Tensor2D[]): tf.Tensor2D {
  let width = 0;
  for (const p of parts) width += p.shape[1];
  if (width !== m.layers[0].fanIn) throw new ShapeError('mlp input parts', `widths summing to ${m.layers[0].fanIn}`, `[${parts.map((p) => p.shape[1]).join(', ')}]`);
  if (useFused(m)) return fused(m, parts.map((x) => ({ x })));
  return applyMlp(m, parts.length === 1 ? parts[0] : (tf.concat(parts as tf.Tensor2D[], 1) as tf.Tensor2D));
}

export function applyMlp(m: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  if (useFused(m)) {
    if (x.rank !== 2 || x.shape[1] !== m.layers[0].fanIn) throw new ShapeError('dense input', `[rows, ${m.layers[0].fanIn}]`, `[${x.shape.join(', ')}]`);
    return fused(m, [{ x }]);
  }
  let h = x;
  m.layers.forEach((l, i) => {
    h = applyDense(l, h);
    if (i + 1 < m.layers.length || m.activateLast) h = act(m.activation, h);
  });
  return h;
}

/**
 * An MLP whose input is the edge concatenation `[h_i, h_j, extra_ij]` (i = receiver,
 * j = sender), computed without materialising the concatenation: the first layer's weight
 * `W = [W_i; W_j; W_e]` is split, `h·W_i` and `h·W_j` are computed per node ([N, out], 4× fewer
 * rows than per edge on fully connected 5-node graphs) and gathered to the edges. Numerically
 * the same function as `applyMlp(m, concat([h[recv], h[send], extra], 1))`.
 *
 * Shapes: h `[N, H]`, receivers/senders `[E]`, extra `[E, k]`, a list of `[E, k_i]` parts with Σ k_i = k
 * (concatenated in that order), or null (k = fanIn − 2H) → `[E, out]`.
 */
export function applyMlpPairs(m: Mlp, h: tf.Tensor2D, receivers: tf.Tensor1D, senders: tf.Tensor1D, extraIn: tf.Tensor2D | readonly tf.Tensor2D[] | null): tf.Tensor2D {
  const first = m.layers[0];
  const H = h.shape[1];
  const k = first.fanIn - 2 * H;
  // The extra edge inputs as parts (fused path: no concatenation, and no split in the backward pass).
  const extraParts = extraIn === null ? [] : Array.isArray(extraIn) ? (extraIn as readonly tf.Tensor2D[]) : [extraIn as tf.Tensor2D];
  const kGot = extraParts.reduce((a, t) => a + t.shape[1], 0);
  if (k < 0 || (k > 0) !== (extraParts.length > 0) || kGot !== k) {
    throw new ShapeError('edge MLP extra input', `[E, ${k}]`, extraParts.length ? `widths [${extraParts.map((t) => t.shape[1]).join(', ')}]` : 'none');
  }
  if (useFused(m)) return fused(m, [{ x: h, idx: receivers }, { x: h, idx: senders }, ...extraParts.map((x) => ({ x }))]);
  const extra = extraParts.length === 0 ? null : extraParts.length === 1 ? extraParts[0] : (tf.concat(extraParts as tf.Tensor2D[], 1) as tf.Tensor2D);
  const out = first.fanOut;
  const W = first.W as tf.Tensor as tf.Tensor2D;
  const Wi = tf.slice(W, [0, 0], [H, out]); // [H, out]
  const Wj = tf.slice(W, [H, 0], [H, out]); // [H, out]
  // [E, out]
  let y = tf.add(gatherRows(matMul(h, Wi), receivers), gatherRows(matMul(h, Wj), senders)) as tf.Tensor2D;
  if (extra) y = tf.add(y, matMul(extra, tf.slice(W, [2 * H, 0], [k, out]))) as tf.Tensor2D;
  if (first.b) y = tf.add(y, first.b) as tf.Tensor2D;
  if (m.layers.length > 1 || m.activateLast) y = act(m.activation, y);
  for (let i = 1; i < m.layers.length; i++) {
    y = applyDense(m.layers[i], y);
    if (i + 1 < m.layers.length || m.activateLast) y = act(m.activation, y);
  }
  return y;
}
