/**
 * Running an MD system to files: trajectory dataset (HDF5 + manifest, via io/trajectory.ts),
 * thermo lines (JSON lines), optional extended XYZ, metrics; resumable after a kill; stops
 * with a SimulationError on blow-up, keeping every frame written so far.
 *
 * ```
 * <out>/trajectory.h5     positions, velocities float32 [T, N, dim]; masses [N]; box [dim]
 * <out>/thermo.jsonl      {"step", "time", "temp", "pe", "ke", "etotal", "press"} per thermoEvery
 *                         (energies per atom, reduced LJ units; press null in free space)
 * <out>/trajectory.xyz    the frames as extended XYZ (float32 precision, from the dataset)
 * <out>/metrics.json      steps, frames, wall time, atom-steps/s, energy drift per atom
 * ```
 * Resume: each committed frame carries the exact Float64 state (step, positions, velocities)
 * in the writer's index; a resumed run restarts from the last committed frame, truncates the
 * thermo file to that step and continues. Langevin noise is re-seeded per frame interval from
 * (seed, frame index), so a resumed run draws the same noise as an uninterrupted one.
 */
import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../engine/rng.js';
import type { Space } from '../../geometry/space.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { readDataset } from '../../io/dataset.js';
import { writeExtxyz, type XyzFrame } from '../../io/extxyz.js';
import { TrajectoryWriter } from '../../io/trajectory.js';
import { SimulationError, firstNonFinite } from '../../util/errors.js';
import type { Integrator, MDState } from './integrators.js';
import { kineticEnergy, pressure, temperature } from './observables.js';

/** Everything the runner needs about a system. */
export interface MdSystem {
  readonly simulator: string;
  /** The validated config (stored in the manifest; its hash guards resume). */
  readonly config: unknown;
  readonly seed: number;
  readonly space: Space;
  readonly dim: number;
  readonly species: readonly string[];
  readonly positions: Float64Array;
  readonly velocities: Float64Array;
  readonly masses: Float64Array;
  /** Integrator for frame interval `segment` (Langevin re-seeds its noise per segment). */
  makeIntegrator(segment: number): Integrator;
  readonly staticArrays?: Readonly<Record<string, { data: Float32Array | Float64Array | Int32Array; shape: number[] }>>;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface RunOptions {
  readonly outDir: string;
  readonly steps: number;
  readonly frameEvery: number;
  readonly thermoEvery: number;
  readonly extxyz?: boolean;
  readonly resume?: boolean;
  /** Called after every step (progress bars). */
  readonly onStep?: (step: number, thermo: ThermoLine | null) => void;
  /** Positions farther than this from the origin count as lost (free space). Default 1e6. */
  readonly lostDistance?: number;
}

export interface ThermoLine {
  step: number;
  time: number;
  temp: number;
  pe: number;
  ke: number;
  etotal: number;
  press: number | null;
}

export interface RunSummary {
  readonly steps: number;
  readonly frames: number;
  readonly resumedFromStep: number;
  readonly wallSeconds: number;
  readonly atomStepsPerSecond: number;
  /** (E_last − E_first)/N over the thermo lines of this run. */
  readonly energyDriftPerAtom: number;
  readonly dataset: string;
}

interface ResumeState {
  step: number;
  positions: number[];
  velocities: number[];
}

export function thermoOf(s: MDState, box: Float64Array | null, dt: number): ThermoLine {
  const N = s.masses.length;
  const ke = kineticEnergy(s.velocities, s.masses, s.dim);
  return {
    step: s.step,
    time: s.step * dt,
    temp: temperature(s.velocities, s.masses, s.dim),
    pe: s.potentialEnergy / N,
    ke: ke / N,
    etotal: (s.potentialEnergy + ke) / N,
    press: box ? pressure(ke, s.virial, box) : null,
  };
}

/** Runs `system` for `opts.steps` steps writing into `opts.outDir`. */
export async function runMd(system: MdSystem, opts: RunOptions): Promise<RunSummary> {
  const { outDir, steps, frameEvery, thermoEvery } = opts;
  const N = system.masses.length;
  const dim = system.dim;
  const box = system.space.box;
  const datasetPath = join(outDir, 'trajectory.h5');
  const thermoPath = join(outDir, 'thermo.jsonl');
  const writer = await TrajectoryWriter.open(
    datasetPath,
    {
      simulator: system.simulator,
      config: system.config,
      seed: system.seed,
      frameArrays: { positions: { dtype: 'float32', shape: [N, dim] }, velocities: { dtype: 'float32', shape: [N, dim] } },
      staticArrays: {
        masses: { data: Float32Array.from(system.masses), shape: [N] },
        ...(box ? { box: { data: Float64Array.from(box), shape: [dim] } } : {}),
        ...(system.staticArrays ?? {}),
      },
      attributes: { frameEvery, steps, species: system.species, units: 'reduced (LJ: sigma, epsilon, m, tau)', ...(system.attributes ?? {}) },
    },
    { resume: !!opts.resume, overwrite: true },
  );
  // Initial or resumed state.
  let x0 = system.positions;
  let v0 = system.velocities;
  let step0 = 0;
  const saved = writer.committedFrames > 0 ? (writer.resumeState as ResumeState | null) : null;
  if (saved) {
    x0 = Float64Array.from(saved.positions);
    v0 = Float64Array.from(saved.velocities);
    step0 = saved.step;
    // Keep thermo lines up to the resumed step.
    const kept = existsSync(thermoPath)
      ? readFileSync(thermoPath, 'utf8').split('\n').filter((l) => l.trim() && (JSON.parse(l) as ThermoLine).step <= step0)
      : [];
    writeFileSync(thermoPath, kept.map((l) => l + '\n').join(''));
  } else {
    writeFileSync(thermoPath, '');
  }
  let segment = Math.floor(step0 / frameEvery);
  let integ = system.makeIntegrator(segment);
  const s = integ.init(x0, v0, system.masses);
  s.step = step0;
  const dt = integ.dt;
  const freeze = (): ResumeState => ({ step: s.step, positions: Array.from(s.positions), velocities: Array.from(s.velocities) });
  const frame = () => ({ positions: Float32Array.from(s.positions), velocities: Float32Array.from(s.velocities) });
  if (!saved) {
    writer.append(frame(), freeze());
    appendFileSync(thermoPath, JSON.stringify(thermoOf(s, box, dt)) + '\n');
  }
  const firstThermo = thermoOf(s, box, dt);
  let lastThermo = firstThermo;
  const lost = opts.lostDistance ?? 1e6;
  const t0 = performance.now();
  for (let k = step0 + 1; k <= steps; k++) {
    const seg = Math.floor((k - 1) / frameEvery);
    if (seg !== segment) {
      segment = seg;
      integ = system.makeIntegrator(segment);
    }
    integ.step(s);
    // Blow-up detection: non-finite energy or velocities, or particles lost (free space).
    let bad = '';
    if (!Number.isFinite(s.potentialEnergy)) bad = `potential energy is ${s.potentialEnergy}`;
    else {
      const iv = firstNonFinite(s.velocities);
      const ix = firstNonFinite(s.positions);
      if (iv >= 0) bad = `velocity of particle ${Math.floor(iv / dim)} is ${s.velocities[iv]}`;
      else if (ix >= 0) bad = `position of particle ${Math.floor(ix / dim)} is ${s.positions[ix]}`;
      else if (!box) {
        for (let i = 0; i < s.positions.length; i++) {
          if (Math.abs(s.positions[i]) > lost) {
            bad = `particle ${Math.floor(i / dim)} is lost (|x| = ${Math.abs(s.positions[i]).toExponential(2)} > ${lost})`;
            break;
          }
        }
      }
    }
    if (bad) {
      const frames = writer.committedFrames;
      await writer.finalize();
      throw new SimulationError(
        `Simulation blew up at step ${k} (t = ${(k * dt).toFixed(4)}): ${bad}. Kept ${frames} frame(s) through step ${(frames - 1) * frameEvery} in ${datasetPath} and thermo in ${thermoPath}. Hint: reduce dt (now ${dt}) or check the initial state for overlapping particles`,
      );
    }
    let th: ThermoLine | null = null;
    if (k % thermoEvery === 0) {
      th = thermoOf(s, box, dt);
      lastThermo = th;
      appendFileSync(thermoPath, JSON.stringify(th) + '\n');
    }
    if (k % frameEvery === 0) writer.append(frame(), freeze());
    opts.onStep?.(k, th);
  }
  const wall = (performance.now() - t0) / 1000;
  const frames = writer.committedFrames;
  await writer.finalize();
  if (opts.extxyz ?? true) {
    const ds = await readDataset(datasetPath);
    const P = ds.arrays.positions.data;
    const V = ds.arrays.velocities.data;
    const xyz: XyzFrame[] = [];
    for (let t = 0; t < frames; t++) {
      const pos = new Float64Array(N * 3);
      const vel = new Float64Array(N * 3);
      for (let i = 0; i < N; i++) for (let c = 0; c < dim; c++) {
        pos[3 * i + c] = P[(t * N + i) * dim + c];
        vel[3 * i + c] = V[(t * N + i) * dim + c];
      }
      xyz.push({
        species: system.species,
        positions: pos,
        velocities: vel,
        masses: system.masses,
        lattice: box ? Float64Array.of(box[0], 0, 0, 0, box[1], 0, 0, 0, dim === 3 ? box[2] : 1) : undefined,
        pbc: box ? [true, true, dim === 3] : undefined,
        info: { step: t * frameEvery, time: t * frameEvery * dt },
      });
    }
    writeExtxyz(join(outDir, 'trajectory.xyz'), xyz);
  }
  const summary: RunSummary = {
    steps,
    frames,
    resumedFromStep: step0,
    wallSeconds: wall,
    atomStepsPerSecond: ((steps - step0) * N) / Math.max(wall, 1e-9),
    energyDriftPerAtom: lastThermo.etotal - firstThermo.etotal,
    dataset: datasetPath,
  };
  writeJsonAtomic(join(outDir, 'metrics.json'), { simulator: system.simulator, numParticles: N, ...summary });
  return summary;
}

/** Reads thermo lines back. */
export function readThermo(path: string): ThermoLine[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as ThermoLine);
}

/** An Rng for Langevin noise of frame interval `segment`. */
export function segmentRng(seed: number, segment: number): Rng {
  return new Rng(seed).fork(`langevin-${segment}`);
}
