/**
 * Rollout and scoring of the weather surrogate on held-out trajectories, beside two baselines:
 *
 * - persistence: x(t0 + τ) = x(t0);
 * - a cheap numerical model: the same shallow-water solver at a coarser icosahedral level, run
 *   from the same initial states (recomputed with `randomInitialState` on the coarse geometry
 *   with the dataset's forked seeds `new Rng(seed).fork('trajectory-k')`, exactly as
 *   `simulateWeatherDataset` draws them), interpolated to the grid with mesh2grid.
 *
 * The same recomputation at the dataset's own level reproduces the reference trajectory; it is
 * run once to time the reference solver against the model's rollout (and its difference to the
 * stored frames is reported as a check of the recomputation).
 *
 * Scores per lead time τ = 6 h … (frames 1 … T−1), over trajectories started at frame 0:
 *   RMSE_h(τ)  = sqrt( mean_k Σ_g w_g (ĥ − h)² / Σ_g w_g )           (w = cell area, ∝ cos lat)
 *   RMSE_uv(τ) = sqrt( mean_k Σ_g w_g (|û − u|² + |v̂ − v|²) / Σ_g w_g )
 *   ACC_h(τ)   = mean_k Σ w a' â' / sqrt(Σ w â'² Σ w a'²), anomalies against the training
 *                climatology (time mean of h per grid point), uncentred (WeatherBench)
 *   mass drift = Σ w ĥ(τ) / Σ w ĥ(0) − 1 (area-weighted on the grid)
 * The MSE is averaged over trajectories before the square root.
 */
import { Rng } from '../engine/rng.js';
import type { LatLonGrid } from '../geometry/sphere/index.js';
import { interpolateMeshToGrid, mesh2gridEdges } from '../geometry/sphere/grid_mesh_connectivity.js';
import type { GraphCastGraph } from '../models/graphcast.js';
import { defaultNu4, solverGeometry, solverMesh } from '../sims/weather/cases.js';
import type { WeatherConfig } from '../sims/weather/dataset.js';
import { randomInitialState, type InitialKind } from '../sims/weather/initial_states.js';
import { ShallowWaterSolver } from '../sims/weather/swe.js';
import { eastNorth } from '../sims/weather/williamson.js';
import { C, areaWeights, gridMass, predictNext, scoreState, staticFeatures, type WeatherSurrogate, type WeatherTrajectory } from './weather.js';

/** Autoregressive rollout from frame 0 of `traj`: states at leads 1…steps, each [Ng, 3]. */
export function rolloutSurrogate(s: WeatherSurrogate, graph: GraphCastGraph, grid: LatLonGrid, traj: WeatherTrajectory, steps: number): Float32Array[] {
  const ng = grid.nLat * grid.nLon;
  const stat = staticFeatures(grid, traj.orography, s.stats, s.options.absoluteLongitude ?? true);
  let cur: Float32Array = traj.frames.slice(0, ng * C);
  let prev: Float32Array | null = null;
  const out: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    const next = predictNext(s, graph, cur, prev, stat);
    prev = cur;
    cur = next;
    out.push(next);
  }
  return out;
}

/**
 * Runs the reference solver at `level` from trajectory `k`'s initial state of the dataset
 * config and samples it on `grid` every `sampleHours`: frames 0…steps, each [Ng, 3] (h, u, v).
 * Same time step rule (Courant `cfl`) and hyperdiffusion rule as the dataset writer.
 */
export function solverForecast(config: WeatherConfig, k: number, level: number, grid: LatLonGrid, steps: number): { frames: Float32Array[]; seconds: number; dt: number } {
  const geo = solverGeometry(level);
  const mesh = solverMesh(level);
  const m2g = mesh2gridEdges(grid.points, mesh);
  const ng = grid.nLat * grid.nLon;
  const ic = randomInitialState(geo, new Rng(config.seed).fork(`trajectory-${k}`), { kinds: config.initialKinds as InitialKind[], mountainProbability: config.mountainProbability });
  const t0 = performance.now();
  const probe = new ShallowWaterSolver(geo, { topography: ic.b });
  const s0 = probe.init(ic.h, ic.u);
  const sample = config.sampleHours * 3600;
  const perSample = Math.max(1, Math.ceil(sample / probe.stableDt(s0, config.cfl)));
  const dt = sample / perSample;
  const nu4 = config.nu4 >= 0 ? config.nu4 : defaultNu4(5, geo, dt);
  const solver = new ShallowWaterSolver(geo, { topography: ic.b, nu4 });
  const s = solver.init(ic.h, ic.u);
  const ue = new Float64Array(geo.numCells), vn = new Float64Array(geo.numCells);
  const hG = new Float32Array(ng), uG = new Float32Array(ng), vG = new Float32Array(ng);
  const frames: Float32Array[] = [];
  for (let f = 0; f <= steps; f++) {
    if (f > 0) solver.run(s, dt, perSample);
    const c = geo.centres;
    for (let i = 0; i < geo.numCells; i++) {
      const [ex, ey, ez, nx, ny, nz] = eastNorth(c[3 * i], c[3 * i + 1], c[3 * i + 2]);
      ue[i] = s.u[3 * i] * ex + s.u[3 * i + 1] * ey + s.u[3 * i + 2] * ez;
      vn[i] = s.u[3 * i] * nx + s.u[3 * i + 1] * ny + s.u[3 * i + 2] * nz;
    }
    interpolateMeshToGrid(m2g, s.h, 1, hG);
    interpolateMeshToGrid(m2g, ue, 1, uG);
    interpolateMeshToGrid(m2g, vn, 1, vG);
    // [Ng, 3]
    const x = new Float32Array(ng * C);
    for (let i = 0; i < ng; i++) {
      x[3 * i] = hG[i];
      x[3 * i + 1] = uG[i];
      x[3 * i + 2] = vG[i];
    }
    frames.push(x);
  }
  return { frames, seconds: (performance.now() - t0) / 1000, dt };
}

/** Scores per lead time, averaged over forecasts (see the module doc). */
export interface LeadTable {
  readonly leadHours: number[];
  readonly rmseH: number[];
  readonly rmseWind: number[];
  readonly accH: number[];
  /** Mean over forecasts of the relative grid-mass drift at each lead. */
  readonly massDrift: number[];
  /** Largest |mass drift| over forecasts and leads. */
  readonly maxAbsMassDrift: number;
  /** [forecast][lead] latitude-weighted RMSE of h of each forecast (the rows behind `rmseH`). */
  readonly perForecastRmseH: number[][];
}

/**
 * Accumulates forecasts and scores them: `add(forecast, truth)` with forecast/truth arrays of
 * states at leads 1…L (each [Ng, 3]) and the initial state for the mass reference.
 */
export function leadScorer(grid: LatLonGrid, climatology: Float32Array, leads: number, sampleHours: number) {
  const w = areaWeights(grid);
  const mseH = new Float64Array(leads), mseW = new Float64Array(leads), acc = new Float64Array(leads), mass = new Float64Array(leads);
  let n = 0;
  let maxDrift = 0;
  const perForecast: number[][] = [];
  return {
    add(forecast: readonly Float32Array[], truth: readonly Float32Array[], initial: Float32Array): void {
      const m0 = gridMass(initial, w);
      const row: number[] = [];
      perForecast.push(row);
      for (let k = 0; k < leads; k++) {
        const sc = scoreState(forecast[k], truth[k], w, climatology, m0);
        row.push(sc.rmseH);
        mseH[k] += sc.rmseH ** 2;
        mseW[k] += sc.rmseWind ** 2;
        acc[k] += sc.accH;
        mass[k] += sc.massDrift;
        maxDrift = Math.max(maxDrift, Math.abs(sc.massDrift));
      }
      n++;
    },
    table(): LeadTable {
      return {
        leadHours: Array.from({ length: leads }, (_, k) => (k + 1) * sampleHours),
        rmseH: [...mseH].map((x) => Math.sqrt(x / n)),
        rmseWind: [...mseW].map((x) => Math.sqrt(x / n)),
        accH: [...acc].map((x) => x / n),
        massDrift: [...mass].map((x) => x / n),
        maxAbsMassDrift: maxDrift,
        perForecastRmseH: perForecast.map((r) => [...r]),
      };
    },
  };
}

/** States of a trajectory at frames a…b (inclusive), each [Ng, 3] (views). */
export function trajectoryFrames(t: WeatherTrajectory, a: number, b: number): Float32Array[] {
  const n = t.frames.length / t.numFrames;
  const out: Float32Array[] = [];
  for (let f = a; f <= b; f++) out.push(t.frames.subarray(f * n, (f + 1) * n));
  return out;
}

/**
 * A per-grid-point linear baseline: at every grid point g its own least-squares fit of the
 * one-step increment on the local normalised state,
 *
 *   x_{t+1}(g) − x_t(g) = A_g · [(x_t(g) − μ)/σ, 1]        A_g [3, 4], ridge 1e-3 on the normal equations,
 *
 * fitted on every (frame, next frame) pair of the training trajectories. It measures how much
 * of the increment is predictable from the local state alone (no neighbours); rolled out
 * autoregressively like the model.
 */
export interface LinearBaseline {
  /** [Ng, 3, 4] coefficients. */
  readonly coef: Float64Array;
  /** One step: state [Ng, 3] → next state [Ng, 3]. */
  step(x: Float32Array): Float32Array;
}

export function fitLinearBaseline(trajs: readonly WeatherTrajectory[], ng: number, mean: readonly number[], std: readonly number[]): LinearBaseline {
  const P = C + 1;
  const coef = new Float64Array(ng * C * P);
  const z = new Float64Array(P);
  const feat = (x: Float32Array, g: number): Float64Array => {
    for (let c = 0; c < C; c++) z[c] = (x[g * C + c] - mean[c]) / std[c];
    z[C] = 1;
    return z;
  };
  const A = new Float64Array(P * P);
  const B = new Float64Array(C * P);
  for (let g = 0; g < ng; g++) {
    A.fill(0);
    B.fill(0);
    for (const t of trajs) {
      for (let f = 0; f + 1 < t.numFrames; f++) {
        const x = t.frames.subarray(f * ng * C, (f + 1) * ng * C);
        const y = t.frames.subarray((f + 1) * ng * C, (f + 2) * ng * C);
        feat(x, g);
        for (let i = 0; i < P; i++) {
          for (let j = 0; j < P; j++) A[i * P + j] += z[i] * z[j];
          for (let c = 0; c < C; c++) B[c * P + i] += z[i] * (y[g * C + c] - x[g * C + c]);
        }
      }
    }
    for (let i = 0; i < P; i++) A[i * P + i] += 1e-3;
    for (let c = 0; c < C; c++) coef.set(solveSmall(A, B.subarray(c * P, (c + 1) * P), P), (g * C + c) * P);
  }
  return {
    coef,
    step(x: Float32Array): Float32Array {
      const y = new Float32Array(x.length);
      for (let g = 0; g < ng; g++) {
        feat(x, g);
        for (let c = 0; c < C; c++) {
          let d = 0;
          for (let i = 0; i < P; i++) d += coef[(g * C + c) * P + i] * z[i];
          y[g * C + c] = x[g * C + c] + d;
        }
      }
      return y;
    },
  };
}

/** Solves the small dense system `A x = b` (n × n, row-major) by Gaussian elimination with partial pivoting. */
export function solveSmall(A: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const M = new Float64Array(n * (n + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) M[i * (n + 1) + j] = A[i * n + j];
    M[i * (n + 1) + n] = b[i];
  }
  const w = n + 1;
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let k = i + 1; k < n; k++) if (Math.abs(M[k * w + i]) > Math.abs(M[p * w + i])) p = k;
    if (p !== i) for (let j = 0; j < w; j++) [M[i * w + j], M[p * w + j]] = [M[p * w + j], M[i * w + j]];
    for (let k = i + 1; k < n; k++) {
      const f = M[k * w + i] / M[i * w + i];
      for (let j = i; j < w; j++) M[k * w + j] -= f * M[i * w + j];
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i * w + n];
    for (let j = i + 1; j < n; j++) s -= M[i * w + j] * x[j];
    x[i] = s / M[i * w + i];
  }
  return x;
}

/** Autoregressive rollout of a one-step function from frame 0: states at leads 1…steps. */
export function rolloutStep(step: (x: Float32Array) => Float32Array, traj: WeatherTrajectory, steps: number): Float32Array[] {
  const n = traj.frames.length / traj.numFrames;
  let cur: Float32Array = traj.frames.slice(0, n);
  const out: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    cur = step(cur);
    out.push(cur);
  }
  return out;
}
