/**
 * Flow past circular obstacles in a channel: mesh + boundary conditions + solver + per-step
 * observables (drag/lift per obstacle, probe pressure, kinetic energy, divergence).
 *
 * Defaults are the Schäfer & Turek (1996) benchmark 2D-2: channel 2.2 × 0.41, cylinder
 * r = 0.05 at (0.2, 0.2), parabolic inflow U_max = 1.5 (mean Ū = 2/3 U_max = 1), ν = 1e-3,
 * Re = Ū D / ν = 100.
 */
import { channelMesh, Side, type Circle, type TriMesh } from '../../geometry/trimesh/index.js';
import { channelBoundary } from './boundary.js';
import { NsSolver, type StepStats } from './ns_solver.js';
import { forceCoefficient, PressureProbes } from './observables.js';

export interface CylinderCase {
  readonly length: number;
  readonly height: number;
  readonly obstacles: readonly Circle[];
  /** Peak inflow speed U_max. */
  readonly uMax: number;
  readonly nu: number;
  readonly dt: number;
  readonly hMin: number;
  readonly hMax: number;
  readonly grading?: number;
  readonly meshSeed?: number;
  /** Inflow ramp time (0 = impulsive start). */
  readonly rampTime?: number;
  readonly streamlineDiffusion?: number;
  readonly pressureRtol?: number;
  /** Consistent mass matrix in the predictor (NsOptions.consistentMass). */
  readonly consistentMass?: boolean;
  /** Pressure probe points; default: front and back of the first obstacle. */
  readonly probes?: readonly (readonly [number, number])[];
}

export const SCHAEFER_TUREK_2D2: CylinderCase = Object.freeze({
  length: 2.2,
  height: 0.41,
  obstacles: [{ center: [0.2, 0.2] as const, radius: 0.05 }],
  uMax: 1.5,
  nu: 1e-3,
  dt: 0.002,
  hMin: 0.005,
  hMax: 0.03,
  grading: 0.12,
  rampTime: 0,
  streamlineDiffusion: 1,
});

/** Per-step observables of a cylinder run. */
export interface CylinderObservables {
  readonly time: number;
  /** [numObstacles] drag and lift coefficients (reference speed Ū = 2/3 U_max, length = diameter). */
  readonly drag: Float64Array;
  readonly lift: Float64Array;
  /** [numProbes] pressure at the probes. */
  readonly probePressure: Float64Array;
  readonly kineticEnergy: number;
  readonly stats: StepStats;
}

export class CylinderSim {
  readonly mesh: TriMesh;
  readonly solver: NsSolver;
  readonly probes: PressureProbes;
  readonly config: CylinderCase;
  private readonly masks: ((i: number) => boolean)[];

  constructor(c: CylinderCase, mesh?: TriMesh) {
    this.config = c;
    this.mesh = mesh ?? channelMesh({ length: c.length, height: c.height, obstacles: c.obstacles, hMin: c.hMin, hMax: c.hMax, grading: c.grading, seed: c.meshSeed });
    const bc = channelBoundary(this.mesh, { uMax: c.uMax, rampTime: c.rampTime });
    this.solver = new NsSolver(this.mesh, bc, { nu: c.nu, dt: c.dt, streamlineDiffusion: c.streamlineDiffusion, pressureRtol: c.pressureRtol, consistentMass: c.consistentMass });
    const o0 = c.obstacles[0];
    const probes = c.probes ?? (o0 ? [[o0.center[0] - o0.radius, o0.center[1]], [o0.center[0] + o0.radius, o0.center[1]]] as const : []);
    this.probes = new PressureProbes(this.mesh, probes);
    const oid = this.mesh.obstacleId, sides = this.mesh.sides;
    this.masks = c.obstacles.map((_, k) => (i: number) => oid[i] === k && (sides[i] & Side.OBSTACLE) !== 0);
  }

  /** Advances one step and returns its observables. */
  step(): CylinderObservables {
    const stats = this.solver.step();
    return this.observe(stats);
  }

  observe(stats: StepStats): CylinderObservables {
    const c = this.config;
    const uMean = (2 / 3) * c.uMax;
    const drag = new Float64Array(c.obstacles.length), lift = new Float64Array(c.obstacles.length);
    c.obstacles.forEach((o, k) => {
      const [fx, fy] = this.solver.force(this.masks[k]);
      drag[k] = forceCoefficient(fx, uMean, 2 * o.radius);
      lift[k] = forceCoefficient(fy, uMean, 2 * o.radius);
    });
    return {
      time: this.solver.time,
      drag,
      lift,
      probePressure: this.probes.sample(this.solver.p),
      kineticEnergy: this.solver.kineticEnergy(),
      stats,
    };
  }
}
