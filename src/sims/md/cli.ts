/**
 * CLI kinds of the MD simulator:
 *   gnnwb simulate <config.json>   with kind "md-lj" or "md-springs" (see docs/md.md)
 *   gnnwb bench md [--cells 20] [--steps 100] [--repeats 2] [--lmp lmp|none] [--json]
 */
import { progress } from '../../cli/progress.js';
import { registerKind, type CommandContext, type ParsedArgs } from '../../cli/registry.js';
import { ConfigError } from '../../util/errors.js';
import { benchLj } from './bench.js';
import { parseMdLjConfig, parseMdSpringsConfig } from './config.js';
import { runMd, type MdSystem, type ThermoLine } from './run.js';
import { buildLjSystem, buildSpringsSystem } from './systems.js';

async function simulate(system: MdSystem, cfg: { steps: number; frameEvery: number; thermoEvery: number; extxyz: boolean }, args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const out = typeof args.options.out === 'string' ? args.options.out : null;
  if (!out) throw new ConfigError('--out', 'an output folder', 'none');
  const p = progress({ label: `simulate ${system.simulator}`, total: cfg.steps });
  let last: ThermoLine | null = null;
  const summary = await runMd(system, {
    outDir: out,
    steps: cfg.steps,
    frameEvery: cfg.frameEvery,
    thermoEvery: cfg.thermoEvery,
    extxyz: cfg.extxyz,
    resume: !!args.options.resume,
    onStep: (k, th) => {
      if (th) last = th;
      if (k % 10 === 0 || k === cfg.steps) p.update(k, last ? `T=${last.temp.toFixed(3)} E/N=${last.etotal.toFixed(4)}` : '');
    },
  });
  p.done();
  ctx.out(JSON.stringify({ kind: system.simulator, ...summary }));
  return 0;
}

registerKind('simulate', 'md-lj', 'Lennard-Jones MD (fcc or extxyz start, NVE/Langevin) → trajectory.h5, thermo.jsonl, trajectory.xyz', async (raw, args, ctx) => {
  const cfg = parseMdLjConfig(raw);
  return simulate(buildLjSystem(cfg), cfg, args, ctx);
});

registerKind('simulate', 'md-springs', 'NRI harmonic springs between random pairs (velocity Verlet) → trajectory.h5', async (raw, args, ctx) => {
  const cfg = parseMdSpringsConfig(raw);
  return simulate(buildSpringsSystem(cfg), cfg, args, ctx);
});

registerKind('bench', 'md', 'LAMMPS in.lj benchmark (32,000 LJ atoms, 100 NVE steps): ours vs lmp, atom-steps/s and ratio', async (_c, args, ctx) => {
  const int = (name: string, def: number): number => {
    const v = args.options[name];
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${name}`, 'a positive integer', String(v));
    return n;
  };
  const lmpOpt = args.options.lmp;
  const r = benchLj({
    cells: int('cells', 20),
    steps: int('steps', 100),
    repeats: int('repeats', 2),
    lmp: lmpOpt === 'none' ? null : typeof lmpOpt === 'string' ? lmpOpt : 'lmp',
    log: ctx.log,
  });
  if (args.options.json) {
    ctx.out(JSON.stringify(r, null, 2));
    return 0;
  }
  const f = (x: number) => x.toExponential(3);
  ctx.out(`LJ benchmark: ${r.atoms} atoms, ${r.steps} steps, 1 thread each (best of ${r.ours.runs.length}; shared machine: compare the ratio, not absolute times)`);
  ctx.out(`  ours    ${f(r.ours.best.atomStepsPerSecond)} atom-steps/s  (${r.ours.best.wallSeconds.toFixed(3)} s wall, ${r.ours.best.cpuSeconds?.toFixed(3)} s cpu, ${r.ours.neighborBuilds} neighbour builds, ${r.ours.dangerousBuilds} dangerous)`);
  ctx.out(`          step ${r.ours.thermo.end.step}: T ${r.ours.thermo.end.temp.toFixed(4)} PE/N ${r.ours.thermo.end.pe.toFixed(4)} E/N ${r.ours.thermo.end.etotal.toFixed(4)} P ${r.ours.thermo.end.press?.toFixed(4)}`);
  if ('best' in r.lammps) {
    ctx.out(`  LAMMPS  ${f(r.lammps.best.atomStepsPerSecond)} atom-steps/s  (${r.lammps.best.wallSeconds.toFixed(3)} s wall, ${r.lammps.best.cpuSeconds?.toFixed(3) ?? '?'} s cpu, ${r.lammps.neighborBuilds} neighbour builds, LAMMPS ${r.lammps.version})`);
    ctx.out(`          ${r.lammps.thermoEnd}`);
    ctx.out(`  ratio ours/LAMMPS (atom-steps/s, wall): ${r.ratio!.toFixed(3)}${r.ratioCpu ? `   (cpu time: ${r.ratioCpu.toFixed(3)})` : ''}`);
  } else {
    ctx.out(`  LAMMPS  skipped: ${r.lammps.skipped}`);
  }
  return 0;
});
