// Generation with the scalar model: feed the prompt through the KV cache, then draw one
// id at a time; when the context is full, restart the cache on the most recent ids.

import type { GenerateOptions } from '../contract/engine.js';
import type { PyRandom } from '../contract/random.js';
import { drawToken } from '../contract/sampling.js';
import { type KVCache, type ScalarModel, emptyCache, gptForward } from './gpt.js';
import type { Value } from './value.js';

/** New ids after `options.prompt` (see Engine.generate). */
export function generateTokens(model: ScalarModel, rng: PyRandom, options: GenerateOptions): number[] {
  const { blockSize, nLayer } = model.config;
  const { prompt, maxTokens, temperature, topK, stopAt } = options;
  if (prompt.length === 0) throw new Error('generate needs a prompt of at least one id');
  const context = prompt.slice();
  const out: number[] = [];
  let cache: KVCache = emptyCache(nLayer);
  let start = 0; // context[start] sits at position 0 of the cache
  let fed = 0;   // context[start..fed) is in the cache
  let logits: Value[] = [];
  while (out.length < maxTokens) {
    if (context.length - start > blockSize) {
      cache = emptyCache(nLayer); // full: keep only the last blockSize ids
      start = fed = context.length - blockSize;
    }
    for (; fed < context.length; fed++) logits = gptForward(model, context[fed], fed - start, cache);
    const id = drawToken(Float64Array.from(logits, (v) => v.data), temperature, rng, topK);
    if (id === stopAt) break;
    out.push(id);
    context.push(id);
  }
  return out;
}
