// Attention heatmaps: for every layer and head, row t shows how position t spreads its
// attention over positions 0..t (each row sums to 1; above the diagonal is the future).

import type { Inspection } from '../inspect.js';
import { fmt, h, heat, s, tip, tokenLabel } from '../dom.js';

const LABEL = 30;

function heatmap(rows: Float64Array[], labels: string[], title: string): SVGElement {
  const n = rows.length, CELL = n <= 8 ? 26 : 18, size = LABEL + n * CELL;
  const svg = s('svg', { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: 'img', 'aria-label': title, class: 'heatmap' });
  labels.forEach((label, i) => {
    const c = LABEL + i * CELL + CELL / 2;
    svg.append(s('text', { x: c, y: LABEL - 8, 'text-anchor': 'middle', class: 'axis-label' }, label));
    svg.append(s('text', { x: LABEL - 6, y: c + 4, 'text-anchor': 'end', class: 'axis-label' }, label));
  });
  rows.forEach((row, t) => {
    for (let j = 0; j < n; j++) {
      const x = LABEL + j * CELL, y = LABEL + t * CELL;
      if (j > t) {
        svg.append(s('rect', { x, y, width: CELL, height: CELL, class: 'cell-masked' }));
        continue;
      }
      const cell = s('rect', { x, y, width: CELL - 1, height: CELL - 1, fill: heat(row[j]) });
      svg.append(tip(cell, `${labels[t]} (position ${t}) → ${labels[j]} (position ${j}): ${fmt(row[j], 3)}`));
    }
  });
  return svg;
}

export function renderAttention(el: HTMLElement, insp: Inspection, chars: string[]): void {
  const labels = insp.tokens.map((id) => tokenLabel(chars, id));
  const layers = insp.attention.map((heads, li) =>
    h('div', { class: 'attention-layer' },
      h('h4', {}, `Layer ${li + 1}`),
      h('div', { class: 'attention-heads' }, ...heads.map((rows, hi) =>
        h('figure', { class: 'attention-head' },
          heatmap(rows, labels, `attention weights of layer ${li + 1}, head ${hi + 1}`),
          h('figcaption', {}, `head ${hi + 1}`))))));
  const legend = h('p', { class: 'view-summary' },
    'Rows: the position that looks (query); columns: the positions it looks at (keys). Darker is more weight; each row sums to 1. ',
    h('span', { class: 'legend-swatch', style: `background: ${heat(0)}` }), ' 0 ',
    h('span', { class: 'legend-swatch', style: `background: ${heat(0.5)}` }), ' 0.5 ',
    h('span', { class: 'legend-swatch', style: `background: ${heat(1)}` }), ' 1');
  el.replaceChildren(legend, ...layers);
}
