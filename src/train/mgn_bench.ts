/**
 * `gnnwb bench mgn`: one full MeshGraphNets training step (encoder, 15 processor blocks,
 * decoder; forward + backward + Adam, as the trainer runs it incl. normaliser accumulation)
 * on the ~2k-node channel mesh of the fluid dataset, against the same model in PyTorch
 * (bench/torch/mgn.py, Debian's /usr/bin/python3) on the same mesh and features, in the same
 * invocation, at 1 and 2 torch threads; the fastest torch setting is the peer. Prints the
 * ratio torch_ms / our_ms (the project's goal is ≥ 1).
 *
 * Options: `--steps 5 --warmup 2 --latent 128 --mp-steps 15 --mesh-refine 1 --no-torch
 * --out file.json --backend … --threads …`. `--mesh-refine r` divides the mesh sizes (hMin,
 * hMax) by r: r = 2.55 gives ~10k nodes (node count grows as r²).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { registerKind, type ParsedArgs } from '../cli/registry.js';
import { initBackend, type BackendRequest } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { triangleEdges } from '../geometry/trimesh/index.js';
import { meshGraphNet } from '../models/meshgraphnet.js';
import { adam, disposeGrads, valueAndGrads } from '../models/optim.js';
import { parabolicInflow } from '../sims/fluid/boundary.js';
import { runTorchScript, systemBlas, torchAvailable } from '../bench/torch.js';
import { ValueError } from '../util/errors.js';
import { MGN_DATA_DEFAULTS, mgnMesh } from './mgn_data.js';
import { mgnLoss, mgnMasks } from './mgn_train.js';

function intOpt(args: ParsedArgs, name: string, dflt: number): number {
  const v = args.options[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`--${name}`, 'a positive integer', String(v));
  return n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Matrix-product FLOPs of one MeshGraphNets training step (forward ×3 for the backward pass):
 * encoders on N nodes / E edges, `mp` processor blocks (the edge MLP's first layer split into
 * the edge part on E rows and the two node parts on N rows, as the model computes it), decoder.
 */
export function mgnTrainFlops(c: { nodes: number; edges: number; latent: number; mpSteps: number; mlpLayers: number; nodeIn: number; edgeIn: number; out: number }): number {
  const { nodes: N, edges: E, latent: L, mpSteps: mp, mlpLayers: h } = c;
  const encoders = N * (c.nodeIn * L + h * L * L) + E * (c.edgeIn * L + h * L * L);
  const block = E * (L * L + h * L * L) + 2 * N * L * L + N * (2 * L * L + h * L * L);
  const decoder = N * (h * L * L + L * c.out);
  return 3 * 2 * (encoders + mp * block + decoder);
}

/** Runs the bench; returns the report object. */
export async function runMgnBench(o: { steps: number; warmup: number; latent: number; mpSteps: number; torch: boolean; meshRefine?: number; log: (s: string) => void }): Promise<Record<string, unknown>> {
  const refine = o.meshRefine ?? 1;
  if (!(refine > 0) || !Number.isFinite(refine)) throw new ValueError('--mesh-refine', 'a positive number', String(o.meshRefine));
  const mesh = mgnMesh({ ...MGN_DATA_DEFAULTS, hMin: MGN_DATA_DEFAULTS.hMin / refine, hMax: MGN_DATA_DEFAULTS.hMax / refine });
  const N = mesh.numNodes;
  const { senders, receivers } = triangleEdges(mesh.triangles, N);
  const graph = { meshPos: mesh.positions, nodeType: mesh.nodeTypes, senders, receivers };
  // A plausible state: the inflow profile everywhere plus noise; next frame slightly perturbed.
  const rng = new Rng(0);
  const u = new Float32Array(2 * N), next = new Float32Array(2 * N);
  for (let i = 0; i < N; i++) {
    u[2 * i] = parabolicInflow(1.5, 0.41, mesh.positions[2 * i + 1]) + 0.1 * rng.normal();
    u[2 * i + 1] = 0.1 * rng.normal();
    next[2 * i] = u[2 * i] + 0.01 * rng.normal();
    next[2 * i + 1] = u[2 * i + 1] + 0.01 * rng.normal();
  }
  const model = meshGraphNet({ latent: o.latent, messagePassingSteps: o.mpSteps, seed: 0 });
  const prepared = model.prepare(graph);
  const masks = mgnMasks(mesh.nodeTypes);
  const lossMask = tf.tensor2d(Float32Array.from(masks.predicted), [N, 1]);
  const opt = adam({ lr: 1e-4 });
  const ours: number[] = [];
  for (let k = 0; k < o.warmup + o.steps; k++) {
    const t0 = performance.now();
    const s = mgnLoss(model, prepared, u, next, masks, 0.02, rng, lossMask);
    const { value, grads } = valueAndGrads(model.params, s.loss);
    value.dataSync();
    opt.apply(model.params, grads);
    disposeGrads(grads);
    value.dispose();
    s.dispose();
    // Force completion of the update before stopping the clock.
    model.params.variable('mgn/decoder/dense2/b').dataSync();
    const ms = performance.now() - t0;
    if (k >= o.warmup) ours.push(ms);
  }
  const ourMs = median(ours);
  o.log(`  ours: ${ourMs.toFixed(0)} ms/step (steps ${ours.map((x) => x.toFixed(0)).join(', ')}), ${model.params.numParams()} parameters, ${N} nodes, ${senders.length} edges`);
  const report: Record<string, unknown> = {
    benchmark: 'mgn',
    model: `MeshGraphNet latent ${o.latent}, ${o.mpSteps} message-passing steps, 2-hidden-layer MLPs + LayerNorm (none in decoder); training step = noise + normaliser accumulation + forward + backward + Adam`,
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    mesh: { nodes: N, edges: senders.length, triangles: mesh.numTriangles, refine },
    numParams: model.params.numParams(),
    gflopPerStep: mgnTrainFlops({ nodes: N, edges: senders.length, latent: o.latent, mpSteps: o.mpSteps, mlpLayers: model.options.mlpLayers, nodeIn: 2 + model.options.nodeTypes, edgeIn: 3, out: 2 }) / 1e9,
    ours: { msPerStep: ourMs, stepsMs: ours },
    note: 'Measured on a 2-core machine shared with other jobs; both sides run in the same invocation, so the ratio is the meaningful number.',
  };
  if (o.torch) {
    const avail = torchAvailable();
    if (!avail.ok) {
      report.torch = { available: false, reason: avail.reason };
      o.log(`  torch: not run (${avail.reason})`);
    } else {
      const dir = mkdtempSync(join(os.tmpdir(), 'gnnwb-mgn-bench-'));
      try {
        const nodeIn = 2 + model.options.nodeTypes;
        const x = new Float32Array(N * nodeIn);
        for (let i = 0; i < N; i++) {
          x[i * nodeIn] = u[2 * i];
          x[i * nodeIn + 1] = u[2 * i + 1];
          x[i * nodeIn + 2 + mesh.nodeTypes[i]] = 1;
        }
        const file = join(dir, 'graph.json');
        writeFileSync(file, JSON.stringify({
          latent: o.latent, mp_steps: o.mpSteps, mlp_layers: model.options.mlpLayers, num_nodes: N,
          senders: Array.from(senders), receivers: Array.from(receivers), node_features: Array.from(x),
          edge_features: Array.from(prepared.edgeRaw), target: Array.from(next, (v, k) => v - u[k]), loss_mask: Array.from(masks.predicted),
        }));
        const runs: { threads: number; msPerStep: number; stepsMs: number[] }[] = [];
        let version = '';
        for (const threads of [1, 2]) {
          const r = runTorchScript('mgn.py', ['--graph', file, '--threads', String(threads), '--steps', String(o.steps), '--warmup', String(o.warmup)]) as { ms_per_step: number; steps_ms: number[]; torch: string; num_params: number };
          version = r.torch;
          runs.push({ threads, msPerStep: r.ms_per_step, stepsMs: r.steps_ms });
          o.log(`  torch ${r.torch}, ${threads} thread(s): ${r.ms_per_step.toFixed(0)} ms/step (${r.num_params} parameters)`);
        }
        const fastest = [...runs].sort((a, b) => a.msPerStep - b.msPerStep)[0];
        report.torch = { available: true, version, blas: systemBlas(), runs, fastest };
        report.ratio = fastest.msPerStep / ourMs;
        o.log(`  ratio torch_ms / our_ms = ${(fastest.msPerStep / ourMs).toFixed(3)} (torch fastest at ${fastest.threads} thread(s))`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  tf.dispose(lossMask);
  prepared.dispose();
  model.dispose();
  opt.dispose();
  return report;
}

registerKind('bench', 'mgn', 'full MeshGraphNets training step (15 MP steps) on the ~2k-node mesh vs PyTorch', async (_config, args, ctx) => {
  const backend = await initBackend({ backend: args.options.backend as BackendRequest | undefined, threads: args.options.threads ? Number(args.options.threads) : undefined });
  ctx.log(`bench mgn: backend ${backend.name} (${backend.threads} thread(s))`);
  const report = await runMgnBench({
    steps: intOpt(args, 'steps', 5),
    warmup: intOpt(args, 'warmup', 2),
    latent: intOpt(args, 'latent', 128),
    mpSteps: intOpt(args, 'mp-steps', 15),
    meshRefine: args.options['mesh-refine'] === undefined ? 1 : Number(args.options['mesh-refine']),
    torch: !args.options['no-torch'],
    log: ctx.log,
  });
  report.backend = { name: backend.name, threads: backend.threads, tfjs: backend.tfjsVersion };
  const text = JSON.stringify(report, null, 2);
  if (typeof args.options.out === 'string') writeFileSync(args.options.out, text + '\n');
  ctx.out(text);
  return 0;
});
