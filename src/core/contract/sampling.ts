// Turning logits into a draw, shared by every engine: temperature, optional top-k, then the
// reference's softmax and one weighted choice from the random stream. Where the reference
// would fail (logits divided by a tiny temperature overflow) it takes the limit T -> 0.

import { UserError, shown } from '../errors.js';
import { validateTemperature } from './config.js';
import * as libm from '../libm/index.js';
import type { PyRandom } from './random.js';

/** Throws a UserError unless `topK` is absent or a whole number of ids to keep. */
export function validateTopK(topK: number | undefined): void {
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new UserError(`top-k must be an integer >= 1, got ${shown(topK)}`);
}

/** Keeps the k largest logits; the rest become -Infinity (probability 0). */
export function applyTopK(logits: Float64Array, k: number): void {
  validateTopK(k);
  if (k >= logits.length) return;
  const kth = Float64Array.from(logits).sort().reverse()[k - 1];
  for (let i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = -Infinity;
}

/** The index of the largest value (the first of equals). */
function argmax(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The distribution a draw takes: softmax(logits * T**-1) over the top k, with the reference's
 * exact arithmetic; undefined when that overflows (T so small that l / T is infinite), where
 * the draw is the most likely id, the limit of the distribution as T -> 0.
 */
export function tokenProbabilities(logits: Float64Array, temperature: number, topK?: number): Float64Array | undefined {
  const invT = libm.pow(temperature, -1); // the reference computes l / T as l * T**-1
  // one buffer, overwritten in place: l * T**-1, then exp(l - max), then the probabilities;
  // plain loops, not map(): the same operations in the same order, without three arrays and a closure call per id
  const probs = new Float64Array(logits.length); // (vocabSize,)
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) throw new UserError('the model computed a NaN logit: its weights have diverged');
    probs[i] = logits[i] * invT;
  }
  if (topK !== undefined) applyTopK(probs, topK);
  let max = -Infinity;
  for (let i = 0; i < probs.length; i++) if (probs[i] > max) max = probs[i];
  let total = 0;
  for (let i = 0; i < probs.length; i++) {
    probs[i] = libm.exp(probs[i] - max);
    total += probs[i];
  }
  if (!(total > 0 && total < Infinity)) return undefined;
  const inv = libm.pow(total, -1);
  for (let i = 0; i < probs.length; i++) probs[i] *= inv;
  return probs;
}

/** tokenProbabilities or a faster twin of it (tensor/wasm-kernels.ts's: the same bits). */
export type TokenProbabilities = typeof tokenProbabilities;

/**
 * One weighted draw from tokenProbabilities, or from `probabilities` given (in the overflow
 * limit, the most likely id; it still takes one draw from the stream).
 */
export function drawToken(logits: Float64Array, temperature: number, rng: PyRandom, topK?: number,
                          probabilities: TokenProbabilities = tokenProbabilities): number {
  validateTemperature(temperature); // 0, NaN or < 0 would read as some other distribution
  if (logits.length === 0) throw new UserError('there are no logits to draw from');
  const probs = probabilities(logits, temperature, topK);
  if (probs) return rng.choice(probs);
  rng.random();
  return argmax(logits); // top-k always keeps it
}

/** A distribution as tokenProbabilities gives it, the overflow limit as all mass on the most likely id. */
export function drawDistribution(logits: Float64Array, temperature: number, topK?: number): Float64Array {
  const probs = tokenProbabilities(logits, temperature, topK);
  if (probs) return probs;
  const oneHot = new Float64Array(logits.length); // (vocabSize,)
  oneHot[argmax(logits)] = 1;
  return oneHot;
}
