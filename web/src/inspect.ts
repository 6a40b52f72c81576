// The GPT's forward pass on plain numbers, keeping what the scalar engine throws away: the
// attention weights of every head and the next-token probabilities at every position. For the
// reference model it repeats src/core/scalar/gpt.ts operation for operation, so its numbers are
// the engine's; the settings beyond it (docs/llama.md) follow the tensor engine's formulas.

import { DEFAULT_MODEL, type ModelConfig, kvHeads, mlpHidden } from '../../src/core/contract/config.js';
import * as libm from '../../src/core/libm/index.js';
import { paramViews } from '../../src/core/contract/params.js';
import { type RopeTable, ropeTable } from '../../src/core/tensor/rope.js';

/** What the model computes for one sequence, position by position. */
export interface Inspection {
  tokens: number[];
  logits: Float64Array[]; // [pos] (vocabSize,)
  probs: Float64Array[];  // [pos] (vocabSize,) the distribution of the token after tokens[pos]
  attention: Float64Array[][][]; // [layer][head][pos] (pos + 1,) weights over positions 0..pos
  queries: Float64Array[][]; // [layer][pos] (nEmbd,) after RoPE, if the model has it
  keys: Float64Array[][];    // [layer][pos] (kvHeads headDim,) after RoPE, if the model has it
  mlpInputs: Float64Array[][]; // [layer][pos] (nEmbd,) the normalised input of mlp_fc1
  embedded: Float64Array[];     // [pos] (nEmbd,) wte + wpe after the first rmsnorm: the residual stream's start
  mlpHidden: Float64Array[][];  // [layer][pos] (mlpHidden,) after the activation
  finals: Float64Array[];       // [pos] (nEmbd,) the input of lm_head
}

// y = W x, W (rows, cols) row-major; the sum runs left to right as Value.add chains do
function linear(x: Float64Array, w: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows); // (rows,)
  for (let o = 0; o < rows; o++) {
    let acc = w[o * cols] * x[0];
    for (let i = 1; i < cols; i++) acc = acc + w[o * cols + i] * x[i];
    out[o] = acc;
  }
  return out;
}

/** Probabilities from logits, with the scalar engine's arithmetic (x * total**-1). */
export function softmaxNumbers(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const exps = Float64Array.from(logits, (l) => libm.exp(l + -max));
  let total = exps[0];
  for (let i = 1; i < exps.length; i++) total = total + exps[i];
  const inv = libm.pow(total, -1);
  return exps.map((e) => e * inv);
}

function rmsnorm(x: Float64Array): Float64Array {
  let ms = x[0] * x[0];
  for (let i = 1; i < x.length; i++) ms = ms + x[i] * x[i];
  ms = ms * libm.pow(x.length, -1);
  const scale = libm.pow(ms + 1e-5, -0.5);
  return x.map((xi) => xi * scale);
}

// as src/core/tensor/layernorm.ts: (x - mean) (var + 1e-5)^-1/2, no gain or bias
function layernorm(x: Float64Array): Float64Array {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - mean) * (x[i] - mean);
  const s = 1 / Math.sqrt(ss / x.length + 1e-5);
  return x.map((xi) => (xi - mean) * s);
}

// the MLP's elementwise activations, as src/core/tensor/pointwise.ts computes them
const GELU_K = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;
const ACTIVATE: Record<string, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  relu2: (x) => (x > 0 ? x * x : 0),
  gelu: (x) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_A * x * x * x))),
};

// silu(gate) * up, u = gate | up (2H,)
function swiglu(u: Float64Array, H: number): Float64Array {
  const out = new Float64Array(H); // (H,)
  for (let j = 0; j < H; j++) out[j] = (u[j] / (1 + libm.exp(-u[j]))) * u[H + j];
  return out;
}

// turns the pairs (i, i + hd/2) of each of `heads` heads of u in place, by position t's angles
function rotate(u: Float64Array, heads: number, t: number, table: RopeTable): void {
  const { half, cos, sin } = table;
  for (let h = 0; h < heads; h++) {
    const o = h * 2 * half;
    for (let i = 0; i < half; i++) {
      const c = cos[t * half + i], s = sin[t * half + i], a = u[o + i], b = u[o + half + i];
      u[o + i] = a * c - b * s;
      u[o + half + i] = b * c + a * s;
    }
  }
}

/**
 * Runs `tokens` (at most blockSize ids, e.g. BOS then a word's characters) through the
 * model given by `config` and its flat `weights` (layout order), with every setting of
 * docs/llama.md (dropout is off at inference).
 */
export function inspectForward(config: ModelConfig, weights: Float64Array, tokens: number[]): Inspection {
  const { nLayer, nHead, nEmbd, blockSize, vocabSize } = config;
  if (tokens.length === 0 || tokens.length > blockSize) {
    throw new Error(`inspect needs 1..${blockSize} tokens, got ${tokens.length}`);
  }
  const W = paramViews(config, weights);
  const headDim = nEmbd / nHead, KV = kvHeads(config), group = nHead / KV, H = mlpHidden(config);
  const scale = libm.pow(libm.pow(headDim, 0.5), -1);
  const rope = config.pos === 'rope' ? ropeTable(config.ropeTheta ?? DEFAULT_MODEL.ropeTheta, blockSize, headDim) : undefined;
  const normOnly = config.norm === 'layernorm' ? layernorm : rmsnorm;
  // a norm, times its gain when the model has gains (the reference has none: its numbers stay the scalar engine's)
  const norm = (x: Float64Array, gain: string): Float64Array => {
    const y = normOnly(x), g = W.get(gain);
    return g === undefined ? y : y.map((yi, i) => yi * g[i]);
  };
  const activate = ACTIVATE[config.activation ?? 'relu'];
  const perLayer = () => Array.from({ length: nLayer }, () => [] as Float64Array[]);
  const result: Inspection = {
    tokens: tokens.slice(), logits: [], probs: [],
    attention: Array.from({ length: nLayer }, () => Array.from({ length: nHead }, () => [] as Float64Array[])),
    queries: perLayer(), keys: perLayer(), mlpInputs: perLayer(),
    embedded: [], mlpHidden: perLayer(), finals: [],
  };
  const values = perLayer(); // [layer][pos] (KV headDim,)
  const wte = W.get('wte')!, wpe = W.get('wpe'); // no wpe with rope
  const head = W.get('lm_head') ?? wte; // a tied head reads wte

  for (let pos = 0; pos < tokens.length; pos++) {
    let x: Float64Array = new Float64Array(nEmbd); // (nEmbd,)
    for (let i = 0; i < nEmbd; i++) x[i] = wpe ? wte[tokens[pos] * nEmbd + i] + wpe[pos * nEmbd + i] : wte[tokens[pos] * nEmbd + i];
    if (config.embedNorm !== false) x = norm(x, 'embed_norm');
    result.embedded.push(x);
    for (let li = 0; li < nLayer; li++) {
      const p = `layer${li}.`;
      let residual: Float64Array = x;
      x = norm(x, p + 'attn_norm');
      const q = linear(x, W.get(p + 'attn_wq')!, nEmbd, nEmbd);
      const k = linear(x, W.get(p + 'attn_wk')!, KV * headDim, nEmbd);
      const v = linear(x, W.get(p + 'attn_wv')!, KV * headDim, nEmbd);
      if (rope) { rotate(q, nHead, pos, rope); rotate(k, KV, pos, rope); }
      result.queries[li].push(q);
      result.keys[li].push(k);
      values[li].push(v);
      const keys = result.keys[li], vals = values[li];
      const heads = new Float64Array(nEmbd); // (nEmbd,) the heads side by side
      for (let h = 0; h < nHead; h++) {
        const hs = h * headDim, ks = Math.floor(h / group) * headDim; // query heads of a group share a key/value head
        const scores = new Float64Array(keys.length); // (pos + 1,)
        for (let t = 0; t < keys.length; t++) {
          let dot = q[hs] * keys[t][ks];
          for (let j = 1; j < headDim; j++) dot = dot + q[hs + j] * keys[t][ks + j];
          scores[t] = dot * scale;
        }
        const att = softmaxNumbers(scores);
        result.attention[li][h].push(att);
        for (let j = 0; j < headDim; j++) {
          let acc = att[0] * vals[0][ks + j];
          for (let t = 1; t < att.length; t++) acc = acc + att[t] * vals[t][ks + j];
          heads[hs + j] = acc;
        }
      }
      x = linear(heads, W.get(p + 'attn_wo')!, nEmbd, nEmbd);
      x = x.map((xi, i) => xi + residual[i]);

      residual = x;
      x = norm(x, p + 'mlp_norm');
      result.mlpInputs[li].push(x);
      if (config.activation === 'swiglu') {
        x = swiglu(linear(x, W.get(p + 'mlp_fc1')!, 2 * H, nEmbd), H); // fc1: the gate's H rows, then up's
      } else {
        x = linear(x, W.get(p + 'mlp_fc1')!, H, nEmbd).map(activate);
      }
      result.mlpHidden[li].push(x);
      x = linear(x, W.get(p + 'mlp_fc2')!, nEmbd, H);
      x = x.map((xi, i) => xi + residual[i]);
    }
    if (config.finalNorm) x = norm(x, 'norm_f');
    result.finals.push(x);
    const logits = linear(x, head, vocabSize, nEmbd);
    result.logits.push(logits);
    result.probs.push(softmaxNumbers(logits));
  }
  return result;
}
