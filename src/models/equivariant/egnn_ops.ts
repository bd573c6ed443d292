/**
 * The EGNN coordinate path as native ops (Satorras et al. 2021, eqs. 3–4 with the velocity
 * term; src/models/equivariant/egnn.ts). For edges e = (s_e → r_e), diff_e = x[r_e] − x[s_e]:
 *
 * ```
 *   egnnRadial(x, r, s)                       |diff_e|²                                   [E, 1]
 *   egnnCoordUpdate(x, φ, r, s, inv, c, vel)  x + inv ⊙ Σ_{e: r_e = i} clip(diff_e φ_e, ±c)
 *                                               (+ a ⊙ v, vel = {scale: a, v})           [N, D]
 * ```
 *
 * Composed of tfjs ops these are ~13 forward and ~25 backward kernels per EGNN layer (two
 * gathers, their index reshapes, a subtraction, square, sum, product, clip, a scatter, two
 * more products and sums, and the gradients of each); as native ops they are two each way.
 * diff is never stored: both passes recompute it from x (3 subtractions per edge).
 *
 * Gradients: the backward kernels compute dx, dφ and da; inv, v and the indices are
 * constants. While a gradient of the gradient is being recorded, the backward pass
 * differentiates the composite ops instead (as the fused MLP does), so higher derivatives are
 * exactly the composite ops' (tfjs has none through the update's clip: ClipByValue's gradient
 * goes through LogicalAnd, which has no gradient; the radial op's are tested). Without the
 * native kernels (or off the wasm backend) the composite ops run: same function, tfjs kernels.
 *
 * The kernels are registered on the wasm backend on first use and run only while the native
 * kernels are enabled. Descriptor (Float64Array, byte offsets, -1 = absent), shared with
 * native/src/gnnwb_native.cc readEgnn:
 * `[N, E, D, clamp, x, r, s, φ, inv, a, v, dy, out, dx, dφ, da]`.
 */
import { tf } from '../../engine/tf.js';
import { fusedMlpEnabled, fusedNativeAddon, isTapeOn } from '../../engine/native_fused.js';
import { type KernelArgs, type TensorInfo, offsetOf as off } from '../../engine/native_types.js';
import { gatherRows, segmentSum } from '../segment.js';
import { ShapeError, ValueError } from '../../util/errors.js';

/** Optional velocity term of the coordinate update: `scale [N, 1] ⊙ v [N, D]`. */
export interface EgnnVelocity {
  readonly scale: tf.Tensor2D;
  readonly v: tf.Tensor2D;
}

type Op = 'egnnRadial' | 'egnnRadialGrad' | 'egnnCoord' | 'egnnCoordGrad';
const KERNELS: Record<Op, string> = {
  egnnRadial: 'GnnwbEgnnRadial',
  egnnRadialGrad: 'GnnwbEgnnRadialGrad',
  egnnCoord: 'GnnwbEgnnCoord',
  egnnCoordGrad: 'GnnwbEgnnCoordGrad',
};
const SLOTS = ['x', 'r', 's', 'phi', 'inv', 'a', 'v', 'dy'] as const;

/** Calls that ran natively so far (tests check the native path ran). */
export const egnnNativeCounts = { forward: 0, backward: 0, composite: 0 };

let registered = false;

function kernel(op: Op) {
  return (args: KernelArgs): TensorInfo[] => {
    const addon = fusedNativeAddon();
    if (!addon) throw new Error(`${KERNELS[op]}: the native addon is not enabled`);
    const { backend, inputs } = args;
    const { N, E, D, clamp } = args.attrs as { N: number; E: number; D: number; clamp: number };
    const outs: (TensorInfo | null)[] = [null, null, null, null]; // out, dx, dphi, da
    if (op === 'egnnRadial') outs[0] = backend.makeOutput([E, 1], 'float32');
    else if (op === 'egnnCoord') outs[0] = backend.makeOutput([N, D], 'float32');
    else {
      outs[1] = backend.makeOutput([N, D], 'float32');
      if (op === 'egnnCoordGrad') {
        outs[2] = backend.makeOutput([E, 1], 'float32');
        if (inputs.a) outs[3] = backend.makeOutput([N, 1], 'float32');
      }
    }
    // Offsets after every makeOutput (a malloc may grow, and replace, the wasm memory).
    const o = (t: TensorInfo | null | undefined) => (t ? off(backend, t) : -1);
    const desc = Float64Array.from([N, E, D, clamp, ...SLOTS.map((k) => o(inputs[k])), ...outs.map(o)]);
    const code = addon[op](backend.wasm.HEAPU8, desc);
    const made = outs.filter((t): t is TensorInfo => t !== null);
    if (code >= 0) {
      for (const t of made) backend.disposeData(t.dataId);
      const which = code < E ? 'receivers' : 'senders';
      const pos = code < E ? code : code - E;
      const idx = inputs[which === 'receivers' ? 'r' : 's']!;
      const value = new Int32Array(backend.wasm.HEAPU8.buffer, off(backend, idx) + 4 * pos, 1)[0];
      throw new ValueError(`EGNN ${which}[${pos}]`, `a node index in [0, ${N})`, String(value), 'the native EGNN kernels check indices before writing');
    }
    if (op === 'egnnRadial' || op === 'egnnCoord') egnnNativeCounts.forward++;
    else egnnNativeCounts.backward++;
    return made;
  };
}

function run(op: Op, inputs: Record<string, tf.Tensor | undefined>, attrs: { N: number; E: number; D: number; clamp: number }): tf.Tensor[] {
  if (!registered) {
    for (const k of Object.keys(KERNELS) as Op[]) tf.registerKernel({ kernelName: KERNELS[k], backendName: 'wasm', kernelFunc: kernel(k) as unknown as tf.KernelFunc });
    registered = true;
  }
  const named: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(inputs)) if (t) named[k] = t;
  const out = tf.engine().runKernel(KERNELS[op], named as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

function checkGraph(what: string, x: tf.Tensor, r: tf.Tensor, s: tf.Tensor): void {
  if (x.rank !== 2 || x.dtype !== 'float32') throw new ShapeError(`${what}: x`, 'a float32 [N, D] tensor', `${x.dtype} [${x.shape.join(', ')}]`);
  for (const [name, t] of [['receivers', r], ['senders', s]] as const) {
    if (t.rank !== 1 || t.dtype !== 'int32' || t.shape[0] !== r.shape[0]) {
      throw new ShapeError(`${what}: ${name}`, `an int32 vector of length E = ${r.shape[0]}`, `${t.dtype} [${t.shape.join(', ')}]`);
    }
  }
}

/** |x[r] − x[s]|² with tfjs ops. */
export function compositeRadial(x: tf.Tensor2D, r: tf.Tensor1D, s: tf.Tensor1D): tf.Tensor2D {
  const diff = tf.sub(gatherRows(x, r), gatherRows(x, s));
  return tf.sum(tf.square(diff), 1, true) as tf.Tensor2D;
}

/** The coordinate update with tfjs ops. */
export function compositeCoordUpdate(x: tf.Tensor2D, phi: tf.Tensor2D, r: tf.Tensor1D, s: tf.Tensor1D, invDegree: tf.Tensor2D, clamp: number, vel?: EgnnVelocity): tf.Tensor2D {
  const diff = tf.sub(gatherRows(x, r), gatherRows(x, s)) as tf.Tensor2D;
  const trans = tf.clipByValue(tf.mul(diff, phi), -clamp, clamp) as tf.Tensor2D;
  let out = tf.add(x, tf.mul(segmentSum(trans, r, x.shape[0]), invDegree)) as tf.Tensor2D;
  if (vel) out = tf.add(out, tf.mul(vel.scale, vel.v)) as tf.Tensor2D;
  return out;
}

/** `[E, 1]` squared edge lengths |x[r_e] − x[s_e]|² (native when the fused kernels run). */
export function egnnRadial(x: tf.Tensor2D, receivers: tf.Tensor1D, senders: tf.Tensor1D): tf.Tensor2D {
  checkGraph('egnnRadial', x, receivers, senders);
  if (!fusedMlpEnabled() || x.shape[1] > 16) return compositeRadial(x, receivers, senders);
  const attrs = { N: x.shape[0], E: receivers.shape[0], D: x.shape[1], clamp: 0 };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([xx, receivers, senders]);
    return {
      value: run('egnnRadial', { x: xx, r: receivers, s: senders }, attrs)[0],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [sx, sr, ss] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        if (isTapeOn()) {
          egnnNativeCounts.composite++;
          return [tf.grad((t: tf.Tensor) => compositeRadial(t as tf.Tensor2D, sr, ss))(sx, g)];
        }
        return run('egnnRadialGrad', { x: sx, r: sr, s: ss, dy: g }, attrs);
      },
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * EGNN coordinate update `x + inv ⊙ Σ_{e: r_e = i} clip((x[r_e] − x[s_e]) φ_e, ±clamp)`
 * (`+ scale ⊙ v` with `vel`). Shapes: x `[N, D]`, φ `[E, 1]`, inv `[N, 1]`, scale `[N, 1]`,
 * v `[N, D]` → `[N, D]`. Gradients flow to x, φ and scale.
 */
export function egnnCoordUpdate(x: tf.Tensor2D, phi: tf.Tensor2D, receivers: tf.Tensor1D, senders: tf.Tensor1D, invDegree: tf.Tensor2D, clamp: number, vel?: EgnnVelocity): tf.Tensor2D {
  checkGraph('egnnCoordUpdate', x, receivers, senders);
  const [N, D] = x.shape;
  const E = receivers.shape[0];
  const want = (what: string, t: tf.Tensor, shape: number[]) => {
    if (t.dtype !== 'float32' || t.rank !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
      throw new ShapeError(`egnnCoordUpdate: ${what}`, `float32 [${shape.join(', ')}]`, `${t.dtype} [${t.shape.join(', ')}]`);
    }
  };
  want('phi', phi, [E, 1]);
  want('invDegree', invDegree, [N, 1]);
  if (vel) {
    want('velocity scale', vel.scale, [N, 1]);
    want('velocity', vel.v, [N, D]);
  }
  if (!(clamp > 0)) throw new ValueError('egnnCoordUpdate: clamp', 'a number > 0', String(clamp));
  if (!fusedMlpEnabled() || D > 16) return compositeCoordUpdate(x, phi, receivers, senders, invDegree, clamp, vel);
  const attrs = { N, E, D, clamp };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xx, pp, aa] = args.slice(0, -1) as tf.Tensor2D[];
    save([xx, pp, receivers, senders, invDegree, ...(vel ? [vel.v, aa] : [])]);
    return {
      value: run('egnnCoord', { x: xx, phi: pp, r: receivers, s: senders, inv: invDegree, a: aa, v: vel?.v }, attrs)[0],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [sx, sp, sr, ss, si, sv, sa] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D?, tf.Tensor2D?];
        if (isTapeOn()) {
          egnnNativeCounts.composite++;
          return tf.grads((...t: tf.Tensor[]) =>
            compositeCoordUpdate(t[0] as tf.Tensor2D, t[1] as tf.Tensor2D, sr, ss, si, clamp, sv ? { scale: t[2] as tf.Tensor2D, v: sv } : undefined),
          )(sv && sa ? [sx, sp, sa] : [sx, sp], g);
        }
        // (a only marks that da is wanted: da = Σ_k dy ⊙ v)
        return run('egnnCoordGrad', { x: sx, phi: sp, r: sr, s: ss, inv: si, a: sa, v: sv, dy: g }, attrs);
      },
    };
  });
  return (vel ? f(x, phi, vel.scale) : f(x, phi)) as tf.Tensor2D;
}
