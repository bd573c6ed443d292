/**
 * Extended XYZ (ASE's convention), read and write, multi-frame.
 *
 * ```
 * 3                                                          ← atom count
 * Lattice="6.0 0 0 0 6.0 0 0 0 6.0" Properties=species:S:1:pos:R:3:velo:R:3 pbc="T T T" step=10
 * Ar 0.0 0.0 0.0 0.1 -0.2 0.0                                ← one line per atom
 * ...
 * ```
 * - `Lattice` holds the three cell vectors row by row (9 numbers); only orthorhombic
 *   (diagonal) cells are accepted by the MD code, but any lattice is read and returned.
 * - `Properties` lists columns as `name:type:count` with types S (string), R (real), I
 *   (integer), L (logical). Recognised names: `species`, `pos`, `velo` (also `vel`, `velocities`),
 *   `masses` (also `mass`), plus any others returned in `arrays`.
 * - Other `key=value` pairs (quoted values allowed) are returned in `info` as numbers when they
 *   parse as numbers, else strings.
 * A plain XYZ comment line (no Properties) is read as `species:S:1:pos:R:3`.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { FileFormatError, ShapeError, describe } from '../util/errors.js';

export interface XyzFrame {
  /** [N] chemical symbols or type names. */
  readonly species: readonly string[];
  /** [N*3] positions. */
  readonly positions: Float64Array;
  /** [N*3] velocities, when present. */
  readonly velocities?: Float64Array;
  /** [N] masses, when present. */
  readonly masses?: Float64Array;
  /** [9] row-major cell vectors (`Lattice=`), when present. */
  readonly lattice?: Float64Array;
  /** Periodicity per axis (`pbc=`); default true×3 when a lattice is given. */
  readonly pbc?: readonly boolean[];
  /** Other per-frame key=value pairs. */
  readonly info?: Readonly<Record<string, number | string>>;
  /** Other per-atom columns, flat `[N * count]`. */
  readonly arrays?: Readonly<Record<string, Float64Array | string[]>>;
}

interface Column {
  name: string;
  type: 'S' | 'R' | 'I' | 'L';
  count: number;
}

/** Parses `key=value key2="quoted value"` pairs of a comment line. */
export function parseKeyValues(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][\w:-]*)\s*=\s*("([^"]*)"|'([^']*)'|\{([^}]*)\}|(\S+))|([A-Za-z_][\w-]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (m[1]) out[m[1]] = m[3] ?? m[4] ?? m[5] ?? m[6] ?? '';
    else if (m[7]) out[m[7]] = 'T';
  }
  return out;
}

function parseProperties(spec: string, file: string): Column[] {
  const parts = spec.split(':');
  if (parts.length % 3 !== 0) throw new FileFormatError(file, 'Properties as name:type:count triples', JSON.stringify(spec));
  const cols: Column[] = [];
  for (let k = 0; k < parts.length; k += 3) {
    const type = parts[k + 1].toUpperCase() as Column['type'];
    const count = Number(parts[k + 2]);
    if (!['S', 'R', 'I', 'L'].includes(type) || !Number.isInteger(count) || count < 1) {
      throw new FileFormatError(file, 'a property type S/R/I/L and a positive count', `${parts[k]}:${parts[k + 1]}:${parts[k + 2]}`);
    }
    cols.push({ name: parts[k], type, count });
  }
  return cols;
}

const VELOCITY_NAMES = ['velo', 'vel', 'velocities'];
const MASS_NAMES = ['masses', 'mass'];

/** Parses extended XYZ text into frames. `file` names the source in errors. */
export function parseExtxyz(text: string, file = '<text>'): XyzFrame[] {
  const lines = text.split(/\r?\n/);
  const frames: XyzFrame[] = [];
  let li = 0;
  while (li < lines.length) {
    if (lines[li].trim() === '') {
      li++;
      continue;
    }
    const n = Number(lines[li].trim());
    if (!Number.isInteger(n) || n < 0) throw new FileFormatError(file, `an atom count on line ${li + 1}`, JSON.stringify(lines[li].slice(0, 40)));
    if (lines.length <= li + 1 + n) {
      throw new FileFormatError(file, `${n} atom lines after line ${li + 2}`, `${Math.max(0, lines.length - li - 2)} lines`, 'The file is truncated');
    }
    const kv = parseKeyValues(lines[li + 1] ?? '');
    const cols = kv.Properties ? parseProperties(kv.Properties, file) : [{ name: 'species', type: 'S' as const, count: 1 }, { name: 'pos', type: 'R' as const, count: 3 }];
    const width = cols.reduce((s, c) => s + c.count, 0);
    const data: Record<string, Float64Array | string[]> = {};
    for (const c of cols) data[c.name] = c.type === 'S' ? new Array<string>(n * c.count) : new Float64Array(n * c.count);
    for (let a = 0; a < n; a++) {
      const lineNo = li + 2 + a;
      const tok = (lines[lineNo] ?? '').trim().split(/\s+/);
      if (tok.length < width || lines[lineNo] === undefined) {
        throw new FileFormatError(file, `${width} columns on line ${lineNo + 1} (${cols.map((c) => `${c.name}:${c.count}`).join(' ')})`, `${lines[lineNo] === undefined ? 0 : tok.length} columns`);
      }
      let t = 0;
      for (const c of cols) {
        const arr = data[c.name];
        for (let k = 0; k < c.count; k++, t++) {
          if (c.type === 'S') (arr as string[])[a * c.count + k] = tok[t];
          else if (c.type === 'L') (arr as Float64Array)[a * c.count + k] = /^(T|True|true|1)$/.test(tok[t]) ? 1 : 0;
          else {
            const v = Number(tok[t]);
            if (!Number.isFinite(v)) throw new FileFormatError(file, `a number in column ${t + 1} of line ${lineNo + 1}`, JSON.stringify(tok[t]));
            (arr as Float64Array)[a * c.count + k] = v;
          }
        }
      }
    }
    const info: Record<string, number | string> = {};
    for (const [k, v] of Object.entries(kv)) {
      if (k === 'Properties' || k === 'Lattice' || k === 'pbc') continue;
      info[k] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    let lattice: Float64Array | undefined;
    if (kv.Lattice) {
      lattice = Float64Array.from(kv.Lattice.trim().split(/\s+/).map(Number));
      if (lattice.length !== 9 || lattice.some((x) => !Number.isFinite(x))) throw new FileFormatError(file, 'Lattice="9 numbers"', JSON.stringify(kv.Lattice));
    }
    const pbc = kv.pbc ? kv.pbc.trim().split(/\s+/).map((x) => /^(T|True|true|1)$/.test(x)) : lattice ? [true, true, true] : undefined;
    const pick = (names: string[]): string | undefined => names.find((x) => x in data);
    const posName = pick(['pos', 'positions']);
    if (!posName) throw new FileFormatError(file, "a 'pos:R:3' property", `Properties=${kv.Properties}`);
    const speciesName = pick(['species', 'symbols']);
    const velName = pick(VELOCITY_NAMES);
    const massName = pick(MASS_NAMES);
    const arrays: Record<string, Float64Array | string[]> = {};
    for (const c of cols) if (![posName, speciesName, velName, massName].includes(c.name)) arrays[c.name] = data[c.name];
    frames.push({
      species: speciesName ? (data[speciesName] as string[]) : new Array<string>(n).fill('X'),
      positions: data[posName] as Float64Array,
      velocities: velName ? (data[velName] as Float64Array) : undefined,
      masses: massName ? (data[massName] as Float64Array) : undefined,
      lattice,
      pbc,
      info,
      arrays,
    });
    li += 2 + n;
  }
  return frames;
}

/** Formats frames as extended XYZ (velocities as `velo:R:3`, masses as `masses:R:1`). */
export function formatExtxyz(frames: readonly XyzFrame[]): string {
  const out: string[] = [];
  for (const f of frames) {
    const n = f.species.length;
    if (f.positions.length !== 3 * n) throw new ShapeError('positions', `a Float64Array of length ${3 * n} (3 per species entry)`, describe(f.positions));
    if (f.velocities && f.velocities.length !== 3 * n) throw new ShapeError('velocities', `length ${3 * n}`, describe(f.velocities));
    if (f.masses && f.masses.length !== n) throw new ShapeError('masses', `length ${n}`, describe(f.masses));
    const props = ['species:S:1', 'pos:R:3'];
    if (f.velocities) props.push('velo:R:3');
    if (f.masses) props.push('masses:R:1');
    const head: string[] = [];
    if (f.lattice) head.push(`Lattice="${Array.from(f.lattice, num).join(' ')}"`);
    head.push(`Properties=${props.join(':')}`);
    for (const [k, v] of Object.entries(f.info ?? {})) head.push(typeof v === 'number' ? `${k}=${v}` : `${k}="${v}"`);
    if (f.pbc ?? f.lattice) head.push(`pbc="${(f.pbc ?? [true, true, true]).map((b) => (b ? 'T' : 'F')).join(' ')}"`);
    out.push(String(n), head.join(' '));
    for (let a = 0; a < n; a++) {
      const row = [f.species[a], num(f.positions[3 * a]), num(f.positions[3 * a + 1]), num(f.positions[3 * a + 2])];
      if (f.velocities) row.push(num(f.velocities[3 * a]), num(f.velocities[3 * a + 1]), num(f.velocities[3 * a + 2]));
      if (f.masses) row.push(num(f.masses[a]));
      out.push(row.join(' '));
    }
  }
  return out.join('\n') + '\n';
}

/** Shortest round-trip decimal (keeps the sign of −0). */
function num(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Reads an extended XYZ file. */
export function readExtxyz(path: string): XyzFrame[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FileFormatError(path, 'a readable extended XYZ file', (e as Error).message);
  }
  return parseExtxyz(text, path);
}

/** Writes frames to an extended XYZ file (numbers with full double precision). */
export function writeExtxyz(path: string, frames: readonly XyzFrame[]): void {
  // temp file + rename: a failed or killed write never leaves a half-written file in place
  writeFileAtomic(path, formatExtxyz(frames));
}

/** Box lengths `[3]` of an orthorhombic `Lattice`, or throws a FileFormatError. */
export function orthorhombicBox(frame: XyzFrame, file = '<frame>'): Float64Array | null {
  if (!frame.lattice) return null;
  const L = frame.lattice;
  for (const k of [1, 2, 3, 5, 6, 7]) {
    if (Math.abs(L[k]) > 1e-12) throw new FileFormatError(file, 'an orthorhombic Lattice (diagonal cell vectors)', `Lattice="${Array.from(L).join(' ')}"`);
  }
  return Float64Array.of(L[0], L[4], L[8]);
}
