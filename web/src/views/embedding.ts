// The token-embedding table wte, one row per token, projected onto its two principal
// axes: tokens the model treats alike end up close together.

// direct imports, not the core's index: the page's bundle must not pull in the WebAssembly engine
import type { ModelConfig } from '../../../src/core/contract/config.js';
import { paramViews } from '../../../src/core/contract/params.js';
import { fmt, h, s, tip, tokenLabel } from '../dom.js';
import { MAX_ITERATIONS, pca2 } from '../pca.js';

const W = 440, H = 340, PAD = 28;
// Power iterations per task. A search from scratch (the first picture, or a table whose top
// axes are close in variance) can take all 200: one 30-60 ms task in a busy browser, beside
// the attention view's. 8 at a time keep each task to a few milliseconds, even the first
// call's, which runs before the JIT has compiled the loops.
const CHUNK = 8;
let lastAxes: Float64Array[] | undefined; // where the search stands: the next call (or snapshot) starts there
let searched = 0; // iterations spent since the last picture

function kind(label: string): string {
  if (label === 'BOS') return 'bos';
  if (/^[aeiouy]$/i.test(label)) return 'vowel';
  if (/^\p{L}$/u.test(label)) return 'consonant';
  return 'other';
}

/**
 * Draws the embedding table's picture once its principal axes are found. Returns false, leaving
 * the last picture, while the search needs more iterations: call again in a later task.
 */
export function renderEmbedding(el: HTMLElement, config: ModelConfig, weights: Float64Array, chars: string[]): boolean {
  const wte = paramViews(config, weights).get('wte')!; // (vocabSize, nEmbd)
  const { points, explained, axes, settled } = pca2(wte, config.vocabSize, config.nEmbd, lastAxes, CHUNK);
  lastAxes = axes;
  searched += CHUNK;
  if (!settled && searched < MAX_ITERATIONS) return false; // as many iterations in all as one uncapped search
  searched = 0;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x);
    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  const sx = (x: number) => PAD + ((x - minX) / (maxX - minX || 1)) * (W - 2 * PAD);
  const sy = (y: number) => H - PAD - ((y - minY) / (maxY - minY || 1)) * (H - 2 * PAD);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'embedding', role: 'img',
    'aria-label': 'token embeddings projected onto two principal components' });
  svg.append(s('rect', { x: 0.5, y: 0.5, width: W - 1, height: H - 1, class: 'plot-frame' }));
  svg.append(s('text', { x: W / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' }, `PC1 (${fmt(explained[0] * 100, 0)}% of variance)`));
  svg.append(s('text', { x: 10, y: H / 2, transform: `rotate(-90 10 ${H / 2})`, 'text-anchor': 'middle', class: 'axis-label' }, `PC2 (${fmt(explained[1] * 100, 0)}%)`));
  points.forEach(([x, y], id) => {
    const label = tokenLabel(chars, id);
    const g = s('g', { class: `point ${kind(label)}`, transform: `translate(${fmt(sx(x), 1)} ${fmt(sy(y), 1)})` });
    g.append(s('circle', { r: label === 'BOS' ? 5 : 3.5 }));
    g.append(s('text', { x: 6, y: 4 }, label));
    svg.append(tip(g, `${label}: (${fmt(x, 3)}, ${fmt(y, 3)})`));
  });
  el.replaceChildren(
    h('p', { class: 'view-summary' }, `${config.vocabSize} rows of ${config.nEmbd} numbers each, seen from the two directions in which they vary most. `,
      h('span', { class: 'key vowel' }, 'vowels'), ' ', h('span', { class: 'key consonant' }, 'consonants'), ' ',
      h('span', { class: 'key other' }, 'other'), ' ', h('span', { class: 'key bos' }, 'BOS')),
    svg);
  return true;
}
