/**
 * Result-file adapters: the JSON files that training/rollout handlers write to `results/`
 * turned into {@link RunMetrics} (+ timings) for the report.
 *
 * - fluid (`gnnwb rollout` kind `fluid-mgn`, src/train/mgn_cli.ts → `results/mgn.json`): rollout
 *   RMSE vs time (model; persistence from the field file), kinetic energy and RMS divergence
 *   (model vs solver), rotation error, the loss curve (`mgn_train.json`, when it is the same
 *   training run), mesh colour maps of |u| (solver | model) and of the error |û − u| at the
 *   last frame (`mgn_fields.json`), and timings
 *   (model vs solver per frame; the training-step bench vs PyTorch, `mgn_bench*.json`).
 * - weather (`weather-graphcast`, src/train/weather*.ts → `results/weather*.json`):
 *   latitude-weighted RMSE of h and wind and ACC of h vs lead time (model, persistence, coarse
 *   solver, and the per-grid-point linear baseline when the file has it), relative mass drift, optional lat-lon heatmaps of h and the reference energy from
 *   the held-out HDF5 dataset, and the rollout speed against the reference solver.
 * - N-body / LJ results (`results/nbody_*.json`, `lj_potential.json`) — see nbody.ts-style
 *   fields: loss curves (train/val/test MSE per epoch), NVE energy, g(r).
 *
 * Constraint demonstrations (issue 9) are in constraints.ts. Every adapter reads only the
 * file's contents (and the optional companions named), so the same files give the same
 * metrics; each records the files' SHA-256 as provenance. Fields a file lacks are listed in
 * the run's `notes` instead of being invented.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { configHash, sha256Hex } from '../config/hash.js';
import { readDataset, readManifest } from '../io/dataset.js';
import { FileFormatError } from '../util/errors.js';
import type { Panel, RunMetrics, Snapshot, Timing } from './types.js';

export interface LoadedRun {
  readonly metrics: RunMetrics;
  readonly timings: Timing[];
}

type Json = Record<string, unknown>;

/** Rounds to 9 significant digits (stable text for metrics.json). */
export const r9 = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(9)) : v);
const nums = (a: unknown): number[] | null => (Array.isArray(a) && a.length > 0 && a.every((v) => typeof v === 'number') ? a.map((v) => r9(v as number)) : null);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const o = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** Reads a JSON file; FileFormatError when missing or not JSON. */
export function readJsonFile(path: string, what: string): { json: Json; sha256: string } {
  if (!existsSync(path)) throw new FileFormatError(path, what, 'no such file');
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(path, `JSON (${what})`, (e as Error).message);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FileFormatError(path, `a JSON object (${what})`, Array.isArray(json) ? 'an array' : typeof json);
  return { json: json as Json, sha256: `sha256:${sha256Hex(text)}` };
}

/** Run name of a result file: its base name without `.json`. */
export const runNameOf = (path: string): string => basename(path).replace(/\.json$/i, '');

/** What kind of result file `json` is (null: none we know). */
export function resultKind(json: Json): 'fluid-mgn' | 'weather' | 'constraints' | 'nbody' | 'lj-potential' | 'bench-processor' | null {
  if (json.kind === 'fluid-mgn' && Array.isArray(json.heldOut)) return 'fluid-mgn';
  if (typeof o(o(json.metrics).model).rmseH === 'object' || Array.isArray(o(o(json.metrics).model).rmseH)) return 'weather';
  if (typeof json.demonstration === 'string') return 'constraints';
  if (Array.isArray(json.history) && typeof json.model === 'string') return 'nbody';
  if (typeof json.forceMae === 'number' && typeof json.nve === 'object') return 'lj-potential';
  if (json.benchmark === 'processor' && Array.isArray(json.comparisons)) return 'bench-processor';
  return null;
}

/** Shared y range of several series (log10 bounds when `log`), padded by 5 %. */
export function sharedRange(ys: readonly (readonly number[])[], log: boolean): [number, number] {
  const all = ys.flat().filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (all.length === 0) return [0, 1];
  let lo = Math.min(...all), hi = Math.max(...all);
  if (log) {
    lo = Math.log10(lo);
    hi = Math.log10(hi);
  }
  const pad = hi > lo ? 0.05 * (hi - lo) : Math.max(Math.abs(hi) * 0.05, log ? 0.5 : 1e-12);
  return [r9(lo - pad), r9(hi + pad)];
}

// ─── fluid ──────────────────────────────────────────────────────────────────────────────

export interface MgnCompanions {
  /** `mgn_train.json` (loss history of the training run). */
  readonly train?: string;
  /** `mgn_fields.json` (mesh, final-frame speed, persistence RMSE over time). */
  readonly fields?: string;
  /** `mgn_bench*.json` (training step vs PyTorch, same invocation). */
  readonly bench?: readonly string[];
}

/** Companion files next to `results/mgn.json` that exist (mgn_train, mgn_fields, mgn_bench*). */
export function mgnCompanionsBeside(resultPath: string): MgnCompanions {
  const d = dirname(resultPath);
  const at = (f: string) => (existsSync(join(d, f)) ? join(d, f) : undefined);
  const bench = at('mgn_bench_mp4.json');
  return { train: at('mgn_train.json'), fields: at('mgn_fields.json'), bench: bench ? [bench] : [] };
}

/** RunMetrics of a MeshGraphNets rollout result (`results/mgn.json`) and its companions. */
export function mgnResultRun(path: string, comp: MgnCompanions = {}, runName = runNameOf(path)): LoadedRun {
  const { json, sha256 } = readJsonFile(path, 'a MeshGraphNets rollout result (gnnwb rollout, kind fluid-mgn)');
  if (!Array.isArray(json.heldOut)) throw new FileFormatError(path, 'heldOut[] (per held-out trajectory metrics)', JSON.stringify(json.heldOut)?.slice(0, 60) ?? 'undefined');
  const held = (json.heldOut as unknown[]).map(o);
  if (held.length === 0) throw new FileFormatError(path, 'heldOut[] with at least one trajectory', 'an empty list');
  const frameDt = num(json.frameDt) ?? 1;
  const training = o(json.training);
  const notes: string[] = [];
  const panels: Panel[] = [];
  const scalars: Record<string, number> = {};
  const timings: Timing[] = [];
  const provenance: Record<string, string> = { result: basename(path), resultSha256: sha256 };
  const multi = held.length > 1;
  const fields = comp.fields ? readJsonFile(comp.fields, 'a MeshGraphNets field file (rollout with fieldsOut)') : null;
  if (fields) provenance.fieldsSha256 = fields.sha256;
  const f = fields?.json;
  const rmseSeries: Panel['series'][number][] = [];
  const ke: Panel['series'][number][] = [];
  const div: Panel['series'][number][] = [];
  for (const h of held) {
    const tag = multi ? ` (uMax ${h.uMax})` : '';
    const key = (k: string) => (multi ? `${k}[uMax=${h.uMax}]` : k);
    const rmse = nums(h.rmseOverTime);
    const t = (n: number) => Array.from({ length: n }, (_, i) => r9(i * frameDt));
    if (rmse) rmseSeries.push({ name: `model${tag}`, x: t(rmse.length), y: rmse });
    // persistence over time: from the result itself (written since session 4), else the field file
    const pers = nums(o(h.persistence).rmseOverTime) ?? (f && f.uMax === h.uMax ? nums(f.persistenceRmseOverTime) : null);
    if (pers) rmseSeries.push({ name: `persistence${tag}`, x: t(pers.length), y: pers });
    else if (rmse) notes.push(`persistence RMSE over time${tag} is neither in the result (older writers) nor in a field file of this trajectory; only its scalars are shown`);
    const kem = o(h.kineticEnergy), dv = o(h.rmsDivergence);
    for (const [name, a] of [[`model${tag}`, nums(kem.model)], [`solver${tag}`, nums(kem.solver)]] as const) if (a) ke.push({ name, x: t(a.length), y: a });
    for (const [name, a] of [[`model${tag}`, nums(dv.model)], [`solver${tag}`, nums(dv.solver)]] as const) if (a) div.push({ name, x: t(a.length), y: a });
    const pe = o(h.persistence);
    for (const [k, v] of [
      ['oneStepRmse', h.oneStepRmse],
      ['rollout50Rmse', h.rollout50Rmse],
      ['rollout50RmseOverMeanInflow', h.rollout50RmseOverMeanInflow],
      ['rolloutFullRmse', h.rolloutFullRmse],
      ['persistence.oneStepRmse', pe.oneStepRmse],
      ['persistence.rollout50Rmse', pe.rollout50Rmse],
      ['persistenceOverModelRollout50', h.persistenceOverModelRollout50],
      ['kineticEnergy.modelMaxAbsDrift', kem.modelMaxAbsDrift],
      ['kineticEnergy.solverMaxAbsDrift', kem.solverMaxAbsDrift],
    ] as const) if (num(v) !== undefined) scalars[key(k)] = r9(v as number);
    const dm = nums(dv.model), ds = nums(dv.solver);
    if (dm) scalars[key('rmsDivergence.modelFinal')] = dm[dm.length - 1];
    if (ds) scalars[key('rmsDivergence.solverFinal')] = ds[ds.length - 1];
    if (num(h.modelMsPerFrame) !== undefined && num(h.solverMsPerFrame) !== undefined) {
      timings.push({ name: `MeshGraphNets rollout, ms per frame${tag}`, value: h.modelMsPerFrame as number, unit: 'ms/frame', peer: { name: 'NS solver, same mesh and process', value: h.solverMsPerFrame as number }, note: 'ratio = speed-up of the surrogate over the solver; from the result file, machine shared with other jobs' });
    }
  }
  if (rmseSeries.length) panels.push({ id: 'mgn-rmse', section: 'rollout-error', title: 'MeshGraphNets rollout RMSE of velocity vs time', xLabel: 'time', yLabel: 'RMSE (all nodes, both components)', series: rmseSeries, note: 'Persistence: u(t) = u(0).' });
  if (ke.length) panels.push({ id: 'mgn-ke', section: 'conservation', title: 'Fluid kinetic energy', xLabel: 'time', yLabel: '½∫|u|²', series: ke, row: 'mgn-conservation' });
  if (div.length) panels.push({ id: 'mgn-div', section: 'conservation', title: 'Fluid RMS divergence (P1 weak form)', xLabel: 'time', yLabel: 'RMS ∇·u', logY: true, series: div, row: 'mgn-conservation' });
  const rot = o(json.rotationError);
  const ang = nums(rot.anglesDeg), re = nums(rot.relativeMaxError);
  if (ang && re && ang.length === re.length) {
    panels.push({ id: 'mgn-rotation', section: 'equivariance', title: 'MeshGraphNets rotation error of the network output', xLabel: 'rotation angle (°)', yLabel: 'max |f(Rx) − Rf(x)| / max |f|', series: [{ name: 'model', x: ang, y: re }], note: typeof rot.note === 'string' ? rot.note : undefined });
  }
  // Loss curve: only when the train summary is of the same run (same step count and config).
  if (comp.train) {
    const tr = readJsonFile(comp.train, 'a MeshGraphNets training summary (gnnwb train, kind fluid-mgn)');
    const hist = Array.isArray(tr.json.history) ? (tr.json.history as unknown[]) : [];
    const same = tr.json.steps === training.steps && JSON.stringify(tr.json.config) === JSON.stringify(training.config);
    const pts = hist.filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number');
    if (same && pts.length) {
      provenance.trainSha256 = tr.sha256;
      panels.push({ id: 'mgn-loss', section: 'loss', title: 'MeshGraphNets training loss (normalised one-step MSE, with noise)', xLabel: 'step', yLabel: 'loss', logY: true, series: [{ name: 'train', x: pts.map((p) => p[0]), y: pts.map((p) => r9(p[1])) }] });
    } else notes.push(`loss curve not shown: ${basename(comp.train)} ${pts.length ? 'is of another training run' : 'has no history'}`);
  } else notes.push('loss curve: no training summary (mgn_train.json) given');
  for (const b of comp.bench ?? []) {
    const bj = readJsonFile(b, 'a gnnwb bench mgn result');
    const ours = num(o(bj.json.ours).msPerStep), torch = num(o(o(bj.json.torch).fastest).msPerStep);
    if (ours !== undefined && torch !== undefined) {
      const be = typeof o(bj.json.backend).name === 'string' ? `; ${String(o(bj.json.backend).name)}` : '';
      timings.push({ name: `MGN training step (${String(bj.json.model ?? 'MeshGraphNet').split(',').slice(0, 2).join(',')}; ${o(bj.json.mesh).nodes} nodes${be})`, value: ours, unit: 'ms/step', peer: { name: `PyTorch ${o(bj.json.torch).version ?? ''} (${o(o(bj.json.torch).fastest).threads} thread)`, value: torch }, note: `${basename(b)}, both measured in the same invocation; ${String(bj.json.note ?? '')}` });
    }
  }
  // Field snapshot: solver and model speed side by side with one colour range.
  const snapshots: Snapshot[] = [];
  if (f) {
    const m = o(f.mesh), sp = o(f.speed);
    const x = nums(m.x), y = nums(m.y), tri = nums(m.triangles), s0 = nums(sp.solver), s1 = nums(sp.model);
    if (x && y && s0 && s1 && x.length === s0.length && s1.length === s0.length) {
      const lo = Math.min(...s0, ...s1), hi = Math.max(...s0, ...s1);
      const tt = r9((num(f.frame) ?? 0) * (num(f.frameDt) ?? frameDt));
      for (const [name, v] of [['solver', s0], ['model', s1]] as const) {
        snapshots.push({ type: 'mesh2d', id: `mgn-speed-${name}`, title: `|u| at t = ${tt} (frame ${f.frame}), ${name}, uMax ${f.uMax}`, x, y, value: v, triangles: tri ?? undefined, colorLabel: '|u|', colorRange: [r9(lo), r9(hi)], row: 'mgn-speed' });
      }
      const err = nums(f.error);
      if (err && err.length === x.length) snapshots.push({ type: 'mesh2d', id: 'mgn-error', title: `velocity error |û − u| at t = ${tt} (frame ${f.frame}), model vs solver`, x, y, value: err, triangles: tri ?? undefined, colorLabel: '|û − u|' });
    } else notes.push(`${basename(comp.fields!)}: mesh/speed arrays missing or of different lengths; no snapshot`);
  } else notes.push('field snapshot: no field file (mgn_fields.json, written by gnnwb rollout fluid-mgn with fieldsOut)');
  scalars.meshNodes = num(o(json.mesh).nodes) ?? NaN;
  if (num(training.steps) !== undefined) scalars.trainingSteps = training.steps as number;
  if (typeof json.note === 'string') notes.push(json.note);
  const cfg = training.config ?? null;
  return {
    metrics: {
      format: 'gnnwb-run-metrics',
      run: runName,
      title: `MeshGraphNets on cylinder flow, held-out rollout (latent ${o(cfg).model ? o(o(cfg).model).latent : '?'}, ${o(o(cfg).model).messagePassingSteps ?? '?'} message-passing steps, ${training.steps ?? '?'} training steps)`,
      domain: 'fluid',
      kind: 'fluid-mgn',
      seed: num(o(cfg).seed) ?? 0,
      configHash: configHash(cfg),
      scalars,
      panels,
      snapshots,
      provenance,
      notes,
    },
    timings,
  };
}

// ─── weather ────────────────────────────────────────────────────────────────────────────

export interface WeatherCompanions {
  /** Held-out HDF5 dataset (h, lat, lon, time, energy, mass): truth heatmaps and energy. */
  readonly heldout?: string;
}

/** RunMetrics of a weather surrogate result (`results/weather*.json`). */
export async function weatherResultRun(path: string, comp: WeatherCompanions = {}, runName = runNameOf(path)): Promise<LoadedRun> {
  const { json, sha256 } = readJsonFile(path, 'a weather surrogate result (gnnwb rollout, kind weather-graphcast)');
  const met = o(json.metrics);
  const model = o(met.model), pers = o(met.persistence), coarse = o(met.coarseSolver);
  const training = o(json.training);
  const notes: string[] = [];
  const panels: Panel[] = [];
  const scalars: Record<string, number> = {};
  const provenance: Record<string, string> = { result: basename(path), resultSha256: sha256 };
  const lead = nums(model.leadHours);
  if (!lead) throw new FileFormatError(path, 'metrics.model.leadHours[]', JSON.stringify(model.leadHours)?.slice(0, 60) ?? 'undefined');
  const coarseName = `coarse solver (level ${coarse.level ?? '?'})`;
  const line = (name: string, src: Json, k: string) => {
    const y = nums(src[k]);
    const x = nums(src.leadHours) ?? lead;
    return y && y.length === x.length ? [{ name, x, y }] : [];
  };
  // Optional per-grid-point linear baseline (newer writers): drawn beside the others.
  const linear = o(met.linearPerGridPoint);
  const trio = (k: string) => [...line('model', model, k), ...line('persistence', pers, k), ...line(coarseName, coarse, k), ...line('linear per grid point', linear, k)];
  panels.push({ id: 'wx-rmse-h', section: 'rollout-error', title: 'Height RMSE vs lead time (latitude-weighted)', xLabel: 'lead (h)', yLabel: 'RMSE h (m)', series: trio('rmseH'), row: 'wx-rmse' });
  panels.push({ id: 'wx-rmse-wind', section: 'rollout-error', title: 'Wind RMSE vs lead time (latitude-weighted)', xLabel: 'lead (h)', yLabel: 'RMSE |u| (m/s)', series: trio('rmseWind'), row: 'wx-rmse' });
  panels.push({ id: 'wx-acc-h', section: 'rollout-error', title: 'Height anomaly correlation (ACC) vs lead time', xLabel: 'lead (h)', yLabel: 'ACC h', series: trio('accH'), row: 'wx-acc' });
  const ratio = nums(o(json.targets).ratioToPersistenceByLead);
  if (ratio && ratio.length === lead.length) panels.push({ id: 'wx-ratio', section: 'rollout-error', title: 'Height RMSE, model / persistence', xLabel: 'lead (h)', yLabel: 'ratio', series: [{ name: 'model / persistence', x: lead, y: ratio }, { name: 'target 0.5 at 24 h', x: [lead[0], lead[lead.length - 1]], y: [0.5, 0.5] }], row: 'wx-acc' });
  const mass = [...line('model', model, 'massDrift'), ...line(coarseName, coarse, 'massDrift')];
  const truthMass = nums(met.truthGridMassDrift);
  if (truthMass && truthMass.length === lead.length) mass.push({ name: 'truth (reference solver, on the grid)', x: lead, y: truthMass });
  panels.push({ id: 'wx-mass', section: 'conservation', title: 'Relative total-mass drift (area-weighted, lat-lon grid)', xLabel: 'lead (h)', yLabel: 'Σw h(τ) / Σw h(0) − 1', series: mass, row: 'wx-conservation' });
  // Scalars at 24 h and at the last lead.
  const at = (src: Json, k: string, hours: number) => {
    const x = nums(src.leadHours) ?? lead, y = nums(src[k]);
    const i = x.indexOf(hours);
    return y && i >= 0 ? y[i] : undefined;
  };
  const last = lead[lead.length - 1];
  for (const hrs of [24, last]) {
    for (const [src, nm] of [[model, 'model'], [pers, 'persistence'], [coarse, 'coarseSolver'], [linear, 'linearPerGridPoint']] as const) {
      const v = at(src, 'rmseH', hrs);
      if (v !== undefined) scalars[`${nm}.rmseH@${hrs}h`] = v;
    }
    const a = at(model, 'accH', hrs);
    if (a !== undefined) scalars[`model.accH@${hrs}h`] = a;
  }
  for (const [src, nm] of [[model, 'model'], [coarse, 'coarseSolver']] as const) if (num(src.maxAbsMassDrift) !== undefined) scalars[`${nm}.maxAbsMassDrift`] = r9(src.maxAbsMassDrift as number);
  if (num(o(json.targets).ratioToPersistence24h) !== undefined) scalars['model/persistence rmseH@24h'] = r9(o(json.targets).ratioToPersistence24h as number);
  for (const k of ['steps', 'numParams']) if (num(training[k]) !== undefined) scalars[`training.${k}`] = training[k] as number;
  // Loss curve: a history when the writer records one, else only first/last as scalars.
  const hist = Array.isArray(training.history) ? (training.history as unknown[]) : Array.isArray(training.lossHistory) ? (training.lossHistory as unknown[]) : [];
  const pts = hist.map((p) => (Array.isArray(p) ? { step: p[0], loss: p[1] } : o(p))).filter((p) => typeof p.step === 'number' && typeof p.loss === 'number') as { step: number; loss: number }[];
  if (pts.length) panels.push({ id: 'wx-loss', section: 'loss', title: 'Weather surrogate training loss', xLabel: 'step', yLabel: 'loss (normalised)', logY: true, series: [{ name: 'train', x: pts.map((p) => p.step), y: pts.map((p) => r9(p.loss)) }] });
  else {
    for (const k of ['lossFirst', 'lossLast']) if (num(o(training[k]).loss) !== undefined) scalars[`training.${k}`] = r9(o(training[k]).loss as number);
    notes.push('loss curve: the result file records only the first and last logged loss (training.lossFirst/lossLast), no history');
  }
  notes.push('energy: the result file records no energy of the surrogate rollouts; the energy panel (when the held-out dataset is given) is the reference simulator\'s');
  // Timings from the file (rollout speed vs the reference solver, measured in the same run).
  const timing = o(json.timing);
  const timings: Timing[] = [];
  const ref = o(timing.referenceSolver);
  if (num(timing.modelRolloutSecondsSameTrajectory) !== undefined && num(ref.seconds) !== undefined) {
    timings.push({ name: `weather surrogate rollout of held-out trajectory ${ref.trajectory ?? 0} (${last} h)`, value: timing.modelRolloutSecondsSameTrajectory as number, unit: 's', peer: { name: `reference shallow-water solver (level ${ref.level ?? '?'}, dt ${ref.dt ?? '?'} s)`, value: ref.seconds as number }, note: `ratio = speed-up over the reference solver. ${String(timing.note ?? '')}` });
  }
  const ms = nums(timing.modelRolloutSecondsPerTrajectory), cs = nums(timing.coarseSolverSecondsPerTrajectory);
  if (ms && cs) {
    const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
    timings.push({ name: `weather surrogate rollout, mean over ${ms.length} held-out trajectories`, value: mean(ms), unit: 's', peer: { name: coarseName, value: mean(cs) }, note: 'same process' });
  }
  // Snapshots: the writer's own field snapshot if it has one, else the held-out truth.
  const snapshots: Snapshot[] = [];
  const snap = o(json.snapshot);
  const sl = nums(snap.lat), so = nums(snap.lon);
  if (sl && so) {
    const fields = Object.entries(o(snap.h ?? snap.fields)).map(([k, v]) => [k, nums(v)] as const).filter((e): e is [string, number[]] => e[1] !== null && e[1].length === sl.length * so.length);
    const flat = (v: number[]) => ({ lat: sl.flatMap((la) => so.map(() => la)), lon: sl.flatMap(() => so), value: v });
    const all = fields.flatMap(([, v]) => v);
    for (const [k, v] of fields) snapshots.push({ type: 'sphere', id: `wx-h-${k}`, title: `height ${k}${snap.leadHours !== undefined ? ` at lead ${snap.leadHours} h` : ''}`, ...flat(v), colorLabel: 'h (m)', colorRange: [r9(Math.min(...all)), r9(Math.max(...all))], row: 'wx-h' });
  }
  if (comp.heldout) {
    if (existsSync(comp.heldout)) {
      const truth = await heldoutSnapshots(comp.heldout);
      snapshots.push(...truth.snapshots);
      panels.push(...truth.panels);
      provenance.heldoutConfigHash = truth.configHash;
    } else notes.push(`held-out dataset ${basename(comp.heldout)} not found here: no truth heatmap or reference energy (it is generated by gnnwb simulate, not committed)`);
  }
  if (snapshots.length === 0) notes.push('field snapshot: the result file holds no field (no "snapshot"), and no held-out dataset was given');
  if (typeof json.benchmark === 'string') notes.push(json.benchmark);
  const cfg = training.config ?? null;
  if (typeof training.configHash === 'string') provenance.trainingConfigHash = training.configHash;
  return {
    metrics: { format: 'gnnwb-run-metrics', run: runName, title: `GraphCast-style shallow-water surrogate (mesh level ${o(training.model).meshLevel ?? '?'}, latent ${o(training.model).latent ?? '?'}, ${training.steps ?? '?'} training steps${typeof o(cfg).initFrom === 'string' ? ', warm-started' : ''}), held-out rollouts`, domain: 'weather', kind: 'weather-graphcast', seed: num(training.seed) ?? num(o(cfg).seed) ?? 0, configHash: configHash(cfg), scalars, panels, snapshots, provenance, notes },
    timings,
  };
}

/**
 * Truth height heatmaps (first trajectory at its first and last frame) and the reference
 * simulator's relative energy and mass change over each trajectory, from a held-out dataset.
 */
async function heldoutSnapshots(path: string): Promise<{ snapshots: Snapshot[]; panels: Panel[]; configHash: string }> {
  const have = Object.keys((await readManifest(path)).arrays);
  const ds = await readDataset(path, { names: ['h', 'lat', 'lon', 'time', 'energy', 'mass'].filter((n) => have.includes(n)) });
  const h = ds.arrays.h, lat = ds.arrays.lat, lon = ds.arrays.lon, time = ds.arrays.time;
  if (!h || !lat || !lon || !time || h.shape.length !== 3) throw new FileFormatError(path, 'datasets h [frames, lat, lon], lat, lon, time', Object.keys(ds.arrays).join(', '));
  const [F, NA, NO] = h.shape;
  // Trajectories: time restarts at each one.
  const starts = [0];
  for (let k = 1; k < F; k++) if (time.data[k] <= time.data[k - 1]) starts.push(k);
  const ends = [...starts.slice(1), F];
  const grid = (frame: number) => {
    const la: number[] = [], lo: number[] = [], v: number[] = [];
    for (let i = 0; i < NA; i++) for (let j = 0; j < NO; j++) {
      la.push(r9(lat.data[i]));
      lo.push(r9(lon.data[j] > 180 ? lon.data[j] - 360 : lon.data[j]));
      v.push(r9(h.data[(frame * NA + i) * NO + j]));
    }
    return { lat: la, lon: lo, value: v };
  };
  const a = grid(starts[0]), b = grid(ends[0] - 1);
  const all = [...a.value, ...b.value];
  const range: [number, number] = [Math.min(...all), Math.max(...all)];
  const hrs = (k: number) => r9((time.data[k] - time.data[starts[0]]) / 3600);
  const snapshots: Snapshot[] = [
    { type: 'sphere', id: 'wx-truth-h0', title: `reference height, held-out trajectory 0, t = ${hrs(starts[0])} h`, ...a, colorLabel: 'h (m)', colorRange: range, row: 'wx-truth' },
    { type: 'sphere', id: 'wx-truth-h1', title: `reference height, held-out trajectory 0, t = ${hrs(ends[0] - 1)} h`, ...b, colorLabel: 'h (m)', colorRange: range, row: 'wx-truth' },
  ];
  const panels: Panel[] = [];
  for (const [name, arr] of [['energy', ds.arrays.energy], ['mass', ds.arrays.mass]] as const) {
    if (!arr || arr.data.length !== F) continue;
    panels.push({
      id: `wx-ref-${name}`,
      section: 'conservation',
      title: `Reference simulator: relative total ${name} change (held-out trajectories)`,
      xLabel: 'time (h)',
      yLabel: `${name}(t) / ${name}(0) − 1`,
      row: 'wx-conservation',
      series: starts.map((s, n) => {
        const idx = Array.from({ length: ends[n] - s }, (_, k) => s + k);
        return { name: `trajectory ${n}`, x: idx.map((k) => r9((time.data[k] - time.data[s]) / 3600)), y: idx.map((k) => r9(arr.data[k] / arr.data[s] - 1)) };
      }),
    });
  }
  return { snapshots, panels, configHash: ds.manifest.configHash };
}

// ─── N-body and LJ (molecular) ──────────────────────────────────────────────────────────

/** RunMetrics of an N-body training result (`results/nbody_<model>.json`). */
export function nbodyResultRun(path: string, runName = runNameOf(path)): LoadedRun {
  const { json, sha256 } = readJsonFile(path, 'an N-body training result (gnnwb train, kind nbody-*)');
  if (!Array.isArray(json.history)) throw new FileFormatError(path, 'history[] (per-epoch MSE)', JSON.stringify(json.history)?.slice(0, 60) ?? 'undefined');
  const hist = (json.history as unknown[]).map(o);
  const series: Panel['series'][number][] = [];
  for (const k of ['trainMse', 'valMse', 'testMse']) {
    const pts = hist.filter((h) => typeof h.epoch === 'number' && typeof h[k] === 'number');
    if (pts.length) series.push({ name: `${json.model} ${k.replace('Mse', '')}`, x: pts.map((h) => h.epoch as number), y: pts.map((h) => r9(h[k] as number)) });
  }
  const scalars: Record<string, number> = {};
  for (const k of ['testMseAtBest', 'bestValMse', 'bestEpoch', 'epochs', 'paperTestMse', 'numParams']) if (num(json[k]) !== undefined) scalars[k] = r9(json[k] as number);
  const cfg = json.config ?? null;
  const timings: Timing[] = num(json.epochSecondsMedian) !== undefined ? [{ name: `${json.model} epoch (median)`, value: json.epochSecondsMedian as number, unit: 's', note: 'no peer in that run; machine shared with other jobs' }] : [];
  return {
    metrics: { format: 'gnnwb-run-metrics', run: runName, title: `${json.model} on the EGNN paper's charged N-body protocol`, domain: 'md', kind: `nbody-${json.model}`, seed: num(o(cfg).seed) ?? 0, configHash: configHash(cfg), scalars, panels: series.length ? [{ id: 'nbody-loss', section: 'loss', title: 'N-body (EGNN paper protocol): MSE per epoch', xLabel: 'epoch', yLabel: 'MSE', logY: true, series }] : [], snapshots: [], provenance: { result: basename(path), resultSha256: sha256 }, notes: typeof json.note === 'string' ? [json.note] : [] },
    timings,
  };
}

/** RunMetrics of the learned LJ potential result (`results/lj_potential.json`). */
export function ljResultRun(path: string, runName = runNameOf(path)): LoadedRun {
  const { json, sha256 } = readJsonFile(path, 'a learned-LJ result (gnnwb train, kind lj-potential)');
  const nve = o(json.nve), epa = o(nve.energyPerAtom), gr = o(json.gr);
  const panels: Panel[] = [];
  const every = num(epa.every) ?? 1;
  const el = nums(epa.learned), er = nums(epa.reference);
  if (el && er) {
    const drift = (a: number[]) => a.map((v) => r9(v - a[0]));
    panels.push({ id: 'lj-energy', section: 'conservation', title: 'NVE total energy drift per atom, learned vs reference potential', xLabel: 'step', yLabel: 'E(t) − E(0) per atom (ε)', series: [{ name: 'learned (SchNet)', x: el.map((_, i) => i * every), y: drift(el) }, { name: 'reference LJ', x: er.map((_, i) => i * every), y: drift(er) }] });
  }
  const r = nums(gr.r), gl = nums(gr.learned), gref = nums(gr.reference);
  if (r && gl && gref) panels.push({ id: 'lj-gr', section: 'other', title: 'Radial distribution function g(r)', xLabel: 'r (σ)', yLabel: 'g(r)', series: [{ name: 'learned', x: r, y: gl }, { name: 'reference', x: r, y: gref }] });
  const scalars: Record<string, number> = {};
  for (const k of ['forceMae', 'forceRmse', 'referenceMeanAbsForce']) if (num(json[k]) !== undefined) scalars[k] = r9(json[k] as number);
  for (const side of ['learned', 'reference']) if (num(o(nve[side]).driftPerAtom) !== undefined) scalars[`nve.${side}.driftPerAtom`] = r9(o(nve[side]).driftPerAtom as number);
  if (num(gr.maxAbsDiff) !== undefined) scalars['gr.maxAbsDiff'] = r9(gr.maxAbsDiff as number);
  const timings: Timing[] = [];
  const sl = num(o(nve.learned).secondsPerStep), sr = num(o(nve.reference).secondsPerStep);
  if (sl !== undefined && sr !== undefined) timings.push({ name: 'NVE step with the learned potential', value: sl * 1000, unit: 'ms/step', peer: { name: 'reference LJ force loop (same run)', value: sr * 1000 }, note: 'machine shared with other jobs' });
  const cfg = o(json.training).config ?? null;
  return {
    metrics: { format: 'gnnwb-run-metrics', run: runName, title: typeof json.task === 'string' ? json.task : 'learned LJ potential', domain: 'md', kind: 'lj-potential', seed: num(o(cfg).seed) ?? 0, configHash: configHash(cfg), scalars, panels, snapshots: [], provenance: { result: basename(path), resultSha256: sha256 }, notes: typeof json.note === 'string' ? [json.note] : [] },
    timings,
  };
}

// ─── performance benchmarks (bench/processor) ───────────────────────────────────────────

/**
 * `gnnwb bench processor` results (`bench/processor/*.json`): per graph size and round, our
 * processor step against the fastest PyTorch configuration measured in the same invocation.
 * Only timings (the page's performance table); nothing of it goes into metrics.json.
 */
export function processorBenchRun(path: string, runName = runNameOf(path)): LoadedRun {
  const { json, sha256 } = readJsonFile(path, 'a gnnwb bench processor result');
  const comps = Array.isArray(json.comparisons) ? (json.comparisons as unknown[]).map(o) : [];
  if (json.benchmark !== 'processor' || comps.length === 0) throw new FileFormatError(path, "benchmark 'processor' with comparisons[]", `benchmark ${JSON.stringify(json.benchmark)}, ${comps.length} comparisons`);
  const timings: Timing[] = [];
  const be = o(json.backend);
  for (const c of comps) {
    for (const [i, r] of (Array.isArray(c.rounds) ? c.rounds : []).map(o).entries()) {
      const tf = o(r.torchFastest);
      if (num(r.ourMs) === undefined || num(tf.msPerStep) === undefined) continue;
      timings.push({ name: `processor step ${c.size} (latent ${o((json.ours as unknown[])?.[0]).latent ?? '?'}), fwd+bwd+Adam, round ${i + 1}`, value: r.ourMs as number, unit: 'ms/step', peer: { name: `PyTorch ${o(json.torch).version ?? ''} (${tf.threads} thread, ${tf.variant})`, value: tf.msPerStep as number }, note: `ours: ${be.name} ${be.threads} threads, ${r.ourVariant}; median ratio over rounds ${c.medianRatio}` });
    }
  }
  return {
    metrics: { format: 'gnnwb-run-metrics', run: runName, title: String(json.model ?? 'processor benchmark').split(';')[0], domain: 'performance', kind: 'bench-processor', seed: 0, configHash: configHash({ steps: json.steps, warmup: json.warmup, rounds: json.rounds, model: json.model }), scalars: {}, panels: [], snapshots: [], provenance: { result: basename(path), resultSha256: sha256 }, notes: typeof json.caveat === 'string' ? [json.caveat] : [] },
    timings,
  };
}
