/**
 * Online feature normalisers (MeshGraphNets' `normalization.Normalizer`, Pfaff et al. 2021):
 * running per-feature mean and standard deviation accumulated from the data seen in training,
 * used to normalise inputs and targets and to un-normalise outputs.
 *
 *   μ = Σx / n,    σ = max(sqrt(Σx² / n − μ²), ε)        (n = rows seen, ε = stdEpsilon)
 *   normalize(x) = (x − μ) / σ,     inverse(y) = y σ + μ
 *
 * Accumulation stops after `maxAccumulations` calls (default 10⁶, as in the paper), so the
 * statistics freeze once training is under way. A *statistics-only warm-up* (accumulate for
 * the first K batches without optimiser steps) is the trainer's job: call {@link accumulate}
 * and skip the update. Sums are kept in Float64 on the host (Chan's pairwise mean/M2 update,
 * so σ does not suffer catastrophic cancellation when |μ| ≫ σ); the mean/std tensors used by
 * normalize/inverse are refreshed after each accumulation.
 *
 * Reusable by every model: one normaliser per feature block (node inputs, edge inputs,
 * outputs). State round-trips through JSON (checkpoints).
 *
 * Shapes: data `[rows, size]` (flat `[rows*size]` for host arrays), mean/std `[size]`.
 */
import { tf } from '../engine/tf.js';
import { ConfigError, ShapeError, ValueError, describe } from '../util/errors.js';

/** Options of {@link OnlineNormalizer}. */
export interface NormalizerOptions {
  /** Features per row. */
  readonly size: number;
  /** Accumulation calls after which the statistics freeze (default 1e6). */
  readonly maxAccumulations?: number;
  /** Floor of σ (default 1e-8). */
  readonly stdEpsilon?: number;
  readonly name?: string;
}

/** JSON state of a normaliser (checkpoints). */
export interface NormalizerState {
  readonly size: number;
  readonly maxAccumulations: number;
  readonly stdEpsilon: number;
  readonly name: string;
  readonly count: number;
  readonly accumulations: number;
  readonly mean: number[];
  readonly m2: number[];
}

export class OnlineNormalizer {
  readonly size: number;
  readonly maxAccumulations: number;
  readonly stdEpsilon: number;
  readonly name: string;
  private count = 0;
  private accumulations = 0;
  private readonly meanAcc: Float64Array;
  private readonly m2Acc: Float64Array;
  private meanT: tf.Tensor1D | null = null;
  private stdT: tf.Tensor1D | null = null;

  constructor(options: NormalizerOptions) {
    const { size } = options;
    if (!Number.isInteger(size) || size < 1) throw new ConfigError('normalizer.size', 'a positive integer', describe(size));
    this.size = size;
    this.maxAccumulations = options.maxAccumulations ?? 1e6;
    this.stdEpsilon = options.stdEpsilon ?? 1e-8;
    this.name = options.name ?? 'normalizer';
    if (!(this.maxAccumulations >= 0)) throw new ConfigError('normalizer.maxAccumulations', 'a number >= 0', describe(this.maxAccumulations));
    if (!(this.stdEpsilon > 0)) throw new ConfigError('normalizer.stdEpsilon', 'a number > 0', describe(this.stdEpsilon));
    this.meanAcc = new Float64Array(size);
    this.m2Acc = new Float64Array(size);
  }

  /** Rows seen so far. */
  get rows(): number {
    return this.count;
  }

  /** Accumulation calls so far (stops growing at maxAccumulations). */
  get calls(): number {
    return this.accumulations;
  }

  /** Whether further {@link accumulate} calls still change the statistics. */
  get accumulating(): boolean {
    return this.accumulations < this.maxAccumulations;
  }

  /**
   * Adds a batch of rows to the statistics (no-op once frozen).
   * @param data flat `[rows*size]` values. @param rowMask optional `[rows]`: only rows with 1 count.
   */
  accumulate(data: ArrayLike<number>, rowMask?: ArrayLike<number>): void {
    if (!this.accumulating) return;
    const F = this.size;
    if (data.length % F !== 0) throw new ShapeError(`${this.name}: data`, `a flat array of rows × ${F}`, `length ${data.length}`);
    const R = data.length / F;
    if (rowMask && rowMask.length !== R) throw new ShapeError(`${this.name}: rowMask`, `length ${R}`, `length ${rowMask.length}`);
    // Batch mean and M2, then Chan et al.'s combination with the running ones.
    let nb = 0;
    const mb = new Float64Array(F);
    for (let r = 0; r < R; r++) {
      if (rowMask && !rowMask[r]) continue;
      nb++;
      for (let f = 0; f < F; f++) mb[f] += data[r * F + f];
    }
    this.accumulations++;
    if (nb === 0) return;
    for (let f = 0; f < F; f++) mb[f] /= nb;
    const m2b = new Float64Array(F);
    for (let r = 0; r < R; r++) {
      if (rowMask && !rowMask[r]) continue;
      for (let f = 0; f < F; f++) {
        const d = data[r * F + f] - mb[f];
        m2b[f] += d * d;
      }
    }
    const na = this.count;
    const n = na + nb;
    for (let f = 0; f < F; f++) {
      const delta = mb[f] - this.meanAcc[f];
      this.meanAcc[f] += (delta * nb) / n;
      this.m2Acc[f] += m2b[f] + (delta * delta * na * nb) / n;
    }
    this.count = n;
    this.refresh();
  }

  /** Current mean `[size]` (0 before any data). */
  mean(): Float64Array {
    return Float64Array.from(this.meanAcc);
  }

  /** Current σ with its floor `[size]` (stdEpsilon before any data… i.e. max(0, ε)). */
  std(): Float64Array {
    const out = new Float64Array(this.size);
    const n = Math.max(this.count, 1);
    for (let f = 0; f < this.size; f++) out[f] = Math.max(Math.sqrt(Math.max(this.m2Acc[f] / n, 0)), this.stdEpsilon);
    return out;
  }

  private refresh(): void {
    this.meanT?.dispose();
    this.stdT?.dispose();
    this.meanT = tf.keep(tf.tensor1d(Float32Array.from(this.meanAcc)));
    this.stdT = tf.keep(tf.tensor1d(Float32Array.from(this.std())));
  }

  private tensors(): [tf.Tensor1D, tf.Tensor1D] {
    if (!this.meanT || !this.stdT) this.refresh();
    return [this.meanT!, this.stdT!];
  }

  private check(x: tf.Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.size) {
      throw new ShapeError(`${this.name}: input`, `a tensor [rows, ${this.size}]`, `shape [${x.shape.join(', ')}]`);
    }
  }

  /** (x − μ) / σ. Shapes: `[rows, size]` → `[rows, size]`. */
  normalize(x: tf.Tensor2D): tf.Tensor2D {
    this.check(x);
    const [m, s] = this.tensors();
    return tf.tidy(() => tf.div(tf.sub(x, m), s) as tf.Tensor2D);
  }

  /** y σ + μ. Shapes: `[rows, size]` → `[rows, size]`. */
  inverse(y: tf.Tensor2D): tf.Tensor2D {
    this.check(y);
    const [m, s] = this.tensors();
    return tf.tidy(() => tf.add(tf.mul(y, s), m) as tf.Tensor2D);
  }

  /** Host version of {@link normalize} on a flat `[rows*size]` array. */
  normalizeArray(x: ArrayLike<number>): Float32Array {
    const s = this.std();
    const out = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) out[k] = (x[k] - this.meanAcc[k % this.size]) / s[k % this.size];
    return out;
  }

  /** Host version of {@link inverse}. */
  inverseArray(y: ArrayLike<number>): Float32Array {
    const s = this.std();
    const out = new Float32Array(y.length);
    for (let k = 0; k < y.length; k++) out[k] = y[k] * s[k % this.size] + this.meanAcc[k % this.size];
    return out;
  }

  toJSON(): NormalizerState {
    return {
      size: this.size,
      maxAccumulations: this.maxAccumulations,
      stdEpsilon: this.stdEpsilon,
      name: this.name,
      count: this.count,
      accumulations: this.accumulations,
      mean: Array.from(this.meanAcc),
      m2: Array.from(this.m2Acc),
    };
  }

  static fromJSON(state: NormalizerState): OnlineNormalizer {
    const n = new OnlineNormalizer(state);
    n.load(state);
    return n;
  }

  /** Replaces the statistics with a saved state of the same size (checkpoint resume). */
  load(state: NormalizerState): void {
    if (state.size !== this.size || state.mean.length !== this.size || state.m2.length !== this.size) {
      throw new ValueError(`${this.name}: state`, `size ${this.size} with mean and m2 of that length`, `size ${state.size}, ${state.mean.length}, ${state.m2.length}`);
    }
    this.count = state.count;
    this.accumulations = state.accumulations;
    this.meanAcc.set(state.mean);
    this.m2Acc.set(state.m2);
    this.refresh();
  }

  /** Frees the cached tensors. */
  dispose(): void {
    this.meanT?.dispose();
    this.stdT?.dispose();
    this.meanT = this.stdT = null;
  }
}
