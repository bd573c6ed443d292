/**
 * Errors that teach: every error names the argument, what was expected, what was received,
 * and (optionally) a hint. The CLI maps each class to an exit code.
 *
 * ```ts
 * throw new ShapeError('senders', 'an Int32Array of length 12', describe(x));
 * // ShapeError: Expected 'senders' to be an Int32Array of length 12 (got Float32Array of length 10)
 * ```
 */

/** Base class for every error the workbench raises on purpose. */
export class GnnwbError extends Error {
  /** Process exit code the CLI uses for this error class. */
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

function expectedGot(what: string, expected: string, got: string, hint?: string): string {
  return `Expected '${what}' to be ${expected} (got ${got})${hint ? `. ${hint}` : ''}`;
}

/** Wrong shape, length or dtype of an array argument. */
export class ShapeError extends GnnwbError {
  override readonly exitCode = 65; // EX_DATAERR
  constructor(what: string, expected: string, got: string, hint?: string) {
    super(expectedGot(what, expected, got, hint));
  }
}

/** A bad value (NaN, out of range, inconsistent options). */
export class ValueError extends GnnwbError {
  override readonly exitCode = 65;
  constructor(what: string, expected: string, got: string, hint?: string) {
    super(expectedGot(what, expected, got, hint));
  }
}

/** A malformed configuration file or object. `path` is a JSON path such as `model.latent`. */
export class ConfigError extends GnnwbError {
  override readonly exitCode = 78; // EX_CONFIG
  constructor(path: string, expected: string, got: string, hint?: string) {
    super(expectedGot(path, expected, got, hint));
  }
}

/** A file that is missing, truncated, corrupt or of the wrong format. */
export class FileFormatError extends GnnwbError {
  override readonly exitCode = 66; // EX_NOINPUT
  constructor(file: string, expected: string, got: string, hint?: string) {
    super(`File '${file}': expected ${expected} (got ${got})${hint ? `. ${hint}` : ''}`);
  }
}

/** A simulation that blew up (NaN, particles lost, solver divergence). */
export class SimulationError extends GnnwbError {
  override readonly exitCode = 70; // EX_SOFTWARE
}

/** Short description of any value for error messages: `Float32Array of length 10`, `number 3.5`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) {
    const ctor = (value as object).constructor.name;
    return `${ctor} of length ${(value as unknown as { length: number }).length}`;
  }
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `number ${value}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== 'Object' ? `${ctor} instance` : `object with keys [${Object.keys(value as object).slice(0, 8).join(', ')}]`;
  }
  return typeof value;
}

/** Index of the first non-finite entry of `a`, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** Throws a ValueError naming the first NaN/Inf entry of `a`. */
export function assertFinite(what: string, a: ArrayLike<number>): void {
  const i = firstNonFinite(a);
  if (i >= 0) throw new ValueError(what, 'finite numbers', `${a[i]} at index ${i}`);
}
