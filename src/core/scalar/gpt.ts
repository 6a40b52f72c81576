// The GPT as scalar Values, one token at a time with a KV cache: RMSNorm, multi-head
// causal attention, a ReLU MLP and residuals, no biases. Every expression keeps the
// reference's operation order, so the numbers match Python to the last bit.

import type { ModelConfig } from '../contract/config.js';
import * as libm from '../libm/index.js';
import { paramLayout } from '../contract/params.js';
import { Value, sum } from './value.js';

/** The model's parameters as Values: `state.get(name)[row][col]`, plus all of them flat. */
export interface ScalarModel {
  config: ModelConfig;
  state: Map<string, Value[][]>;
  params: Value[]; // in layout order, so params[i] is entry i of the flat buffer
}

/** Wraps a flat weight buffer (layout order) into Values. */
export function createScalarModel(config: ModelConfig, weights: Float64Array): ScalarModel {
  const state = new Map<string, Value[][]>();
  const params: Value[] = [];
  for (const spec of paramLayout(config)) {
    const matrix: Value[][] = [];
    for (let r = 0; r < spec.rows; r++) {
      const row: Value[] = [];
      for (let c = 0; c < spec.cols; c++) {
        const p = new Value(weights[spec.offset + r * spec.cols + c]);
        row.push(p);
        params.push(p);
      }
      matrix.push(row);
    }
    state.set(spec.name, matrix);
  }
  return { config, state, params };
}

/** Copies the current parameter values out into a flat buffer (layout order). */
export function scalarWeights(model: ScalarModel): Float64Array {
  return Float64Array.from(model.params, (p) => p.data);
}

/** Keys and values of the positions seen so far, per layer: cache[layer][pos][channel]. */
export interface KVCache {
  keys: Value[][][];
  values: Value[][][];
}

export function emptyCache(nLayer: number): KVCache {
  return {
    keys: Array.from({ length: nLayer }, () => []),
    values: Array.from({ length: nLayer }, () => []),
  };
}

/** y = W x for a matrix stored as rows of outputs. */
export function linear(x: Value[], w: Value[][]): Value[] {
  const out: Value[] = new Array(w.length);
  for (let o = 0; o < w.length; o++) {
    const row = w[o];
    let acc = row[0].mul(x[0]); // a running sum, as sum() adds left to right
    for (let i = 1; i < row.length; i++) acc = acc.add(row[i].mul(x[i]));
    out[o] = acc;
  }
  return out;
}

/** Probabilities from logits; subtracting the max keeps exp from overflowing. */
export function softmax(logits: Value[]): Value[] {
  let max = -Infinity;
  for (const v of logits) if (v.data > max) max = v.data;
  const exps = logits.map((v) => v.sub(max).exp());
  const total = sum(exps);
  return exps.map((e) => e.div(total));
}

/** x / sqrt(mean(x^2) + eps), with no learned gain. */
export function rmsnorm(x: Value[]): Value[] {
  const ms = sum(x.map((xi) => xi.mul(xi))).div(x.length);
  const scale = ms.add(1e-5).pow(-0.5);
  return x.map((xi) => xi.mul(scale));
}

/** Logits for the token after `tokenId` at `posId`; appends this position to the cache. */
export function gptForward(model: ScalarModel, tokenId: number, posId: number, cache: KVCache): Value[] {
  const { nLayer, nHead, nEmbd } = model.config;
  const headDim = nEmbd / nHead;
  const scale = libm.pow(libm.pow(headDim, 0.5), -1); // 1/sqrt(headDim), as x / hd**0.5 does
  const s = model.state;
  const tokEmb = s.get('wte')![tokenId];
  const posEmb = s.get('wpe')![posId];
  let x = tokEmb.map((t, i) => t.add(posEmb[i]));
  x = rmsnorm(x); // not redundant: the residual stream starts from this normalised copy

  for (let li = 0; li < nLayer; li++) {
    // attention: this position's query against every cached key, per head
    let residual = x;
    x = rmsnorm(x);
    const q = linear(x, s.get(`layer${li}.attn_wq`)!);
    const k = linear(x, s.get(`layer${li}.attn_wk`)!);
    const v = linear(x, s.get(`layer${li}.attn_wv`)!);
    cache.keys[li].push(k);
    cache.values[li].push(v);
    const keys = cache.keys[li], values = cache.values[li];
    const heads: Value[] = [];
    for (let h = 0; h < nHead; h++) {
      const hs = h * headDim;
      const logits: Value[] = [];
      for (let t = 0; t < keys.length; t++) {
        let dot = q[hs].mul(keys[t][hs]);
        for (let j = 1; j < headDim; j++) dot = dot.add(q[hs + j].mul(keys[t][hs + j]));
        logits.push(dot.mul(scale));
      }
      const weights = softmax(logits);
      for (let j = 0; j < headDim; j++) {
        let acc = weights[0].mul(values[0][hs + j]);
        for (let t = 1; t < weights.length; t++) acc = acc.add(weights[t].mul(values[t][hs + j]));
        heads.push(acc);
      }
    }
    x = linear(heads, s.get(`layer${li}.attn_wo`)!);
    x = x.map((xi, i) => xi.add(residual[i]));

    // MLP: widen 4x, ReLU, project back
    residual = x;
    x = rmsnorm(x);
    x = linear(x, s.get(`layer${li}.mlp_fc1`)!);
    x = x.map((xi) => xi.relu());
    x = linear(x, s.get(`layer${li}.mlp_fc2`)!);
    x = x.map((xi, i) => xi.add(residual[i]));
  }
  return linear(x, s.get('lm_head')!);
}
