/**
 * Observables of a flow run: force coefficients, probes, and the Strouhal number of a
 * periodic signal (lift).
 */
import { locatePoint, interpolate, type Located, type TriMesh } from '../../geometry/trimesh/index.js';

/** Drag/lift coefficient from a force per unit depth: c = 2F / (ρ Ū² D), ρ = 1. */
export function forceCoefficient(force: number, meanSpeed: number, diameter: number): number {
  return (2 * force) / (meanSpeed * meanSpeed * diameter);
}

/** Pressure probes at fixed points (located once). */
export class PressureProbes {
  readonly points: readonly (readonly [number, number])[];
  private readonly locs: Located[];
  constructor(mesh: TriMesh, points: readonly (readonly [number, number])[]) {
    this.points = points;
    this.locs = points.map(([x, y]) => locatePoint(mesh, x, y));
  }
  /** Pressure at each probe → out [numProbes]. */
  sample(p: Float64Array, out = new Float64Array(this.locs.length)): Float64Array {
    for (let k = 0; k < this.locs.length; k++) out[k] = interpolate(this.locs[k], p);
    return out;
  }
}

export interface PeriodicAnalysis {
  /** Mean period from upward zero crossings of the de-meaned signal (time units); NaN if < 2 crossings. */
  readonly period: number;
  readonly frequency: number;
  /** Number of full periods used. */
  readonly periods: number;
  /** Signal max and min over the analysed window. */
  readonly max: number;
  readonly min: number;
  readonly mean: number;
  /** Relative spread (max−min)/mean of the individual periods: small for a clean limit cycle. */
  readonly periodSpread: number;
}

/**
 * Period of a signal sampled at times `t` over the window t ≥ tStart: upward crossings of
 * its mean, located by linear interpolation.
 */
export function analysePeriodic(t: ArrayLike<number>, s: ArrayLike<number>, tStart: number): PeriodicAnalysis {
  let mean = 0, n = 0, max = -Infinity, min = Infinity;
  for (let i = 0; i < t.length; i++) if (t[i] >= tStart) {
    mean += s[i];
    n++;
    max = Math.max(max, s[i]);
    min = Math.min(min, s[i]);
  }
  mean /= Math.max(n, 1);
  const crossings: number[] = [];
  for (let i = 1; i < t.length; i++) {
    if (t[i - 1] < tStart) continue;
    const a = s[i - 1] - mean, b = s[i] - mean;
    if (a < 0 && b >= 0) crossings.push(t[i - 1] + ((t[i] - t[i - 1]) * -a) / (b - a));
  }
  if (crossings.length < 2) return { period: NaN, frequency: NaN, periods: 0, max, min, mean, periodSpread: NaN };
  const periods = crossings.slice(1).map((c, k) => c - crossings[k]);
  const period = (crossings[crossings.length - 1] - crossings[0]) / periods.length;
  return {
    period,
    frequency: 1 / period,
    periods: periods.length,
    max,
    min,
    mean,
    periodSpread: (Math.max(...periods) - Math.min(...periods)) / period,
  };
}
