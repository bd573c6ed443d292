/**
 * CLI kinds of the N-body surrogate (EGNN paper protocol):
 *
 * - `gnnwb train <config.json>` with `kind` one of `nbody-egnn`, `nbody-gnn`, `nbody-linear`:
 *   trains the model (resuming from `checkpointPath` when it exists) and writes the run's
 *   result JSON to `out` (default `results/nbody_<model>.json`).
 * - `gnnwb rollout <config.json>` with `kind: "nbody"`: loads each run's best-validation
 *   checkpoint, re-evaluates it on the regenerated test split, and writes the benchmark table
 *   next to the paper's numbers to `out` (default `results/nbody.json`).
 *
 * Config of a training run (every field optional except `kind`; defaults in
 * {@link NBODY_TRAIN_DEFAULTS} and `NBODY_DATA_DEFAULTS`):
 * ```json
 * { "kind": "nbody-egnn", "epochs": 1000, "batchSize": 100, "lr": 5e-4, "hidden": 64,
 *   "layers": 4, "seed": 1, "data": { "numTrain": 3000, "numVal": 2000, "numTest": 2000, "seed": 43 },
 *   "checkpointPath": "runs/nbody_egnn.ckpt.json", "checkpointEvery": 5, "maxSeconds": 3600,
 *   "out": "results/nbody_egnn.json" }
 * ```
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { registerKind, type CommandContext } from '../cli/registry.js';
import { initBackend } from '../engine/backend.js';
import { ConfigError } from '../util/errors.js';
import { generateNBodyDataset } from './nbody_data.js';
import {
  createNBodyModel, evaluateNBody, resolveNBodyData, trainNBody, validateNBodyTrainConfig,
  type NBodyModelKind, type NBodyRunMeta, type NBodyTrainConfig,
} from './nbody.js';
import { loadCheckpoint, type TensorRecord } from './checkpoint_state.js';
// The learned-LJ kind registers with the N-body kinds (one import line in cli/main.ts).
import './lj_potential_cli.js';

/** The EGNN paper's Table 2 (N-body, test MSE). */
export const NBODY_PAPER_MSE: Record<NBodyModelKind, number> = { egnn: 0.0071, gnn: 0.0107, linear: 0.0819 };

function writeJson(path: string, obj: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(obj, null, 2) + '\n');
}

/** Summary of a finished (or stopped) run as written to its result file. */
export function summariseRun(meta: NBodyRunMeta, finished: boolean, backend: string): Record<string, unknown> {
  const secs = meta.history.map((h) => h.seconds);
  const sorted = [...secs].sort((a, b) => a - b);
  return {
    model: meta.config.model,
    finished,
    epochs: meta.epochsDone,
    bestEpoch: meta.bestEpoch,
    bestValMse: meta.bestValMse,
    testMseAtBest: meta.testMseAtBest,
    paperTestMse: NBODY_PAPER_MSE[meta.config.model],
    numParams: meta.numParams,
    epochSecondsMedian: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
    epochSecondsMean: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : null,
    trainSecondsTotal: secs.reduce((a, b) => a + b, 0),
    backend,
    cpus: os.cpus().length,
    note: 'Wall times measured on a 2-core machine shared with other jobs; they are disturbed by that load.',
    config: meta.config,
    history: meta.history,
  };
}

async function trainKind(model: NBodyModelKind, raw: unknown, ctx: CommandContext): Promise<number> {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('config', 'an object', typeof raw);
  const { kind: _kind, out, ...rest } = raw as Record<string, unknown>;
  const cfg = validateNBodyTrainConfig({ ...(rest as Partial<NBodyTrainConfig>), model });
  const info = await initBackend();
  ctx.log(`nbody-${model}: backend ${info.name} (${info.threads} thread(s)); generating data…`);
  const data = generateNBodyDataset(cfg.data);
  const run = await trainNBody(cfg, data, ctx.log);
  const path = typeof out === 'string' ? out : `results/nbody_${model}.json`;
  writeJson(path, summariseRun(run.result, run.finished, info.name));
  ctx.out(JSON.stringify({ model, epochs: run.result.epochsDone, bestEpoch: run.result.bestEpoch, testMseAtBest: run.result.testMseAtBest, out: path }));
  run.model.params.dispose();
  return 0;
}

for (const m of ['egnn', 'gnn', 'linear'] as const) {
  registerKind('train', `nbody-${m}`, `N-body (EGNN paper): train the ${m} model, frame 30 → 40`, (c, _a, ctx) => trainKind(m, c, ctx));
}

/**
 * Config of `gnnwb rollout` kind `nbody`:
 * `{ "kind": "nbody", "runs": { "egnn": "runs/nbody_egnn.ckpt.json", ... }, "out": "results/nbody.json" }`.
 */
async function rolloutKind(raw: unknown, ctx: CommandContext): Promise<number> {
  const c = raw as { runs?: Record<string, string>; out?: string };
  if (!c || typeof c.runs !== 'object') throw new ConfigError('runs', 'an object { model: checkpointPath }', JSON.stringify(c?.runs));
  const info = await initBackend();
  const rows: Record<string, unknown>[] = [];
  let dataKey = '';
  let data: ReturnType<typeof generateNBodyDataset> | null = null;
  for (const [name, path] of Object.entries(c.runs)) {
    const ck = loadCheckpoint<NBodyRunMeta>(path);
    if (!ck) throw new ConfigError(`runs.${name}`, 'an existing checkpoint file', JSON.stringify(path));
    const cfg = validateNBodyTrainConfig(ck.meta.config);
    const dataOptions = resolveNBodyData(cfg.data, true);
    const key = JSON.stringify(dataOptions);
    if (key !== dataKey) {
      data = generateNBodyDataset(dataOptions);
      dataKey = key;
    }
    const model = createNBodyModel(cfg);
    const best: Record<string, TensorRecord> = {};
    for (const [k, t] of Object.entries(ck.tensors)) if (k.startsWith('best/')) best[k.slice(5)] = t;
    model.params.restore(best);
    const t0 = performance.now();
    const testMse = evaluateNBody(model, data!.test);
    const evalSeconds = (performance.now() - t0) / 1000;
    const resultFile = `results/nbody_${cfg.model}.json`;
    const summary = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, 'utf8')) : null;
    rows.push({
      model: cfg.model,
      testMse,
      paperTestMse: NBODY_PAPER_MSE[cfg.model],
      bestEpoch: ck.meta.bestEpoch,
      epochsTrained: ck.meta.epochsDone,
      bestValMse: ck.meta.bestValMse,
      epochSecondsMedian: summary?.epochSecondsMedian ?? null,
      trainSecondsTotal: ck.meta.history.reduce((a, h) => a + h.seconds, 0),
      numParams: ck.meta.numParams,
      testEvalSeconds: evalSeconds,
      checkpoint: path,
      data: dataOptions,
    });
    ctx.log(`${cfg.model}: test MSE ${testMse.toFixed(5)} (paper ${NBODY_PAPER_MSE[cfg.model]}) best epoch ${ck.meta.bestEpoch}/${ck.meta.epochsDone}`);
    model.params.dispose();
  }
  const egnn = rows.find((r) => r.model === 'egnn');
  const out = {
    benchmark: 'EGNN paper N-body (charged, 5 particles): frame 30 → frame 40',
    protocol: { numTrain: 3000, numVal: 2000, numTest: 2000, batchSize: 100, lr: 5e-4, hidden: 64, layers: 4, selection: 'best validation MSE' },
    target: { egnnTestMse: 0.0075, met: egnn ? (egnn.testMse as number) <= 0.0075 : null },
    backend: info.name,
    note: 'Test MSE recomputed from the best-validation checkpoint on the regenerated test split. Wall times measured on a 2-core machine shared with other jobs.',
    results: rows,
  };
  const path = c.out ?? 'results/nbody.json';
  writeJson(path, out);
  ctx.out(JSON.stringify({ out: path, results: rows.map((r) => ({ model: r.model, testMse: r.testMse })) }));
  return 0;
}

registerKind('rollout', 'nbody', 'N-body (EGNN paper): evaluate best checkpoints on the test split, write results/nbody.json', (c, _a, ctx) => rolloutKind(c, ctx));
