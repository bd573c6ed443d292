/**
 * Adapters: run folders of other producers turned into {@link RunMetrics} for the report.
 *
 * - MD simulation folders (`gnnwb simulate` with `md-lj` / `md-springs`, src/sims/md/run.ts):
 *   `trajectory.h5` (positions [T, N, dim]) + `thermo.jsonl` → energy drift per atom and
 *   temperature vs step, a particle snapshot (first ≤ 12 particles, ≤ 60 frames), and the
 *   simulator's atom-steps/s as a timing (from its own metrics.json, which holds wall times and
 *   is therefore not copied into the reproducible metrics).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../io/dataset.js';
import { FileFormatError } from '../util/errors.js';
import type { Panel, RunMetrics, Timing } from './types.js';

interface Thermo {
  step: number;
  time?: number;
  temp?: number;
  pe?: number;
  ke?: number;
  etotal?: number;
  press?: number;
}

const r9 = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(9)) : v);

/** True if `dir` looks like an MD simulation folder. */
export function isMdSimulationDir(dir: string): boolean {
  return existsSync(join(dir, 'trajectory.h5')) && existsSync(join(dir, 'thermo.jsonl'));
}

/** RunMetrics (+ timings) of an MD simulation folder. */
export async function mdSimulationMetrics(dir: string, runName = dir.split(/[\\/]/).filter(Boolean).pop() ?? 'md'): Promise<{ metrics: RunMetrics; timings: Timing[] }> {
  const ds = await readDataset(join(dir, 'trajectory.h5'), { names: ['positions'] });
  const pos = ds.arrays.positions;
  if (pos.shape.length !== 3) throw new FileFormatError(join(dir, 'trajectory.h5'), "'positions' of shape [T, N, dim]", `shape [${pos.shape.join(', ')}]`);
  const [T, N, dim] = pos.shape;
  const thermoPath = join(dir, 'thermo.jsonl');
  const thermo: Thermo[] = [];
  for (const [i, line] of readFileSync(thermoPath, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      thermo.push(JSON.parse(line) as Thermo);
    } catch (e) {
      throw new FileFormatError(thermoPath, `JSON on line ${i + 1}`, (e as Error).message);
    }
  }
  const steps = thermo.map((t) => t.step);
  const e0 = thermo[0]?.etotal ?? NaN;
  const panels: Panel[] = [];
  if (thermo.length && thermo.every((t) => typeof t.etotal === 'number')) {
    panels.push({ id: 'md-energy', section: 'conservation', title: 'Total energy drift per atom (E(t) − E(0)) / N', xLabel: 'step', yLabel: 'ε per atom', series: [{ name: ds.manifest.simulator, x: steps, y: thermo.map((t) => r9((t.etotal! - e0) / N)) }] });
  }
  if (thermo.length && thermo.every((t) => typeof t.temp === 'number')) {
    panels.push({ id: 'md-temperature', section: 'other', title: 'Temperature', xLabel: 'step', yLabel: 'T', series: [{ name: ds.manifest.simulator, x: steps, y: thermo.map((t) => r9(t.temp!)) }] });
  }
  // Snapshot: ≤ 12 particles, ≤ 60 frames, as [frames, n, 3] (z = 0 in 2D).
  const n = Math.min(N, 12);
  const stride = Math.max(1, Math.ceil(T / 60));
  const ref: number[] = [];
  for (let t = 0; t < T; t += stride) {
    for (let i = 0; i < n; i++) for (let d = 0; d < 3; d++) ref.push(d < dim ? r9(pos.data[(t * N + i) * dim + d]) : 0);
  }
  const last = thermo[thermo.length - 1];
  const metrics: RunMetrics = {
    format: 'gnnwb-run-metrics',
    run: runName,
    domain: 'md',
    kind: ds.manifest.simulator,
    seed: ds.manifest.seed,
    configHash: ds.manifest.configHash,
    scalars: {
      numParticles: N,
      frames: T,
      ...(last?.etotal !== undefined ? { energyDriftPerAtom: r9((last.etotal - e0) / N) } : {}),
      ...(thermo.length && thermo.every((t) => typeof t.temp === 'number') ? { meanTemperature: r9(thermo.reduce((a, t) => a + t.temp!, 0) / thermo.length) } : {}),
    },
    panels,
    snapshots: T > 0 ? [{ type: 'particles', id: 'md-trajectory', title: `First ${n} of ${N} particles, x–y projection (unwrapped as stored)`, reference: ref, numParticles: n }] : [],
    provenance: { dataset: 'trajectory.h5', datasetConfigHash: ds.manifest.configHash },
  };
  const timings: Timing[] = [];
  const mp = join(dir, 'metrics.json');
  if (existsSync(mp)) {
    try {
      const m = JSON.parse(readFileSync(mp, 'utf8')) as { atomStepsPerSecond?: number };
      if (typeof m.atomStepsPerSecond === 'number') timings.push({ name: 'MD integration throughput', value: m.atomStepsPerSecond, unit: 'atom-steps/s', note: 'from the simulator run (no peer in that run; see gnnwb bench md for LAMMPS)' });
    } catch {
      // the simulator's own metrics are optional here
    }
  }
  return { metrics, timings };
}
