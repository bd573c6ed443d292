import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint } from '../../src/io/checkpoint.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { FileFormatError } from '../../src/util/errors.js';

const SEED = 20261122;

describe('checkpoints', () => {
  it('round-trip JSON state and arrays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnnwb-ck-'));
    const p = join(dir, 'c.ckpt');
    const w = Float32Array.from({ length: 12 }, (_, i) => i / 3);
    saveCheckpoint(p, { step: 5, lr: 1e-3, name: 'x' }, { w: { data: w, shape: [3, 4] }, ids: { data: Int32Array.of(4, 5, 6), shape: [3] }, d: { data: Float64Array.of(Math.PI), shape: [1] } });
    const c = loadCheckpoint<{ step: number }>(p);
    expect(c.state).toEqual({ step: 5, lr: 1e-3, name: 'x' });
    expect(c.arrays.w.data).toEqual(w);
    expect(c.arrays.w.shape).toEqual([3, 4]);
    expect(Array.from(c.arrays.ids.data)).toEqual([4, 5, 6]);
    expect(c.arrays.d.data[0]).toBe(Math.PI);
    expect(readdirSync(dir)).toEqual(['c.ckpt']);
  });

  it('property: every truncation or single-byte corruption is a FileFormatError, never a crash', () => {
    const good = encodeCheckpoint({ step: 1, note: 'abc' }, { a: { data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] }, b: { data: Int32Array.of(7), shape: [1] } });
    fc.assert(
      fc.property(fc.oneof(
        fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: good.length - 1 }) }),
        fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: good.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      ), (c) => {
        let bytes: Uint8Array;
        if (c.kind === 'truncate') bytes = good.subarray(0, c.at);
        else if (c.kind === 'append') bytes = new Uint8Array([...good, ...c.extra]);
        else {
          bytes = good.slice();
          bytes[c.at] ^= 1 << c.bit;
        }
        try {
          decodeCheckpoint(bytes, 'fuzz.ckpt');
        } catch (e) {
          expect(e).toBeInstanceOf(FileFormatError);
          return;
        }
        // Decoding succeeded: only possible in padding bytes; the content must be unchanged.
        expect(c.kind).toBe('flip');
        const d = decodeCheckpoint(bytes);
        expect(d.state).toEqual({ step: 1, note: 'abc' });
        expect(Array.from(d.arrays.a.data)).toEqual([1, 2, 3, 4]);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('the fuzz property catches a decoder that skips the checksums', () => {
    // A broken decoder (no sha256 check) accepts a flipped data byte: the property must fail.
    const good = encodeCheckpoint({ s: 1 }, { a: { data: Float32Array.of(1, 2), shape: [2] } });
    const bad = good.slice();
    bad[bad.length - 1] ^= 0x40;
    const sloppy = (b: Uint8Array) => new Float32Array(b.slice(b.length - 8).buffer);
    expect(Array.from(sloppy(bad))).not.toEqual([1, 2]); // corrupt data goes through unnoticed …
    expect(() => decodeCheckpoint(bad)).toThrow(/sha256/); // … the real decoder refuses it
  });

  it('a failed atomic write leaves the previous file intact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnnwb-ck-'));
    const p = join(dir, 'c.ckpt');
    saveCheckpoint(p, { v: 1 });
    const before = readFileSync(p);
    expect(() => saveCheckpoint(p, { v: 2 }, { a: { data: new Float32Array(3), shape: [2] } })).toThrow();
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(() => writeFileAtomic(join(dir, 'c.ckpt'), 'x', { noOverwrite: true })).toThrow(FileFormatError);
    writeFileSync(join(dir, 'garbage.ckpt'), 'GNNWBCK1 but then nonsense .......................................');
    expect(() => loadCheckpoint(join(dir, 'garbage.ckpt'))).toThrow(FileFormatError);
    expect(() => loadCheckpoint(join(dir, 'none.ckpt'))).toThrow(/no such file/);
  });
});
