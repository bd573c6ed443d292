import { describe, expect, it } from 'vitest';
import { runSphereBench } from '../../../src/sims/weather/bench.js';
import { main } from '../../../src/cli/main.js';

describe('bench sphere', () => {
  it('small configuration: counts, index = all-pairs, positive timings', () => {
    const r = runSphereBench({ levels: [3], steps: 2, connectivityLevel: 3, gridResolutionDeg: 10 });
    expect(r.connectivity.meshVertices).toBe(642);
    expect(r.connectivity.multimeshEdges).toBe(60 * (1 + 4 + 16 + 64));
    expect(r.connectivity.mesh2gridEdges).toBe(3 * 19 * 36);
    expect(r.indexPeer.sameEdges).toBe(true);
    expect(r.solver[0].cells).toBe(642);
    expect(r.solver[0].msPerStep).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('CLI: bad --levels is a usage error naming the option', async () => {
    const logs: string[] = [];
    const code = await main(['bench', 'sphere', '--levels', '4,x'], { out: () => {}, log: (l) => logs.push(l) });
    expect(code).not.toBe(0);
    expect(logs.join('\n')).toMatch(/--levels/);
  });
});
