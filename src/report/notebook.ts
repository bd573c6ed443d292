/**
 * Plotly output for notebooks (tslab): HTML with one div + script per figure.
 *
 * ```ts
 * import * as tslab from 'tslab';
 * tslab.display.html(plotlyHtml(metrics.panels.map((p) => panelFigure(p)), { includeLib: true }));
 * ```
 * Pass `includeLib: true` in the first plotting cell (inlines plotly.js once, ~4.8 MB, so the
 * notebook works offline); later cells can leave it out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Figure } from './figures.js';

const require = createRequire(import.meta.url);
let counter = 0;

/** HTML rendering `figures` with plotly (inlining the library when `includeLib`). */
export function plotlyHtml(figures: readonly Figure[], opts: { includeLib?: boolean } = {}): string {
  const parts: string[] = [];
  if (opts.includeLib) {
    const src = readFileSync(require.resolve('plotly.js-dist-min'), 'utf8').replaceAll('<!--', '\\x3C!--').replaceAll('</script', '<\\/script');
    parts.push(`<script>${src}</script>`);
  }
  for (const f of figures) {
    const id = `gnnwb-nb-${process.pid}-${++counter}`;
    const spec = JSON.stringify({ data: f.data, layout: f.layout }).replace(/</g, '\\u003c');
    parts.push(`<div id="${id}" class="gnnwb-plot"></div><script>(function(){var s=${spec};function draw(){if(window.Plotly){Plotly.newPlot('${id}',s.data,s.layout,{displaylogo:false});}else{setTimeout(draw,50);}}draw();})();</script>`);
  }
  return parts.join('\n');
}
