import { describe, it, expect, beforeEach } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeDataset, readDataset, readManifest, requireArray, MANIFEST_ATTR } from '../../src/io/dataset.js';
import { FileFormatError, ShapeError } from '../../src/util/errors.js';
import { configHash } from '../../src/config/hash.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gnnwb-ds-'));
});

function sample() {
  const T = 4, N = 5;
  const pos = new Float32Array(T * N * 3).map((_, i) => i * 0.25);
  return {
    simulator: 'md-test',
    config: { kind: 'md-test', n: N, dt: 0.01 },
    seed: 3,
    arrays: {
      positions: { data: pos, shape: [T, N, 3] },
      energy: { data: new Float64Array([1.5, 1.25, 1.125, 1.0625]), shape: [T] },
      species: { data: Int32Array.from([0, 1, 1, 0, 2]), shape: [N] },
    },
    attributes: { units: 'lj', dt: 0.01 },
    created: '2026-01-01T00:00:00.000Z',
  };
}

describe('dataset format (HDF5 + manifest)', () => {
  it('round-trips arrays, dtypes, shapes and the manifest', async () => {
    const p = join(dir, 'a.h5');
    const m = await writeDataset(p, sample());
    expect(m.configHash).toBe(configHash(sample().config));
    const ds = await readDataset(p);
    expect(ds.manifest.simulator).toBe('md-test');
    expect(ds.manifest.seed).toBe(3);
    expect(ds.manifest.attributes).toEqual({ units: 'lj', dt: 0.01 });
    expect(ds.manifest.arrays.positions).toMatchObject({ dtype: 'float32', shape: [4, 5, 3] });
    expect(ds.arrays.positions.data).toEqual(sample().arrays.positions.data);
    expect(ds.arrays.energy.data).toBeInstanceOf(Float64Array);
    expect(Array.from(ds.arrays.species.data)).toEqual([0, 1, 1, 0, 2]);
    expect((await readManifest(p)).configHash).toBe(m.configHash);
    const pos = requireArray(ds, 'positions', 'float32', [-1, 5, 3]);
    expect(pos.shape).toEqual([4, 5, 3]);
  });

  it('is real HDF5: h5dump -H lists the datasets and the manifest attribute', async (ctx) => {
    const probe = spawnSync('h5dump', ['--version']);
    if (probe.error) {
      if (process.env.CI) throw new Error('h5dump missing in CI (install hdf5-tools)');
      ctx.skip(); // visible as skipped: h5dump not installed here
      return;
    }
    const p = join(dir, 'a.h5');
    await writeDataset(p, sample());
    const r = spawnSync('h5dump', ['-H', p], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('DATASET "positions"');
    expect(r.stdout).toMatch(/H5T_IEEE_F32LE[\s\S]*SIMPLE \{ \( 4, 5, 3 \)/);
    expect(r.stdout).toContain('H5T_IEEE_F64LE');
    expect(r.stdout).toContain(`ATTRIBUTE "${MANIFEST_ATTR}"`);
  });

  it('refuses to overwrite, and keeps the old file when a write fails', async () => {
    const p = join(dir, 'a.h5');
    await writeDataset(p, sample());
    const before = readFileSync(p);
    await expect(writeDataset(p, sample())).rejects.toBeInstanceOf(FileFormatError);
    const bad = { ...sample(), arrays: { x: { data: new Float32Array(5), shape: [2, 3] } } };
    await expect(writeDataset(p, bad, { overwrite: true })).rejects.toBeInstanceOf(ShapeError);
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['a.h5']); // no temp files left behind
    await writeDataset(p, { ...sample(), seed: 9 }, { overwrite: true });
    expect((await readManifest(p)).seed).toBe(9);
  });

  it('truncated, corrupt, foreign and missing files give FileFormatError', async () => {
    const p = join(dir, 'a.h5');
    await writeDataset(p, sample());
    const good = readFileSync(p);
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['text', Buffer.from('not an hdf5 file at all')],
      ['half', good.subarray(0, good.length >> 1)],
      ['minus1', good.subarray(0, good.length - 1)],
    ];
    for (const [name, bytes] of cases) {
      const q = join(dir, `${name}.h5`);
      writeFileSync(q, bytes);
      const err = await readDataset(q).catch((e) => e);
      expect(err, name).toBeInstanceOf(FileFormatError);
      expect(String(err.message), name).toMatch(/expected .* \(got /);
    }
    await expect(readDataset(join(dir, 'missing.h5'))).rejects.toThrow(/no such file/);
    // Flip bytes inside the raw data of 'positions': HDF5 cannot tell, the checksum can.
    const f32 = Buffer.from(new Float32Array([0.25, 0.5, 0.75]).buffer);
    const at = good.indexOf(f32);
    expect(at).toBeGreaterThan(0);
    const flipped = Buffer.from(good);
    flipped[at + 1] ^= 0xff;
    writeFileSync(join(dir, 'flip.h5'), flipped);
    await expect(readDataset(join(dir, 'flip.h5'))).rejects.toThrow(/sha256/);
    // verify:false skips the checksum but still checks shapes.
    expect((await readDataset(join(dir, 'flip.h5'), { verify: false })).arrays.positions.shape).toEqual([4, 5, 3]);
  });

  it('wrong-shaped consumers get expected/got', async () => {
    const p = join(dir, 'a.h5');
    await writeDataset(p, sample());
    const ds = await readDataset(p);
    expect(() => requireArray(ds, 'positions', 'float32', [-1, 6, 3])).toThrow(/expected array 'positions' to be float32 \[\*, 6, 3\] \(got float32 \[4, 5, 3\]\)/);
    expect(() => requireArray(ds, 'positions', 'float64', [-1, 5, 3])).toThrow(FileFormatError);
    expect(() => requireArray(ds, 'velocities', 'float32', [-1, 5, 3])).toThrow(/no|arrays/);
  });

  it('a file that is HDF5 but not a gnnwb dataset says so', async () => {
    const { loadH5 } = await import('../../src/io/h5.js');
    const h5 = await loadH5();
    const q = join(dir, 'plain.h5');
    const f = new h5.File(q, 'w');
    f.create_dataset({ name: 'x', data: new Float32Array([1, 2]) });
    f.close();
    await expect(readDataset(q)).rejects.toThrow(/gnnwb_manifest/);
  });
});

describe('trajectory writer: append, kill, resume', () => {
  const fixture = join(__dirname, 'fixtures', 'traj_writer.ts');
  const run = (out: string, frames: number, delay = 0) => spawnSync(process.execPath, ['--import', 'tsx', fixture, out, String(frames), String(delay)], { encoding: 'utf8' });

  it('a run killed midway and resumed equals an uninterrupted run (same sha256 for every array)', async () => {
    const a = join(dir, 'a.h5');
    const r0 = run(a, 12);
    expect(r0.stderr.slice(0, 300)).toBe('');
    expect(r0.stdout).toContain('done');
    // Killed run: SIGKILL after a few frames.
    const b = join(dir, 'b.h5');
    const { spawn } = await import('node:child_process');
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, b, '12', '150']);
      let seen = 0;
      child.stdout.on('data', (d: Buffer) => {
        seen += (d.toString().match(/frame/g) ?? []).length;
        if (seen >= 3) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(existsSync(b)).toBe(false);
    expect(existsSync(`${b}.partial/index.json`)).toBe(true);
    const committed = JSON.parse(readFileSync(`${b}.partial/index.json`, 'utf8')).committedFrames;
    expect(committed).toBeGreaterThanOrEqual(3);
    expect(committed).toBeLessThan(12);
    // Simulate a kill between data write and commit: garbage after the committed frames.
    const xb = `${b}.partial/frames/x.bin`;
    writeFileSync(xb, Buffer.concat([readFileSync(xb), Buffer.alloc(100, 7)]));
    const r1 = run(b, 12);
    expect(r1.stdout).toContain('done');
    expect(r1.stdout).not.toContain(`frame ${committed - 1}\n`);
    expect(existsSync(`${b}.partial`)).toBe(false);
    const [da, db] = [await readDataset(a), await readDataset(b)];
    expect(db.manifest.arrays).toEqual(da.manifest.arrays); // includes sha256 of every array
    expect(db.arrays.x.shape).toEqual([12, 1000, 3]);
    expect(Array.from(db.arrays.step.data)).toEqual([...Array(12).keys()]);
    // Same manifest (config, seed, every array's sha256, created). The HDF5 bytes themselves
    // differ: HDF5 stamps object headers with their modification time.
    expect(db.manifest).toEqual(da.manifest);
    expect(db.arrays.masses.data).toEqual(da.arrays.masses.data);
  }, 60_000);

  it('resume refuses a different config and an unflagged restart', async () => {
    const { TrajectoryWriter } = await import('../../src/io/trajectory.js');
    const out = join(dir, 't.h5');
    const h = { simulator: 's', config: { a: 1 }, seed: 1, frameArrays: { x: { dtype: 'float32' as const, shape: [2] } } };
    const w = await TrajectoryWriter.open(out, h);
    w.append({ x: new Float32Array([1, 2]) });
    w.close();
    await expect(TrajectoryWriter.open(out, h)).rejects.toThrow(/--resume/);
    await expect(TrajectoryWriter.open(out, { ...h, config: { a: 2 } }, { resume: true })).rejects.toThrow(/config/);
    const w2 = await TrajectoryWriter.open(out, h, { resume: true });
    expect(w2.committedFrames).toBe(1);
    expect(() => w2.append({ x: new Float32Array(3) })).toThrow(ShapeError);
    w2.append({ x: new Float32Array([3, 4]) });
    await w2.finalize();
    const ds = await readDataset(out);
    expect(Array.from(ds.arrays.x.data)).toEqual([1, 2, 3, 4]);
    expect(statSync(out).size).toBeGreaterThan(0);
    expect(truncateSync).toBeDefined();
  });
});
