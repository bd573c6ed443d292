/**
 * CLI of the weather domain:
 * - `gnnwb simulate <config.json>` with `{"kind": "weather-swe", …}` (see dataset.ts for the
 *   fields; example configs in datasets/weather/): writes `<out>/weather.h5`, with progress on
 *   stderr and `--resume` after a kill.
 * - `gnnwb bench sphere [--levels 4,5,6] [--steps 10] [--out file.json]`: JSON on stdout.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerKind } from '../../cli/registry.js';
import { progress } from '../../cli/progress.js';
import { ValueError } from '../../util/errors.js';
import { parseWeatherConfig, simulateWeatherDataset } from './dataset.js';
import { runSphereBench } from './bench.js';

registerKind('simulate', 'weather-swe', 'shallow water on the sphere (icosahedral FV): random balanced states → lat-lon trajectories', async (raw, args, ctx) => {
  const config = parseWeatherConfig(raw);
  const outDir = typeof args.options.out === 'string' ? args.options.out : 'runs/weather';
  const path = join(outDir, config.output);
  let bar: ReturnType<typeof progress> | null = null;
  const n = await simulateWeatherDataset(config, path, {
    resume: args.options.resume === true,
    overwrite: args.options.force === true,
    onProgress: (done, total, status) => {
      bar ??= progress({ label: 'simulate weather-swe', total, start: done - 1 });
      bar.update(done, status);
    },
  });
  (bar as ReturnType<typeof progress> | null)?.done();
  ctx.log(`weather-swe: wrote ${n} frames → ${path}`);
  ctx.out(JSON.stringify({ output: path, framesWritten: n }));
  return 0;
});

registerKind('bench', 'sphere', 'level-6 multimesh + 1° grid connectivity build, shallow-water ms/step at levels 4-6', async (_c, args, ctx) => {
  const levels = typeof args.options.levels === 'string' ? args.options.levels.split(',').map(Number) : undefined;
  if (levels && levels.some((l) => !Number.isInteger(l) || l < 2 || l > 7)) throw new ValueError('--levels', 'comma-separated integers in [2, 7]', String(args.options.levels));
  const steps = typeof args.options.steps === 'string' ? Number(args.options.steps) : undefined;
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new ValueError('--steps', 'a positive integer', String(args.options.steps));
  ctx.log('bench sphere: building level-6 multimesh and 1° grid connectivity, then timing the solver…');
  const r = runSphereBench({ levels, steps });
  const json = JSON.stringify(r, null, 2);
  if (typeof args.options.out === 'string') writeFileSync(args.options.out, json + '\n');
  ctx.out(json);
  return 0;
});
