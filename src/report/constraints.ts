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
const REFERENCE = /^(solver|reference|truth|persistence|groundTruth|ground_truth|coarseSolver)$/i;
const WITHOUT = /^(without|plain|no[A-Z_-]?|unconstrained|baseline|free|off)/i;
const TIMING = /seconds|Seconds|^ms|Ms$|msPer|loadavg|wall/;

const LABELS: Record<string, string> = {
  drift: 'total momentum drift |P(t) − P(0)| / Σ m|v(0)|',
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
  readonly y: number[];
}

/** Numeric-array keys directly in `o`. */
const arrayKeys = (o: Json): string[] => Object.keys(o).filter((k) => isNumArray(o[k]));

/** Child keys of `o` that are variants (child objects sharing a numeric-array key). */
export function variantKeys(o: Json): string[] {
  const kids = Object.keys(o).filter((k) => isObj(o[k]) && k !== 'config');
  const count = new Map<string, number>();
  for (const k of kids) for (const a of arrayKeys(o[k] as Json)) count.set(a, (count.get(a) ?? 0) + 1);
  const shared = new Set([...count].filter(([, c]) => c >= 2).map(([a]) => a));
  return kids.filter((k) => arrayKeys(o[k] as Json).some((a) => shared.has(a)));
}

function collect(node: unknown, path: string[], variant: string[], xs: Json[], lines: Line[], scalars: Record<string, number>, seeds: number[]): void {
  if (Array.isArray(node)) {
    if (node.every(isObj)) {
      node.forEach((el, i) => {
        const tag = typeof el.uMax === 'number' ? `uMax ${el.uMax}` : typeof el.label === 'string' ? el.label : `[${i}]`;
        collect(el, [...path, node.length > 1 ? tag : ''], variant, xs, lines, scalars, seeds);
      });
    }
    return;
  }
  if (!isObj(node)) return;
  const vk = new Set(variantKeys(node));
  const scope = [node, ...xs];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'config') {
      if (isObj(v) && typeof v.seed === 'number') seeds.push(v.seed);
      continue;
    }
    if (typeof v === 'number') {
      if (k === 'seed') seeds.push(v);
      if (!TIMING.test(k)) scalars[[...path, ...variant, k].filter(Boolean).join('.')] = r9(v);
    } else if (isNumArray(v)) {
      if (X_KEYS.includes(k)) continue;
      const y = v.map((q) => (q === null ? NaN : r9(q)));
      let x: number[] | null = null;
      for (const s of scope) {
        const key = X_KEYS.find((xk) => isNumArray(s[xk]) && (s[xk] as number[]).length === y.length);
        if (key) {
          x = (s[key] as number[]).map(r9);
          break;
        }
      }
      lines.push({ group: [...path, k].filter(Boolean).join('.'), leaf: k, variant: variant.join(' '), x, y });
    } else if (isObj(v) || Array.isArray(v)) {
      if (vk.has(k)) collect(v, path, [...variant, k], scope, lines, scalars, seeds);
      else collect(v, [...path, k], variant, scope, lines, scalars, seeds);
    }
  }
}

const safeId = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');

/** Panels of one quantity: without | with side by side (shared y range), references in both. */
export function demoPanels(runName: string, group: string, leaf: string, lines: readonly Line[]): Panel[] {
  const series = (l: Line): Series => ({ name: l.variant || leaf, x: l.x ?? l.y.map((_, i) => i), y: l.y });
  const xLabel = lines[0].x ? 'time' : 'rollout step';
  const refs = lines.filter((l) => l.variant.split(' ').some((v) => REFERENCE.test(v)));
  const cmp = lines.filter((l) => !refs.includes(l)).sort((a, b) => Number(WITHOUT.test(b.variant)) - Number(WITHOUT.test(a.variant)));
  const ys = lines.map((l) => l.y);
  const flat = ys.flat().filter(Number.isFinite);
  const pos = flat.filter((v) => v > 0);
  const logY = flat.every((v) => v >= 0) && pos.length > 0 && Math.max(...pos) / Math.min(...pos) > 1e3;
  const yRange = sharedRange(ys, logY);
  const base = `${runName}-${safeId(group)}`;
  const label = humanise(leaf);
  const maxAbs = (l: Line) => l.y.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  if (cmp.length < 2) {
    return [{ id: base, section: 'constraints', title: `${group.replace(new RegExp(`${leaf}$`), label)}`, xLabel, yLabel: label, logY, series: lines.map(series) }];
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
  const lines: Line[] = [];
  const scalars: Record<string, number> = {};
  const seeds: number[] = [];
  collect(json, [], [], [], lines, scalars, seeds);
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
