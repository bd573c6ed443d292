/**
 * Plotly figure specs (plain JSON: `{data, layout}`) for report panels and snapshots.
 * Only SVG trace types are used (scatter, scattergeo), so every plot renders in a headless
 * browser without WebGL.
 */
import type { MeshSnapshot, Panel, ParticleSnapshot, Snapshot, SphereSnapshot } from './types.js';

export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly data: readonly Record<string, unknown>[];
  readonly layout: Record<string, unknown>;
}

const BASE_LAYOUT = { margin: { l: 60, r: 20, t: 40, b: 50 }, height: 340, legend: { orientation: 'h', y: -0.25 } };

/** A line chart of a panel; `prefix` names the run when several runs share a chart. */
export function panelFigure(p: Panel, runs: readonly { run: string; panel: Panel }[] = [{ run: '', panel: p }]): Figure {
  const data = runs.flatMap(({ run, panel }) =>
    panel.series.map((s) => ({
      type: 'scatter',
      mode: s.x.length > 60 ? 'lines' : 'lines+markers',
      name: run && runs.length > 1 ? `${run}: ${s.name}` : s.name,
      x: [...s.x],
      y: s.y.map((v) => (Number.isFinite(v) ? v : null)),
    })),
  );
  return {
    id: p.id,
    title: p.title,
    data,
    layout: { ...BASE_LAYOUT, title: { text: p.title }, xaxis: { title: { text: p.xLabel } }, yaxis: { title: { text: p.yLabel }, type: p.logY ? 'log' : 'linear', exponentformat: 'e' } },
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
  data.push({ type: 'scatter', mode: 'markers', x: [...s.x], y: [...s.y], marker: { color: [...s.value], colorscale: 'RdBu', reversescale: true, size: 5, colorbar: { title: { text: s.colorLabel ?? '' } } }, name: s.colorLabel ?? 'value', showlegend: false });
  return { id: s.id, title: s.title, data, layout: { ...BASE_LAYOUT, height: 360, title: { text: s.title }, xaxis: { title: { text: 'x' } }, yaxis: { title: { text: 'y' }, scaleanchor: 'x' } } };
}

function sphereFigure(s: SphereSnapshot): Figure {
  return {
    id: s.id,
    title: s.title,
    data: [{ type: 'scattergeo', lat: [...s.lat], lon: [...s.lon], mode: 'markers', marker: { color: [...s.value], colorscale: 'Viridis', size: 4, colorbar: { title: { text: s.colorLabel ?? '' } } } }],
    layout: { ...BASE_LAYOUT, height: 420, title: { text: s.title }, geo: { projection: { type: 'robinson' }, showcoastlines: false, showframe: true, lataxis: { showgrid: true }, lonaxis: { showgrid: true } } },
  };
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
