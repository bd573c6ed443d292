/**
 * Physics-constraint demonstrations (issue 9 (a)(b)(c), `results/constraints_*.json`) as report
 * runs: every quantity recorded over a rollout is drawn for the variant without the constraint
 * and the variant with it, side by side on one y range, with reference lines (solver, truth,
 * persistence) in both.
 *
 * The files are read by structure, not by a fixed schema, so the demonstrations can change
 * while their producers work on them: an object whose child objects share a numeric-array key
 * holds *variants* (e.g. `{plain: {drift}, conserving: {drift}}` or
 * `{without: {rmsDivergence}, with: {rmsDivergence}, solver: {rmsDivergence}}`); every numeric
 * array of length ≥ 2 becomes a line, grouped by its path without the variant key; x is a
 * sibling or ancestor array named `leadHours`, `hours`, `time`, `t`, `steps` or `frames` of the
 * same length, else the index (rollout step). Numbers outside `config` objects become scalars
 * (wall times excluded: they are not reproducible); top-level strings become notes.
 *
 * Example (demo (a)): `{"demonstration": "...", "plain": {"maxAbsDrift": 9.8, "drift": [...]},
 * "conserving": {"maxAbsDrift": 1.4e-8, "drift": [...]}}` → scalars `plain.maxAbsDrift`,
 * `conserving.maxAbsDrift` and one row of two panels "drift: plain | conserving".
 */
import { basename } from 'node:path';
import { configHash } from '../config/hash.js';
import { FileFormatError } from '../util/errors.js';
import { r9, readJsonFile, runNameOf, sharedRange, type LoadedRun } from './results.js';
import type { Panel, Series } from './types.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'number' || x === null);
const X_KEYS = ['leadHours', 'hours', 'time', 'times', 't', 'steps', 'frames'];
const REFERENCE = /^(solver|reference|truth|persistence|groundTruth|ground_truth|coarseSolver|constantVelocity|climatology|baseline)$/i;
const WITHOUT = /^(without|plain|no[A-Z_-]?|unconstrained|free|off)/i;
const TIMING = /seconds|Seconds|^ms|Ms$|msPer|loadavg|wall/;
/** Subtrees that describe the run rather than measure it. */
const SKIP = new Set(['config', 'environment', 'machine', 'backend']);
/** x columns of tables (arrays of numeric records such as `[{step, loss}]`). */
const TABLE_X = ['step', 'epoch', 'iteration', 'leadHours', 'time', 't'];

const LABELS: Record<string, string> = {
  drift: 'momentum drift |ΔP| / Σm|v₀|',
  momentumDrift: 'total momentum drift',
  rmsDivergence: 'RMS divergence',
  kineticEnergy: 'kinetic energy',
  massDrift: 'relative total-mass drift',
  energyDrift: 'relative energy drift',
  rmse: 'RMSE',
  rmseH: 'height RMSE',
  mse: 'MSE',
};

/** `rmsDivergence` → `rms divergence` (or a known label). */
export function humanise(key: string): string {
  return LABELS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

interface Line {
  readonly group: string;
  readonly leaf: string;
  readonly variant: string;
  readonly x: number[] | null;
  /** Name of the x array (`leadHours`, `step`, …), when there is one. */
  readonly xName?: string;
  readonly y: number[];
}

/** An array of records with numbers only and an x column, e.g. `[{step, loss}]`. */
const isTable = (v: unknown): v is Json[] =>
  Array.isArray(v) && v.length >= 2 && v.every((r) => isObj(r) && Object.values(r).every((x) => typeof x === 'number')) && TABLE_X.some((k) => k in (v[0] as Json));

/** Numeric-array (or table) keys directly in `o`. */
const arrayKeys = (o: Json): string[] => Object.keys(o).filter((k) => isNumArray(o[k]) || isTable(o[k]));

/** Child keys of `o` that are variants (child objects sharing a numeric-array key). */
export function variantKeys(o: Json): string[] {
  const kids = Object.keys(o).filter((k) => isObj(o[k]) && !SKIP.has(k));
  const count = new Map<string, number>();
  for (const k of kids) for (const a of arrayKeys(o[k] as Json)) count.set(a, (count.get(a) ?? 0) + 1);
  const shared = new Set([...count].filter(([, c]) => c >= 2).map(([a]) => a));
  return kids.filter((k) => arrayKeys(o[k] as Json).some((a) => shared.has(a)));
}

/** Every variant key anywhere in `node`. */
function allVariantNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((el) => allVariantNames(el, out));
  else if (isObj(node)) {
    for (const k of variantKeys(node)) out.add(k);
    for (const [k, v] of Object.entries(node)) if (!SKIP.has(k)) allVariantNames(v, out);
  }
  return out;
}

interface Walk {
  readonly lines: Line[];
  readonly scalars: Record<string, number>;
  readonly seeds: number[];
  /** Variant names used anywhere in the file. */
  readonly names: Set<string>;
}

function xOf(scope: readonly Json[], n: number): { x: number[] | null; xName?: string } {
  for (const s of scope) {
    const key = X_KEYS.find((xk) => isNumArray(s[xk]) && (s[xk] as number[]).length === n);
    if (key) return { x: (s[key] as number[]).map(r9), xName: key };
  }
  return { x: null };
}

function collect(node: unknown, path: string[], variant: string[], xs: Json[], w: Walk): void {
  if (Array.isArray(node)) {
    if (node.every(isObj)) {
      node.forEach((el, i) => {
        const tag = typeof el.uMax === 'number' ? `uMax ${el.uMax}` : typeof el.label === 'string' ? el.label : `[${i}]`;
        collect(el, [...path, node.length > 1 ? tag : ''], variant, xs, w);
      });
    }
    return;
  }
  if (!isObj(node)) return;
  const vk = new Set(variantKeys(node));
  const scope = [node, ...xs];
  // An object holding one array per variant (e.g. {plain: [...], flux: [...]}): one quantity.
  const ak = Object.keys(node).filter((k) => isNumArray(node[k]) && !X_KEYS.includes(k));
  const perVariant = variant.length === 0 && ak.length >= 2 && ak.every((k) => w.names.has(k));
  for (const [k, v] of Object.entries(node)) {
    if (SKIP.has(k)) {
      if (isObj(v) && typeof v.seed === 'number') w.seeds.push(v.seed);
      continue;
    }
    if (typeof v === 'number') {
      if (k === 'seed') w.seeds.push(v);
      if (!TIMING.test(k)) w.scalars[[...path, ...variant, k].filter(Boolean).join('.')] = r9(v);
    } else if (isNumArray(v)) {
      if (X_KEYS.includes(k)) continue;
      const y = v.map((q) => (q === null ? NaN : r9(q)));
      const x = xOf(scope, y.length);
      if (perVariant) w.lines.push({ group: path.filter(Boolean).join('.'), leaf: path[path.length - 1] ?? k, variant: k, ...x, y });
      else w.lines.push({ group: [...path, k].filter(Boolean).join('.'), leaf: k, variant: variant.join(' '), ...x, y });
    } else if (isTable(v)) {
      const xk = TABLE_X.find((c) => c in v[0])!;
      for (const col of Object.keys(v[0]).filter((c) => c !== xk)) {
        w.lines.push({ group: [...path, k, col].filter(Boolean).join('.'), leaf: col, variant: variant.join(' '), x: v.map((r) => r9(r[xk] as number)), xName: xk, y: v.map((r) => r9(r[col] as number)) });
      }
    } else if (isObj(v) || Array.isArray(v)) {
      if (vk.has(k)) collect(v, path, [...variant, k], scope, w);
      else collect(v, [...path, k], variant, scope, w);
    }
  }
}

const safeId = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');

/** Panels of one quantity: without | with side by side (shared y range), references in both. */
export function demoPanels(runName: string, group: string, leaf: string, lines: readonly Line[]): Panel[] {
  const xn = lines[0].xName;
  const xLabel = xn === 'leadHours' || xn === 'hours' ? 'lead (h)' : xn ? humanise(xn) : 'rollout step';
  const refs = lines.filter((l) => l.variant.split(' ').some((v) => REFERENCE.test(v)));
  const cmp = lines.filter((l) => !refs.includes(l)).sort((a, b) => Number(WITHOUT.test(b.variant)) - Number(WITHOUT.test(a.variant)));
  // Log scale when magnitudes span > 10³ (e.g. drift 1 vs 1e-8); signed values are then
  // drawn as |value| (stated in the axis label), so both variants stay readable.
  const flat = lines.flatMap((l) => l.y).filter(Number.isFinite);
  const mag = flat.map(Math.abs).filter((v) => v > 0);
  const logY = mag.length > 0 && Math.max(...mag) / Math.min(...mag) > 1e3;
  const signed = flat.some((v) => v < 0);
  const absolute = logY && signed;
  const series = (l: Line): Series => ({ name: l.variant || leaf, x: l.x ?? l.y.map((_, i) => i), y: absolute ? l.y.map(Math.abs) : l.y });
  const yRange = sharedRange(lines.map((l) => (absolute ? l.y.map(Math.abs) : l.y)), logY);
  const base = `${runName}-${safeId(group)}`;
  const label = absolute ? `|${humanise(leaf)}|` : humanise(leaf);
  const maxAbs = (l: Line) => l.y.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  if (cmp.length < 2 || /loss/i.test(group)) {
    // One quantity without a with/without pair, or training losses: one chart, every line.
    const title = /loss/i.test(group) ? 'training loss, both variants' : group.split('.').map(humanise).join(' · ');
    return [{ id: base, section: 'constraints', title, xLabel, yLabel: label, logY, series: lines.map(series) }];
  }
  return cmp.map((l) => ({
    id: `${base}-${safeId(l.variant)}`,
    section: 'constraints' as const,
    title: `${l.variant}: ${label} (max |·| ${r9(maxAbs(l)).toExponential(2)})`,
    xLabel,
    yLabel: label,
    logY,
    yRange,
    row: base,
    series: [series(l), ...refs.map(series)],
  }));
}

/** A constraint demonstration file as a report run (section `constraints`). */
export function constraintsResultRun(path: string, runName = runNameOf(path)): LoadedRun {
  const { json, sha256 } = readJsonFile(path, 'a physics-constraint demonstration (results/constraints_*.json)');
  if (typeof json.demonstration !== 'string') throw new FileFormatError(path, "a field 'demonstration' (string) naming the demonstration", Object.keys(json).join(', ').slice(0, 80));
  const w: Walk = { lines: [], scalars: {}, seeds: [], names: allVariantNames(json) };
  collect(json, [], [], [], w);
  const { lines, scalars, seeds } = w;
  const groups = new Map<string, Line[]>();
  for (const l of lines) groups.set(l.group, [...(groups.get(l.group) ?? []), l]);
  const panels = [...groups.entries()].flatMap(([g, ls]) => demoPanels(runName, g, ls[0].leaf, ls));
  const notes = Object.entries(json).filter(([k, v]) => typeof v === 'string' && k !== 'demonstration').map(([k, v]) => `${k}: ${v as string}`);
  if (panels.length === 0) notes.push('no series over a rollout in this file (only scalars)');
  const cfg = isObj(json.training) && isObj(json.training.config) ? json.training.config : isObj(json.config) ? json.config : null;
  return {
    metrics: {
      format: 'gnnwb-run-metrics',
      run: runName,
      title: json.demonstration,
      domain: 'constraints',
      kind: 'constraints-demo',
      seed: seeds[0] ?? 0,
      configHash: configHash(cfg),
      scalars,
      panels,
      snapshots: [],
      provenance: { result: basename(path), resultSha256: sha256 },
      notes,
    },
    timings: [],
  };
}
