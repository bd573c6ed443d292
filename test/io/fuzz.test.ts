// Robust inputs: truncated, corrupted and wrong-shaped files through every reader give a
// clear GnnwbError (FileFormatError / ShapeError), never another exception, and through the
// CLI a non-zero exit with one line and no stack trace.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDataset, readDataset, MANIFEST_ATTR } from '../../src/io/dataset.js';
import { loadH5 } from '../../src/io/h5.js';
import { parseExtxyz, formatExtxyz } from '../../src/io/extxyz.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { GnnwbError, FileFormatError } from '../../src/util/errors.js';
import { main } from '../../src/cli/main.js';

const SEED = 4242;
let dir: string;
let good: Buffer;
const POS = Float32Array.from({ length: 3 * 4 * 3 }, (_, i) => Math.sin(i) * 3);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-fuzz-'));
  await writeDataset(join(dir, 'good.h5'), {
    simulator: 'fuzz', config: { n: 4 }, seed: 1, created: '2026-01-01T00:00:00.000Z',
    arrays: { positions: { data: POS, shape: [3, 4, 3] }, ids: { data: Int32Array.of(1, 2, 3, 4), shape: [4] } },
  });
  good = readFileSync(join(dir, 'good.h5'));
});

let counter = 0;
async function readMutated(bytes: Uint8Array): Promise<'error' | 'same'> {
  const p = join(dir, `m${++counter}.h5`);
  writeFileSync(p, bytes);
  try {
    const ds = await readDataset(p);
    // Accepted only if the content is exactly the original (flips in unused bytes).
    expect(ds.arrays.positions.data).toEqual(POS);
    expect(Array.from(ds.arrays.ids.data)).toEqual([1, 2, 3, 4]);
    return 'same';
  } catch (e) {
    if (!(e instanceof GnnwbError)) throw new Error(`reader threw a non-GnnwbError: ${String(e).slice(0, 300)}`);
    expect(e.message).toMatch(/expected .* \(got .*\)/s);
    return 'error';
  }
}

describe('fuzz: HDF5 dataset reader', () => {
  it('every truncation is a FileFormatError', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: good.length - 1 }), async (n) => {
      expect(await readMutated(good.subarray(0, n))).toBe('error');
    }), { seed: SEED, numRuns: 60 });
  });

  it('random byte corruption gives a GnnwbError or the unchanged content, never a crash', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ at: fc.integer({ min: 0, max: good.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }), async (flips) => {
      const b = Buffer.from(good);
      for (const f of flips) b[f.at] ^= f.xor;
      await readMutated(b);
    }), { seed: SEED, numRuns: 150 });
    // After all that, h5wasm still works.
    expect((await readDataset(join(dir, 'good.h5'))).arrays.positions.shape).toEqual([3, 4, 3]);
  }, 120_000);

  it('a manifest that disagrees with the data (wrong shape, wrong dtype, bad JSON) is a FileFormatError', async () => {
    const h5 = await loadH5();
    const manifest = (await readDataset(join(dir, 'good.h5'))).manifest;
    const variants: [string, (m: any) => unknown][] = [
      ['shape', (m) => ({ ...m, arrays: { ...m.arrays, positions: { ...m.arrays.positions, shape: [4, 3, 3] } } })],
      ['dtype', (m) => ({ ...m, arrays: { ...m.arrays, positions: { ...m.arrays.positions, dtype: 'float64' } } })],
      ['version', (m) => ({ ...m, formatVersion: 99 })],
      ['json', () => '{not json'],
      ['missing array', (m) => ({ ...m, arrays: { ...m.arrays, velocities: m.arrays.positions } })],
    ];
    for (const [name, edit] of variants) {
      const p = join(dir, `wrong-${name.replace(' ', '-')}.h5`);
      const f = new h5.File(p, 'w');
      f.create_dataset({ name: 'positions', data: POS, shape: [3, 4, 3] });
      f.create_dataset({ name: 'ids', data: Int32Array.of(1, 2, 3, 4), shape: [4] });
      const v = edit(manifest);
      f.create_attribute(MANIFEST_ATTR, typeof v === 'string' ? v : JSON.stringify(v));
      f.close();
      const err = await readDataset(p).catch((e) => e);
      expect(err, name).toBeInstanceOf(FileFormatError);
    }
  });
});

describe('fuzz: extended XYZ reader', () => {
  const text = formatExtxyz([
    { species: ['Ar', 'Ar'], positions: Float64Array.of(0, 0, 0, 1, 1, 1), velocities: Float64Array.of(0.1, 0, 0, 0, -0.1, 0), lattice: Float64Array.of(5, 0, 0, 0, 5, 0, 0, 0, 5), info: { step: 3 } },
    { species: ['Ar', 'Ar'], positions: Float64Array.of(0.1, 0, 0, 1, 1.1, 1), velocities: Float64Array.of(0.1, 0, 0, 0, -0.1, 0), lattice: Float64Array.of(5, 0, 0, 0, 5, 0, 0, 0, 5), info: { step: 4 } },
  ]);

  it('truncated, corrupted and random text: frames or a GnnwbError, nothing else', () => {
    const mutated = fc.oneof(
      fc.integer({ min: 0, max: text.length }).map((n) => text.slice(0, n)),
      fc.record({ at: fc.integer({ min: 0, max: text.length - 1 }), ch: fc.constantFrom('x', ' ', '\n', '"', '=', '-', '9', ':', '') }).map(({ at, ch }) => text.slice(0, at) + ch + text.slice(at + 1)),
      fc.string({ maxLength: 200 }),
    );
    fc.assert(fc.property(mutated, (t) => {
      try {
        parseExtxyz(t, 'fuzz.xyz');
      } catch (e) {
        if (!(e instanceof GnnwbError)) throw new Error(`extxyz threw ${String(e).slice(0, 200)} for ${JSON.stringify(t.slice(0, 120))}`);
      }
    }), { seed: SEED, numRuns: 400 });
  });
});

describe('gnnwb inspect: bad files exit non-zero with one line', () => {
  it('good files print a summary; corrupt ones exit 66 without a stack trace', async () => {
    saveCheckpoint(join(dir, 'c.ckpt'), { step: 1 }, { w: { data: Float32Array.of(1, 2), shape: [2] } });
    writeFileSync(join(dir, 'a.xyz'), '2\nProperties=species:S:1:pos:R:3\nAr 0 0 0\nAr 1 1 1\n');
    for (const f of ['good.h5', 'c.ckpt', 'a.xyz']) {
      const out: string[] = [];
      expect(await main(['inspect', join(dir, f)], { out: (l) => out.push(l), log: () => {} }), f).toBe(0);
      expect(out.join('\n')).toMatch(/type/);
    }
    const ck = readFileSync(join(dir, 'c.ckpt'));
    writeFileSync(join(dir, 'trunc.ckpt'), ck.subarray(0, ck.length - 3));
    writeFileSync(join(dir, 'trunc.h5'), good.subarray(0, 2000));
    const flipped = Buffer.from(good);
    flipped[flipped.indexOf(Buffer.from(POS.buffer)) + 5] ^= 0x10;
    writeFileSync(join(dir, 'flip.h5'), flipped);
    writeFileSync(join(dir, 'bad.xyz'), '3\ncomment\nAr 0 0 0\n');
    writeFileSync(join(dir, 'junk.bin'), 'hello');
    for (const f of ['trunc.ckpt', 'trunc.h5', 'flip.h5', 'bad.xyz', 'junk.bin', 'missing.h5']) {
      const log: string[] = [];
      const code = await main(['inspect', join(dir, f)], { out: () => {}, log: (l) => log.push(l) });
      expect(code, f).toBe(66);
      expect(log.length, f).toBe(1);
      expect(log[0], f).toMatch(/^gnnwb inspect: FileFormatError: File '.*': expected .* \(got .*\)/);
    }
  });
});
