/**
 * `gnnwb bench <topic> [options]`: performance benchmarks, JSON on stdout (or `--out`).
 *
 * Topics register with `registerKind('bench', topic, summary, handler)`; the handler gets
 * `config = null` and the arguments after the topic. This file registers `bench processor`;
 * other domains add `bench md`, `bench fluid`, `bench sphere` from their own cli.ts.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { initBackend, type BackendRequest } from '../engine/backend.js';
import { ValueError } from '../util/errors.js';
import { getKind, listKinds, registerCommand, registerKind, type ParsedArgs } from './registry.js';
import { median, runProcessorBench, type ProcessorBenchResult, type ProcessorVariant } from '../bench/processor.js';
import { runTorchScript, systemBlas, torchAvailable } from '../bench/torch.js';

registerCommand({
  name: 'bench',
  summary: 'performance benchmarks with side-by-side peers (JSON out)',
  get usage() {
    const topics = listKinds('bench')
      .map((k) => `  ${k.kind.padEnd(12)} ${k.summary}`)
      .join('\n');
    return `gnnwb bench <topic> [--out file.json] [topic options]\n\ntopics:\n${topics}\n\n${PROCESSOR_USAGE}`;
  },
  async run(args, ctx) {
    const [topic, ...rest] = args.positional;
    const kind = topic ? getKind('bench', topic) : undefined;
    if (!kind) {
      ctx.log(`gnnwb bench: expected a topic, one of: ${listKinds('bench').map((k) => k.kind).join(', ')} (got ${topic ?? 'none'})`);
      return 64;
    }
    return kind.run(null, { positional: rest, options: args.options }, ctx);
  },
});

const PROCESSOR_USAGE = `gnnwb bench processor [--sizes 2000x12000,10000x60000] [--steps 5] [--warmup 2]
    [--variant split|concat|both] [--rounds R] [--profile] [--no-torch] [--out file.json]
    [--backend auto|wasm|cpu|...] [--threads N]
  One MeshGraphNets-style processor step (latent 128, 2-layer MLPs + LayerNorm, residuals,
  sum aggregation), forward + backward + Adam, ms per step (median after warm-up). When
  /usr/bin/python3 has torch, bench/torch/processor.py runs the same step in the same
  invocation with torch.set_num_threads(1) and (2), interleaved with ours per size and round;
  the ratio torch_ms / our_ms (fastest torch setting) is printed per round, with the median.
  CPU ms per step (process time) are reported too: less sensitive to other processes' load.`;

function parseSizes(s: string): [number, number][] {
  return s.split(',').map((part) => {
    const m = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!m) throw new ValueError('--sizes', 'a comma-separated list of NODESxEDGES, e.g. 2000x12000', JSON.stringify(part));
    return [Number(m[1]), Number(m[2])];
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function intOption(args: ParsedArgs, name: string, dflt: number): number {
  const v = args.options[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`--${name}`, 'a non-negative integer', String(v));
  return n;
}

interface TorchRun {
  readonly threads: number;
  readonly variant: string;
  readonly msPerStep: number;
  readonly stepsMs: number[];
  readonly cpuMsPerStep: number;
}

registerKind('bench', 'processor', 'MeshGraphNets processor step (fwd+bwd+Adam) vs PyTorch', async (_config, args, ctx) => {
  const sizes = parseSizes(typeof args.options.sizes === 'string' ? args.options.sizes : '2000x12000,10000x60000');
  const steps = intOption(args, 'steps', 5);
  const warmup = intOption(args, 'warmup', 2);
  if (steps < 1) throw new ValueError('--steps', 'at least 1', String(steps));
  const variantOpt = (args.options.variant as string | undefined) ?? 'split';
  if (!['split', 'concat', 'both'].includes(variantOpt)) throw new ValueError('--variant', 'split, concat or both', JSON.stringify(variantOpt));
  const variants: ProcessorVariant[] = variantOpt === 'both' ? ['split', 'concat'] : [variantOpt as ProcessorVariant];
  const backend = await initBackend({
    backend: args.options.backend as BackendRequest | undefined,
    threads: args.options.threads ? Number(args.options.threads) : undefined,
  });
  ctx.log(`bench processor: backend ${backend.name} (${backend.threads} thread${backend.threads > 1 ? 's' : ''}), sizes ${sizes.map((s) => s.join('x')).join(', ')}, ${warmup} warm-up + ${steps} timed steps`);

  const rounds = Math.max(1, intOption(args, 'rounds', 1));
  const avail = args.options['no-torch'] ? { ok: false, reason: '--no-torch' } : torchAvailable();
  const torch: { available: boolean; reason?: string; blas?: string; version?: string; runs: (TorchRun & { numNodes: number; numEdges: number; round: number })[] } = {
    available: avail.ok,
    reason: avail.reason,
    blas: avail.ok ? systemBlas() : undefined,
    runs: [],
  };
  if (!avail.ok) ctx.log(`  torch: not run (${avail.reason})`);

  // Interleaved: per round and size, ours then every torch setting, so each ratio compares
  // runs seconds apart (the machine's load drifts over minutes).
  const ours: (ProcessorBenchResult & { round: number })[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [N, E] of sizes) {
      for (const variant of variants) {
        const r = await runProcessorBench({ numNodes: N, numEdges: E, steps, warmup, variant, profile: Boolean(args.options.profile) && round === 0 });
        ctx.log(`  [round ${round + 1}] ours   ${N}x${E} ${variant}: ${r.msPerStep} ms/step, cpu ${r.cpuMsPerStep} ms (steps ${r.stepsMs.join(', ')})`);
        ours.push({ ...r, round });
      }
      if (!avail.ok) continue;
      for (const threads of [1, 2]) {
        const out = runTorchScript('processor.py', ['--threads', String(threads), '--sizes', `${N}x${E}`, '--steps', String(steps), '--warmup', String(warmup), '--variants', 'concat,split']) as {
          torch: string;
          results: { numNodes: number; numEdges: number; variant: string; msPerStep: number; stepsMs: number[]; cpuMsPerStep: number }[];
        };
        torch.version = out.torch;
        for (const r of out.results) {
          torch.runs.push({ threads, round, ...r });
          ctx.log(`  [round ${round + 1}] torch  ${N}x${E} ${r.variant}, ${threads} thread${threads > 1 ? 's' : ''}: ${r.msPerStep} ms/step, cpu ${r.cpuMsPerStep} ms`);
        }
      }
    }
  }

  const comparisons = sizes.map(([N, E]) => {
    const perRound = [...Array(rounds).keys()].map((round) => {
      const mine = ours.filter((r) => r.round === round && r.numNodes === N && r.numEdges === E).sort((a, b) => a.msPerStep - b.msPerStep)[0];
      const peers = torch.runs.filter((r) => r.round === round && r.numNodes === N && r.numEdges === E).sort((a, b) => a.msPerStep - b.msPerStep);
      const fastest = peers[0];
      const textbook = peers.filter((p) => p.variant === 'concat')[0];
      const sameVariant = peers.filter((p) => p.variant === mine.variant && p.threads === 1)[0];
      return {
        ourMs: mine.msPerStep,
        ourCpuMs: mine.cpuMsPerStep,
        ourVariant: mine.variant,
        torchFastest: fastest ? { threads: fastest.threads, variant: fastest.variant, msPerStep: fastest.msPerStep, cpuMsPerStep: fastest.cpuMsPerStep } : null,
        ratio: fastest ? round3(fastest.msPerStep / mine.msPerStep) : null,
        ratioVsTorchConcat: textbook ? round3(textbook.msPerStep / mine.msPerStep) : null,
        cpuRatioSameVariant1Thread: sameVariant ? round3(sameVariant.cpuMsPerStep / mine.cpuMsPerStep) : null,
      };
    });
    const ratios = perRound.map((r) => r.ratio).filter((x): x is number => x !== null);
    const c = { size: `${N}x${E}`, rounds: perRound, medianRatio: ratios.length ? round3(median(ratios)) : null };
    for (const [i, r] of perRound.entries()) {
      if (r.torchFastest) {
        ctx.log(
          `  ${c.size} round ${i + 1}: torch_ms / our_ms = ${r.ratio} (torch fastest: ${r.torchFastest.threads} thread${r.torchFastest.threads > 1 ? 's' : ''}, ${r.torchFastest.variant}, ${r.torchFastest.msPerStep} ms; ours ${r.ourVariant} ${r.ourMs} ms); vs textbook torch (concat): ${r.ratioVsTorchConcat}; CPU-time ratio vs torch 1 thread ${r.ourVariant}: ${r.cpuRatioSameVariant1Thread}`,
        );
      }
    }
    if (rounds > 1 && c.medianRatio !== null) ctx.log(`  ${c.size}: median torch_ms / our_ms over ${rounds} rounds = ${c.medianRatio}`);
    return c;
  });

  const report = {
    benchmark: 'processor',
    model: 'MeshGraphNets processor step: edge MLP [e,v_s,v_r] 3L->L->L + LayerNorm, sum to receivers, node MLP [v,agg] 2L->L->L + LayerNorm, residuals; loss mean((v-target)^2); Adam lr 1e-4; latent 128',
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    backend: { name: backend.name, threads: backend.threads, tfjs: backend.tfjsVersion },
    steps,
    warmup,
    rounds,
    ours,
    torch,
    comparisons,
    caveat: 'Timings on a shared machine: compare the ratio measured in the same invocation; raw ms depend on concurrent load (loadavg above).',
  };
  const json = JSON.stringify(report, null, 2);
  if (typeof args.options.out === 'string') {
    writeFileSync(args.options.out, json + '\n');
    ctx.log(`  wrote ${args.options.out}`);
  }
  ctx.out(json);
  return 0;
});
