// Next-character probabilities: one card per position of the inspected word, with the
// most likely characters as bars and the character that actually comes next marked.

import type { Inspection } from '../inspect.js';
import { fmt, h, tokenLabel } from '../dom.js';

const TOP = 5;

export function renderProbabilities(el: HTMLElement, insp: Inspection, chars: string[]): void {
  const { tokens, probs } = insp;
  const bos = chars.length;
  const cards: HTMLElement[] = [];
  let totalLoss = 0;
  probs.forEach((p, pos) => {
    const next = pos + 1 < tokens.length ? tokens[pos + 1] : bos; // after the last character: the end
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]);
    const shown = order.slice(0, TOP);
    if (!shown.includes(next)) shown.push(next);
    const loss = -Math.log(p[next]);
    totalLoss += loss;
    const context = tokens.slice(1, pos + 1).map((id) => tokenLabel(chars, id)).join('');
    const rows = shown.map((id) => {
      const label = id === bos ? 'end' : tokenLabel(chars, id);
      const pct = p[id] * 100;
      return h('li', { class: id === next ? 'bar target' : 'bar' },
        h('span', { class: 'bar-label' }, label),
        h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar-fill', style: `width: ${Math.max(0.5, pct)}%` })),
        h('span', { class: 'bar-value' }, `${pct < 10 ? fmt(pct, 1) : fmt(pct, 0)}%`));
    });
    cards.push(h('figure', { class: 'prob-card' },
      h('figcaption', {}, 'after ', h('q', {}, context === '' ? 'BOS' : context)),
      h('ol', { class: 'bars', 'aria-label': `most likely next characters after position ${pos}` }, ...rows),
      h('p', { class: 'prob-foot' }, `next is ${next === bos ? 'the end' : `“${tokenLabel(chars, next)}”`}: −log p = ${fmt(loss, 2)}`)));
  });
  el.replaceChildren(
    h('p', { class: 'view-summary' }, `Mean loss over these ${probs.length} predictions: ${fmt(totalLoss / probs.length, 3)} (uniform guessing: ${fmt(Math.log(chars.length + 1), 3)})`),
    h('div', { class: 'prob-cards' }, ...cards));
}
