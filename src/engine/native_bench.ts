/**
 * `gnnwb bench-native` (also `gnnwb bench native` where the bench command dispatches topics):
 * the native kernels against the plain wasm backend and PyTorch, in one run.
 *
 * Measures, interleaved round by round so that all three see the same machine load:
 * - the sgemm ceiling: a 2048² matMul through the native kernel (OpenBLAS) and through the
 *   original wasm kernel, and PyTorch's own 2048² matmul, in GFLOP/s;
 * - MeshGraphNets-style processor steps (edge MLP on [e, v_s, v_r], sum aggregation, node MLP
 *   on [v, agg], latent 128, 2-layer ReLU MLPs with LayerNorm, residuals; loss, backward,
 *   Adam) built from the workbench's own layers (src/models), on `native` and on `wasm`
 *   (native kernels unregistered) in the same process, and the same model in PyTorch
 *   (bench/torch/mgn_step.py, 1 torch thread, OpenBLAS's own threads).
 *
 * Output: a table on stderr and one JSON document on stdout. Ratios are torch_ms / our_ms
 * (> 1: we are faster).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from './tf.js';
import { initBackend } from './backend.js';
import { Rng } from './rng.js';
import { disableNativeKernels, enableNativeKernels, loadNativeAddon } from './native.js';
import { peerEnv } from './native_addon.js';
import { ParamStore } from '../models/params.js';
import { mlp } from '../models/layers.js';
import { edgeMlp, graphNetwork } from '../models/graph_network.js';
import { recomputed, type LatentBlock } from '../models/recompute.js';
import { adam, disposeGrads, valueAndGrads } from '../models/optim.js';
import { createNBodyModel, makeBatch, NBODY_TRAIN_DEFAULTS } from '../train/nbody.js';
import type { NBodySplit } from '../train/nbody_data.js';
import { Adam, trainStep } from '../train/trainer.js';
import { registerCommand, registerKind, type CommandContext, type ParsedArgs } from '../cli/registry.js';
import { ValueError } from '../util/errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { runMgnBench } from '../train/mgn_bench.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TORCH_SCRIPT = path.join(root, 'bench', 'torch', 'mgn_step.py');
const TORCH_EGNN = path.join(root, 'bench', 'torch', 'egnn_nbody.py');
const PYTHON = '/usr/bin/python3';

/** One benchmark configuration of the processor. */
export interface ProcessorCase {
  readonly nodes: number;
  readonly edges: number;
  readonly latent: number;
  /** Message-passing blocks (1: one processor step; 15: MeshGraphNets' processor). */
  readonly blocks: number;
  /** Recompute each block's activations in the backward pass (src/models/recompute.ts). */
  readonly recompute?: boolean;
}

/** Matrix-product FLOPs of one training step (forward ×3 for the backward pass). */
export function processorFlops(c: ProcessorCase): number {
  const { nodes: N, edges: E, latent: L } = c;
  // edge MLP: e·W_e [E,L,L], v·W_s and v·W_r [N,L,L] each, second layer [E,L,L];
  // node MLP: [N,2L,L] then [N,L,L]
  const forward = 2 * (E * L * L + 2 * N * L * L + E * L * L + N * 2 * L * L + N * L * L);
  return 3 * forward * c.blocks;
}

/** Builds the step; returns `run()` (one fwd+bwd+Adam step, synchronous) and `dispose()`. */
export function buildProcessorStep(c: ProcessorCase, seed = 1): { run: () => void; dispose: () => void } {
  const { nodes: N, edges: E, latent: L } = c;
  const rng = new Rng(seed);
  const params = new ParamStore(rng.fork('params'));
  const blocks = Array.from({ length: c.blocks }, (_, i) => {
    const em = mlp({ sizes: [3 * L, L, L], layerNorm: true, name: `b${i}/edge` }, params);
    const nm = mlp({ sizes: [2 * L, L, L], layerNorm: true, name: `b${i}/node` }, params);
    const gn = graphNetwork({
      updateEdge: edgeMlp(em, { edgeDim: L, nodeDim: L }),
      // As MeshGraphNets' processor (src/models/meshgraphnet.ts): MLP([v, ē]) without the concat.
      updateNode: (v, agg) => nm.applyParts([v, agg]),
      residual: true,
    });
    const block: LatentBlock = (n, e) => gn({ nodes: n, edges: e, senders, receivers, numNodes: N });
    const vars = params.entries().filter(([name]) => name.startsWith(`b${i}/`)).map(([, v]) => v);
    return c.recompute ? recomputed(block, vars) : block;
  });
  const data = rng.fork('data');
  const randn = (n: number) => Float32Array.from({ length: n }, () => data.normal());
  // [N, L], [E, L]
  const nodes = tf.tensor2d(randn(N * L), [N, L]);
  const edges = tf.tensor2d(randn(E * L), [E, L]);
  const senders = tf.tensor1d(Int32Array.from({ length: E }, () => Math.floor(data.uniform() * N)), 'int32');
  const receivers = tf.tensor1d(Int32Array.from({ length: E }, () => Math.floor(data.uniform() * N)), 'int32');
  const opt = adam({ lr: 1e-4 });
  const run = () => {
    const { value, grads } = valueAndGrads(params, () =>
      tf.tidy(() => {
        let g = { nodes: nodes as tf.Tensor2D, edges: edges as tf.Tensor2D };
        for (const b of blocks) g = b(g.nodes, g.edges);
        return tf.add(tf.mean(tf.square(g.nodes)), tf.mean(tf.square(g.edges))) as tf.Scalar;
      }),
    );
    opt.apply(params, grads);
    disposeGrads(grads);
    value.dataSync();
    value.dispose();
  };
  return {
    run,
    dispose: () => {
      tf.dispose([nodes, edges, senders, receivers]);
      opt.dispose();
      params.dispose();
    },
  };
}

/**
 * Matrix-product FLOPs of one EGNN N-body training epoch (forward ×3 for the backward pass), as
 * the model computes them: the edge MLP's node parts on N rows (projected, then gathered), its
 * radial and edge-attribute columns and second layer on E rows; the coordinate head on E rows;
 * the velocity head and node MLP on N rows. 3000 samples of 5 particles, batch 100, hidden 64,
 * 4 layers: 21.0 GFLOP.
 */
export function egnnEpochFlops(c: { samples: number; batch: number; particles: number; hidden: number; layers: number; edgeIn: number } = { samples: 3000, batch: 100, particles: 5, hidden: 64, layers: 4, edgeIn: 2 }): number {
  const N = c.batch * c.particles;
  const E = c.batch * c.particles * (c.particles - 1);
  const H = c.hidden;
  const layer = 2 * N * H * H + E * (1 + c.edgeIn) * H + E * H * H + (E * H * H + E * H) + (N * H * H + N * H) + (N * 2 * H * H + N * H * H);
  const embed = N * H;
  return 3 * 2 * (embed + c.layers * layer) * Math.ceil(c.samples / c.batch);
}

/**
 * One EGNN training epoch on N-body-shaped data (the workbench's own EGNN and trainer,
 * src/train/nbody.ts): 3000 synthetic 5-particle systems, batch 100, hidden 64, 4 layers.
 * Synthetic positions/velocities/targets: the timing does not depend on the values.
 */
export function buildEgnnEpoch(seed = 1): { run: () => void; dispose: () => void } {
  const size = 3000;
  const n = 5;
  const rng = new Rng(seed).fork('egnn-bench');
  const randn = (k: number) => Float32Array.from({ length: k }, () => rng.normal());
  const split: NBodySplit = {
    size,
    numParticles: n,
    x0: randn(size * n * 3),
    v0: randn(size * n * 3),
    charges: Float32Array.from({ length: size * n }, () => (rng.uniform() < 0.5 ? -1 : 1)),
    xT: randn(size * n * 3),
  };
  const cfg = { ...NBODY_TRAIN_DEFAULTS, model: 'egnn' as const, seed };
  const model = createNBodyModel(cfg);
  const opt = new Adam(model.params, { lr: cfg.lr });
  const run = () => {
    for (let start = 0; start < size; start += cfg.batchSize) {
      const idx = Array.from({ length: Math.min(cfg.batchSize, size - start) }, (_, i) => start + i);
      const b = makeBatch(split, idx, 'egnn');
      trainStep(model.params, opt, () => tf.mean(tf.square(tf.sub(model.predict(b), b.target))) as tf.Scalar);
      for (const t of Object.values(b)) (t as tf.Tensor).dispose();
    }
  };
  return { run, dispose: () => model.params.dispose() };
}

function torchEgnnEpoch(epochs: number, warmup: number): Timing | { error: string } {
  const r = spawnSync(PYTHON, [TORCH_EGNN, '--epochs', String(epochs), '--warmup', String(warmup)], { encoding: 'utf8', timeout: 900_000, env: peerEnv() });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').split('\n').filter(Boolean).slice(-1)[0] ?? 'failed' };
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms_per_epoch: number; cpu_ms_per_epoch: number };
  return { wall: j.ms_per_epoch, cpu: j.cpu_ms_per_epoch };
}

/** Wall and process-CPU (all threads) time per step, medians over `steps` steps after `warmup`. */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

function timeSteps(run: () => void, steps: number, warmup: number): Timing {
  for (let i = 0; i < warmup; i++) run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs the PyTorch peer; null (with the reason) when torch is not available. */
function torchStep(c: ProcessorCase, steps: number): Timing | { error: string } {
  if (!existsSync(PYTHON)) return { error: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, '--nodes', String(c.nodes), '--edges', String(c.edges), '--latent', String(c.latent), '--mp-steps', String(c.blocks), '--steps', String(steps)], {
    encoding: 'utf8',
    timeout: 900_000,
    env: peerEnv(),
  });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').split('\n').filter(Boolean).slice(-1)[0] ?? 'failed' };
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms_per_step: number; cpu_ms_per_step: number };
  return { wall: j.ms_per_step, cpu: j.cpu_ms_per_step };
}

function torchSgemm(n: number): number | null {
  const code = `import torch,time\ntorch.set_num_threads(1)\na=torch.randn(${n},${n});b=torch.randn(${n},${n})\na@b\nt=time.perf_counter();k=0\nwhile time.perf_counter()-t<1.5:\n  a@b;k+=1\nprint((time.perf_counter()-t)/k*1e3)`;
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 120_000, env: peerEnv() });
  return r.status === 0 ? 2 * n ** 3 / Number(r.stdout.trim()) / 1e6 : null;
}

function sgemmGflops(n: number): number {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const ms = timeSteps(() => tf.matMul(a, b).dispose(), 3, 1).wall;
  tf.dispose([a, b]);
  return 2 * n ** 3 / ms / 1e6;
}

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const rounds = Number(args.options.rounds ?? 2);
  const steps = Number(args.options.steps ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new ValueError('--rounds', 'a positive integer', String(args.options.rounds));
  if (!Number.isInteger(steps) || steps < 1) throw new ValueError('--steps', 'a positive integer', String(args.options.steps));
  const sizes = String(args.options.sizes ?? '2000,10000').split(',').map(Number);
  const blockList = String(args.options.blocks ?? '1').split(',').map(Number);
  const withTorch = args.options['no-torch'] !== true;
  const withWasm = args.options['no-wasm'] !== true;
  const info = await initBackend({ backend: 'native' });
  const addon = loadNativeAddon()!;
  ctx.log(`bench-native: backend ${info.name} (${info.reason}), ${info.threads} threads; ${addon.info().blas}`);
  ctx.log('machine load (uptime): ' + (spawnSync('uptime', { encoding: 'utf8' }).stdout ?? '').trim());

  const n = 2048;
  const ceiling = { n, nativeGflops: sgemmGflops(n), wasmGflops: 0, torchGflops: withTorch ? torchSgemm(n) : null };
  if (withWasm) {
    disableNativeKernels();
    ceiling.wasmGflops = sgemmGflops(n);
    enableNativeKernels(addon);
  }
  ctx.log(`sgemm ${n}²: native ${ceiling.nativeGflops.toFixed(0)} GFLOP/s, wasm ${ceiling.wasmGflops.toFixed(0)}, torch ${ceiling.torchGflops?.toFixed(0) ?? '-'}`);

  const results: Record<string, unknown>[] = [];
  /** Runs native, wasm and torch interleaved for `rounds` rounds; logs and stores one row. */
  const compare = (label: string, ours: () => void, oursSteps: number, peer: () => Timing | { error: string }, extra: Record<string, unknown>, flops?: number, warmup = 1) => {
    const native: Timing[] = [], wasm: Timing[] = [], torch: Timing[] = [];
    let torchError: string | undefined;
    for (let r = 0; r < rounds; r++) {
      native.push(timeSteps(ours, oursSteps, r === 0 ? warmup : 0));
      if (withWasm) {
        disableNativeKernels();
        try {
          wasm.push(timeSteps(ours, Math.min(oursSteps, 2), r === 0 ? 1 : 0));
        } finally {
          enableNativeKernels(addon);
        }
      }
      if (withTorch) {
        const t = peer();
        if ('wall' in t) torch.push(t);
        else torchError = t.error;
      }
    }
    const med = (xs: Timing[], k: keyof Timing) => (xs.length ? median(xs.map((x) => x[k])) : null);
    const ratio = (a: number | null, b: number | null) => (a !== null && b !== null ? a / b : null);
    const row = {
      case: label,
      ...extra,
      nativeMs: med(native, 'wall')!,
      nativeCpuMs: med(native, 'cpu')!,
      wasmMs: med(wasm, 'wall'),
      wasmCpuMs: med(wasm, 'cpu'),
      torchMs: med(torch, 'wall'),
      torchCpuMs: med(torch, 'cpu'),
      torchError,
      ...(flops ? { gflopPerStep: flops / 1e9, nativeGflops: flops / med(native, 'wall')! / 1e6 } : {}),
      ratioTorchOverNative: ratio(med(torch, 'wall'), med(native, 'wall')),
      ratioTorchOverWasm: ratio(med(torch, 'wall'), med(wasm, 'wall')),
      cpuRatioTorchOverNative: ratio(med(torch, 'cpu'), med(native, 'cpu')),
      cpuRatioTorchOverWasm: ratio(med(torch, 'cpu'), med(wasm, 'cpu')),
      rounds: { native, wasm, torch },
    };
    results.push(row);
    const f = (x: number | null | undefined, d = 0) => (x === null || x === undefined ? '-' : x.toFixed(d));
    ctx.log(
      `${label}: wall ms native ${f(row.nativeMs)} / wasm ${f(row.wasmMs)} / torch ${f(row.torchMs) === '-' ? (torchError ?? '-') : f(row.torchMs)}` +
        ` (torch/native ${f(row.ratioTorchOverNative, 2)}, torch/wasm ${f(row.ratioTorchOverWasm, 2)}); ` +
        `cpu ms ${f(row.nativeCpuMs)} / ${f(row.wasmCpuMs)} / ${f(row.torchCpuMs)} (torch/native ${f(row.cpuRatioTorchOverNative, 2)}, torch/wasm ${f(row.cpuRatioTorchOverWasm, 2)})` +
        (flops ? `; native ${f(row.nativeGflops)} GFLOP/s` : ''),
    );
  };
  for (const blocks of args.options['no-processor'] === true ? [] : blockList) {
    for (const nodes of sizes) {
      const c: ProcessorCase = { nodes, edges: 6 * nodes, latent: 128, blocks, recompute: args.options.recompute === true };
      const label = `${blocks === 1 ? 'processor step' : `MGN processor (${blocks} blocks)`} N=${nodes} E=${c.edges}${c.recompute ? ' (activations recomputed)' : ''}`;
      // A case that fails (e.g. the 15-block 10k-node step exhausting the 4 GiB wasm heap that
      // both backends keep tensors in) is recorded and the run goes on; the wasm heap is not
      // reused after such a failure, so later cases may fail too and say so.
      let step: ReturnType<typeof buildProcessorStep> | undefined;
      try {
        step = buildProcessorStep(c);
        compare(label, step.run, blocks === 1 ? steps : 1, () => torchStep(c, blocks === 1 ? steps : 1), { ...c }, processorFlops(c));
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        results.push({ case: label, ...c, error });
        ctx.log(`${label}: FAILED: ${error}`);
      } finally {
        try {
          step?.dispose();
        } catch {
          // disposal after a failed heap access can fail too; nothing more to free
        }
      }
    }
  }
  // The full MeshGraphNets training step (encoder, 15 processor blocks, decoder, loss, Adam) on
  // the channel mesh at ~2k nodes and refined to ~10k (src/train/mgn_bench.ts; the peer is
  // bench/torch/mgn.py at its faster of 1 and 2 threads).
  const refines = args.options['no-mgn'] === true ? [] : String(args.options['mgn-refine'] ?? '1,2.55').split(',').map(Number);
  const mgnSteps = Number(args.options['mgn-steps'] ?? 3);
  if (!Number.isInteger(mgnSteps) || mgnSteps < 1) throw new ValueError('--mgn-steps', 'a positive integer', String(args.options['mgn-steps']));
  for (const refine of refines) {
    const label = `MeshGraphNets training step (15 MP, latent 128), mesh refine ${refine}`;
    try {
      const rep = await runMgnBench({ steps: mgnSteps, warmup: 1, latent: 128, mpSteps: 15, torch: withTorch, meshRefine: refine, log: ctx.log });
      const mesh = rep.mesh as { nodes: number; edges: number };
      const ourMs = (rep.ours as { msPerStep: number }).msPerStep;
      const torch = rep.torch as { fastest?: { threads: number; msPerStep: number }; reason?: string } | undefined;
      const gflop = rep.gflopPerStep as number;
      const row = {
        case: `MeshGraphNets training step (15 MP, latent 128) N=${mesh.nodes} E=${mesh.edges}`,
        kind: 'mgn-train-step',
        nodes: mesh.nodes,
        edges: mesh.edges,
        meshRefine: refine,
        numParams: rep.numParams,
        nativeMs: ourMs,
        nativeStepsMs: (rep.ours as { stepsMs: number[] }).stepsMs,
        torchMs: torch?.fastest?.msPerStep ?? null,
        torchThreads: torch?.fastest?.threads ?? null,
        torchError: torch?.fastest ? undefined : torch?.reason,
        gflopPerStep: gflop,
        nativeGflops: gflop / ourMs * 1e3,
        ratioTorchOverNative: typeof rep.ratio === 'number' ? rep.ratio : null,
      };
      results.push(row);
      ctx.log(`${row.case}: native ${ourMs.toFixed(0)} ms / torch ${row.torchMs?.toFixed(0) ?? '-'} ms (torch/native ${row.ratioTorchOverNative?.toFixed(2) ?? '-'}); native ${row.nativeGflops.toFixed(0)} GFLOP/s`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      results.push({ case: label, kind: 'mgn-train-step', meshRefine: refine, error });
      ctx.log(`${label}: FAILED: ${error}`);
    }
  }
  if (args.options['no-egnn'] !== true) {
    // Both sides: 2 untimed epochs, then the median of --egnn-epochs timed ones per round (a
    // process's first epochs are slower on both: JIT, allocator and thread warm-up).
    const epochs = Number(args.options['egnn-epochs'] ?? 3);
    if (!Number.isInteger(epochs) || epochs < 1) throw new ValueError('--egnn-epochs', 'a positive integer', String(args.options['egnn-epochs']));
    const ep = buildEgnnEpoch();
    compare('EGNN N-body epoch (3000 samples, batch 100)', ep.run, epochs, () => torchEgnnEpoch(epochs, 2), { kind: 'egnn-epoch', epochsPerRound: epochs, warmupEpochs: 2 }, egnnEpochFlops(), 2);
    ep.dispose();
  }
  // Achieved GFLOP/s as a fraction of the sgemm ceiling measured in this run.
  for (const r of results) {
    const g = (r as { nativeGflops?: number }).nativeGflops;
    if (typeof g === 'number') (r as Record<string, unknown>).fractionOfSgemmCeiling = g / ceiling.nativeGflops;
  }
  // Issue 11's four cases: ratio torch_ms / native_ms ≥ 1.0 (goal ≥ 1.2).
  const ratioOf = (pred: (r: Record<string, unknown>) => boolean) => {
    const r = results.find(pred) as { ratioTorchOverNative?: number | null; case?: string } | undefined;
    return { case: r?.case ?? 'not run', ratio: r?.ratioTorchOverNative ?? null };
  };
  const targets = [
    { target: 'processor step, 10k nodes / 60k edges', ...ratioOf((r) => r.blocks === 1 && r.nodes === 10000 && r.error === undefined) },
    { target: 'MeshGraphNets training step, ~2k nodes', ...ratioOf((r) => r.kind === 'mgn-train-step' && typeof r.nodes === 'number' && (r.nodes as number) < 5000) },
    { target: 'MeshGraphNets training step, ~10k nodes', ...ratioOf((r) => r.kind === 'mgn-train-step' && typeof r.nodes === 'number' && (r.nodes as number) >= 5000) },
    { target: 'EGNN N-body training epoch', ...ratioOf((r) => r.kind === 'egnn-epoch') },
  ].map((t) => ({ ...t, atLeast1: t.ratio !== null && t.ratio >= 1, atLeast1_2: t.ratio !== null && t.ratio >= 1.2 }));
  for (const t of targets) ctx.log(`target ${t.target}: torch/native ${t.ratio === null ? 'not measured' : t.ratio.toFixed(2)}${t.ratio === null ? '' : t.atLeast1_2 ? ' (>= 1.2)' : t.atLeast1 ? ' (>= 1.0, < 1.2)' : ' (< 1.0)'}`);
  const report = {
    bench: 'native',
    backend: info.name,
    threads: info.threads,
    blas: addon.info().blas,
    torchSetting: '1 torch thread (torch.set_num_threads(1)), OpenBLAS pthreads',
    note: 'compare ratios within this run, not absolute times (other load moves them); cpu = process CPU time over all threads (user+system)',
    date: new Date().toISOString(),
    loadavg: os.loadavg(),
    ceiling,
    targets,
    results,
  };
  const json = JSON.stringify(report, null, 2);
  if (typeof args.options.out === 'string') {
    writeJsonAtomic(args.options.out, report);
    ctx.log(`wrote ${args.options.out}`);
  }
  ctx.out(json);
  return 0;
}

const USAGE = `gnnwb bench-native [--sizes 2000,10000] [--blocks 1] [--rounds 2] [--steps 3] [--mgn-refine 1,2.55] [--mgn-steps 3] [--egnn-epochs 3] [--no-processor] [--no-mgn] [--no-torch] [--no-wasm] [--no-egnn] [--recompute] [--out file.json]

Native kernels vs the wasm backend vs PyTorch (bench/torch/mgn_step.py via /usr/bin/python3), in one
run, interleaved: sgemm ceiling (2048²); MeshGraphNets-style processor training steps
(latent 128, E = 6N edges; --blocks 15 is the 15-block processor alone); the full
MeshGraphNets training step (15 message-passing steps) on the channel mesh at ~2k nodes and
refined to ~10k (--mgn-refine, bench/torch/mgn.py as the peer at its faster of 1 and 2
threads); and the EGNN training epoch on N-body-shaped data (bench/torch/egnn_nbody.py; both
sides run 2 untimed epochs, then the median of --egnn-epochs).
Ends with issue 11's four ratios (torch_ms / native_ms) in "targets". --recompute
recomputes each block's activations in the backward pass (src/models/recompute.ts: less memory,
one more forward pass). Prints a table on stderr and JSON on stdout (and to --out). Needs the
native addon (node native/build.mjs).`;

registerCommand({ name: 'bench-native', summary: 'native kernels vs wasm vs PyTorch (processor step, sgemm ceiling)', usage: USAGE, run });
registerKind('bench', 'native', 'native kernels vs wasm vs PyTorch (same as bench-native)', (_config, args, ctx) => run(args, ctx));
