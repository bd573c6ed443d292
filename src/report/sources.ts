/**
 * What a report is built from, and report configs (`gnnwb report --config reports/all.json`).
 *
 * A run source is a run folder, a result file (kind detected from its contents), or an
 * explicit source naming a result file and its companions:
 *
 * ```json
 * { "title": "gnnwb: all domains",
 *   "out": "../runs/report-all",
 *   "runs": [
 *     { "type": "dir", "path": "../runs/quickstart/run", "optional": true },
 *     { "type": "fluid-mgn", "result": "../results/mgn.json", "train": "../results/mgn_train.json",
 *       "fields": "../results/mgn_fields.json", "bench": ["../results/mgn_bench_mp4.json"] },
 *     { "type": "weather", "result": "../results/weather.json", "heldout": "../runs/wx/heldout/heldout.h5" },
 *     { "type": "constraints", "result": "../results/constraints_momentum.json" },
 *     { "type": "nbody", "result": "../results/nbody_egnn.json" },
 *     { "type": "lj-potential", "result": "../results/lj_potential.json" },
 *     { "type": "bench-processor", "result": "../bench/processor/results-quiet-2026-11-22.json" } ] }
 * ```
 *
 * Paths in a config are relative to the config file's folder. `optional: true` lets a source
 * be absent (listed under "missing" in the report); any other absent file is an error (exit 66).
 * `name` overrides the run name (default: the file or folder name).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { arr, bool, literal, num, obj, optional, parseConfig, str, tagged } from '../config/schema.js';
import { loadJsonFile } from '../config/load.js';
import { FileFormatError } from '../util/errors.js';
import { constraintsResultRun } from './constraints.js';
import { ljResultRun, mgnCompanionsBeside, mgnResultRun, nbodyResultRun, processorBenchRun, readJsonFile, resultKind, weatherResultRun, type LoadedRun } from './results.js';

const common = { optional: bool({ default: false }), name: optional(str({ pattern: /^[A-Za-z0-9_.@+-]+$/ })) };

/** Schema of one run source. */
export const runSourceSchema = tagged(
  {
    auto: obj({ type: literal('auto'), path: str(), ...common }),
    dir: obj({ type: literal('dir'), path: str(), ...common }),
    'fluid-mgn': obj({ type: literal('fluid-mgn'), result: str(), train: optional(str()), fields: optional(str()), bench: arr(str(), { default: [] }), ...common }),
    weather: obj({ type: literal('weather'), result: str(), heldout: optional(str()), ...common }),
    constraints: obj({ type: literal('constraints'), result: str(), ...common }),
    nbody: obj({ type: literal('nbody'), result: str(), ...common }),
    'lj-potential': obj({ type: literal('lj-potential'), result: str(), ...common }),
    'bench-processor': obj({ type: literal('bench-processor'), result: str(), ...common }),
  },
  'type',
);
interface Common {
  readonly optional?: boolean;
  readonly name?: string;
}
/** One run of a report (see the module doc). */
export type RunSource =
  | (Common & { readonly type: 'auto' | 'dir'; readonly path: string })
  | (Common & { readonly type: 'fluid-mgn'; readonly result: string; readonly train?: string; readonly fields?: string; readonly bench?: readonly string[] })
  | (Common & { readonly type: 'weather'; readonly result: string; readonly heldout?: string })
  | (Common & { readonly type: 'constraints' | 'nbody' | 'lj-potential' | 'bench-processor'; readonly result: string });

/** Schema of a report config file. */
export const reportConfigSchema = obj({
  title: optional(str()),
  out: optional(str()),
  runs: arr(runSourceSchema, { minLength: 1 }),
  version: num({ integer: true, min: 1, default: 1 }),
});
/** A report config with paths relative to the current directory. */
export interface ReportConfig {
  readonly title?: string;
  readonly out?: string;
  readonly runs: readonly RunSource[];
}

/** Loads and validates a report config; paths become relative to the current directory. */
export function loadReportConfig(path: string): ReportConfig {
  const c = parseConfig(reportConfigSchema, loadJsonFile(path));
  const base = dirname(path);
  const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const runs = c.runs.map((r): RunSource => {
    switch (r.type) {
      case 'auto':
      case 'dir':
        return { ...r, path: at(r.path) };
      case 'fluid-mgn':
        return { ...r, result: at(r.result), train: r.train && at(r.train), fields: r.fields && at(r.fields), bench: r.bench.map(at) };
      case 'weather':
        return { ...r, result: at(r.result), heldout: r.heldout && at(r.heldout) };
      default:
        return { ...r, result: at(r.result) };
    }
  });
  return { title: c.title, out: c.out && at(c.out), runs };
}

/** Loads a result-file source (not a run folder: report.ts handles those). */
export async function loadSource(s: RunSource): Promise<LoadedRun> {
  const named = (r: LoadedRun): LoadedRun => (s.name ? { ...r, metrics: { ...r.metrics, run: s.name } } : r);
  switch (s.type) {
    case 'fluid-mgn':
      return named(mgnResultRun(s.result, { train: s.train, fields: s.fields, bench: s.bench ?? [] }));
    case 'weather':
      return named(await weatherResultRun(s.result, { heldout: s.heldout }));
    case 'constraints':
      return named(constraintsResultRun(s.result));
    case 'nbody':
      return named(nbodyResultRun(s.result));
    case 'lj-potential':
      return named(ljResultRun(s.result));
    case 'bench-processor':
      return named(processorBenchRun(s.result));
    case 'dir':
    case 'auto': {
      if (existsSync(s.path) && statSync(s.path).isDirectory()) {
        const { loadRun } = await import('./report.js');
        const r = await loadRun(s.path);
        return named({ metrics: r.metrics, timings: r.timings });
      }
      if (s.type === 'dir') throw new FileFormatError(s.path, 'a run folder', existsSync(s.path) ? 'a file' : 'no such folder');
      const { json } = readJsonFile(s.path, 'a run folder or a result file');
      const kind = resultKind(json);
      switch (kind) {
        case 'fluid-mgn':
          return named(mgnResultRun(s.path, mgnCompanionsBeside(s.path)));
        case 'weather':
          return named(await weatherResultRun(s.path));
        case 'constraints':
          return named(constraintsResultRun(s.path));
        case 'nbody':
          return named(nbodyResultRun(s.path));
        case 'lj-potential':
          return named(ljResultRun(s.path));
        case 'bench-processor':
          return named(processorBenchRun(s.path));
        default:
          throw new FileFormatError(s.path, 'a run folder, or a result file of fluid-mgn, weather, constraints, nbody or lj-potential', `a JSON object with keys ${Object.keys(json).slice(0, 8).join(', ')}`);
      }
    }
  }
}

