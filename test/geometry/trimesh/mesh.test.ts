import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  channelMesh, meshQuality, validateMesh, triangleEdges, meshToGraph, NodeType, Side, type TriMesh,
} from '../../../src/geometry/trimesh/index.js';
import { ConfigError } from '../../../src/util/errors.js';

const ST = { length: 2.2, height: 0.41, obstacles: [{ center: [0.2, 0.2] as const, radius: 0.05 }], hMin: 0.01, hMax: 0.04 };

describe('channelMesh', () => {
  it('builds a valid graded Schäfer–Turek channel mesh with good quality', () => {
    const m = channelMesh(ST);
    const v = validateMesh(m);
    expect(v.problems).toEqual([]);
    expect(v.euler).toBe(0);
    const q = meshQuality(m);
    console.log('Schäfer–Turek mesh quality', JSON.stringify(q));
    expect(q.minAngleDeg).toBeGreaterThan(20);
    expect(q.maxAspectRatio).toBeLessThan(3);
    // graded: short edges at the cylinder, long far away
    expect(q.maxEdge / q.minEdge).toBeGreaterThan(3);
  });

  it('tags nodes with MeshGraphNets node types', () => {
    const m = channelMesh(ST);
    const p = m.positions;
    for (let i = 0; i < m.numNodes; i++) {
      const x = p[2 * i], y = p[2 * i + 1];
      const t = m.nodeTypes[i];
      if (y === 0 || Math.abs(y - 0.41) < 1e-12) expect(t).toBe(NodeType.WALL_BOUNDARY);
      else if (x === 0) expect(t).toBe(NodeType.INFLOW);
      else if (Math.abs(x - 2.2) < 1e-12) expect(t).toBe(NodeType.OUTFLOW);
      else if (Math.abs(Math.hypot(x - 0.2, y - 0.2) - 0.05) < 1e-12) expect(t).toBe(NodeType.OBSTACLE);
      else expect(t).toBe(NodeType.NORMAL);
    }
    expect(m.sides[0] & Side.LEFT).toBeTruthy();
  });

  it('is deterministic per seed', () => {
    const a = channelMesh({ ...ST, seed: 3 }), b = channelMesh({ ...ST, seed: 3 }), c = channelMesh({ ...ST, seed: 4 });
    expect(Array.from(a.positions)).toEqual(Array.from(b.positions));
    expect(c.positions.length === a.positions.length && c.positions.every((x, i) => x === a.positions[i])).toBe(false);
  });

  it('is valid for random channels with 0–3 obstacles (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          length: fc.double({ min: 1, max: 3, noNaN: true }),
          height: fc.double({ min: 0.4, max: 1, noNaN: true }),
          n: fc.integer({ min: 0, max: 3 }),
          seed: fc.integer({ min: 1, max: 1000 }),
          grading: fc.double({ min: 0.08, max: 0.4, noNaN: true }),
        }),
        ({ length, height, n, seed, grading }) => {
          const obstacles = [];
          for (let k = 0; k < n; k++) obstacles.push({ center: [(length * (k + 0.5)) / n, height * (0.35 + 0.15 * k)] as const, radius: Math.min(0.08, length / (4 * n)) });
          const m = channelMesh({ length, height, obstacles, hMin: 0.02, hMax: 0.08, grading, seed });
          const v = validateMesh(m);
          if (!v.ok) throw new Error(v.problems.slice(0, 3).join('; '));
          expect(meshQuality(m).minAngleDeg).toBeGreaterThan(15);
        },
      ),
      { seed: 20261122, numRuns: 12 },
    );
  });

  it('rejects bad geometry with clear errors', () => {
    const bad = (o: object) => () => channelMesh({ ...ST, ...o });
    expect(bad({ obstacles: [{ center: [2.19, 0.2], radius: 0.05 }] })).toThrow(/inside the channel/);
    expect(bad({ obstacles: [{ center: [0.2, 0.2], radius: 0.05 }, { center: [0.25, 0.2], radius: 0.05 }] })).toThrow(/overlapping/);
    expect(bad({ hMin: 0 })).toThrow(ConfigError);
    expect(bad({ length: 0 })).toThrow(/'length'/);
    expect(bad({ hMax: 0.001 })).toThrow(/hMax/);
    expect(bad({ obstacles: [{ center: [0.2, 0.2], radius: 0 }] })).toThrow(/radius/);
    expect(bad({ hMin: 1e-5, hMax: 1e-4 })).toThrow(/nodes/);
  });
});

describe('validateMesh catches broken meshes', () => {
  const m = channelMesh({ ...ST, hMin: 0.02, hMax: 0.06 });
  const withTris = (t: Int32Array): TriMesh => ({ ...m, triangles: t, numTriangles: t.length / 3 });
  it('flipped triangle', () => {
    const t = Int32Array.from(m.triangles);
    [t[0], t[1]] = [t[1], t[0]];
    expect(validateMesh(withTris(t)).ok).toBe(false);
  });
  it('missing triangle', () => {
    expect(validateMesh(withTris(m.triangles.slice(3))).ok).toBe(false);
  });
  it('triangle inside the obstacle', () => {
    const ob: number[] = [];
    for (let i = 0; i < m.numNodes; i++) if (m.obstacleId[i] === 0) ob.push(i);
    const t = Int32Array.from([...m.triangles, ob[0], ob[Math.floor(ob.length / 3)], ob[Math.floor((2 * ob.length) / 3)]]);
    expect(validateMesh(withTris(t)).ok).toBe(false);
  });
});

describe('triangleEdges', () => {
  it('matches a hand-computed two-triangle case', () => {
    const e = triangleEdges(Int32Array.of(0, 1, 2, 2, 1, 3), 4);
    expect(Array.from(e.senders)).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 3, 3]);
    expect(Array.from(e.receivers)).toEqual([1, 2, 0, 2, 3, 0, 1, 3, 1, 2]);
  });
  it('is two-way, deduplicated and has 2·E edges on a real mesh', () => {
    const m = channelMesh({ ...ST, hMin: 0.02, hMax: 0.06 });
    const e = triangleEdges(m.triangles, m.numNodes);
    expect(e.senders.length).toBe(2 * validateMesh(m).numEdges);
    const set = new Set<number>();
    for (let k = 0; k < e.senders.length; k++) set.add(e.senders[k] * m.numNodes + e.receivers[k]);
    expect(set.size).toBe(e.senders.length);
    for (let k = 0; k < e.senders.length; k++) expect(set.has(e.receivers[k] * m.numNodes + e.senders[k])).toBe(true);
    const g = meshToGraph(m);
    expect(g.senders).toBeInstanceOf(Int32Array);
    expect(g.nodes.nodeType.data.length).toBe(m.numNodes);
    expect(g.edges.relPos.data.length).toBe(2 * e.senders.length);
  });
});
