/**
 * CLI of the fluid domain: `gnnwb simulate <config>` with `"kind": "fluid-cylinder"` and
 * `gnnwb bench fluid [--sizes 2000,8000,32000] [--steps 10] [--warmup 3] [--out file.json]`.
 */
import { writeFileSync } from 'node:fs';
import { registerKind } from '../../cli/registry.js';
import { ValueError } from '../../util/errors.js';
import { runFluidBench } from './bench.js';
import { parseFluidCylinderConfig } from './config.js';
import { simulateFluidCylinder } from './simulate.js';

registerKind('simulate', 'fluid-cylinder', 'CylinderFlow-like trajectories: incompressible NS past a cylinder on a triangle mesh', async (config, args, ctx) => {
  const c = parseFluidCylinderConfig(config);
  const out = typeof args.options.out === 'string' ? args.options.out : 'runs/fluid-cylinder';
  const r = await simulateFluidCylinder(c, { out, resume: !!args.options.resume, log: ctx.log });
  ctx.out(JSON.stringify({ kind: 'fluid-cylinder', files: r.files }));
  return 0;
});

registerKind('bench', 'fluid', 'NS solver cost per step on ~2k/8k/32k-node meshes (JSON)', async (_config, args, ctx) => {
  const int = (name: string, d: number) => {
    const v = args.options[name];
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ValueError(`--${name}`, 'a non-negative integer', String(v));
    return n;
  };
  let sizes: number[] | undefined;
  if (typeof args.options.sizes === 'string') {
    sizes = args.options.sizes.split(',').map(Number);
    if (sizes.some((s) => !Number.isInteger(s) || s < 200)) throw new ValueError('--sizes', 'comma-separated node counts >= 200, e.g. 2000,8000,32000', args.options.sizes);
  }
  const r = runFluidBench({ sizes, steps: int('steps', 10), warmup: int('warmup', 3), log: ctx.log });
  const json = JSON.stringify(r, null, 2);
  if (typeof args.options.out === 'string') writeFileSync(args.options.out, json + '\n');
  ctx.out(json);
  return 0;
});
