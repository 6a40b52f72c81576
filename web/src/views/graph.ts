// One small piece of the model rebuilt from the scalar engine's Values (graph-piece.ts),
// drawn: every node shows its data and its grad, every edge the local derivative the chain
// rule multiplies along it.

import type { ModelConfig } from '../../../src/core/contract/config.js';
import type { Value } from '../../../src/core/scalar/value.js';
import type { Inspection } from '../inspect.js';
import { fmt, h, s, tip } from '../dom.js';
import { type PieceChoice, buildPiece } from './graph-piece.js';

function isAdd(v: Value): boolean {
  return v.a !== null && v.b !== null && v.da === 1 && v.db === 1 && v.data === v.a.data + v.b.data;
}

function opName(v: Value, names: Map<Value, string>): string {
  return names.get(v) ?? (isAdd(v) ? '+' : '×');
}

const NODE_W = 136, NODE_H = 40, COL = 196, ROW = 2 * NODE_H + 14, PAD = 12;

const MAX_TERMS = 16; // products drawn; a longer sum shows its first ones and its last around a gap

interface Layout {
  pos: Map<Value, [number, number]>;
  gap?: { y: number; hidden: number }; // where the products not drawn would be, and how many
}

/**
 * Positions for a sum of products (left-folded, as linear() sums) under a few nodes of one
 * input each, or of a second that is a leaf (swiglu's up), drawn above its node. A wide
 * model's sum is cut to its first and last terms: hundreds of boxes teach nothing more and
 * cost the page a long frame.
 */
function layout(top: Value): Layout {
  const tail: Value[] = [];
  let v = top;
  while (v.a !== null && v.a.a !== null && (v.b === null || v.b.a === null)) { tail.unshift(v); v = v.a; }
  const adds: Value[] = [];
  while (isAdd(v)) { adds.unshift(v); v = v.a!; }
  const products = [v, ...adds.map((a) => a.b!)], n = products.length;
  const cut = n > MAX_TERMS ? MAX_TERMS - 1 : n; // products 0..cut-1, then (after a row's gap) the last
  const row = (i: number) => (i < cut ? i : i === n - 1 ? cut + 1 : -1); // -1: not drawn
  const pos = new Map<Value, [number, number]>();
  const rowY = (i: number) => PAD + i * ROW + ROW / 2;
  products.forEach((p, i) => {
    if (row(i) < 0) return;
    pos.set(p.a!, [PAD, rowY(row(i)) - NODE_H / 2 - 4]);
    pos.set(p.b!, [PAD, rowY(row(i)) + NODE_H / 2 + 4]);
    pos.set(p, [PAD + COL, rowY(row(i))]);
  });
  adds.forEach((a, i) => { if (row(i + 1) >= 0) pos.set(a, [PAD + 2 * COL, rowY(row(i + 1))]); });
  const firstTailCol = adds.length > 0 ? 3 : 2;
  tail.forEach((t, i) => {
    const x = PAD + (firstTailCol + i) * COL, y = rowY(row(n - 1));
    pos.set(t, [x, y]);
    if (t.b) pos.set(t.b, [x, y - ROW]);
  });
  return cut < n ? { pos, gap: { y: rowY(cut), hidden: n - cut - 1 } } : { pos };
}

export function renderGraph(el: HTMLElement, insp: Inspection, config: ModelConfig, weights: Float64Array,
                            labels: string[], choice: PieceChoice): void {
  const piece = buildPiece(insp, config, weights, labels, choice);
  const { pos, gap } = layout(piece.top);
  const nodes = [...pos.keys()];
  const parents = new Map<Value, [Value, number][]>(); // child -> (parent, d parent / d child), both drawn
  for (const v of nodes) {
    if (v.a && pos.has(v.a)) parents.set(v.a, [...(parents.get(v.a) ?? []), [v, v.da]]);
    if (v.b && pos.has(v.b)) parents.set(v.b, [...(parents.get(v.b) ?? []), [v, v.db]]);
  }
  let width = 0, height = 0;
  for (const [x, y] of pos.values()) { width = Math.max(width, x + NODE_W + PAD); height = Math.max(height, y + NODE_H / 2 + PAD + 8); }
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'graph', role: 'img',
    'aria-label': 'computation graph with data and gradients' });
  const marker = s('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(s('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrow-head' }));
  const defs = s('defs');
  defs.append(marker);
  svg.append(defs);

  for (const [child, list] of parents) {
    const [cx, cy] = pos.get(child)!;
    for (const [parent, local] of list) {
      const [px, py] = pos.get(parent)!;
      let d: string, lx: number, ly: number, anchor: string;
      if (px === cx) { // a running sum one row down: straight down the column
        const x = cx + NODE_W / 2, y1 = cy + NODE_H / 2, y2 = py - NODE_H / 2;
        d = `M${x},${y1} L${x},${y2}`;
        lx = x + 6; ly = (y1 + y2) / 2 + 4; anchor = 'start';
      } else {
        const x1 = cx + NODE_W, x2 = px, mx = (x1 + x2) / 2;
        d = `M${x1},${cy} C${mx},${cy} ${mx},${py} ${x2},${py}`;
        lx = x1 + 6; ly = cy > py ? cy + 13 : cy - 5; anchor = 'start'; // where the curve leaves its child, on the open side
      }
      svg.append(tip(s('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }),
        `local derivative d(${opName(parent, piece.names)})/d(${opName(child, piece.names)}) = ${fmt(local, 4)}`));
      svg.append(s('text', { x: lx, y: ly, 'text-anchor': anchor, class: 'edge-label' }, fmt(local, 2)));
    }
  }
  for (const v of nodes) {
    const [x, y] = pos.get(v)!;
    const name = opName(v, piece.names);
    const ps = parents.get(v) ?? [];
    const why = v === piece.top ? 'grad = 1: backward() starts here'
      : ps.length === 0 ? `grad = ${fmt(v.grad, 4)}, passed down the sums not drawn`
      : `grad = ${ps.map(([p, local]) => `${fmt(local, 3)} × ${fmt(p.grad, 3)}`).join(' + ')} = ${fmt(v.grad, 4)}`;
    const g = s('g', { class: `node ${v.a === null ? 'leaf' : 'op'}`, transform: `translate(${x} ${y - NODE_H / 2})` });
    g.append(s('rect', { width: NODE_W, height: NODE_H, rx: 6 }));
    const gradClass = v.grad > 0 ? 'node-grad pos' : v.grad < 0 ? 'node-grad neg' : 'node-grad';
    g.append(s('text', { x: 8, y: 16, class: 'node-title' }, name));
    g.append(s('text', { x: NODE_W - 8, y: 16, 'text-anchor': 'end', class: 'node-data' }, fmt(v.data, 4)));
    g.append(s('text', { x: 8, y: 32, class: 'node-grad' }, 'grad'));
    g.append(s('text', { x: NODE_W - 8, y: 32, 'text-anchor': 'end', class: gradClass }, fmt(v.grad, 4)));
    svg.append(tip(g, `${name}: data ${v.data}\n${why}`));
  }
  if (gap) {
    svg.append(s('text', { x: PAD, y: gap.y + 4, class: 'graph-gap' },
      `⋮ ${gap.hidden} more products, each added to the running sum the same way (not drawn)`));
  }
  el.replaceChildren(
    h('p', { class: 'view-summary' }, piece.caption),
    h('p', { class: 'view-summary' }, 'Each box is a Value: its data from the forward pass, then its grad after backward() from the rightmost box. ' +
      'The number on an edge is the local derivative of the parent with respect to the child; a child\'s grad is the sum over its parents of local derivative × the parent\'s grad (hover a box to see the sum).'),
    h('div', { class: 'graph-scroll', tabindex: 0, 'aria-label': 'computation graph, scrollable' }, svg));
}
