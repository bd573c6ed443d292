/**
 * Named parameter store: every trainable weight of a model is a `tf.Variable` registered
 * under a unique, stable name (`processor/0/edge/dense0/w`), created once with a seeded
 * initialiser. Names, not creation order, identify weights, so checkpoints survive
 * refactoring as long as names stay the same.
 *
 * Initialisers (fan-in / fan-out of a `[fanIn, fanOut]` matrix; vectors use fanIn = fanOut =
 * length):
 *
 * ```
 *   glorotUniform  U(-a, a),  a = gain·sqrt(6 / (fanIn + fanOut))     (Glorot & Bengio 2010)
 *   glorotNormal   N(0, s²),  s = gain·sqrt(2 / (fanIn + fanOut))
 *   heUniform      U(-a, a),  a = gain·sqrt(6 / fanIn)                 (He et al. 2015)
 *   heNormal       N(0, s²),  s = gain·sqrt(2 / fanIn)
 *   lecunUniform   U(-a, a),  a = gain·sqrt(3 / fanIn)                 (LeCun 1998)
 *   lecunNormal    N(0, s²),  s = gain·sqrt(1 / fanIn)
 *   zeros, ones    constants (gain multiplies `ones`)
 * ```
 *
 * The random stream of each parameter is `rng.fork(name)`, so the initial value of a
 * parameter depends only on the store's seed and its name.
 *
 * ```ts
 * const params = new ParamStore(new Rng(0));
 * const w = params.get('dense/w', [3, 4], { kind: 'glorotUniform' });
 * const snapshot = params.getWeights();   // { 'dense/w': { shape: [3, 4], data: Float32Array(12) } }
 * params.setWeights(snapshot);            // exact round trip
 * ```
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { ShapeError, ValueError, describe } from '../util/errors.js';

/** Names of the built-in initialisers. */
export const INIT_KINDS = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunUniform', 'lecunNormal', 'zeros', 'ones'] as const;
export type InitKind = (typeof INIT_KINDS)[number];

/** An initialiser: a built-in kind with an optional gain, or a custom fill function. */
export type Initializer =
  | InitKind
  | { readonly kind: InitKind; readonly gain?: number }
  | { readonly kind: 'custom'; readonly fill: (shape: readonly number[], rng: Rng) => Float32Array };

/** One saved weight: its shape and its values (row-major). */
export interface WeightValue {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Weights by parameter name, as returned by {@link ParamStore.getWeights}. */
export type Weights = Readonly<Record<string, WeightValue>>;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  // [..., fanIn, fanOut]: leading dims act as receptive field.
  const rf = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2] * rf, shape[shape.length - 1] * rf];
}

/** Fills a Float32Array for `shape` with the initialiser's values, drawing from `rng`. */
export function initialValues(init: Initializer, shape: readonly number[], rng: Rng): Float32Array {
  const spec = typeof init === 'string' ? { kind: init } : init;
  const n = sizeOf(shape);
  if (spec.kind === 'custom') {
    const out = spec.fill(shape, rng);
    if (!(out instanceof Float32Array) || out.length !== n) {
      throw new ShapeError('custom initialiser output', `a Float32Array of length ${n}`, describe(out));
    }
    return out;
  }
  const gain = 'gain' in spec && spec.gain !== undefined ? spec.gain : 1;
  if (!Number.isFinite(gain)) throw new ValueError('init.gain', 'a finite number', describe(gain));
  const [fanIn, fanOut] = fans(shape);
  const out = new Float32Array(n);
  const uniform = (a: number): void => {
    for (let i = 0; i < n; i++) out[i] = rng.uniformIn(-a, a);
  };
  const normal = (s: number): void => {
    for (let i = 0; i < n; i++) out[i] = s * rng.normal();
  };
  switch (spec.kind) {
    case 'glorotUniform':
      uniform(gain * Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'glorotNormal':
      normal(gain * Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'heUniform':
      uniform(gain * Math.sqrt(6 / fanIn));
      break;
    case 'heNormal':
      normal(gain * Math.sqrt(2 / fanIn));
      break;
    case 'lecunUniform':
      uniform(gain * Math.sqrt(3 / fanIn));
      break;
    case 'lecunNormal':
      normal(gain * Math.sqrt(1 / fanIn));
      break;
    case 'zeros':
      break;
    case 'ones':
      out.fill(gain);
      break;
    default:
      throw new ValueError('init.kind', `one of ${INIT_KINDS.join(', ')}, custom`, describe((spec as { kind: unknown }).kind));
  }
  return out;
}

/**
 * A named set of trainable variables. `get(name, shape, init)` creates a variable on first
 * use and returns the same one afterwards (the shape must match). Dispose the store to free
 * every variable.
 */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  /** Root of the initialisation streams; parameter `name` draws from `rng.fork(name)`. */
  readonly rng: Rng;

  constructor(rng: Rng | number) {
    this.rng = typeof rng === 'number' ? new Rng(rng) : rng;
  }

  /**
   * The variable `name` of `shape`, created with `init` (drawing from `(rng ?? this.rng).fork(name)`)
   * if it does not exist yet. Throws a ShapeError if it exists with another shape.
   */
  get(name: string, shape: readonly number[], init: Initializer, rng?: Rng): tf.Variable {
    if (typeof name !== 'string' || name.length === 0) throw new ValueError('name', 'a non-empty string', describe(name));
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`shape of '${name}'`, 'non-negative integers', `[${shape.join(', ')}]`);
    const existing = this.vars.get(name);
    if (existing) {
      if (!sameShape(existing.shape, shape)) {
        throw new ShapeError(`parameter '${name}'`, `shape [${existing.shape.join(', ')}] (as created)`, `a request for [${shape.join(', ')}]`, 'Two layers share a name');
      }
      return existing;
    }
    const values = initialValues(init, shape, (rng ?? this.rng).fork(name));
    const initial = tf.tensor(values, [...shape], 'float32');
    const v = tf.variable(initial, true, `${name}#${uniqueSuffix++}`);
    initial.dispose(); // the variable holds its own reference to the data
    this.vars.set(name, v);
    return v;
  }

  /** Whether a parameter of this name exists. */
  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** The variable `name` (throws if absent). */
  variable(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new ValueError('name', `one of the ${this.vars.size} parameter names`, JSON.stringify(name));
    return v;
  }

  /** Parameter names, sorted. */
  names(): string[] {
    return [...this.vars.keys()].sort();
  }

  /** Variables in sorted-name order (the order optimisers and gradients use). */
  variables(): tf.Variable[] {
    return this.names().map((n) => this.vars.get(n)!);
  }

  /** Name → variable. */
  entries(): [string, tf.Variable][] {
    return this.names().map((n) => [n, this.vars.get(n)!]);
  }

  /** Total number of scalar parameters. */
  numParams(): number {
    let s = 0;
    for (const v of this.vars.values()) s += v.size;
    return s;
  }

  /** A copy of every weight: name → {shape, data}. */
  getWeights(): Record<string, WeightValue> {
    const out: Record<string, WeightValue> = {};
    for (const [name, v] of this.entries()) {
      out[name] = { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) };
    }
    return out;
  }

  /**
   * Assigns saved weights. Every name must exist with the same shape (ShapeError with
   * expected/got otherwise). With `strict` (default), the saved set must also contain every
   * parameter of the store and nothing else.
   */
  setWeights(weights: Weights, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const given = Object.keys(weights);
    if (strict) {
      const missing = this.names().filter((n) => !(n in weights));
      if (missing.length) throw new ValueError('weights', `values for every parameter`, `none for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
    }
    for (const name of given) {
      const v = this.vars.get(name);
      if (!v) {
        if (strict) throw new ValueError(`weights['${name}']`, 'a parameter of this model', 'an unknown name');
        continue;
      }
      const w = weights[name];
      if (!sameShape(v.shape, w.shape)) throw new ShapeError(`weights['${name}'].shape`, `[${v.shape.join(', ')}]`, `[${w.shape.join(', ')}]`);
      if (!(w.data instanceof Float32Array) || w.data.length !== v.size) {
        throw new ShapeError(`weights['${name}'].data`, `a Float32Array of length ${v.size}`, describe(w.data));
      }
    }
    for (const name of given) {
      const v = this.vars.get(name);
      if (!v) continue;
      const t = tf.tensor(weights[name].data, [...v.shape], 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  /** Frees every variable. The store is empty afterwards. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let uniqueSuffix = 0;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
