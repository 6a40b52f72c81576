// One small piece of the model rebuilt from the scalar engine's Values, with the real
// numbers of the inspected word, then backward() from its top: an attention score, or one
// MLP neuron of whichever activation the model has. No DOM here: tests build pieces in Node.

// direct imports, not the core's index: the page's bundle must not pull in the WebAssembly engine
import { type Activation, type ModelConfig, kvHeads, mlpHidden } from '../../../src/core/contract/config.js';
import { paramViews } from '../../../src/core/contract/params.js';
import { linear } from '../../../src/core/scalar/gpt.js';
import { Value } from '../../../src/core/scalar/value.js';
import { mlpActivation } from '../../../src/core/tensor/pointwise.js';
import type { Inspection } from '../inspect.js';
import * as libm from '../../../src/core/libm/index.js';

export interface PieceChoice {
  kind: 'score' | 'neuron';
  layer: number;
  head: number;   // for 'score'
  keyPos: number; // for 'score': the position the last one looks at
  neuron: number; // for 'neuron': a row of mlp_fc1
}

export interface Piece {
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

// What each activation is called in the graph, and in the neuron's formula.
const ACTIVATION_NAMES: Record<Activation, [node: string, formula: string]> = {
  relu: ['relu', 'relu(w·x)'], relu2: ['relu²', 'relu(w·x)²'], gelu: ['gelu', 'gelu(w·x)'], swiglu: ['silu', 'silu(w·x) · up'],
};

/** The formula of an MLP neuron of this model, as the piece draws it. */
export function neuronFormula(config: ModelConfig): string {
  return ACTIVATION_NAMES[config.activation ?? 'relu'][1];
}

// The activation of z as one Value: relu is the scalar engine's own op; the others take their
// value and local derivative from the tensor engine's kernels (swiglu's with up = 1: silu(z)).
function activate(z: Value, act: Activation): Value {
  if (act === 'relu') return z.relu();
  const { forward, backward, inWidth } = mlpActivation(act, 1);
  const inp = Float64Array.of(z.data, 1).subarray(0, inWidth), out = new Float64Array(1), dinp = new Float64Array(inWidth);
  forward(out, inp, 1, 1);
  backward(dinp, Float64Array.of(1), inp, 1, 1);
  return new Value(out[0], z, dinp[0]);
}

// One hidden unit of the MLP at the last position: act(w·x) with the core's own linear(); for
// swiglu, silu(w·x) times up, the unit's other row of mlp_fc1 times x, drawn as one leaf.
function neuronPiece(insp: Inspection, config: ModelConfig, weights: Float64Array, c: PieceChoice, labels: string[]): Piece {
  const n = config.nEmbd, H = mlpHidden(config), last = insp.tokens.length - 1, act = config.activation ?? 'relu';
  const fc1 = paramViews(config, weights).get(`layer${c.layer}.mlp_fc1`)!; // (H, nEmbd), swiglu (2H, nEmbd): gate rows, then up rows
  const names = new Map<Value, string>();
  const input = insp.mlpInputs[c.layer][last];
  const x = Array.from({ length: n }, (_, i) => new Value(input[i]));
  const w = Array.from({ length: n }, (_, i) => new Value(fc1[c.neuron * n + i]));
  x.forEach((v, i) => names.set(v, `x${i}`));
  w.forEach((v, i) => names.set(v, `w${i}`));
  const [node, formula] = ACTIVATION_NAMES[act];
  const activated = activate(linear(x, [w])[0], act);
  names.set(activated, node);
  let top = activated, up = '';
  if (act === 'swiglu') {
    const upRow = Array.from({ length: n }, (_, i) => new Value(fc1[(H + c.neuron) * n + i]));
    const u = new Value(linear(Array.from(input, (xi) => new Value(xi)), [upRow])[0].data); // a leaf: its own sum is not drawn
    names.set(u, 'up');
    top = activated.mul(u);
    up = ` and up = row ${H + c.neuron + 1} of mlp_fc1 times x (a sum of products like w·x, shown as one box)`;
  }
  top.backward();
  const where = act === 'swiglu' ? 'the gate\'s row' : 'row';
  const dead = (act === 'relu' || act === 'relu2') && activated.data === 0
    ? ' Its input is negative, so relu outputs 0 and passes no gradient back: every grad below it is 0.' : '';
  return { top, names, caption: `Neuron ${c.neuron + 1} of layer ${c.layer + 1}'s MLP at “${labels[last]}” (position ${last}): ${formula}, where w is ${where} ${c.neuron + 1} of mlp_fc1, x the normalised input${up}.${dead}` };
}

/**
 * The first neuron of a layer's MLP whose input w·x is positive at the word's last position
 * (relu passes its gradient there; for the smooth activations it is well inside their active
 * range), or 0 when there is none.
 */
export function firstAliveNeuron(insp: Inspection, config: ModelConfig, weights: Float64Array, layer: number): number {
  const n = config.nEmbd, x = insp.mlpInputs[layer][insp.tokens.length - 1];
  const fc1 = paramViews(config, weights).get(`layer${layer}.mlp_fc1`)!; // (H, nEmbd), swiglu's gate rows first
  for (let row = 0; row < mlpHidden(config); row++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += fc1[row * n + i] * x[i];
    if (dot > 0) return row;
  }
  return 0;
}

/** The chosen piece as Values, backward() already run from its top. */
export function buildPiece(insp: Inspection, config: ModelConfig, weights: Float64Array, labels: string[], choice: PieceChoice): Piece {
  return choice.kind === 'score' ? scorePiece(insp, config, choice, labels) : neuronPiece(insp, config, weights, choice, labels);
}

