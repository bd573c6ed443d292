// Robust inputs for the report's result-file adapters: the committed result files with fields
// removed or replaced by random JSON, and random demonstration files, give either a run whose
// panels are well formed or a FileFormatError — never a TypeError or a crash trace.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constraintsResultRun } from '../../src/report/constraints.js';
import { ljResultRun, mgnResultRun, nbodyResultRun, processorBenchRun, weatherResultRun, type LoadedRun } from '../../src/report/results.js';
import { readRunMetrics } from '../../src/report/report.js';
import { FileFormatError } from '../../src/util/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-report-fuzz-'));
});

type Json = Record<string, unknown>;

/** Replaces the value at a random path of `obj` by `v` (or deletes it when v is undefined). */
function mutate(obj: unknown, path: readonly number[], v: unknown): unknown {
  if (typeof obj !== 'object' || obj === null || path.length === 0) return v;
  const keys = Object.keys(obj);
  if (keys.length === 0) return obj;
  const k = keys[path[0] % keys.length];
  const copy: Json = Array.isArray(obj) ? ([...obj] as unknown as Json) : { ...(obj as Json) };
  const next = mutate((obj as Json)[k], path.slice(1), v);
  if (next === undefined) delete copy[k];
  else copy[k] = next;
  return copy;
}

/** A loaded run must be writable as a report run: valid sections, x/y of equal length. */
function wellFormed(r: LoadedRun, file: string): void {
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify(r.metrics));
  readRunMetrics(dir); // the report's own validation of panels
  for (const p of r.metrics.panels) for (const s of p.series) expect(s.x.length, `${file}: ${p.id}/${s.name}`).toBe(s.y.length);
  for (const v of Object.values(r.metrics.scalars)) expect(typeof v).toBe('number');
}

const cases: [string, (p: string) => LoadedRun | Promise<LoadedRun>][] = [
  ['mgn.json', (p) => mgnResultRun(p)],
  ['weather.json', (p) => weatherResultRun(p)],
  ['constraints_momentum.json', (p) => constraintsResultRun(p)],
  ['constraints_mgn_projection.json', (p) => constraintsResultRun(p)],
  ['nbody_linear.json', (p) => nbodyResultRun(p)],
  ['lj_potential.json', (p) => ljResultRun(p)],
];

describe('result-file adapters on corrupted inputs', () => {
  for (const [file, load] of cases) {
    it(`${file}: random fields removed or replaced → a well-formed run or FileFormatError`, async () => {
      const base = JSON.parse(readFileSync(join('results', file), 'utf8'));
      const target = join(dir, file);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }), async (path, v) => {
          writeFileSync(target, JSON.stringify(mutate(base, path, v)));
          try {
            wellFormed(await load(target), file);
          } catch (e) {
            if (!(e instanceof FileFormatError)) throw e;
          }
        }),
        { seed: 20261122, numRuns: 150 },
      );
    });
  }

  it('random demonstration files and truncated text → a well-formed run or FileFormatError', () => {
    const target = join(dir, 'constraints_rand.json');
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('plain', 'with', 'without', 'flux', 'solver', 'leadHours', 'training', 'x'), fc.jsonValue({ maxDepth: 3 })), (body) => {
        writeFileSync(target, JSON.stringify({ demonstration: 'fuzz', ...body }));
        try {
          wellFormed(constraintsResultRun(target), 'random');
        } catch (e) {
          if (!(e instanceof FileFormatError)) throw e;
        }
      }),
      { seed: 7, numRuns: 200 },
    );
    const text = readFileSync(join('results', 'constraints_momentum.json'), 'utf8');
    for (const cut of [0, 1, 10, 100, text.length - 2]) {
      writeFileSync(target, text.slice(0, cut));
      expect(() => constraintsResultRun(target)).toThrow(FileFormatError);
    }
    writeFileSync(target, '[1, 2]');
    expect(() => processorBenchRun(target)).toThrow(/a JSON object/);
  });

  it('the mutation helper really changes the input (the property above can fail)', async () => {
    const base = JSON.parse(readFileSync(join('results', 'mgn.json'), 'utf8'));
    const target = join(dir, 'mgn_broken.json');
    writeFileSync(target, JSON.stringify({ ...base, heldOut: [{ ...base.heldOut[0], rmseOverTime: 'oops', kineticEnergy: { model: [1, 2], solver: null } }] }));
    const r = mgnResultRun(target);
    expect(r.metrics.panels.find((p) => p.id === 'mgn-rmse')).toBeUndefined();
    expect(r.metrics.panels.find((p) => p.id === 'mgn-ke')!.series.map((s) => s.name)).toEqual(['model']);
  });
});
