// Generation: start from BOS, draw each next character from the softened distribution,
// stop at BOS or when the context is full.

import * as libm from '../libm.js';
import type { PyRandom } from '../random.js';
import { type ScalarModel, emptyCache, gptForward, softmax } from './gpt.js';

/** Token ids of one new document (without the BOS marks). */
export function sampleTokens(model: ScalarModel, rng: PyRandom, bos: number, temperature: number): number[] {
  const cache = emptyCache(model.config.nLayer);
  const invT = libm.pow(temperature, -1); // l / T is computed as l * T**-1
  const out: number[] = [];
  let token = bos;
  for (let pos = 0; pos < model.config.blockSize; pos++) {
    const probs = softmax(gptForward(model, token, pos, cache).map((l) => l.mul(invT)));
    token = rng.choice(probs.map((p) => p.data));
    if (token === bos) break;
    out.push(token);
  }
  return out;
}
