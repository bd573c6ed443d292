import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { readDataset, requireArray } from '../../../src/io/dataset.js';
import { readExtxyz, writeExtxyz } from '../../../src/io/extxyz.js';
import { fcc } from '../../../src/geometry/lattice.js';
import { parseMdLjConfig, parseMdSpringsConfig } from '../../../src/sims/md/config.js';
import { readThermo, runMd } from '../../../src/sims/md/run.js';
import { buildLjSystem, buildSpringsSystem } from '../../../src/sims/md/systems.js';
import { SimulationError } from '../../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'gnnwb-md-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = { out: () => {}, log: () => {} };

describe('gnnwb simulate md-*', () => {
  it('configs validate with path/expected/got and round-trip through JSON', () => {
    const cfg = parseMdLjConfig({ kind: 'md-lj' });
    expect(parseMdLjConfig(JSON.parse(JSON.stringify(cfg)))).toEqual(cfg);
    expect(cfg.potential.cutoff).toBe(2.5);
    expect(() => parseMdLjConfig({ kind: 'md-lj', integrator: { dt: -1 } })).toThrow(/integrator\.dt.*> 0.*-1/);
    expect(() => parseMdLjConfig({ kind: 'md-lj', init: { cells: [2, 2] } })).toThrow(/init\.cells/);
    expect(() => parseMdSpringsConfig({ kind: 'md-springs', probability: 2 })).toThrow(/probability/);
    // A box too small for the cutoff is refused when the system is built.
    expect(() => buildLjSystem(parseMdLjConfig({ kind: 'md-lj', init: { cells: [3, 3, 3] } }))).toThrow(/2·\(cutoff \+ skin\)/);
  });

  it('md-lj writes a real HDF5 dataset (h5dump reads it), thermo lines and extxyz that round-trip', async () => {
    const out = join(root, 'lj');
    const cfg = parseMdLjConfig({ kind: 'md-lj', seed: 1, init: { cells: [4, 4, 4] }, steps: 200, frameEvery: 50, thermoEvery: 20 });
    const sum = await runMd(buildLjSystem(cfg), { outDir: out, steps: 200, frameEvery: 50, thermoEvery: 20 });
    expect(sum.frames).toBe(5);
    const ds = await readDataset(join(out, 'trajectory.h5'));
    const pos = requireArray(ds, 'positions', 'float32', [5, 256, 3]);
    expect(ds.manifest.simulator).toBe('md-lj');
    expect(ds.manifest.seed).toBe(1);
    expect((ds.manifest.config as { kind: string }).kind).toBe('md-lj');
    const h5 = spawnSync('h5dump', ['-H', join(out, 'trajectory.h5')], { encoding: 'utf8' });
    if (h5.error) throw new Error('h5dump (Debian hdf5-tools) is required for this test: ' + h5.error.message);
    expect(h5.stdout).toMatch(/DATASET "positions"[\s\S]*\( 5, 256, 3 \)/);
    const th = readThermo(join(out, 'thermo.jsonl'));
    expect(th.map((t) => t.step)).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
    expect(Math.abs(th[10].etotal - th[0].etotal)).toBeLessThan(1.5e-3);
    expect(th[0].temp).toBeCloseTo(1.44, 10);
    const xyz = readExtxyz(join(out, 'trajectory.xyz'));
    expect(xyz.length).toBe(5);
    expect(xyz[4].positions[7]).toBe(pos.data[4 * 768 + 7]);
    expect(xyz[4].info?.step).toBe(200);
  });

  it('md-lj starts from an extended XYZ file (positions, velocities, masses)', async () => {
    const lat = fcc(0.8442, [4, 4, 4]);
    const vel = new Float64Array(lat.positions.length).map((_, i) => (i % 3 === 0 ? 0.5 : 0) * (i % 2 ? 1 : -1));
    const file = join(root, 'start.xyz');
    writeExtxyz(file, [{ species: new Array(256).fill('Ar'), positions: lat.positions, velocities: vel, masses: new Float64Array(256).fill(2), lattice: Float64Array.of(lat.box[0], 0, 0, 0, lat.box[1], 0, 0, 0, lat.box[2]) }]);
    const sys = buildLjSystem(parseMdLjConfig({ kind: 'md-lj', init: { extxyz: file } }));
    expect(sys.masses[0]).toBe(2);
    expect(sys.velocities[0]).toBe(-0.5);
    expect(sys.space.box![0]).toBeCloseTo(lat.box[0], 12);
  });

  it('a blow-up stops with a clear SimulationError and keeps the frames written', async () => {
    const out = join(root, 'boom');
    // dt = 0.05 on a compressed LJ liquid: energy explodes within a few hundred steps.
    const cfg = parseMdLjConfig({ kind: 'md-lj', init: { cells: [4, 4, 4], density: 1.3, temperature: 5 }, integrator: { dt: 0.05 }, steps: 5000, frameEvery: 2, thermoEvery: 1 });
    const err = await runMd(buildLjSystem(cfg), { outDir: out, steps: 5000, frameEvery: 2, thermoEvery: 1, extxyz: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationError);
    expect((err as Error).message).toMatch(/blew up at step \d+.*Kept \d+ frame\(s\).*reduce dt/);
    const kept = Number(/Kept (\d+) frame/.exec((err as Error).message)![1]);
    expect(kept).toBeGreaterThanOrEqual(1);
    const ds = await readDataset(join(out, 'trajectory.h5'));
    expect(ds.arrays.positions.shape[0]).toBe(kept);
    for (const v of ds.arrays.positions.data) expect(Number.isFinite(v)).toBe(true);
  });

  it('md-springs through the CLI: dataset with springs/adjacency, energy conserved', async () => {
    const cfgPath = join(root, 'springs.json');
    writeFileSync(cfgPath, JSON.stringify({ kind: 'md-springs', seed: 4, steps: 5000, frameEvery: 100, thermoEvery: 100, integrator: { dt: 0.001 } }));
    const code = await main(['simulate', cfgPath, '--out', join(root, 'springs')], quiet);
    expect(code).toBe(0);
    const ds = await readDataset(join(root, 'springs', 'trajectory.h5'));
    expect(ds.arrays.positions.shape).toEqual([51, 5, 2]);
    expect(ds.arrays.adjacency.shape).toEqual([5, 5]);
    const th = readThermo(join(root, 'springs', 'thermo.jsonl'));
    expect(th[th.length - 1].press).toBeNull();
    expect(Math.abs(th[th.length - 1].etotal - th[0].etotal)).toBeLessThan(1e-6);
  });

  it('resumes after a kill (SIGKILL mid-run) and ends bitwise equal to an uninterrupted run', async () => {
    const config = { kind: 'md-lj', seed: 7, init: { cells: [4, 4, 4] }, neighbor: { rebuildEvery: 20 }, steps: 3000, frameEvery: 100, thermoEvery: 100, extxyz: false };
    const cfgPath = join(root, 'resume.json');
    writeFileSync(cfgPath, JSON.stringify(config));
    const killedOut = join(root, 'killed');
    const child = spawn(process.execPath, ['bin/gnnwb.js', 'simulate', cfgPath, '--out', killedOut], { stdio: 'ignore' });
    const index = join(killedOut, 'trajectory.h5.partial', 'index.json');
    let committed = 0;
    for (let t = 0; t < 600 && committed < 4; t++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        committed = (JSON.parse(readFileSync(index, 'utf8')) as { committedFrames: number }).committedFrames;
      } catch {
        /* not written yet */
      }
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(committed).toBeGreaterThanOrEqual(4);
    expect(existsSync(join(killedOut, 'trajectory.h5'))).toBe(false); // it really was interrupted
    // Without --resume the partial run is refused with a hint.
    expect(await main(['simulate', cfgPath, '--out', killedOut], quiet)).not.toBe(0);
    expect(await main(['simulate', cfgPath, '--out', killedOut, '--resume'], quiet)).toBe(0);
    // Reference: the same config uninterrupted.
    const refOut = join(root, 'reference');
    expect(await main(['simulate', cfgPath, '--out', refOut], quiet)).toBe(0);
    const a = await readDataset(join(killedOut, 'trajectory.h5'));
    const b = await readDataset(join(refOut, 'trajectory.h5'));
    expect(a.arrays.positions.shape).toEqual([31, 256, 3]);
    expect(Buffer.from(a.arrays.positions.data.buffer).equals(Buffer.from(b.arrays.positions.data.buffer))).toBe(true);
    expect(Buffer.from(a.arrays.velocities.data.buffer).equals(Buffer.from(b.arrays.velocities.data.buffer))).toBe(true);
    const steps = readThermo(join(killedOut, 'thermo.jsonl')).map((t) => t.step);
    expect(steps).toEqual(Array.from({ length: 31 }, (_, k) => k * 100));
  });
});

describe('springs system builder', () => {
  it('is deterministic in the seed', () => {
    const a = buildSpringsSystem(parseMdSpringsConfig({ kind: 'md-springs', seed: 2 }));
    const b = buildSpringsSystem(parseMdSpringsConfig({ kind: 'md-springs', seed: 2 }));
    expect([...a.positions]).toEqual([...b.positions]);
    expect([...(a.staticArrays!.adjacency.data as Int32Array)]).toEqual([...(b.staticArrays!.adjacency.data as Int32Array)]);
  });
});
