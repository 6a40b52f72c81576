// The next-token distribution the Sample panel will draw from, redrawn as temperature and top-k
// move: the model's probabilities after the prompt, divided by the temperature and cut to the
// top k exactly as the sampler does (core/contract/sampling.ts), the likeliest as bars.

import { drawDistribution } from '../../../src/core/contract/sampling.js';
import { fmt, h, tokenLabel } from '../dom.js';
import { inspectForward } from '../inspect.js';
import type { Snapshot } from '../protocol.js';

const SHOWN = 10;

/** Bars of the `SHOWN` likeliest next tokens after `tokens` (BOS first) at this temperature and top-k. */
export function renderNextToken(el: HTMLElement, snap: Snapshot, tokens: number[], temperature: number, topK: number | undefined): void {
  const insp = inspectForward(snap.config, snap.weights, tokens);
  const logits = insp.logits[insp.logits.length - 1];
  const p = drawDistribution(logits, temperature, topK);
  const order = Array.from(p.keys()).filter((i) => p[i] > 0).sort((a, b) => p[b] - p[a]);
  const bos = snap.chars.length, after = tokens.slice(1).map((id) => tokenLabel(snap.chars, id)).join('');
  const rows = order.slice(0, SHOWN).map((id) => {
    const pct = p[id] * 100;
    return h('li', { class: 'bar' },
      h('span', { class: 'bar-label' }, id === bos ? 'end' : tokenLabel(snap.chars, id)),
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar-fill', style: `width: ${Math.max(0.5, pct)}%` })),
      h('span', { class: 'bar-value' }, `${pct < 10 ? fmt(pct, 1) : fmt(pct, 0)}%`));
  });
  const shown = order.length > SHOWN ? `, the ${SHOWN} likeliest here` : '';
  el.replaceChildren(
    h('p', { class: 'hint' }, `After ${after === '' ? 'BOS (a new document)' : `“${after}”`}: ${order.length} possible next token${order.length === 1 ? '' : 's'}${shown}. ` +
      'A lower temperature sharpens this, a higher one flattens it; top-k keeps only the k likeliest.'),
    h('ol', { class: 'bars', 'aria-label': 'next-token probabilities at this temperature and top-k' }, ...rows));
}
