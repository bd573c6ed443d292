/**
 * Adam optimiser with serialisable state (PyTorch's update rule), and one training step
 * `loss → gradients → Adam` over a {@link Params} set.
 *
 * Adam (Kingma & Ba 2015), as `torch.optim.Adam` computes it:
 *   m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
 * No weight decay (the EGNN reference's 1e-12 is numerically irrelevant).
 *
 * The moments are host-serialisable (`state()` / `restore()`) so a checkpoint holds the full
 * optimiser state and a resumed run continues exactly.
 */
import { tf } from '../engine/tf.js';
import type { Params } from '../models/equivariant/nn.js';
import { ValueError } from '../util/errors.js';
import { fusedMlpEnabled, nativeAdamPerVariable } from '../engine/native_fused.js';
import type { TensorRecord } from './checkpoint_state.js';

export interface AdamOptions {
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken so far (t). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: Params, opts: AdamOptions) {
    if (!(opts.lr > 0)) throw new ValueError('adam.lr', 'a number > 0', String(opts.lr));
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const name of params.names()) {
      const p = params.get(name);
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update from gradients keyed by parameter name (missing = zero gradient). */
  apply(grads: Record<string, tf.Tensor>): void {
    this.step++;
    const t = this.step;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    if (fusedMlpEnabled()) {
      // One native kernel for every variable (same float32 operations as below).
      const names = this.params.names().filter((n) => grads[n]);
      tf.tidy(() => {
        const r = nativeAdamPerVariable(
          names.map((n) => ({ p: this.params.get(n), g: grads[n], m: this.m.get(n)!, v: this.v.get(n)! })),
          { mode: 0, beta1: this.beta1, beta2: this.beta2, s1: Math.sqrt(bc2), s2: this.eps, s3: this.lr / bc1 },
        );
        names.forEach((n, i) => {
          this.m.get(n)!.assign(r.m[i]);
          this.v.get(n)!.assign(r.v[i]);
          this.params.get(n).assign(r.p[i]);
        });
      });
      return;
    }
    tf.tidy(() => {
      for (const name of this.params.names()) {
        const g = grads[name];
        if (!g) continue;
        const p = this.params.get(name);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m1, denom), this.lr / bc1)));
      }
    });
  }

  /** Host copies of the moments: `adam/m/<name>`, `adam/v/<name>`. */
  state(): Record<string, TensorRecord> {
    const out: Record<string, TensorRecord> = {};
    for (const [k, t] of this.m) out[`adam/m/${k}`] = { shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    for (const [k, t] of this.v) out[`adam/v/${k}`] = { shape: t.shape.slice(), data: t.dataSync() as Float32Array };
    return out;
  }

  restore(tensors: Record<string, TensorRecord>, step: number): void {
    for (const [prefix, map] of [['adam/m/', this.m], ['adam/v/', this.v]] as const) {
      for (const [k, t] of map) {
        const s = tensors[prefix + k];
        if (!s || s.data.length !== t.size) throw new ValueError(`checkpoint ${prefix}${k}`, `${t.size} values`, s ? String(s.data.length) : 'none');
        t.assign(tf.tensor(s.data, t.shape, 'float32'));
      }
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/**
 * One optimisation step: computes `lossFn()` and its gradients with respect to every
 * parameter, applies Adam, and returns the loss value (read after the update).
 */
export function trainStep(params: Params, opt: Adam, lossFn: () => tf.Scalar): number {
  const names = params.names();
  const vars = params.list();
  const { value, grads } = tf.variableGrads(lossFn, vars);
  const byName: Record<string, tf.Tensor> = {};
  // variableGrads keys by variable name; map back to parameter names.
  names.forEach((n, i) => {
    const g = grads[vars[i].name];
    if (g) byName[n] = g;
  });
  opt.apply(byName);
  const loss = value.dataSync()[0];
  value.dispose();
  for (const g of Object.values(grads)) g.dispose();
  return loss;
}
