import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeType } from '../../../src/geometry/trimesh/index.js';
import { parseFluidCylinderConfig, trajectoryCase } from '../../../src/sims/fluid/config.js';
import { listFluidTrajectories, readFluidTrajectory } from '../../../src/sims/fluid/dataset.js';
import { simulateFluidCylinder } from '../../../src/sims/fluid/simulate.js';
import { parabolicInflow } from '../../../src/sims/fluid/boundary.js';
import { ConfigError } from '../../../src/util/errors.js';

const RAW = {
  kind: 'fluid-cylinder',
  seed: 3,
  trajectories: 2,
  channel: { length: 1.0, height: 0.41 },
  mesh: { hMin: 0.03, hMax: 0.06, grading: 0.2 },
  nu: 0.002,
  dt: 0.01,
  saveEvery: 2,
  frames: 6,
  rampTime: 0,
  vary: { uMax: [0.5, 1.0], x: [0.2, 0.3], y: [0.18, 0.22], radius: [0.04, 0.06] },
};
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'gnnwb-fluid-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const quiet = { write: () => true, isTTY: false };

describe('fluid-cylinder dataset', () => {
  it('writes trajectories that the reader returns with mesh, frames and metadata', async () => {
    const c = parseFluidCylinderConfig(RAW);
    const out = tmp();
    const r = await simulateFluidCylinder(c, { out, stream: quiet });
    expect(r.files).toEqual(listFluidTrajectories(out));
    const cases = [0, 1].map((i) => trajectoryCase(c, i));
    expect(cases[0].uMax).not.toBe(cases[1].uMax);
    expect(cases[0].obstacles[0].radius).not.toBe(cases[1].obstacles[0].radius);
    const tr = await readFluidTrajectory(r.files[0]);
    expect(tr.numFrames).toBe(6);
    expect(tr.dt).toBeCloseTo(0.02, 12);
    expect(tr.nu).toBe(0.002);
    expect(tr.uMax).toBe(cases[0].uMax);
    expect(tr.meshPos.length).toBe(2 * tr.numNodes);
    expect(tr.cells.length).toBe(3 * tr.numCells);
    expect(tr.velocity.length).toBe(6 * 2 * tr.numNodes);
    const types = new Set(tr.nodeType);
    for (const t of [NodeType.NORMAL, NodeType.OBSTACLE, NodeType.INFLOW, NodeType.OUTFLOW, NodeType.WALL_BOUNDARY]) expect(types.has(t)).toBe(true);
    // inflow nodes carry the parabolic profile; obstacle nodes are at rest
    const v = tr.velocityAt(5);
    for (let i = 0; i < tr.numNodes; i++) {
      if (tr.nodeType[i] === NodeType.INFLOW) expect(v[2 * i]).toBeCloseTo(parabolicInflow(tr.uMax, 0.41, tr.meshPos[2 * i + 1]), 5);
      if (tr.nodeType[i] === NodeType.OBSTACLE) expect(Math.hypot(v[2 * i], v[2 * i + 1])).toBe(0);
    }
    expect(Array.from(tr.time)).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1].map((t, k) => tr.time[k]));
    expect(tr.time[5]).toBeCloseTo(0.1, 10);
    expect(tr.forces.length).toBe(6 * 2);
    expect(Number.isFinite(tr.pressureAt(5)[0])).toBe(true);
  }, 120_000);

  it('resumes a killed run and produces the same arrays as an uninterrupted one', async () => {
    const c = parseFluidCylinderConfig({ ...RAW, trajectories: 1 });
    const a = tmp(), b = tmp();
    await simulateFluidCylinder(c, { out: a, stream: quiet });
    const first = await simulateFluidCylinder(c, { out: b, stream: quiet, stopAfterFrames: 3 });
    expect(first.stopped).toBe(true);
    expect(listFluidTrajectories(b)).toEqual([]);
    await expect(simulateFluidCylinder(c, { out: b, stream: quiet })).rejects.toThrow(/resume/);
    await simulateFluidCylinder(c, { out: b, stream: quiet, resume: true });
    const ta = await readFluidTrajectory(listFluidTrajectories(a)[0]);
    const tb = await readFluidTrajectory(listFluidTrajectories(b)[0]);
    expect(Buffer.from(tb.velocity.buffer).equals(Buffer.from(ta.velocity.buffer))).toBe(true);
    expect(Buffer.from(tb.pressure.buffer).equals(Buffer.from(ta.pressure.buffer))).toBe(true);
    expect(Array.from(tb.forces)).toEqual(Array.from(ta.forces));
  }, 120_000);

  it('rejects bad configs with path/expected/got', () => {
    expect(() => parseFluidCylinderConfig({ ...RAW, dt: 0.1 })).toThrow(/Courant/);
    expect(() => parseFluidCylinderConfig({ ...RAW, vary: { ...RAW.vary, uMax: [2, 1] } })).toThrow(/vary.uMax/);
    expect(() => parseFluidCylinderConfig({ ...RAW, nu: -1 })).toThrow(ConfigError);
    expect(() => parseFluidCylinderConfig({ ...RAW, frmes: 3 })).toThrow(/frmes/);
    const c = parseFluidCylinderConfig(JSON.parse(JSON.stringify(parseFluidCylinderConfig(RAW))));
    expect(c).toEqual(parseFluidCylinderConfig(RAW));
  });
});
