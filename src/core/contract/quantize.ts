// int8 weights: each row of each weight matrix stored as 8-bit integers times one float scale
// (the row's largest magnitude / 127), so a model takes an eighth of its float64 size (plus a
// scale per row). Symmetric, round to nearest: every weight moves by at most half a step
// (scale / 2). The engines still compute in their own precision on the rounded weights, so
// this measures what int8 storage costs in quality, not int8 arithmetic's speed.

import type { ModelConfig } from './config.js';
import { paramLayout } from './params.js';

export interface Int8Weights {
  values: Int8Array;    // (numParams,) in layout order
  scales: Float64Array; // one per row of every matrix, in layout order
}

/** The weights as int8 with a scale per row. */
export function quantizeInt8(config: ModelConfig, weights: Float64Array): Int8Weights {
  const layout = paramLayout(config);
  const values = new Int8Array(weights.length);
  const scales = new Float64Array(layout.reduce((n, p) => n + p.rows, 0));
  let row = 0;
  for (const p of layout) {
    for (let r = 0; r < p.rows; r++, row++) {
      const start = p.offset + r * p.cols;
      let max = 0;
      for (let i = 0; i < p.cols; i++) max = Math.max(max, Math.abs(weights[start + i]));
      const scale = max / 127;
      scales[row] = scale;
      for (let i = 0; i < p.cols; i++) values[start + i] = scale === 0 ? 0 : Math.round(weights[start + i] / scale);
    }
  }
  return { values, scales };
}

/** The float64 weights int8 values stand for. */
export function dequantizeInt8(config: ModelConfig, q: Int8Weights): Float64Array {
  const out = new Float64Array(q.values.length); // (numParams,)
  let row = 0;
  for (const p of paramLayout(config)) {
    for (let r = 0; r < p.rows; r++, row++) {
      const start = p.offset + r * p.cols;
      for (let i = 0; i < p.cols; i++) out[start + i] = q.values[start + i] * q.scales[row];
    }
  }
  return out;
}

/** Bytes of the int8 form: a byte per weight and a float32 scale per row. */
export function int8Bytes(q: Int8Weights): number {
  return q.values.length + 4 * q.scales.length;
}
