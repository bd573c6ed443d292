/**
 * The processor-step benchmark: one MeshGraphNets-style message-passing block (Pfaff et al.
 * 2021), forward + backward + Adam, on a random graph.
 *
 * ```
 *   e' = LN(W₂ relu(W₁ [e, v_s, v_r] + b₁) + b₂)      edge MLP, [E, 3L] → L → L
 *   a  = Σ_{k: r(k)=i} e'_k                              sum to receivers, [N, L]
 *   v' = LN(W₄ relu(W₃ [v, a] + b₃) + b₄)               node MLP, [N, 2L] → L → L
 *   e ← e + e',  v ← v + v'                              residuals
 *   loss = mean((v − target)²)                          then Adam (lr 1e-4)
 * ```
 *
 * latent L = 128. Graph: N nodes, E edges with uniformly random senders and receivers (seeded),
 * random normal node/edge latents and target. The same model runs in PyTorch in
 * bench/torch/processor.py.
 *
 * Variants (same parameters, same numbers): `split` computes the edge MLP's first product as
 * `e·W_e + gather(v·W_s, s) + gather(v·W_r, r)` (fewer FLOPs when E > N) and the node MLP's
 * as `v·W_v + a·W_a` (no concat); `concat` builds `[e, v_s, v_r]` and `[v, a]` as the textbook
 * implementations do.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { ParamStore } from '../models/params.js';
import { mlp } from '../models/layers.js';
import { edgeMlp, graphNetwork } from '../models/graph_network.js';
import { adam, valueAndGrads, disposeGrads } from '../models/optim.js';
import { ValueError } from '../util/errors.js';

export type ProcessorVariant = 'split' | 'concat';

export interface ProcessorBenchOptions {
  readonly numNodes: number;
  readonly numEdges: number;
  /** Default 128. */
  readonly latent?: number;
  /** Timed steps after warm-up (default 5). */
  readonly steps?: number;
  /** Untimed steps first (default 2). */
  readonly warmup?: number;
  readonly seed?: number;
  readonly variant?: ProcessorVariant;
  /** Use the per-variable Adam instead of the fused one (for the profile). */
  readonly unfusedAdam?: boolean;
  /** Collect a per-kernel profile of one extra step (slower; off by default). */
  readonly profile?: boolean;
}

export interface KernelCost {
  readonly kernel: string;
  readonly ms: number;
  readonly calls: number;
}

export interface ProcessorBenchResult {
  readonly numNodes: number;
  readonly numEdges: number;
  readonly latent: number;
  readonly variant: ProcessorVariant;
  readonly backend: string;
  /** Median ms per step over the timed steps. */
  readonly msPerStep: number;
  readonly stepsMs: readonly number[];
  /** Median process CPU time per step (all threads; includes pool spin-waiting). Less sensitive to other processes' load than wall time. */
  readonly cpuMsPerStep: number;
  /** Loss before and after the timed steps (proves the step trains). */
  readonly lossFirst: number;
  readonly lossLast: number;
  readonly numParams: number;
  /** Kernel time summed by kernel name over one step (when profiled), largest first. */
  readonly profile?: readonly KernelCost[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Builds the model and data; returns a `step()` that runs one training step and its loss. */
export function buildProcessorStep(o: ProcessorBenchOptions): { step: () => number; params: ParamStore; dispose: () => void } {
  const N = o.numNodes;
  const E = o.numEdges;
  const L = o.latent ?? 128;
  if (!(Number.isInteger(N) && N > 0 && Number.isInteger(E) && E >= 0)) throw new ValueError('sizes', 'positive integers NxE', `${N}x${E}`);
  const rng = new Rng(o.seed ?? 0);
  const params = new ParamStore(rng.fork('params'));
  const edgeNet = mlp({ sizes: [3 * L, L, L], activation: 'relu', layerNorm: true, name: 'edge', init: 'heUniform' }, params);
  const nodeNet = mlp({ sizes: [2 * L, L, L], activation: 'relu', layerNorm: true, name: 'node', init: 'heUniform' }, params);
  const variant = o.variant ?? 'split';
  const em = edgeMlp(edgeNet, { edgeDim: L, nodeDim: L });
  const gn = graphNetwork({
    updateEdge: variant === 'split' ? em : (e, s, r) => em(e, s, r),
    updateNode: variant === 'split' ? (v, a) => nodeNet.applyParts([v, a]) : (v, a) => nodeNet(tf.concat([v, a], 1) as tf.Tensor2D),
    aggregate: 'sum',
    residual: true,
  });
  const data = rng.fork('data');
  const senders = tf.tensor1d(Int32Array.from({ length: E }, () => data.int(N)), 'int32');
  const receivers = tf.tensor1d(Int32Array.from({ length: E }, () => data.int(N)), 'int32');
  const nodes = tf.tensor2d(data.normalArray(N * L) as Float32Array, [N, L]);
  const edges = tf.tensor2d(data.normalArray(E * L) as Float32Array, [E, L]);
  const target = tf.tensor2d(data.normalArray(N * L) as Float32Array, [N, L]);
  const opt = adam({ lr: 1e-4, fused: !o.unfusedAdam });
  const loss = (): tf.Scalar => {
    const out = gn({ nodes, edges, senders, receivers, numNodes: N });
    return tf.mean(tf.square(tf.sub(out.nodes, target))) as tf.Scalar;
  };
  const step = (): number => {
    const { value, grads } = valueAndGrads(params, loss);
    opt.apply(params, grads);
    disposeGrads(grads);
    const v = value.dataSync()[0];
    value.dispose();
    return v;
  };
  const dispose = (): void => {
    tf.dispose([senders, receivers, nodes, edges, target]);
    opt.dispose();
    params.dispose();
  };
  return { step, params, dispose };
}

/** Runs the benchmark at one size. */
export async function runProcessorBench(o: ProcessorBenchOptions): Promise<ProcessorBenchResult> {
  const { step, params, dispose } = buildProcessorStep(o);
  try {
    const warmup = o.warmup ?? 2;
    const steps = o.steps ?? 5;
    let lossFirst = NaN;
    for (let i = 0; i < warmup; i++) lossFirst = step();
    const times: number[] = [];
    const cpu: number[] = [];
    let lossLast = NaN;
    for (let i = 0; i < steps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      lossLast = step();
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      if (i === 0 && warmup === 0) lossFirst = lossLast;
    }
    let profile: KernelCost[] | undefined;
    if (o.profile) {
      const info = await tf.profile(() => {
        step();
      });
      const by = new Map<string, KernelCost>();
      for (const k of info.kernels) {
        const prev = by.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
        by.set(k.name, { kernel: k.name, ms: prev.ms + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), calls: prev.calls + 1 });
      }
      profile = [...by.values()].sort((a, b) => b.ms - a.ms).map((k) => ({ ...k, ms: Math.round(k.ms * 10) / 10 }));
    }
    return {
      numNodes: o.numNodes,
      numEdges: o.numEdges,
      latent: o.latent ?? 128,
      variant: o.variant ?? 'split',
      backend: tf.getBackend(),
      msPerStep: Math.round(median(times) * 10) / 10,
      stepsMs: times.map((t) => Math.round(t * 10) / 10),
      cpuMsPerStep: Math.round(median(cpu) * 10) / 10,
      lossFirst,
      lossLast,
      numParams: params.numParams(),
      profile,
    };
  } finally {
    dispose();
  }
}
