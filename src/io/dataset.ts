/**
 * The workbench dataset format: one HDF5 file of named arrays plus a JSON manifest stored as
 * the root attribute `gnnwb_manifest`. Spec: docs/dataset-format.md.
 *
 * ```
 * md.h5
 * ├── @gnnwb_manifest   JSON: simulator, config, configHash, seed, gnnwbVersion, created,
 * │                          arrays {name: {dtype, shape, sha256}}, attributes
 * ├── positions         float32 [T, N, 3]
 * ├── velocities        float32 [T, N, 3]
 * └── charges           float32 [N]
 * ```
 *
 * Writes are atomic (temp file + rename, see atomic.ts) and refuse to replace an existing
 * file unless `overwrite: true`. Reads validate the manifest, every array's dtype and shape
 * against it, and (by default) every array's sha256, so truncated, corrupt or wrong-shaped
 * files give a FileFormatError with expected/got.
 *
 * ```ts
 * await writeDataset('out/md.h5', { simulator: 'md-lj', config, seed: 1,
 *   arrays: { positions: { data: pos, shape: [T, N, 3] } } });
 * const ds = await readDataset('out/md.h5');
 * const pos = requireArray(ds, 'positions', 'float32', [-1, N, 3]); // -1: any size
 * ```
 */
import { existsSync } from 'node:fs';
import { configHash, sha256Hex } from '../config/hash.js';
import { FileFormatError, GnnwbError, ShapeError, describe } from '../util/errors.js';
import { withAtomicOutput } from './atomic.js';
import { h5ErrorSummary, loadH5, openH5Read, type H5File } from './h5.js';
import { gnnwbVersion } from './version.js';

/** Element types a dataset array may have. */
export type DType = 'float32' | 'float64' | 'int32';
/** Typed arrays matching {@link DType}. */
export type ArrayData = Float32Array | Float64Array | Int32Array;

/** A flat typed array with its row-major shape (product of `shape` = `data.length`). */
export interface NamedArray {
  readonly data: ArrayData;
  readonly shape: readonly number[];
}

/** Per-array entry of the manifest. */
export interface ArraySpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Hex sha256 of the array's little-endian bytes. */
  readonly sha256: string;
}

export const DATASET_FORMAT = 'gnnwb-dataset';
export const DATASET_FORMAT_VERSION = 1;
/** Name of the root attribute holding the manifest JSON. */
export const MANIFEST_ATTR = 'gnnwb_manifest';

/** The manifest: everything needed to know where a dataset came from and to check it. */
export interface DatasetManifest {
  readonly format: typeof DATASET_FORMAT;
  readonly formatVersion: number;
  /** Simulator or producer kind, e.g. `md-nbody`, `fluid-cylinder`. */
  readonly simulator: string;
  /** The full (validated) config that produced the data. */
  readonly config: unknown;
  /** `sha256:<hex>` of the config's stable JSON (see config/hash.ts). */
  readonly configHash: string;
  readonly seed: number;
  readonly gnnwbVersion: string;
  /** ISO 8601 creation time (pass `created` to writeDataset for byte-stable files). */
  readonly created: string;
  readonly arrays: Readonly<Record<string, ArraySpec>>;
  /** Free-form JSON metadata: units, time step, frame stride, … */
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Input of {@link writeDataset}. */
export interface DatasetInput {
  readonly simulator: string;
  readonly config: unknown;
  readonly seed: number;
  readonly arrays: Readonly<Record<string, NamedArray>>;
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** Creation time; default now. */
  readonly created?: string;
}

export interface Dataset {
  readonly path: string;
  readonly manifest: DatasetManifest;
  readonly arrays: Readonly<Record<string, NamedArray>>;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The dtype name of a typed array, or null for unsupported types. */
export function dtypeOf(a: unknown): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return null;
}

/** Hex sha256 of a typed array's bytes. */
export function arraySha256(a: ArrayData): string {
  return sha256Hex(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function product(shape: readonly number[]): number {
  return shape.reduce((p, s) => p * s, 1);
}

/** Checks an array's name, dtype and shape; throws ShapeError naming it. */
export function checkNamedArray(name: string, a: NamedArray): DType {
  if (!NAME_RE.test(name)) throw new ShapeError(`arrays name`, `a name matching ${NAME_RE}`, JSON.stringify(name));
  const dtype = dtypeOf(a?.data);
  if (!dtype) throw new ShapeError(`arrays.${name}.data`, 'a Float32Array, Float64Array or Int32Array', describe(a?.data));
  if (!Array.isArray(a.shape) || a.shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ShapeError(`arrays.${name}.shape`, 'an array of non-negative integers', JSON.stringify(a.shape));
  }
  if (product(a.shape) !== a.data.length) {
    throw new ShapeError(`arrays.${name}`, `data of length ${product(a.shape)} for shape [${a.shape.join(', ')}]`, describe(a.data));
  }
  return dtype;
}

/**
 * Writes a dataset atomically. Throws FileFormatError if `path` exists and `overwrite` is not
 * set; the old file is only ever replaced by a complete new one.
 */
export async function writeDataset(path: string, input: DatasetInput, opts: { overwrite?: boolean } = {}): Promise<DatasetManifest> {
  const specs: Record<string, ArraySpec> = {};
  for (const [name, a] of Object.entries(input.arrays)) {
    const dtype = checkNamedArray(name, a);
    specs[name] = { dtype, shape: [...a.shape], sha256: arraySha256(a.data) };
  }
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    formatVersion: DATASET_FORMAT_VERSION,
    simulator: input.simulator,
    config: input.config,
    configHash: configHash(input.config),
    seed: input.seed,
    gnnwbVersion: gnnwbVersion(),
    created: input.created ?? new Date().toISOString(),
    arrays: specs,
    attributes: input.attributes ?? {},
  };
  const json = JSON.stringify(manifest);
  const h5 = await loadH5();
  await withAtomicOutput(
    path,
    (tmp) => {
      const f = new h5.File(tmp, 'w');
      try {
        for (const [name, a] of Object.entries(input.arrays)) {
          // Zero-size arrays: HDF5 cannot take an empty buffer, store shape in the manifest only.
          if (a.data.length === 0) continue;
          f.create_dataset({ name, data: a.data, shape: [...a.shape] });
        }
        f.create_attribute(MANIFEST_ATTR, json);
      } catch (e) {
        throw new FileFormatError(tmp, 'a writable HDF5 file', h5ErrorSummary(e));
      } finally {
        f.close();
      }
    },
    { noOverwrite: !opts.overwrite },
  );
  return manifest;
}

function parseManifest(path: string, f: H5File): DatasetManifest {
  const attr = f.attrs[MANIFEST_ATTR];
  if (!attr) throw new FileFormatError(path, `a root attribute '${MANIFEST_ATTR}' (gnnwb dataset manifest)`, 'no such attribute', 'Is this a gnnwb dataset?');
  let raw: unknown;
  try {
    raw = attr.value;
  } catch (e) {
    throw new FileFormatError(path, 'a readable manifest attribute', h5ErrorSummary(e));
  }
  if (typeof raw !== 'string') throw new FileFormatError(path, 'a JSON string manifest', describe(raw));
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    throw new FileFormatError(path, 'valid JSON in the manifest', (e as Error).message);
  }
  if (!m || typeof m !== 'object') throw new FileFormatError(path, 'a manifest object', describe(m));
  if (m.format !== DATASET_FORMAT) throw new FileFormatError(path, `manifest.format '${DATASET_FORMAT}'`, describe(m.format));
  if (typeof m.formatVersion !== 'number' || m.formatVersion > DATASET_FORMAT_VERSION) {
    throw new FileFormatError(path, `manifest.formatVersion <= ${DATASET_FORMAT_VERSION}`, describe(m.formatVersion), 'Written by a newer gnnwb?');
  }
  if (typeof m.simulator !== 'string') throw new FileFormatError(path, 'manifest.simulator to be a string', describe(m.simulator));
  if (typeof m.arrays !== 'object' || m.arrays === null) throw new FileFormatError(path, 'manifest.arrays to be an object', describe(m.arrays));
  for (const [name, s] of Object.entries(m.arrays as Record<string, ArraySpec>)) {
    if (!s || !['float32', 'float64', 'int32'].includes(s.dtype) || !Array.isArray(s.shape) || s.shape.some((x) => !Number.isInteger(x) || x < 0) || typeof s.sha256 !== 'string') {
      throw new FileFormatError(path, `manifest.arrays.${name} = {dtype, shape, sha256}`, JSON.stringify(s)?.slice(0, 80) ?? 'undefined');
    }
  }
  return { attributes: {}, ...m } as unknown as DatasetManifest;
}

/** Closes a file, ignoring errors (a corrupt file may fail to close cleanly). */
function safeClose(f: H5File): void {
  try {
    f.close();
  } catch {
    // nothing to recover
  }
}

/** Runs `body` on an open file; any non-gnnwb error (h5wasm on corrupt bytes) becomes a FileFormatError. */
async function withFile<T>(path: string, body: (f: H5File) => Promise<T> | T): Promise<T> {
  const f = await openH5Read(path);
  try {
    return await body(f);
  } catch (e) {
    if (e instanceof GnnwbError) throw e;
    throw new FileFormatError(path, 'a readable gnnwb dataset', h5ErrorSummary(e), 'The file may be truncated or corrupt');
  } finally {
    safeClose(f);
  }
}

/** Reads only the manifest (cheap: no array data). */
export async function readManifest(path: string): Promise<DatasetManifest> {
  return withFile(path, (f) => parseManifest(path, f));
}

const EMPTY: Record<DType, () => ArrayData> = {
  float32: () => new Float32Array(0),
  float64: () => new Float64Array(0),
  int32: () => new Int32Array(0),
};

/**
 * Reads and validates a dataset. `names` limits which arrays are loaded; `verify: false` skips
 * the sha256 checks (dtype and shape are always checked).
 */
export async function readDataset(path: string, opts: { names?: readonly string[]; verify?: boolean } = {}): Promise<Dataset> {
  return withFile(path, async (f) => {
    const manifest = parseManifest(path, f);
    const names = opts.names ?? Object.keys(manifest.arrays);
    const arrays: Record<string, NamedArray> = {};
    for (const name of names) {
      const spec = manifest.arrays[name];
      if (!spec) throw new FileFormatError(path, `an array '${name}' (has: ${Object.keys(manifest.arrays).join(', ') || 'none'})`, 'no such array');
      let data: ArrayData;
      if (product(spec.shape) === 0) data = EMPTY[spec.dtype]();
      else {
        let ds: unknown;
        let value: unknown;
        try {
          ds = f.get(name);
          if (!ds || !(ds instanceof (await loadH5()).Dataset)) throw new Error('minor: not a dataset');
          const shape = (ds as { shape: number[] | null }).shape ?? [];
          if (shape.length !== spec.shape.length || shape.some((s, i) => s !== spec.shape[i])) {
            throw new FileFormatError(path, `array '${name}' of shape [${spec.shape.join(', ')}] (manifest)`, `shape [${shape.join(', ')}]`);
          }
          value = (ds as { value: unknown }).value;
        } catch (e) {
          if (e instanceof FileFormatError) throw e;
          throw new FileFormatError(path, `a readable array '${name}'`, h5ErrorSummary(e), 'The file may be truncated or corrupt');
        }
        if (dtypeOf(value) !== spec.dtype || (value as ArrayData).length !== product(spec.shape)) {
          throw new FileFormatError(path, `array '${name}' as ${spec.dtype} of length ${product(spec.shape)}`, describe(value));
        }
        data = value as ArrayData;
      }
      if (opts.verify !== false && arraySha256(data) !== spec.sha256) {
        throw new FileFormatError(path, `array '${name}' with sha256 ${spec.sha256.slice(0, 12)}…`, `sha256 ${arraySha256(data).slice(0, 12)}…`, 'The data is corrupt');
      }
      arrays[name] = { data, shape: spec.shape };
    }
    return { path, manifest, arrays };
  });
}

/**
 * Gets array `name` from a dataset and checks its dtype and shape (`-1` in `shape` matches any
 * size). Throws FileFormatError with expected/got: the check every consumer should make.
 */
export function requireArray<D extends DType>(ds: Dataset, name: string, dtype: D, shape: readonly number[]): NamedArray & { data: D extends 'float32' ? Float32Array : D extends 'float64' ? Float64Array : Int32Array } {
  const a = ds.arrays[name];
  const want = `${dtype} [${shape.map((s) => (s < 0 ? '*' : s)).join(', ')}]`;
  if (!a) throw new FileFormatError(ds.path, `an array '${name}' (${want})`, `arrays [${Object.keys(ds.arrays).join(', ')}]`);
  const got = `${dtypeOf(a.data)} [${a.shape.join(', ')}]`;
  if (dtypeOf(a.data) !== dtype || a.shape.length !== shape.length || shape.some((s, i) => s >= 0 && s !== a.shape[i])) {
    throw new FileFormatError(ds.path, `array '${name}' to be ${want}`, got);
  }
  return a as never;
}

/** True if `path` exists and is a readable gnnwb dataset with a valid manifest. */
export async function isDataset(path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  try {
    await readManifest(path);
    return true;
  } catch {
    return false;
  }
}
