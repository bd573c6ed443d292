/**
 * Plotly figure specs (plain JSON: `{data, layout}`) for report panels and snapshots.
 * Only non-WebGL trace types are used (scatter, heatmap), so every plot renders in a headless
 * browser started with --disable-gpu, and none fetches anything from the network (plotly's
 * `scattergeo` would download topojson map data, so the sphere is an equirectangular heatmap).
 */
import type { MeshSnapshot, Panel, ParticleSnapshot, Series, Snapshot, SphereSnapshot } from './types.js';

export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly data: readonly Record<string, unknown>[];
  readonly layout: Record<string, unknown>;
}

const BASE_LAYOUT = { margin: { l: 60, r: 20, t: 40, b: 50 }, height: 340, legend: { orientation: 'h', y: -0.25 } };

/** A line chart of a panel; `prefix` names the run when several runs share a chart. */
export function panelFigure(p: Panel, runs: readonly { run: string; panel: Panel }[] = [{ run: '', panel: p }]): Figure {
  // A line that several runs share exactly (a baseline such as persistence) is drawn once.
  const key = (s: Series) => JSON.stringify([s.name, s.x, s.y]);
  const count = new Map<string, number>();
  for (const { panel } of runs) for (const s of panel.series) count.set(key(s), (count.get(key(s)) ?? 0) + 1);
  const seen = new Set<string>();
  const data = runs.flatMap(({ run, panel }) =>
    panel.series.flatMap((s) => {
      const k = key(s);
      if (seen.has(k)) return [];
      seen.add(k);
      const shared = (count.get(k) ?? 0) > 1;
      return [{
        type: 'scatter',
        mode: s.x.length > 60 ? 'lines' : 'lines+markers',
        name: run && runs.length > 1 && !shared ? `${run}: ${s.name}` : s.name,
        x: [...s.x],
        y: s.y.map((v) => (Number.isFinite(v) ? v : null)),
      }];
    }),
  );
  return {
    id: p.id,
    title: p.title,
    data,
    layout: {
      ...BASE_LAYOUT,
      title: { text: p.title, font: { size: p.row ? 14 : 16 } },
      xaxis: { title: { text: p.xLabel } },
      yaxis: { title: { text: p.yLabel }, type: p.logY ? 'log' : 'linear', exponentformat: 'e', ...(p.yRange ? { range: [...p.yRange] } : {}) },
    },
  };
}

function particleFigure(s: ParticleSnapshot): Figure {
  const n = s.numParticles;
  const frames = s.reference.length / (3 * n);
  const data: Record<string, unknown>[] = [];
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  for (let i = 0; i < n; i++) {
    const col = palette[i % palette.length];
    const path = (a: readonly number[]) => ({ x: Array.from({ length: frames }, (_, t) => a[(t * n + i) * 3]), y: Array.from({ length: frames }, (_, t) => a[(t * n + i) * 3 + 1]) });
    const tag = s.color ? ` (q=${s.color[i]})` : '';
    data.push({ type: 'scatter', mode: 'lines+markers', name: `ref ${i}${tag}`, ...path(s.reference), line: { color: col }, marker: { size: 4 }, legendgroup: `p${i}` });
    if (s.predicted) data.push({ type: 'scatter', mode: 'lines', name: `pred ${i}`, ...path(s.predicted), line: { color: col, dash: 'dot' }, legendgroup: `p${i}` });
  }
  return { id: s.id, title: s.title, data, layout: { ...BASE_LAYOUT, height: 420, title: { text: s.title }, xaxis: { title: { text: 'x' } }, yaxis: { title: { text: 'y' }, scaleanchor: 'x' } } };
}

function meshFigure(s: MeshSnapshot): Figure {
  const data: Record<string, unknown>[] = [];
  if (s.triangles && s.triangles.length <= 3 * 20000) {
    const ex: (number | null)[] = [];
    const ey: (number | null)[] = [];
    for (let t = 0; t < s.triangles.length; t += 3) {
      for (const k of [0, 1, 2, 0]) {
        ex.push(s.x[s.triangles[t + k]]);
        ey.push(s.y[s.triangles[t + k]]);
      }
      ex.push(null);
      ey.push(null);
    }
    data.push({ type: 'scatter', mode: 'lines', x: ex, y: ey, line: { color: 'rgba(0,0,0,0.12)', width: 0.5 }, hoverinfo: 'skip', showlegend: false });
  }
  const range = s.colorRange ? { cmin: s.colorRange[0], cmax: s.colorRange[1] } : {};
  data.push({ type: 'scatter', mode: 'markers', x: [...s.x], y: [...s.y], marker: { color: [...s.value], colorscale: 'Viridis', ...range, size: 4, colorbar: { title: { text: s.colorLabel ?? '' }, thickness: 12 } }, name: s.colorLabel ?? 'value', showlegend: false, hovertemplate: `x %{x}<br>y %{y}<br>${s.colorLabel ?? 'value'} %{marker.color}<extra></extra>` });
  // Height from the mesh's aspect ratio (a 2.2 × 0.41 channel is a wide strip).
  const w = Math.max(...s.x) - Math.min(...s.x), h = Math.max(...s.y) - Math.min(...s.y);
  const height = Math.round(Math.min(420, Math.max(220, 90 + (900 * h) / Math.max(w, 1e-12))));
  return { id: s.id, title: s.title, data, layout: { ...BASE_LAYOUT, height, title: { text: s.title, font: { size: 14 } }, xaxis: { title: { text: 'x' }, constrain: 'domain' }, yaxis: { title: { text: 'y' }, scaleanchor: 'x' } } };
}

/** Sorted distinct values of `a`. */
function distinct(a: readonly number[]): number[] {
  return [...new Set(a)].sort((p, q) => p - q);
}

function sphereFigure(s: SphereSnapshot): Figure {
  const lats = distinct(s.lat), lons = distinct(s.lon);
  const range = s.colorRange ? { zmin: s.colorRange[0], zmax: s.colorRange[1] } : {};
  const axes = {
    xaxis: { title: { text: 'longitude (°)' }, range: [Math.min(...lons, -180), Math.max(...lons, 180)], dtick: 60 },
    yaxis: { title: { text: 'latitude (°)' }, range: [-90, 90], dtick: 30, scaleanchor: 'x', constrain: 'domain' },
  };
  const layout = { ...BASE_LAYOUT, height: 380, title: { text: s.title, font: { size: 14 } }, ...axes };
  if (lats.length * lons.length === s.value.length) {
    // A full lat × lon grid: an equirectangular heatmap, z[latIndex][lonIndex].
    const z: (number | null)[][] = lats.map(() => lons.map(() => null));
    const li = new Map(lats.map((v, i) => [v, i])), lo = new Map(lons.map((v, i) => [v, i]));
    for (let k = 0; k < s.value.length; k++) z[li.get(s.lat[k])!][lo.get(s.lon[k])!] = Number.isFinite(s.value[k]) ? s.value[k] : null;
    return { id: s.id, title: s.title, data: [{ type: 'heatmap', x: lons, y: lats, z, colorscale: 'Viridis', ...range, colorbar: { title: { text: s.colorLabel ?? '' }, thickness: 12 }, hovertemplate: `lon %{x}°<br>lat %{y}°<br>${s.colorLabel ?? 'value'} %{z}<extra></extra>` }], layout };
  }
  // Scattered points (e.g. mesh nodes): coloured markers on the same axes.
  const mrange = s.colorRange ? { cmin: s.colorRange[0], cmax: s.colorRange[1] } : {};
  return { id: s.id, title: s.title, data: [{ type: 'scatter', mode: 'markers', x: [...s.lon], y: [...s.lat], marker: { color: [...s.value], colorscale: 'Viridis', ...mrange, size: 5, colorbar: { title: { text: s.colorLabel ?? '' }, thickness: 12 } }, showlegend: false }], layout };
}

export function snapshotFigure(s: Snapshot): Figure {
  switch (s.type) {
    case 'particles':
      return particleFigure(s);
    case 'mesh2d':
      return meshFigure(s);
    case 'sphere':
      return sphereFigure(s);
  }
}
