/**
 * Builds runnable MD systems ({@link MdSystem}) from validated configs: LJ (fcc lattice or an
 * extended XYZ start, Maxwell–Boltzmann velocities) and NRI springs.
 */
import { Rng } from '../../engine/rng.js';
import { fcc } from '../../geometry/lattice.js';
import { free, periodic } from '../../geometry/space.js';
import { orthorhombicBox, readExtxyz } from '../../io/extxyz.js';
import { ConfigError } from '../../util/errors.js';
import type { MdLjConfig, MdSpringsConfig } from './config.js';
import { langevin, velocityVerlet, type ForceField, type Integrator } from './integrators.js';
import { ljForceField } from './lj.js';
import { segmentRng, type MdSystem } from './run.js';
import { randomSprings, springForceField } from './springs.js';
import { maxwellBoltzmann } from './velocities.js';

function integratorFactory(cfg: { integrator: MdLjConfig['integrator']; seed: number }, force: ForceField, space: ReturnType<typeof free>): (segment: number) => Integrator {
  const it = cfg.integrator;
  if (it.type === 'langevin') {
    return (segment) => langevin({ force, space, dt: it.dt, temperature: it.temperature, gamma: it.gamma, rng: segmentRng(cfg.seed, segment) });
  }
  const vv = velocityVerlet({ force, space, dt: it.dt });
  return () => vv;
}

/** LJ system from an `md-lj` config. */
export function buildLjSystem(cfg: MdLjConfig): MdSystem {
  const rng = new Rng(cfg.seed);
  let positions: Float64Array;
  let box: Float64Array;
  let velocities: Float64Array | undefined;
  let masses: Float64Array | undefined;
  let species: string[];
  if (cfg.init.extxyz) {
    const [f] = readExtxyz(cfg.init.extxyz);
    if (!f) throw new ConfigError('init.extxyz', 'a file with at least one frame', 'an empty file');
    const b = orthorhombicBox(f, cfg.init.extxyz);
    if (!b) throw new ConfigError('init.extxyz', 'a frame with a Lattice= (periodic box)', 'no Lattice');
    box = b;
    positions = f.positions;
    velocities = f.velocities;
    masses = f.masses;
    species = [...f.species];
  } else {
    const lat = fcc(cfg.init.density, cfg.init.cells);
    positions = lat.positions;
    box = lat.box;
    species = new Array<string>(positions.length / 3).fill('Ar');
  }
  const N = positions.length / 3;
  masses ??= new Float64Array(N).fill(1);
  velocities ??= maxwellBoltzmann(rng.fork('velocities'), { numParticles: N, temperature: cfg.init.temperature, masses });
  const rc = cfg.potential.cutoff;
  for (let k = 0; k < 3; k++) {
    if (!(box[k] > 2 * (rc + cfg.neighbor.skin))) {
      throw new ConfigError(cfg.init.extxyz ? 'init.extxyz' : 'init.cells', `a box longer than 2·(cutoff + skin) = ${2 * (rc + cfg.neighbor.skin)} on every axis`, `box [${Array.from(box).map((x) => x.toFixed(3)).join(', ')}]`, 'Use more cells or a smaller cutoff');
    }
  }
  const force = ljForceField({ ...cfg.potential, box, skin: cfg.neighbor.skin, rebuildEvery: cfg.neighbor.rebuildEvery });
  const space = periodic(box);
  return {
    simulator: 'md-lj',
    config: cfg,
    seed: cfg.seed,
    space,
    dim: 3,
    species,
    positions,
    velocities,
    masses,
    makeIntegrator: integratorFactory(cfg, force, space),
    attributes: { dt: cfg.integrator.dt, potential: cfg.potential, integrator: cfg.integrator.type },
  };
}

/** NRI springs system from an `md-springs` config. */
export function buildSpringsSystem(cfg: MdSpringsConfig): MdSystem {
  const rng = new Rng(cfg.seed);
  const N = cfg.numParticles;
  const dim = cfg.dim;
  const springs = randomSprings(rng.fork('springs'), { numParticles: N, probability: cfg.probability, stiffness: cfg.stiffness, restLength: cfg.restLength });
  const positions = rng.fork('positions').normalArray(N * dim, cfg.positionStd, 0, new Float64Array(N * dim)) as Float64Array;
  const velocities = rng.fork('velocities').normalArray(N * dim, cfg.velocityStd, 0, new Float64Array(N * dim)) as Float64Array;
  const force = springForceField(springs, dim);
  const space = free(dim);
  // [N, N] adjacency (1 where a spring connects i and j), the NRI "edges" target.
  const adjacency = new Int32Array(N * N);
  for (let s = 0; s < springs.i.length; s++) {
    adjacency[springs.i[s] * N + springs.j[s]] = 1;
    adjacency[springs.j[s] * N + springs.i[s]] = 1;
  }
  return {
    simulator: 'md-springs',
    config: cfg,
    seed: cfg.seed,
    space,
    dim,
    species: new Array<string>(N).fill('X'),
    positions,
    velocities,
    masses: new Float64Array(N).fill(1),
    makeIntegrator: integratorFactory(cfg, force, space),
    staticArrays: {
      springs: { data: Int32Array.from({ length: springs.i.length * 2 }, (_, q) => (q % 2 ? springs.j[q >> 1] : springs.i[q >> 1])), shape: [springs.i.length, 2] },
      adjacency: { data: adjacency, shape: [N, N] },
    },
    attributes: { dt: cfg.integrator.dt, stiffness: cfg.stiffness, restLength: cfg.restLength, integrator: cfg.integrator.type },
  };
}
