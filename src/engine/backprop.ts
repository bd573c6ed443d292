/**
 * A first-order backward pass that frees memory as it goes.
 *
 * TensorFlow.js 4.22's `Engine.gradients` keeps every tensor a forward op saved for its
 * gradient, and every intermediate gradient, until the whole backward pass ends. PyTorch frees
 * both as soon as the op that needed them has been differentiated. With the 4 GiB wasm heap the
 * difference decides what fits: MeshGraphNets' 15-block processor at 10k nodes / 60k edges
 * held ~340 MB per block (2 blocks 824 MB peak, 4 blocks 1,504 MB) and aborted.
 *
 * This replaces `Engine.prototype.gradients` with the same algorithm (tape filtering and
 * backpropagation re-implemented from tfjs-core's tape.ts / engine.ts, Apache-2.0) plus two
 * releases per tape node, right after its input gradients are computed:
 *  - the tensors the node saved for its gradient (each node saves its own clones);
 *  - the accumulated gradients of the node's outputs (each tensor has one producer, so no
 *    later node reads them), unless they are requested results or the caller's `dy`, or the
 *    same tensor object is still stored as another tensor's gradient.
 *
 * It also saves tensors for the backward pass more cheaply (see `clone` below): at gradient
 * depth 1 a saved tensor is a second reference to the same data instead of an Identity kernel
 * plus a tape node.
 *
 * Only when no outer gradient is being recorded (gradient depth 0: not inside `tf.grad` of a
 * `tf.grad`); a higher-order gradient needs the saved tensors afterwards and runs tfjs's own
 * implementation. `GNNWB_TFJS_BACKPROP=1` always runs tfjs's (bisecting, comparisons).
 * Results are identical: the same gradient functions run in the same order with the same
 * accumulation; only disposal moves earlier (test/engine/backprop.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

interface BackendLike {
  incRef(dataId: unknown): void;
}

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineLike {
  state: { gradientDepth: number; activeTape: TapeNode[] | null; tensorInfo: Map<unknown, { backend: BackendLike }> };
  backend: BackendLike;
  nextTensorId(): number;
  trackTensor(t: tf.Tensor, backend: BackendLike): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/**
 * tfjs-core's getFilteredNodesXToY: the tape nodes on a path from some x to y, inputs pruned.
 * (Sets of tensor ids where tfjs uses objects keyed by id.)
 */
function filterTape(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>();
  const nodesFromX = new Set<number>();
  for (const x of xs) fromX.add(x.id);
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name].id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const leadsToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadsToY.has(o.id))) {
      for (const name in node.inputs) {
        leadsToY.add(node.inputs[name].id);
        nodesToY.add(node.id);
      }
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    out.push({ ...node, inputs, outputs: node.outputs });
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Statistics of the last first-order backward pass (tests). */
export const backpropStats = { nodes: 0, savedReleased: 0, gradientsReleased: 0 };

function install(): void {
  const engine = tf.engine() as unknown as EngineLike;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const proto = Object.getPrototypeOf(engine) as { gradients: (...a: any[]) => unknown; clone: (x: tf.Tensor) => tf.Tensor; __gnnwbBackprop?: boolean };
  if (proto.__gnnwbBackprop) return;
  const original = proto.gradients;
  proto.__gnnwbBackprop = true;
  // Saving a tensor for the backward pass clones it: an Identity kernel plus a tape node (so
  // that a gradient of the gradient can flow through the saved copy). When the save happens
  // at gradient depth 1, the backward pass that reads it is never itself recorded, so a plain
  // second reference to the same data does: no kernel, no tape node. An EGNN N-body step
  // saved 172 tensors this way.
  const originalClone = proto.clone;
  proto.clone = function (this: EngineLike, x: tf.Tensor) {
    if (this.state.gradientDepth !== 1 || process.env.GNNWB_TFJS_BACKPROP === '1') return originalClone.call(this, x);
    const backend = this.state.tensorInfo.get(x.dataId)?.backend ?? this.backend;
    const t = new tf.Tensor(x.shape, x.dtype, x.dataId, this.nextTensorId());
    this.trackTensor(t, backend);
    backend.incRef(x.dataId);
    return t;
  };
  proto.gradients = function (this: EngineLike, f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients = false) {
    if (this.state.gradientDepth > 0 || process.env.GNNWB_TFJS_BACKPROP === '1') return original.call(this, f, xs, dy, allowNoGradients);
    if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = this.scopedRun(
      () => this.startTape(),
      () => this.endTape(),
      () => this.tidy('forward', f),
    );
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
    const tape = filterTape(this.state.activeTape ?? [], xs, y);
    if (!allowNoGradients && tape.length === 0 && xs.length > 0) {
      throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
    }
    return this.tidy('backward', () => {
      const grad: Record<number, tf.Tensor> = {};
      // How many entries of `grad` hold each tensor object (a gradient function may pass its
      // dy through unchanged, so one object can be two tensors' gradient).
      const refs = new Map<tf.Tensor, number>();
      const put = (id: number, t: tf.Tensor) => {
        grad[id] = t;
        refs.set(t, (refs.get(t) ?? 0) + 1);
      };
      const drop = (id: number): tf.Tensor | undefined => {
        const t = grad[id];
        if (!t) return undefined;
        delete grad[id];
        const n = (refs.get(t) ?? 1) - 1;
        if (n > 0) {
          refs.set(t, n);
          return undefined;
        }
        refs.delete(t);
        return t;
      };
      const keepIds = new Set(xs.map((x) => x.id));
      put(y.id, dy ?? tf.ones(y.shape));
      const stats = { nodes: 0, savedReleased: 0, gradientsReleased: 0 };
      for (let i = tape.length - 1; i >= 0; i--) {
        const node = tape[i];
        const dys = node.outputs.map((o) => grad[o.id] ?? null);
        if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
        const inputGradients = node.gradient(dys);
        for (const name in node.inputs) {
          if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
          const dx = this.tidy(() => inputGradients[name]());
          if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
          const x = node.inputs[name];
          if (!sameShape(dx.shape, x.shape)) {
            throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
          }
          const cur = grad[x.id];
          if (cur == null) put(x.id, dx);
          else {
            const old = drop(x.id)!;
            put(x.id, tf.add(cur, dx));
            // tfjs disposes the old accumulated gradient here; only when nothing else holds it.
            if (old) old.dispose();
          }
        }
        // This node is done: nothing reads its saved tensors or its outputs' gradients again.
        for (const t of node.saved ?? []) {
          if (!t.isDisposed) {
            t.dispose();
            stats.savedReleased++;
          }
        }
        for (const o of node.outputs) {
          if (keepIds.has(o.id)) continue;
          const g = drop(o.id);
          if (g && g !== dy) {
            g.dispose();
            stats.gradientsReleased++;
          }
        }
        stats.nodes++;
      }
      Object.assign(backpropStats, stats);
      const grads = xs.map((x) => grad[x.id]);
      // As tfjs: not computing a higher-order gradient, so the tape can go.
      for (const node of this.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
      this.state.activeTape = null;
      return { value: y, grads };
    });
  };
}

install();
