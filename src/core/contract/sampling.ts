// Turning logits into a draw, shared by both engines: temperature, optional top-k, then
// the reference's softmax and one weighted choice from the random stream.

import * as libm from '../libm/index.js';
import type { PyRandom } from './random.js';

/** Keeps the k largest logits; the rest become -Infinity (probability 0). */
export function applyTopK(logits: Float64Array, k: number): void {
  if (k >= logits.length) return;
  const kth = Float64Array.from(logits).sort().reverse()[k - 1];
  for (let i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = -Infinity;
}

/** softmax(logits * T**-1) then one weighted draw, with the reference's exact arithmetic. */
export function drawToken(logits: Float64Array, temperature: number, rng: PyRandom, topK?: number): number {
  const invT = libm.pow(temperature, -1); // the reference computes l / T as l * T**-1
  const scaled = logits.map((l) => l * invT);
  if (topK !== undefined) applyTopK(scaled, topK);
  let max = -Infinity;
  for (const l of scaled) if (l > max) max = l;
  const exps = scaled.map((l) => libm.exp(l - max));
  let total = 0;
  for (const e of exps) total += e;
  const inv = libm.pow(total, -1);
  return rng.choice(exps.map((e) => e * inv));
}
