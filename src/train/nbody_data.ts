/**
 * The EGNN paper's N-body benchmark data: trajectories of the charged system
 * (`src/sims/md/nbody.ts`) reduced to (input frame, target frame) samples.
 *
 * Protocol (EGNN paper §5.1, reference `n_body_system/dataset_nbody.py`): 3,000 training,
 * 2,000 validation and 2,000 test trajectories; input = positions and velocities at saved
 * frame 30 plus the charges; target = positions at saved frame 40 (1,000 steps later).
 *
 * The splits are regenerated deterministically from one seed (each split from its own
 * forked stream `rng.fork('train' | 'val' | 'test')`, so enlarging one split does not change
 * another). Generating all 7,000 trajectories takes a few seconds, so nothing large is stored.
 */
import { Rng } from '../engine/rng.js';
import { ConfigError } from '../util/errors.js';
import { nbodyOptions, simulateCharged, type NBodyOptions } from '../sims/md/nbody.js';

/** One split of N-body samples, flat Float32 arrays (the tensor boundary is the trainer). */
export interface NBodySplit {
  /** Number of samples (trajectories). */
  readonly size: number;
  /** Particles per sample. */
  readonly numParticles: number;
  /** [size, n, 3] positions at the input frame. */
  readonly x0: Float32Array;
  /** [size, n, 3] velocities at the input frame. */
  readonly v0: Float32Array;
  /** [size, n] charges (±1). */
  readonly charges: Float32Array;
  /** [size, n, 3] positions at the target frame. */
  readonly xT: Float32Array;
}

/** Dataset options: split sizes, frames, seed, simulator options. */
export interface NBodyDataOptions {
  readonly numTrain: number;
  readonly numVal: number;
  readonly numTest: number;
  /** Input frame index (default 30). */
  readonly frameIn: number;
  /** Target frame index (default 40). */
  readonly frameOut: number;
  readonly seed: number;
  readonly sim?: Partial<NBodyOptions>;
}

/** The paper's split sizes and frames. */
export const NBODY_DATA_DEFAULTS: NBodyDataOptions = Object.freeze({
  numTrain: 3000,
  numVal: 2000,
  numTest: 2000,
  frameIn: 30,
  frameOut: 40,
  seed: 43,
});

export interface NBodyDataset {
  readonly options: NBodyDataOptions;
  readonly train: NBodySplit;
  readonly val: NBodySplit;
  readonly test: NBodySplit;
}

/** Simulates `size` trajectories from `rng` and keeps frames `frameIn` and `frameOut`. */
export function generateNBodySplit(rng: Rng, size: number, frameIn: number, frameOut: number, sim: Partial<NBodyOptions> = {}): NBodySplit {
  const o = nbodyOptions(sim);
  const frames = o.numSteps / o.sampleEvery - 1;
  for (const [k, f] of [['frameIn', frameIn], ['frameOut', frameOut]] as const) {
    if (!Number.isInteger(f) || f < 0 || f >= frames) throw new ConfigError(`data.${k}`, `a frame index in [0, ${frames})`, String(f));
  }
  const n = o.numParticles;
  const x0 = new Float32Array(size * n * 3);
  const v0 = new Float32Array(size * n * 3);
  const xT = new Float32Array(size * n * 3);
  const charges = new Float32Array(size * n);
  for (let s = 0; s < size; s++) {
    const t = simulateCharged(rng, o);
    const a = frameIn * n * 3;
    const b = frameOut * n * 3;
    for (let k = 0; k < n * 3; k++) {
      x0[s * n * 3 + k] = t.positions[a + k];
      v0[s * n * 3 + k] = t.velocities[a + k];
      xT[s * n * 3 + k] = t.positions[b + k];
    }
    for (let i = 0; i < n; i++) charges[s * n + i] = t.charges[i];
  }
  return { size, numParticles: n, x0, v0, charges, xT };
}

/** Generates the three splits (deterministic in `seed`). */
export function generateNBodyDataset(options: Partial<NBodyDataOptions> = {}): NBodyDataset {
  const o: NBodyDataOptions = Object.freeze({ ...NBODY_DATA_DEFAULTS, ...options });
  for (const k of ['numTrain', 'numVal', 'numTest'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ConfigError(`data.${k}`, 'an integer >= 1', String(o[k]));
  }
  const rng = new Rng(o.seed);
  const gen = (label: string, size: number): NBodySplit => generateNBodySplit(rng.fork(label), size, o.frameIn, o.frameOut, o.sim);
  return { options: o, train: gen('train', o.numTrain), val: gen('val', o.numVal), test: gen('test', o.numTest) };
}

/** The first `size` samples of a split (a view, no copy). */
export function takeSplit(s: NBodySplit, size: number): NBodySplit {
  const m = Math.min(size, s.size);
  const n = s.numParticles;
  return {
    size: m,
    numParticles: n,
    x0: s.x0.subarray(0, m * n * 3),
    v0: s.v0.subarray(0, m * n * 3),
    charges: s.charges.subarray(0, m * n),
    xT: s.xT.subarray(0, m * n * 3),
  };
}
