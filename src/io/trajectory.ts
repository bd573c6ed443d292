/**
 * Append-friendly, resumable trajectory writing for long runs.
 *
 * While a run is going, frames live in a folder beside the final file:
 * ```
 * out/md.h5.partial/
 * ├── index.json        {header, frameSpecs, committedFrames, resumeState}   (atomic rewrite)
 * ├── static.ckpt       arrays written once (masses, mesh cells, …)            (checkpoint.ts)
 * └── frames/<name>.bin raw little-endian frames of each per-frame array, appended
 * ```
 * `append(frame, resumeState)` writes each array's bytes at `committedFrames × frameBytes`
 * and then atomically rewrites index.json with `committedFrames + 1` and the caller's resume
 * state (e.g. the simulator's velocities and RNG state). A run killed at any instant leaves an
 * index naming the last complete frame; `TrajectoryWriter.open(..., {resume: true})` truncates
 * any partly written frame and continues from there, so nothing is lost or duplicated.
 * `finalize()` writes the whole trajectory as one dataset (arrays `[T, ...frameShape]` plus the
 * static arrays, see dataset.ts) atomically, then deletes the partial folder.
 *
 * ```ts
 * const w = await TrajectoryWriter.open('out/md.h5', { simulator: 'md-nbody', config, seed,
 *   frameArrays: { positions: { dtype: 'float32', shape: [N, 3] } } }, { resume: true });
 * for (let t = w.committedFrames; t < T; t++) w.append({ positions }, { rng: rng.state() });
 * await w.finalize();
 * ```
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { configHash } from '../config/hash.js';
import { ConfigError, FileFormatError, ShapeError, describe } from '../util/errors.js';
import { writeJsonAtomic } from './atomic.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { dtypeOf, writeDataset, type ArrayData, type DType, type DatasetManifest, type NamedArray } from './dataset.js';

/** dtype and per-frame shape of one array that gets a value every frame. */
export interface FrameSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface TrajectoryHeader {
  readonly simulator: string;
  readonly config: unknown;
  readonly seed: number;
  readonly frameArrays: Readonly<Record<string, FrameSpec>>;
  readonly staticArrays?: Readonly<Record<string, NamedArray>>;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

interface IndexFile {
  format: 'gnnwb-trajectory-partial';
  version: 1;
  simulator: string;
  config: unknown;
  configHash: string;
  seed: number;
  frameArrays: Record<string, FrameSpec>;
  attributes: Record<string, unknown>;
  committedFrames: number;
  resumeState: unknown;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

export interface OpenOptions {
  /** Continue a partial run if one exists (else a partial run is an error). Default false. */
  readonly resume?: boolean;
  /** Replace an existing finished file at finalize. Default false. */
  readonly overwrite?: boolean;
}

/** The partial folder used for `outPath`. */
export function partialDir(outPath: string): string {
  return `${outPath}.partial`;
}

export class TrajectoryWriter {
  private index: IndexFile;
  private readonly fds: Map<string, number>;
  private closed = false;

  private constructor(
    readonly outPath: string,
    private readonly dir: string,
    index: IndexFile,
    private readonly overwrite: boolean,
  ) {
    this.index = index;
    this.fds = new Map();
    for (const name of Object.keys(index.frameArrays)) {
      const p = join(dir, 'frames', `${name}.bin`);
      const fd = openSync(p, existsSync(p) ? 'r+' : 'w+');
      // Drop a partly written frame (killed between the data write and the index commit).
      const want = index.committedFrames * frameBytes(index.frameArrays[name]);
      if (fstatSync(fd).size !== want) {
        if (fstatSync(fd).size < want) {
          closeSync(fd);
          throw new FileFormatError(p, `at least ${want} bytes (${index.committedFrames} committed frames)`, `${statSync(p).size} bytes`, 'Frame data lost; delete the .partial folder to restart');
        }
        ftruncateSync(fd, want);
      }
      this.fds.set(name, fd);
    }
  }

  /**
   * Starts a new trajectory or (with `resume`) continues the partial one for `outPath`.
   * Resuming checks that the config hash and frame specs match the partial run's.
   */
  static async open(outPath: string, header: TrajectoryHeader, opts: OpenOptions = {}): Promise<TrajectoryWriter> {
    const dir = partialDir(outPath);
    for (const [name, s] of Object.entries(header.frameArrays)) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) || !BYTES[s.dtype] || s.shape.some((x) => !Number.isInteger(x) || x < 0)) {
        throw new ShapeError(`frameArrays.${name}`, '{dtype: float32|float64|int32, shape: non-negative integers}', JSON.stringify(s));
      }
    }
    const hash = configHash(header.config);
    if (existsSync(join(dir, 'index.json'))) {
      if (!opts.resume) {
        throw new ConfigError('--resume', 'set to continue the partial run', `a partial run at ${dir}`, 'Pass --resume, or delete the folder to start over');
      }
      const index = readIndex(dir);
      if (index.configHash !== hash) throw new ConfigError('config', `the config of the partial run (${index.configHash.slice(0, 19)}…)`, `${hash.slice(0, 19)}…`, 'Resume with the same config, or delete the partial folder');
      if (JSON.stringify(index.frameArrays) !== JSON.stringify(normSpecs(header.frameArrays))) {
        throw new ConfigError('frameArrays', JSON.stringify(index.frameArrays), JSON.stringify(normSpecs(header.frameArrays)));
      }
      return new TrajectoryWriter(outPath, dir, index, !!opts.overwrite);
    }
    if (existsSync(outPath) && !opts.overwrite) {
      throw new FileFormatError(outPath, 'no existing file (refusing to overwrite)', 'an existing file', 'Delete it or pass overwrite');
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'frames'), { recursive: true });
    saveCheckpoint(join(dir, 'static.ckpt'), null, header.staticArrays ?? {});
    const index: IndexFile = {
      format: 'gnnwb-trajectory-partial',
      version: 1,
      simulator: header.simulator,
      config: header.config,
      configHash: hash,
      seed: header.seed,
      frameArrays: normSpecs(header.frameArrays),
      attributes: { ...(header.attributes ?? {}) },
      committedFrames: 0,
      resumeState: null,
    };
    writeJsonAtomic(join(dir, 'index.json'), index, { durable: false });
    return new TrajectoryWriter(outPath, dir, index, !!opts.overwrite);
  }

  /** Number of complete frames on disk: the frame index to produce next. */
  get committedFrames(): number {
    return this.index.committedFrames;
  }

  /** The resume state passed with the last committed frame (null before the first). */
  get resumeState(): unknown {
    return this.index.resumeState;
  }

  /**
   * Appends one frame (every frame array, with its dtype and per-frame length) and commits it
   * together with `resumeState` (any JSON). Synchronous: when it returns, the frame is
   * committed.
   */
  append(frame: Readonly<Record<string, ArrayData>>, resumeState: unknown = null): void {
    if (this.closed) throw new ShapeError('TrajectoryWriter', 'an open writer', 'a finalized or closed writer');
    const specs = this.index.frameArrays;
    for (const [name, s] of Object.entries(specs)) {
      const a = frame[name];
      const n = s.shape.reduce((p, x) => p * x, 1);
      if (dtypeOf(a) !== s.dtype || a.length !== n) throw new ShapeError(`frame.${name}`, `a ${s.dtype} array of length ${n} (shape [${s.shape.join(', ')}])`, describe(a));
    }
    for (const name of Object.keys(frame)) if (!specs[name]) throw new ShapeError('frame', `arrays [${Object.keys(specs).join(', ')}]`, `extra array '${name}'`);
    const t = this.index.committedFrames;
    for (const [name, s] of Object.entries(specs)) {
      const a = frame[name];
      const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      let off = 0;
      const pos = t * frameBytes(s);
      while (off < bytes.length) off += writeSync(this.fds.get(name)!, bytes, off, bytes.length - off, pos + off);
    }
    const next = { ...this.index, committedFrames: t + 1, resumeState };
    writeJsonAtomic(join(this.dir, 'index.json'), next, { durable: false });
    this.index = next;
  }

  /** Closes file handles without finalizing (the partial run stays resumable). */
  close(): void {
    if (this.closed) return;
    for (const fd of this.fds.values()) closeSync(fd);
    this.closed = true;
  }

  /**
   * Writes all committed frames plus the static arrays as one dataset at `outPath` (atomic),
   * then removes the partial folder. `created` fixes the manifest time (for byte-stable output).
   */
  async finalize(opts: { created?: string } = {}): Promise<DatasetManifest> {
    this.close();
    const T = this.index.committedFrames;
    const arrays: Record<string, NamedArray> = {};
    for (const [name, s] of Object.entries(this.index.frameArrays)) {
      const bytes = readFileSync(join(this.dir, 'frames', `${name}.bin`)).subarray(0, T * frameBytes(s));
      const buf = new Uint8Array(bytes).buffer; // a copy (Buffer.slice would share memory)
      const data = s.dtype === 'float32' ? new Float32Array(buf) : s.dtype === 'float64' ? new Float64Array(buf) : new Int32Array(buf);
      arrays[name] = { data, shape: [T, ...s.shape] };
    }
    const stat = loadCheckpoint(join(this.dir, 'static.ckpt'));
    for (const [name, a] of Object.entries(stat.arrays)) {
      if (arrays[name]) throw new ShapeError(`staticArrays.${name}`, 'a name not used by a frame array', JSON.stringify(name));
      arrays[name] = a;
    }
    const manifest = await writeDataset(
      this.outPath,
      {
        simulator: this.index.simulator,
        config: this.index.config,
        seed: this.index.seed,
        arrays,
        attributes: { ...this.index.attributes, frames: T },
        created: opts.created,
      },
      { overwrite: this.overwrite },
    );
    rmSync(this.dir, { recursive: true, force: true });
    return manifest;
  }
}

function frameBytes(s: FrameSpec): number {
  return s.shape.reduce((p, x) => p * x, 1) * BYTES[s.dtype];
}

function normSpecs(specs: Readonly<Record<string, FrameSpec>>): Record<string, FrameSpec> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { dtype: s.dtype, shape: [...s.shape] }]));
}

function readIndex(dir: string): IndexFile {
  const p = join(dir, 'index.json');
  let j: IndexFile;
  try {
    j = JSON.parse(readFileSync(p, 'utf8')) as IndexFile;
  } catch (e) {
    throw new FileFormatError(p, 'a JSON trajectory index', (e as Error).message, 'Delete the .partial folder to restart');
  }
  if (j?.format !== 'gnnwb-trajectory-partial' || !Number.isInteger(j.committedFrames) || j.committedFrames < 0 || typeof j.frameArrays !== 'object') {
    throw new FileFormatError(p, 'a gnnwb trajectory index {format, committedFrames, frameArrays}', describe(j));
  }
  return j;
}
