/**
 * The EGNN paper's N-body benchmark data: trajectories of the charged system
 * (`src/sims/md/nbody.ts`) reduced to (input frame, target frame) samples.
 *
 * Protocol (EGNN paper §5.1, reference `n_body_system/dataset_nbody.py`): 3,000 training,
 * 2,000 validation and 2,000 test trajectories; input = positions and velocities at saved
 * frame 30 plus the charges; target = positions at saved frame 40 (1,000 steps later).
 *
 * The splits are regenerated deterministically from one seed, with one of two random streams
 * (`rng`):
 * - `'numpy-legacy'` (default): the EGNN authors' own draw. `generate_dataset.py --num-train
 *   10000 --seed 43 --sufix small` calls `np.random.seed(43)` and draws 10,000 training, then
 *   2,000 validation, then 2,000 test simulations from NumPy's legacy stream (per simulation:
 *   5 charges, 3×5 positions, 3×5 velocities, then two 49×3×5 noise arrays that are multiplied
 *   by 0); the experiment uses the first 3,000 training simulations. We replay that stream
 *   ({@link NumpyLegacyRandom}) and integrate the same initial states, so seed 43 gives the
 *   paper's samples (frames equal to ~1e-15, except after close encounters where rounding
 *   differences grow, as in any chaotic system).
 * - `'gnnwb'`: the workbench's {@link Rng}, each split from its own forked stream
 *   `rng.fork('train' | 'val' | 'test')` (enlarging one split does not change another).
 *
 * Generating all 7,000 trajectories takes a few seconds, so nothing large is stored.
 */
import { Rng } from '../engine/rng.js';
import { ConfigError } from '../util/errors.js';
import { integrateCharged, nbodyOptions, simulateCharged, type NBodyOptions } from '../sims/md/nbody.js';
import { NumpyLegacyRandom } from './nbody_numpy_rng.js';

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
  /** Random stream: the reference's NumPy legacy stream (default) or the workbench's {@link Rng}. */
  readonly rng?: NBodyRngKind;
  readonly sim?: Partial<NBodyOptions>;
}

export type NBodyRngKind = 'numpy-legacy' | 'gnnwb';

/**
 * Simulations the reference draws per split (`generate_dataset.py` defaults with
 * `--num-train 10000`): with `rng: 'numpy-legacy'` every split consumes at least this many
 * draws, so the validation and test samples are the paper's whatever `numTrain` is.
 */
export const NBODY_REFERENCE_DRAWS = Object.freeze({ train: 10000, val: 2000, test: 2000 });

/** The paper's split sizes and frames. */
export const NBODY_DATA_DEFAULTS: NBodyDataOptions = Object.freeze({
  numTrain: 3000,
  numVal: 2000,
  numTest: 2000,
  frameIn: 30,
  frameOut: 40,
  seed: 43,
  rng: 'numpy-legacy',
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
  return splitFromTrajectories(size, o, frameIn, frameOut, () => simulateCharged(rng, o));
}

function splitFromTrajectories(size: number, o: NBodyOptions, frameIn: number, frameOut: number, next: () => ReturnType<typeof simulateCharged>): NBodySplit {
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
    const t = next();
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

/**
 * The reference's initial state of one simulation from NumPy's legacy stream, consuming
 * exactly what `ChargedParticlesSim.sample_trajectory` draws: `choice` of n charges,
 * `randn(3, n)` positions (C order: coordinate-major), `randn(3, n)` velocities, and the two
 * `randn(T_save, 3, n)` noise arrays (discarded: noise_var = 0). Positions and velocities are
 * returned particle-major ([n, 3]), reflected into the box once as the reference does.
 */
export function numpyInitialState(r: NumpyLegacyRandom, o: NBodyOptions): { x: Float64Array; v: Float64Array; q: Float64Array } {
  const n = o.numParticles;
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = r.choiceSign(o.probPositive);
  const buf = new Float64Array(3 * n);
  const x = new Float64Array(3 * n);
  const v = new Float64Array(3 * n);
  r.randn(3 * n, buf); // [3, n]
  for (let d = 0; d < 3; d++) for (let i = 0; i < n; i++) x[3 * i + d] = buf[d * n + i] * o.locStd;
  r.randn(3 * n, buf); // [3, n]
  for (let d = 0; d < 3; d++) for (let i = 0; i < n; i++) v[3 * i + d] = buf[d * n + i];
  for (let i = 0; i < n; i++) {
    const s = Math.sqrt(v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]);
    for (let d = 0; d < 3; d++) v[3 * i + d] = (v[3 * i + d] * o.velNorm) / s;
  }
  const b = o.boxSize;
  for (let k = 0; k < 3 * n; k++) {
    if (x[k] > b) {
      x[k] = 2 * b - x[k];
      v[k] = -Math.abs(v[k]);
    } else if (x[k] < -b) {
      x[k] = -2 * b - x[k];
      v[k] = Math.abs(v[k]);
    }
  }
  const savedFrames = o.numSteps / o.sampleEvery - 1;
  r.randn(2 * savedFrames * 3 * n); // the reference's observation noise (× 0), drawn anyway
  return { x, v, q };
}

/** Like {@link generateNBodySplit} with the reference's stream: keeps the first `size` of `draws` simulations. */
export function generateNBodySplitNumpy(r: NumpyLegacyRandom, size: number, draws: number, frameIn: number, frameOut: number, sim: Partial<NBodyOptions> = {}): NBodySplit {
  const o = nbodyOptions(sim);
  const states: ReturnType<typeof numpyInitialState>[] = [];
  for (let s = 0; s < Math.max(size, draws); s++) {
    const st = numpyInitialState(r, o);
    if (s < size) states.push(st);
  }
  let k = 0;
  return splitFromTrajectories(size, o, frameIn, frameOut, () => {
    const st = states[k++];
    return integrateCharged(st.x, st.v, st.q, o);
  });
}

/** Generates the three splits (deterministic in `seed` and `rng`). */
export function generateNBodyDataset(options: Partial<NBodyDataOptions> = {}): NBodyDataset {
  const o: NBodyDataOptions = Object.freeze({ ...NBODY_DATA_DEFAULTS, ...options });
  for (const k of ['numTrain', 'numVal', 'numTest'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ConfigError(`data.${k}`, 'an integer >= 1', String(o[k]));
  }
  const kind = o.rng ?? 'numpy-legacy';
  if (kind === 'numpy-legacy') {
    if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new ConfigError('data.seed', 'an integer in [0, 2^32 - 1] (NumPy legacy seed)', String(o.seed));
    const r = new NumpyLegacyRandom(o.seed);
    const D = NBODY_REFERENCE_DRAWS;
    const train = generateNBodySplitNumpy(r, o.numTrain, D.train, o.frameIn, o.frameOut, o.sim);
    const val = generateNBodySplitNumpy(r, o.numVal, D.val, o.frameIn, o.frameOut, o.sim);
    const test = generateNBodySplitNumpy(r, o.numTest, D.test, o.frameIn, o.frameOut, o.sim);
    return { options: o, train, val, test };
  }
  if (kind !== 'gnnwb') throw new ConfigError('data.rng', "'numpy-legacy' or 'gnnwb'", JSON.stringify(kind));
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
