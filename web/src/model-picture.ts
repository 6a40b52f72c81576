// The whole model as one picture: data flows down from the token ids through the embeddings,
// every block (attention with its heads, the MLP with its width, each added back to the
// residual stream), the head and softmax to the loss. Drawn from the run's config, so it is
// the model being trained, with any setting beyond the reference drawn where it acts.

import { type ModelConfig, beyondReference, kvHeads, mlpHidden } from '../../src/core/contract/config.js';
import { s } from './dom.js';
import type { ChapterId } from './tour-outline.js';

const W = 560, X0 = 60, X1 = 500, BOX = 36, GAP = 22, MAX_HEADS = 16;

interface Part { lines: [string, string?]; chapter: ChapterId; view: string; label: string }

function arrow(svg: SVGElement, y0: number, y1: number): void {
  svg.append(s('line', { x1: W / 2, y1: y0, x2: W / 2, y2: y1 - 2, class: 'pic-arrow', 'marker-end': 'url(#pic-head)' }));
}

/** A box that jumps to its view, and beside it a "?" that opens its tour chapter. */
function box(svg: SVGElement, y: number, part: Part, x0 = X0, x1 = X1): SVGElement {
  const g = s('g', { class: 'pic-box', 'data-view': part.view, role: 'button', tabindex: 0, 'aria-label': `${part.label}: show it on the page` });
  g.append(s('rect', { x: x0, y, width: x1 - x0, height: BOX, rx: 6 }));
  const [first, second] = part.lines;
  g.append(s('text', { x: x0 + 12, y: y + (second ? 15 : 23), class: 'pic-title' }, first));
  if (second) g.append(s('text', { x: x0 + 12, y: y + 29, class: 'pic-sub' }, second));
  svg.append(g);
  const how = s('g', { class: 'pic-how', 'data-chapter': part.chapter, role: 'button', tabindex: 0, 'aria-label': `how is ${part.label} computed?` });
  how.append(s('circle', { cx: x1 - 14, cy: y + BOX / 2, r: 9 }), s('text', { x: x1 - 14, y: y + BOX / 2 + 4, 'text-anchor': 'middle' }, '?'));
  svg.append(how);
  return g;
}

// The residual connection around a box: from the stream above it, past it on the right, back in at ⊕ below.
function residual(svg: SVGElement, top: number, bottom: number): void {
  const plus = bottom + GAP / 2;
  svg.append(s('path', { d: `M ${W / 2} ${top - GAP / 2} H ${X1 + 22} V ${plus} H ${W / 2 + 8}`, class: 'pic-residual' }));
  svg.append(s('circle', { cx: W / 2, cy: plus, r: 8, class: 'pic-plus' }), s('text', { x: W / 2, y: plus + 4, 'text-anchor': 'middle', class: 'pic-plus-text' }, '+'));
}

/** Draws `config` into `el` (replacing what was there). */
export function renderModelPicture(el: HTMLElement, config: ModelConfig): void {
  const { nLayer, nHead, nEmbd, vocabSize, blockSize } = config;
  const beyond = new Set(beyondReference(config).map(([f]) => f));
  const norm = `${config.norm ?? 'rmsnorm'}${config.normWeight ? ' × gain' : ''}`;
  const act = config.activation ?? 'relu', hidden = mlpHidden(config), kv = kvHeads(config), headDim = nEmbd / nHead;
  const svg = s('svg', { class: 'model-picture', role: 'group', 'aria-label': `the model: ${nLayer} blocks of ${nHead}-head attention and a ${hidden}-wide MLP` });
  const defs = s('defs');
  const marker = s('marker', { id: 'pic-head', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'pic-arrowhead' }));
  defs.append(marker);
  svg.append(defs);

  let y = 8;
  const next = () => { arrow(svg, y + BOX, y + BOX + GAP); y += BOX + GAP; };
  box(svg, y, { lines: ['token ids', `a vocabulary of ${vocabSize} (BOS included)`], chapter: 'data', view: 'inspect', label: 'the tokens' });
  next();
  const emb: Part = { lines: ['wte', `token embeddings: ${vocabSize} × ${nEmbd}`], chapter: 'embeddings', view: 'view-embedding', label: 'the embeddings' };
  if (beyond.has('rope')) {
    box(svg, y, { ...emb, lines: ['wte', `${vocabSize} × ${nEmbd}; positions: RoPE, rotations inside attention`] });
  } else {
    box(svg, y, emb, X0, W / 2 - 8);
    box(svg, y, { ...emb, lines: ['+ wpe', `positions: ${blockSize} × ${nEmbd}`] }, W / 2 + 8, X1);
  }
  if (config.embedNorm !== false) {
    next();
    box(svg, y, { lines: [norm], chapter: 'embeddings', view: 'view-embedding', label: 'the first norm' });
  }
  next();

  let plus = -1; // where the last block's stream leaves it
  for (let li = 0; li < nLayer; li++) {
    if (plus >= 0) arrow(svg, plus + 8, y + 4);
    const top = y - 14;
    const frame = s('rect', { x: X0 - 26, y: top, width: X1 - X0 + 60, height: 2 * (BOX + GAP) + 18, rx: 10, class: 'pic-block', 'data-layer': li });
    svg.append(frame, s('text', { x: X0 - 18, y: top + 11, class: 'pic-block-label' }, `block ${li + 1} of ${nLayer}`));
    y += 4;
    const heads = kv === nHead ? `${nHead} heads × ${headDim} channels` : `${nHead} query heads share ${kv} key/value heads, ${headDim} channels each`;
    box(svg, y, { lines: [`${norm}, attention`, `${heads}${beyond.has('rope') ? ', RoPE' : ''}`], chapter: 'attention', view: 'view-attention', label: `block ${li + 1}'s attention` });
    const shown = Math.min(nHead, MAX_HEADS), size = 10, x = X1 - 34 - shown * (size + 3);
    for (let hi = 0; hi < shown; hi++) {
      const group = Math.floor(hi / (nHead / kv)); // heads sharing a key/value head share a colour
      svg.append(s('rect', { x: x + hi * (size + 3), y: y + 5, width: size, height: size, rx: 2, class: `pic-head-cell kv${group % 2}`, 'data-layer': li }));
    }
    if (nHead > shown) svg.append(s('text', { x: X1 - 30, y: y + 14, class: 'pic-sub', 'text-anchor': 'end' }, `+${nHead - shown}`));
    residual(svg, y, y + BOX);
    y += BOX + GAP;
    const widths = act === 'swiglu' ? `${nEmbd} → 2 × ${hidden} → ${nEmbd}, swiglu` : `${nEmbd} → ${hidden} → ${nEmbd}, ${act}`;
    box(svg, y, { lines: [`${norm}, MLP`, widths], chapter: 'mlp', view: 'view-graph', label: `block ${li + 1}'s MLP` });
    residual(svg, y, y + BOX);
    plus = y + BOX + GAP / 2;
    y += BOX + GAP + 14;
  }
  arrow(svg, plus + 8, y);

  if (config.finalNorm) {
    box(svg, y, { lines: [norm, 'before the head'], chapter: 'logits', view: 'view-probs', label: 'the final norm' });
    next();
  }
  box(svg, y, { lines: ['head', config.tieEmbeddings ? `wte reused (tied): ${nEmbd} → ${vocabSize} logits` : `lm_head: ${nEmbd} → ${vocabSize} logits`], chapter: 'logits', view: 'view-probs', label: 'the head' });
  next();
  box(svg, y, { lines: ['softmax', 'next-token probabilities'], chapter: 'logits', view: 'view-probs', label: 'softmax' });
  next();
  box(svg, y, { lines: ['loss', '−log p(the true next token), averaged'], chapter: 'loss', view: 'view-probs', label: 'the loss' });
  y += BOX + 8;
  svg.setAttribute('viewBox', `0 0 ${W} ${y}`);
  el.replaceChildren(svg);
  el.dataset.layers = String(nLayer);
}

/** Makes the picture's boxes go to their views (by click, Enter or Space). */
export function linkModelPicture(el: HTMLElement, show: (view: string) => void): void {
  el.addEventListener('click', (e) => {
    const part = (e.target as Element).closest?.('.pic-box');
    if (part instanceof SVGElement && part.dataset.view) show(part.dataset.view);
  });
  el.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && (e.target as Element).matches?.('.pic-box, .pic-how')) {
      e.preventDefault();
      (e.target as Element).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    }
  });
}
