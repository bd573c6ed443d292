import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatExtxyz, orthorhombicBox, parseExtxyz, parseKeyValues, readExtxyz, writeExtxyz } from '../../src/io/extxyz.js';

describe('extended XYZ', () => {
  it('reads an ASE-style frame (hand case)', () => {
    const text = [
      '2',
      'Lattice="5.0 0.0 0.0 0.0 6.0 0.0 0.0 0.0 7.0" Properties=species:S:1:pos:R:3:velo:R:3:masses:R:1 energy=-1.25 config_type="lj liquid" pbc="T T T"',
      'Ar 0.0 1.0 2.0 0.1 0.2 0.3 39.95',
      'Ar 1.5 2.5 3.5 -0.1 -0.2 -0.3 39.95',
      '',
    ].join('\n');
    const [f] = parseExtxyz(text);
    expect(f.species).toEqual(['Ar', 'Ar']);
    expect([...f.positions]).toEqual([0, 1, 2, 1.5, 2.5, 3.5]);
    expect([...f.velocities!]).toEqual([0.1, 0.2, 0.3, -0.1, -0.2, -0.3]);
    expect([...f.masses!]).toEqual([39.95, 39.95]);
    expect([...orthorhombicBox(f)!]).toEqual([5, 6, 7]);
    expect(f.info).toEqual({ energy: -1.25, config_type: 'lj liquid' });
    expect(f.pbc).toEqual([true, true, true]);
  });

  it('reads plain XYZ (no Properties) and multiple frames', () => {
    const frames = parseExtxyz('1\ncomment\nH 0 0 1\n1\n\nH 0 0 2\n');
    expect(frames.length).toBe(2);
    expect(frames[1].positions[2]).toBe(2);
    expect(frames[0].velocities).toBeUndefined();
  });

  it('errors teach: truncated file, bad number, bad Properties, non-orthorhombic cell', () => {
    expect(() => parseExtxyz('3\nProperties=species:S:1:pos:R:3\nAr 0 0 0\n', 'a.xyz')).toThrow(/a\.xyz.*truncated/);
    expect(() => parseExtxyz('1\n\nAr 0 x 0\n', 'b.xyz')).toThrow(/b\.xyz.*column 3 of line 3/);
    expect(() => parseExtxyz('1\nProperties=species:S\nAr 0 0 0\n')).toThrow(/triples/);
    const [f] = parseExtxyz('1\nLattice="1 1 0 0 1 0 0 0 1"\nAr 0 0 0\n');
    expect(() => orthorhombicBox(f)).toThrow(/orthorhombic/);
  });

  it('parses quoted key=value pairs and bare flags', () => {
    expect(parseKeyValues('a=1 b="x y" c=\'z\' flag')).toEqual({ a: '1', b: 'x y', c: 'z', flag: 'T' });
  });

  it('property: write → read round-trips positions, velocities, masses, lattice exactly (file on disk)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnnwb-xyz-'));
    try {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom('Ar', 'Ne', 'X1'), fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 7, maxLength: 7 })), { maxLength: 12 }),
          fc.array(fc.double({ min: 1, max: 50, noNaN: true }), { minLength: 3, maxLength: 3 }),
          (atoms, L) => {
            const frame = {
              species: atoms.map((a) => a[0]),
              positions: Float64Array.from(atoms.flatMap((a) => a[1].slice(0, 3))),
              velocities: Float64Array.from(atoms.flatMap((a) => a[1].slice(3, 6))),
              masses: Float64Array.from(atoms.map((a) => Math.abs(a[1][6]) + 1)),
              lattice: Float64Array.of(L[0], 0, 0, 0, L[1], 0, 0, 0, L[2]),
              info: { step: 3, kind: 'md-lj' },
            };
            const p = join(dir, 'f.xyz');
            writeExtxyz(p, [frame, frame]);
            const back = readExtxyz(p);
            expect(back.length).toBe(2);
            expect(back[1].species).toEqual(frame.species);
            expect([...back[1].positions]).toEqual([...frame.positions]);
            expect([...back[1].velocities!]).toEqual([...frame.velocities]);
            expect([...back[1].masses!]).toEqual([...frame.masses]);
            expect([...back[1].lattice!]).toEqual([...frame.lattice]);
            expect(back[1].info).toEqual(frame.info);
            expect(formatExtxyz(back)).toBe(formatExtxyz([frame, frame]));
          },
        ),
        { seed: 99, numRuns: 60 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
