// The GPT's forward pass on plain numbers, keeping what the scalar engine throws away: the
// attention weights of every head and the next-token probabilities at every position. It
// repeats src/core/scalar/gpt.ts operation for operation, so its numbers are the engine's.

import { type ModelConfig, beyondReference } from '../../src/core/contract/config.js';
import * as libm from '../../src/core/libm/index.js';
import { paramViews } from '../../src/core/contract/params.js';

/** What the model computes for one sequence, position by position. */
export interface Inspection {
  tokens: number[];
  logits: Float64Array[]; // [pos] (vocabSize,)
  probs: Float64Array[];  // [pos] (vocabSize,) the distribution of the token after tokens[pos]
  attention: Float64Array[][][]; // [layer][head][pos] (pos + 1,) weights over positions 0..pos
  queries: Float64Array[][]; // [layer][pos] (nEmbd,)
  keys: Float64Array[][];    // [layer][pos] (nEmbd,)
  mlpInputs: Float64Array[][]; // [layer][pos] (nEmbd,) the normalised input of mlp_fc1
  embedded: Float64Array[];     // [pos] (nEmbd,) wte + wpe after the first rmsnorm: the residual stream's start
  mlpHidden: Float64Array[][];  // [layer][pos] (4 nEmbd,) after relu
  finals: Float64Array[];       // [pos] (nEmbd,) the input of lm_head
}

/** The settings of `config` this forward does not follow (dropout is off at inference). */
export function unfollowed(config: ModelConfig): string[] {
  return beyondReference(config).filter(([feature]) => feature !== 'dropout').map(([, setting]) => setting);
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

/**
 * Runs `tokens` (at most blockSize ids, e.g. BOS then a word's characters) through the
 * model given by `config` and its flat `weights` (layout order).
 */
export function inspectForward(config: ModelConfig, weights: Float64Array, tokens: number[]): Inspection {
  const { nLayer, nHead, nEmbd, blockSize, vocabSize } = config;
  if (tokens.length === 0 || tokens.length > blockSize) {
    throw new Error(`inspect needs 1..${blockSize} tokens, got ${tokens.length}`);
  }
  const beyond = unfollowed(config);
  if (beyond.length > 0) throw new Error(`inspect follows the reference model only, not ${beyond.join(', ')}`);
  const W = paramViews(config, weights);
  const headDim = nEmbd / nHead;
  const scale = libm.pow(libm.pow(headDim, 0.5), -1);
  const perLayer = () => Array.from({ length: nLayer }, () => [] as Float64Array[]);
  const result: Inspection = {
    tokens: tokens.slice(), logits: [], probs: [],
    attention: Array.from({ length: nLayer }, () => Array.from({ length: nHead }, () => [] as Float64Array[])),
    queries: perLayer(), keys: perLayer(), mlpInputs: perLayer(),
    embedded: [], mlpHidden: perLayer(), finals: [],
  };
  const values = perLayer(); // [layer][pos] (nEmbd,)

  for (let pos = 0; pos < tokens.length; pos++) {
    const wte = W.get('wte')!, wpe = W.get('wpe')!;
    let x: Float64Array = new Float64Array(nEmbd); // (nEmbd,)
    for (let i = 0; i < nEmbd; i++) x[i] = wte[tokens[pos] * nEmbd + i] + wpe[pos * nEmbd + i];
    x = rmsnorm(x);
    result.embedded.push(x);
    for (let li = 0; li < nLayer; li++) {
      const p = `layer${li}.`;
      let residual: Float64Array = x;
      x = rmsnorm(x);
      const q = linear(x, W.get(p + 'attn_wq')!, nEmbd, nEmbd);
      const k = linear(x, W.get(p + 'attn_wk')!, nEmbd, nEmbd);
      const v = linear(x, W.get(p + 'attn_wv')!, nEmbd, nEmbd);
      result.queries[li].push(q);
      result.keys[li].push(k);
      values[li].push(v);
      const keys = result.keys[li], vals = values[li];
      const heads = new Float64Array(nEmbd); // (nEmbd,) the heads side by side
      for (let h = 0; h < nHead; h++) {
        const hs = h * headDim;
        const scores = new Float64Array(keys.length); // (pos + 1,)
        for (let t = 0; t < keys.length; t++) {
          let dot = q[hs] * keys[t][hs];
          for (let j = 1; j < headDim; j++) dot = dot + q[hs + j] * keys[t][hs + j];
          scores[t] = dot * scale;
        }
        const att = softmaxNumbers(scores);
        result.attention[li][h].push(att);
        for (let j = 0; j < headDim; j++) {
          let acc = att[0] * vals[0][hs + j];
          for (let t = 1; t < att.length; t++) acc = acc + att[t] * vals[t][hs + j];
          heads[hs + j] = acc;
        }
      }
      x = linear(heads, W.get(p + 'attn_wo')!, nEmbd, nEmbd);
      x = x.map((xi, i) => xi + residual[i]);

      residual = x;
      x = rmsnorm(x);
      result.mlpInputs[li].push(x);
      x = linear(x, W.get(p + 'mlp_fc1')!, 4 * nEmbd, nEmbd);
      x = x.map((xi) => (xi > 0 ? xi : 0));
      result.mlpHidden[li].push(x);
      x = linear(x, W.get(p + 'mlp_fc2')!, nEmbd, 4 * nEmbd);
      x = x.map((xi, i) => xi + residual[i]);
    }
    result.finals.push(x);
    const logits = linear(x, W.get('lm_head')!, vocabSize, nEmbd);
    result.logits.push(logits);
    result.probs.push(softmaxNumbers(logits));
  }
  return result;
}
