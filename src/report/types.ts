/**
 * What a run folder gives the report: `metrics.json` (deterministic numbers only: the same
 * config on the same backend must give the same bytes) and optionally `timings.json` (wall
 * times, which vary from run to run and are kept out of the reproducible file).
 *
 * Any command handler can write these (see docs/workbench.md); `src/report` turns one or more
 * run folders into `metrics.json` + a self-contained `report.html`.
 */

/** One line of a chart. */
export interface Series {
  readonly name: string;
  /** [numPoints] */
  readonly x: readonly number[];
  /** [numPoints] */
  readonly y: readonly number[];
}

/** Sections a chart can belong to (the report orders them this way). */
export const SECTIONS = ['loss', 'rollout-error', 'conservation', 'equivariance', 'constraints', 'other'] as const;
export type Section = (typeof SECTIONS)[number];

/** A line chart: loss curves, rollout error vs time, conservation drift, equivariance error. */
export interface Panel {
  readonly id: string;
  readonly section: Section;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  /** Fixed y range (log10 of the bounds when `logY`), e.g. shared by panels shown side by side. */
  readonly yRange?: readonly [number, number];
  /** Panels of one run with the same `row` are drawn side by side (e.g. without | with). */
  readonly row?: string;
  /** One line under the chart (caveats, what the baseline is). */
  readonly note?: string;
  readonly series: readonly Series[];
}

/** Particles (MD): 2D projections of reference and predicted trajectories, [frames][n][3]. */
export interface ParticleSnapshot {
  readonly type: 'particles';
  readonly id: string;
  readonly title: string;
  /** [frames, n, 3] reference positions, flat. */
  readonly reference: readonly number[];
  /** [frames, n, 3] predicted positions, flat (same shape), optional. */
  readonly predicted?: readonly number[];
  readonly numParticles: number;
  /** Per-particle colour value (e.g. charge), [n]. */
  readonly color?: readonly number[];
  readonly row?: string;
}

/** A scalar field on a 2D triangle mesh (fluids): node coordinates and values. */
export interface MeshSnapshot {
  readonly type: 'mesh2d';
  readonly id: string;
  readonly title: string;
  /** [numNodes] */
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly value: readonly number[];
  /** [numTriangles, 3] flat node indices (drawn as edges when given). */
  readonly triangles?: readonly number[];
  readonly colorLabel?: string;
  /** Fixed colour range, e.g. shared by a reference and a prediction snapshot. */
  readonly colorRange?: readonly [number, number];
  /** Snapshots of one run with the same `row` are drawn side by side. */
  readonly row?: string;
}

/**
 * A scalar field on the sphere (weather): values at latitude/longitude points, in degrees.
 * Drawn as an equirectangular heatmap when the points form a full lat × lon grid, otherwise as
 * coloured markers on lon/lat axes (no `scattergeo`: it fetches map data from the network).
 */
export interface SphereSnapshot {
  readonly type: 'sphere';
  readonly id: string;
  readonly title: string;
  readonly lat: readonly number[];
  readonly lon: readonly number[];
  readonly value: readonly number[];
  readonly colorLabel?: string;
  readonly colorRange?: readonly [number, number];
  readonly row?: string;
}

export type Snapshot = ParticleSnapshot | MeshSnapshot | SphereSnapshot;

/** `metrics.json` of a run folder. */
export interface RunMetrics {
  readonly format: 'gnnwb-run-metrics';
  readonly run: string;
  /** What the run is, in a line (e.g. a demonstration's name); optional. */
  readonly title?: string;
  /** `md`, `fluid`, `weather`, … */
  readonly domain: string;
  /** The config kind(s) that produced it. */
  readonly kind: string;
  readonly seed: number;
  readonly configHash: string;
  /** Headline numbers, e.g. `testMse`, `rolloutRmse@20`, `equivarianceError`. */
  readonly scalars: Readonly<Record<string, number>>;
  readonly panels: readonly Panel[];
  readonly snapshots: readonly Snapshot[];
  /** Dataset manifests' config hashes and other provenance. */
  readonly provenance?: Readonly<Record<string, string>>;
  /** Caveats shown with the run (what the source lacks, what a baseline means). */
  readonly notes?: readonly string[];
}

/** One timing, optionally against a peer measured in the same run. */
export interface Timing {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly peer?: { readonly name: string; readonly value: number };
  readonly note?: string;
}

/** `timings.json` of a run folder. */
export interface RunTimings {
  readonly format: 'gnnwb-run-timings';
  readonly timings: readonly Timing[];
}
