/**
 * `gnnwb bench md`: the classic LAMMPS Lennard-Jones benchmark (LAMMPS `bench/in.lj`), ours
 * against LAMMPS in the same invocation.
 *
 * ```
 *   32,000 atoms (fcc 20×20×20 cells, ρ* = 0.8442), T* = 1.44, lj/cut 2.5 (no shift),
 *   skin 0.3, rebuild every 20 steps without check, dt 0.005, 100 NVE (velocity Verlet) steps
 * ```
 * Both run single-threaded (LAMMPS: one MPI rank, OMP_NUM_THREADS=1). Timed: the 100-step loop
 * only (LAMMPS "Loop time"; ours excludes the first force/neighbour build, as LAMMPS' setup).
 * Runs alternate (ours, LAMMPS, ours, LAMMPS, ...) and the best of `repeats` is reported for
 * each, since the machine is shared; CPU time is reported too (ours: process.cpuUsage over the
 * loop; LAMMPS: loop time × its reported "% CPU use").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../engine/rng.js';
import { fcc } from '../../geometry/lattice.js';
import { periodic } from '../../geometry/space.js';
import { velocityVerlet } from './integrators.js';
import { ljForceField } from './lj.js';
import { thermoOf, type ThermoLine } from './run.js';
import { maxwellBoltzmann } from './velocities.js';

export interface LjBenchOptions {
  /** fcc cells per side (20 → 32,000 atoms). */
  readonly cells?: number;
  readonly steps?: number;
  readonly repeats?: number;
  /** LAMMPS binary (default `lmp`); null skips LAMMPS. */
  readonly lmp?: string | null;
  readonly log?: (line: string) => void;
}

export interface RunTiming {
  readonly wallSeconds: number;
  readonly cpuSeconds: number | null;
  readonly atomStepsPerSecond: number;
}

export interface LjBenchResult {
  readonly problem: Record<string, number | string>;
  readonly atoms: number;
  readonly steps: number;
  readonly threads: 1;
  readonly ours: { readonly best: RunTiming; readonly runs: RunTiming[]; readonly thermo: { start: ThermoLine; end: ThermoLine }; readonly neighborBuilds: number; readonly dangerousBuilds: number };
  readonly lammps: { readonly best: RunTiming; readonly runs: RunTiming[]; readonly version: string; readonly thermoStart: string; readonly thermoEnd: string; readonly neighborBuilds: number } | { readonly skipped: string };
  /** ours / LAMMPS atom-steps per second (wall time, best runs). */
  readonly ratio: number | null;
  /** Same from CPU time. */
  readonly ratioCpu: number | null;
}

export const LAMMPS_IN_LJ = `# 3d Lennard-Jones melt (LAMMPS bench/in.lj), written by gnnwb bench md
variable	x index 1
variable	y index 1
variable	z index 1
variable	xx equal CELLS*$x
variable	yy equal CELLS*$y
variable	zz equal CELLS*$z
units		lj
atom_style	atomic
lattice		fcc 0.8442
region		box block 0 \${xx} 0 \${yy} 0 \${zz}
create_box	1 box
create_atoms	1 box
mass		1 1.0
velocity	all create 1.44 87287 loop geom
pair_style	lj/cut 2.5
pair_coeff	1 1 1.0 1.0 2.5
neighbor	0.3 bin
neigh_modify	delay 0 every 20 check no
fix		1 all nve
thermo		STEPS
run		STEPS
`;

/** One run of our engine on the benchmark problem. */
export function runOurs(cells: number, steps: number): { timing: RunTiming; start: ThermoLine; end: ThermoLine; builds: number; dangerous: number } {
  const lat = fcc(0.8442, [cells, cells, cells]);
  const N = lat.positions.length / 3;
  const ff = ljForceField({ box: lat.box, cutoff: 2.5, skin: 0.3, rebuildEvery: 20, shift: false });
  const integ = velocityVerlet({ force: ff, space: periodic(lat.box), dt: 0.005 });
  const s = integ.init(lat.positions, maxwellBoltzmann(new Rng(87287), { numParticles: N, temperature: 1.44 }));
  const start = thermoOf(s, lat.box, 0.005);
  const builds0 = ff.stats.rebuilds;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) integ.step(s);
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const cpu = (cu.user + cu.system) / 1e6;
  return {
    timing: { wallSeconds: wall, cpuSeconds: cpu, atomStepsPerSecond: (N * steps) / wall },
    start,
    end: thermoOf(s, lat.box, 0.005),
    builds: ff.stats.rebuilds - builds0,
    dangerous: ff.stats.dangerousBuilds,
  };
}

/** One LAMMPS run; null with a reason if `lmp` is missing or fails. */
export function runLammps(lmp: string, cells: number, steps: number): { timing: RunTiming; version: string; thermoStart: string; thermoEnd: string; builds: number } | string {
  const dir = mkdtempSync(join(tmpdir(), 'gnnwb-lmp-'));
  try {
    const input = join(dir, 'in.lj');
    writeFileSync(input, LAMMPS_IN_LJ.replaceAll('CELLS', String(cells)).replaceAll('STEPS', String(steps)));
    const r = spawnSync(lmp, ['-in', input, '-log', 'none', '-echo', 'none', '-nocite'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      timeout: 600_000,
    });
    if (r.error) return `could not run '${lmp}': ${r.error.message}`;
    if (r.status !== 0) return `'${lmp}' exited with ${r.status}: ${(r.stderr || r.stdout).slice(-300)}`;
    const out = r.stdout;
    const m = /Loop time of ([\d.eE+-]+) on (\d+) procs for (\d+) steps with (\d+) atoms/.exec(out);
    if (!m) return `could not find 'Loop time' in LAMMPS output: ${out.slice(-300)}`;
    const wall = Number(m[1]);
    const atoms = Number(m[4]);
    const cpuPct = /([\d.]+)% CPU use/.exec(out);
    const version = /LAMMPS \(([^)]+)\)/.exec(out)?.[1] ?? 'unknown';
    const lines = out.split('\n');
    const hi = lines.findIndex((l) => /^\s*Step\s+Temp/.test(l));
    const thermoStart = hi >= 0 ? `${lines[hi].trim()} | ${lines[hi + 1]?.trim()}` : '';
    const thermoEnd = hi >= 0 ? `${lines[hi].trim()} | ${lines[hi + 2]?.trim()}` : '';
    const builds = Number(/Neighbor list builds = (\d+)/.exec(out)?.[1] ?? NaN);
    return {
      timing: { wallSeconds: wall, cpuSeconds: cpuPct ? (wall * Number(cpuPct[1])) / 100 : null, atomStepsPerSecond: (atoms * Number(m[3])) / wall },
      version,
      thermoStart,
      thermoEnd,
      builds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const best = (runs: RunTiming[]): RunTiming => runs.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
const bestCpu = (runs: RunTiming[]): number | null => {
  const c = runs.map((r) => r.cpuSeconds).filter((x): x is number => x !== null);
  return c.length ? Math.min(...c) : null;
};

/** Runs the benchmark: ours and LAMMPS alternating, `repeats` times each. */
export function benchLj(opts: LjBenchOptions = {}): LjBenchResult {
  const cells = opts.cells ?? 20;
  const steps = opts.steps ?? 100;
  const repeats = opts.repeats ?? 2;
  const lmp = opts.lmp === undefined ? 'lmp' : opts.lmp;
  const log = opts.log ?? (() => {});
  const atoms = 4 * cells ** 3;
  const ours: RunTiming[] = [];
  const theirs: RunTiming[] = [];
  let oursLast: ReturnType<typeof runOurs> | null = null;
  let lmpLast: Exclude<ReturnType<typeof runLammps>, string> | null = null;
  let skipped = lmp === null ? 'no LAMMPS binary requested' : '';
  for (let r = 0; r < repeats; r++) {
    oursLast = runOurs(cells, steps);
    ours.push(oursLast.timing);
    log(`bench md: ours   run ${r + 1}/${repeats}: ${oursLast.timing.wallSeconds.toFixed(3)} s wall, ${oursLast.timing.cpuSeconds?.toFixed(3)} s cpu`);
    if (!skipped && lmp) {
      const l = runLammps(lmp, cells, steps);
      if (typeof l === 'string') skipped = l;
      else {
        lmpLast = l;
        theirs.push(l.timing);
        log(`bench md: LAMMPS run ${r + 1}/${repeats}: ${l.timing.wallSeconds.toFixed(3)} s wall, ${l.timing.cpuSeconds?.toFixed(3) ?? '?'} s cpu`);
      }
    }
  }
  const ob = best(ours);
  const oc = bestCpu(ours);
  const lb = theirs.length ? best(theirs) : null;
  const lc = theirs.length ? bestCpu(theirs) : null;
  return {
    problem: { lattice: 'fcc', density: 0.8442, temperature: 1.44, cutoff: 2.5, skin: 0.3, rebuildEvery: 20, dt: 0.005, ensemble: 'NVE' },
    atoms,
    steps,
    threads: 1,
    ours: { best: ob, runs: ours, thermo: { start: oursLast!.start, end: oursLast!.end }, neighborBuilds: oursLast!.builds, dangerousBuilds: oursLast!.dangerous },
    lammps: lb && lmpLast ? { best: lb, runs: theirs, version: lmpLast.version, thermoStart: lmpLast.thermoStart, thermoEnd: lmpLast.thermoEnd, neighborBuilds: lmpLast.builds } : { skipped },
    ratio: lb ? ob.atomStepsPerSecond / lb.atomStepsPerSecond : null,
    ratioCpu: lc && oc ? lc / oc : null,
  };
}
