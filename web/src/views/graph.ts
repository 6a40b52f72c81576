// One small piece of the model rebuilt from the scalar engine's Values, with the real
// numbers of the inspected word, then backward() from its top: every node shows its data
// and its grad, every edge the local derivative the chain rule multiplies along it.

// direct imports, not the core's index: the page's bundle must not pull in the WebAssembly engine
import { type ModelConfig, kvHeads } from '../../../src/core/contract/config.js';
import { paramViews } from '../../../src/core/contract/params.js';
import { linear } from '../../../src/core/scalar/gpt.js';
import { Value } from '../../../src/core/scalar/value.js';
import type { Inspection } from '../inspect.js';
import * as libm from '../../../src/core/libm/index.js';
import { fmt, h, s, tip } from '../dom.js';

export interface PieceChoice {
  kind: 'score' | 'neuron';
  layer: number;
  head: number;   // for 'score'
  keyPos: number; // for 'score': the position the last one looks at
  neuron: number; // for 'neuron': a row of mlp_fc1
}

interface Piece {
  top: Value;
  names: Map<Value, string>; // leaves and unary nodes; + and × are read off the graph
  caption: string;
}

// The last position of the word asks, head `head` of layer `layer` answers: q·k / sqrt(headDim),
// summed in gptForward's order.
function scorePiece(insp: Inspection, config: ModelConfig, c: PieceChoice, labels: string[]): Piece {
  const headDim = config.nEmbd / config.nHead, hs = c.head * headDim, last = insp.tokens.length - 1;
  const ks = Math.floor(c.head / (config.nHead / kvHeads(config))) * headDim; // the key head this query head shares
  const names = new Map<Value, string>();
  const q = Array.from({ length: headDim }, (_, j) => new Value(insp.queries[c.layer][last][hs + j]));
  const k = Array.from({ length: headDim }, (_, j) => new Value(insp.keys[c.layer][c.keyPos][ks + j]));
  q.forEach((v, j) => names.set(v, `q${j}`));
  k.forEach((v, j) => names.set(v, `k${j}`));
  let dot = q[0].mul(k[0]);
  for (let j = 1; j < headDim; j++) dot = dot.add(q[j].mul(k[j]));
  const top = dot.mul(libm.pow(libm.pow(headDim, 0.5), -1));
  names.set(top, `× 1/√${headDim}`);
  top.backward();
  return { top, names, caption: `Attention score of “${labels[last]}” (position ${last}) for “${labels[c.keyPos]}” (position ${c.keyPos}), layer ${c.layer + 1}, head ${c.head + 1}: q·k/√${headDim}, before the softmax.` };
}

// One hidden unit of the MLP at the last position: relu(w·x), with the core's own linear().
function neuronPiece(insp: Inspection, config: ModelConfig, weights: Float64Array, c: PieceChoice, labels: string[]): Piece {
  const n = config.nEmbd, last = insp.tokens.length - 1, act = config.activation ?? 'relu';
  if (act !== 'relu') throw new Error(`the neuron piece is built from a relu MLP's Values; this model's MLP is ${act} (the attention score piece draws)`);
  const fc1 = paramViews(config, weights).get(`layer${c.layer}.mlp_fc1`)!; // (mlpHidden, nEmbd)
  const names = new Map<Value, string>();
  const x = Array.from({ length: n }, (_, i) => new Value(insp.mlpInputs[c.layer][last][i]));
  const w = Array.from({ length: n }, (_, i) => new Value(fc1[c.neuron * n + i]));
  x.forEach((v, i) => names.set(v, `x${i}`));
  w.forEach((v, i) => names.set(v, `w${i}`));
  const top = linear(x, [w])[0].relu();
  names.set(top, 'relu');
  top.backward();
  const dead = top.data === 0 ? ' Its input is negative, so relu outputs 0 and passes no gradient back: every grad below it is 0.' : '';
  return { top, names, caption: `Neuron ${c.neuron + 1} of layer ${c.layer + 1}'s MLP at “${labels[last]}” (position ${last}): relu(w·x), where w is row ${c.neuron + 1} of mlp_fc1 and x the normalised input.${dead}` };
}

/**
 * The first neuron of a layer's MLP that is alive at the word's last position (w·x > 0, so
 * relu passes its gradient back), or 0 when every one is dead there.
 */
export function firstAliveNeuron(insp: Inspection, config: ModelConfig, weights: Float64Array, layer: number): number {
  const n = config.nEmbd, x = insp.mlpInputs[layer][insp.tokens.length - 1];
  const fc1 = paramViews(config, weights).get(`layer${layer}.mlp_fc1`)!; // (mlpHidden, nEmbd)
  for (let row = 0; row < fc1.length / n; row++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += fc1[row * n + i] * x[i];
    if (dot > 0) return row;
  }
  return 0;
}

function isAdd(v: Value): boolean {
  return v.a !== null && v.b !== null && v.da === 1 && v.db === 1 && v.data === v.a.data + v.b.data;
}

function opName(v: Value, names: Map<Value, string>): string {
  return names.get(v) ?? (isAdd(v) ? '+' : '×');
}

const NODE_W = 136, NODE_H = 40, COL = 196, ROW = 2 * NODE_H + 14, PAD = 12;

/** Positions for a sum of products (left-folded, as linear() sums) under a few unary nodes. */
function layout(top: Value): Map<Value, [number, number]> {
  const tail: Value[] = [];
  let v = top;
  while (v.a !== null && v.b === null) { tail.unshift(v); v = v.a; }
  const adds: Value[] = [];
  while (isAdd(v)) { adds.unshift(v); v = v.a!; }
  const products = [v, ...adds.map((a) => a.b!)];
  const pos = new Map<Value, [number, number]>();
  const rowY = (i: number) => PAD + i * ROW + ROW / 2;
  products.forEach((p, i) => {
    pos.set(p.a!, [PAD, rowY(i) - NODE_H / 2 - 4]);
    pos.set(p.b!, [PAD, rowY(i) + NODE_H / 2 + 4]);
    pos.set(p, [PAD + COL, rowY(i)]);
  });
  adds.forEach((a, i) => pos.set(a, [PAD + 2 * COL, rowY(i + 1)]));
  const firstTailCol = adds.length > 0 ? 3 : 2;
  tail.forEach((t, i) => pos.set(t, [PAD + (firstTailCol + i) * COL, rowY(products.length - 1)]));
  return pos;
}

export function renderGraph(el: HTMLElement, insp: Inspection, config: ModelConfig, weights: Float64Array,
                            labels: string[], choice: PieceChoice): void {
  const piece = choice.kind === 'score' ? scorePiece(insp, config, choice, labels) : neuronPiece(insp, config, weights, choice, labels);
  const pos = layout(piece.top);
  const nodes = [...pos.keys()];
  const parents = new Map<Value, [Value, number][]>(); // child -> (parent, d parent / d child)
  for (const v of nodes) {
    if (v.a) parents.set(v.a, [...(parents.get(v.a) ?? []), [v, v.da]]);
    if (v.b) parents.set(v.b, [...(parents.get(v.b) ?? []), [v, v.db]]);
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
    const why = v === piece.top
      ? 'grad = 1: backward() starts here'
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
  el.replaceChildren(
    h('p', { class: 'view-summary' }, piece.caption),
    h('p', { class: 'view-summary' }, 'Each box is a Value: its data from the forward pass, then its grad after backward() from the rightmost box. ' +
      'The number on an edge is the local derivative of the parent with respect to the child; a child\'s grad is the sum over its parents of local derivative × the parent\'s grad (hover a box to see the sum).'),
    h('div', { class: 'graph-scroll', tabindex: 0, 'aria-label': 'computation graph, scrollable' }, svg));
}
