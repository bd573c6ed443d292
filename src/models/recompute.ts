/**
 * Activation recomputation ("gradient checkpointing") for graph-network blocks.
 *
 * A stack of K message-passing blocks keeps every block's intermediate activations on the
 * tape until the backward pass; on the wasm backend (and the native kernels, which keep their
 * tensors in the same WebAssembly.Memory, capped at 4 GiB) a 15-block, latent-128 step on a
 * 10k-node / 60k-edge graph does not fit. `recomputed(block, variables)` wraps one block so
 * that the forward pass keeps only the block's inputs; the backward pass runs the block again
 * from them and differentiates that second run (a vector–Jacobian product by `tf.grads`),
 * returning gradients for the inputs and for the block's variables. Memory: inputs and outputs
 * per block instead of all intermediates; cost: one more forward pass per block.
 *
 * The wrapped block must be deterministic (same output for the same inputs: no dropout or
 * noise inside), and `variables` must be exactly the variables it uses: a used variable left
 * out silently gets no gradient through this block; a listed one it does not use makes
 * `tf.grads` throw.
 * First derivatives only: the backward pass is not itself differentiable.
 *
 * Shapes: nodes `[N, D]`, edges `[E, D]` (the same width D, as in MeshGraphNets' processor),
 * in and out.
 */
import { tf } from '../engine/tf.js';
import { ShapeError } from '../util/errors.js';

/** A block mapping node and edge latents to new node and edge latents. */
export type LatentBlock = (nodes: tf.Tensor2D, edges: tf.Tensor2D) => { nodes: tf.Tensor2D; edges: tf.Tensor2D };

/** Wraps `block` so that its activations are recomputed in the backward pass (see module doc). */
export function recomputed(block: LatentBlock, variables: readonly tf.Variable[]): LatentBlock {
  return (nodes: tf.Tensor2D, edges: tf.Tensor2D) => {
    const N = nodes.shape[0];
    const D = nodes.shape[1];
    if (edges.shape[1] !== D) throw new ShapeError('edges', `[E, ${D}] (the node width)`, `shape [${edges.shape.join(', ')}]`);
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const n = args[0] as tf.Tensor2D;
      const e = args[1] as tf.Tensor2D;
      save([n, e]);
      // [N + E, D]: both outputs in one tensor (customGrad has one output). The block's
      // intermediates are freed here; only the saved inputs and this output stay.
      const value = tf.tidy(() => {
        const o = block(n, e);
        return tf.concat([o.nodes, o.edges], 0);
      });
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sn, se] = saved as tf.Tensor2D[];
          const dN = tf.slice(dy, [0, 0], [N, D]);
          const dE = tf.slice(dy, [N, 0], [dy.shape[0] - N, D]);
          // ⟨block(a, b), dy⟩ differentiated w.r.t. the inputs and the variables.
          const vjp = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => {
            const o = block(a as tf.Tensor2D, b as tf.Tensor2D);
            return tf.add(tf.sum(tf.mul(o.nodes, dN)), tf.sum(tf.mul(o.edges, dE))) as tf.Scalar;
          };
          // A gradient computed inside a backward pass at gradient depth 0 would, on finishing,
          // set the engine's active tape to null, which the outer backward pass then reads
          // (tfjs 4.22, Engine.gradients). Keep the outer tape and put it back.
          const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
          const outerTape = state.activeTape;
          try {
            return tf.grads(vjp as (...xs: tf.Tensor[]) => tf.Tensor)([sn, se, ...variables]);
          } finally {
            state.activeTape = outerTape;
          }
        },
      };
    });
    const out = f(nodes, edges, ...variables) as tf.Tensor2D;
    return {
      nodes: tf.slice(out, [0, 0], [N, D]) as tf.Tensor2D,
      edges: tf.slice(out, [N, 0], [out.shape[0] - N, D]) as tf.Tensor2D,
    };
  };
}
