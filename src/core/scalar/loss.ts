// The losses of a batch: forward every position of every document through the model,
// building one graph, and keep the cross-entropy of each next character.

import { predictedTokens } from '../contract/engine.js';
import { type ScalarModel, emptyCache, gptForward, softmax } from './gpt.js';
import type { Value } from './value.js';

/** -log p(target) at every position of one document (BOS, chars..., BOS), cut to the context. */
export function documentLosses(model: ScalarModel, tokens: number[]): Value[] {
  const n = predictedTokens(tokens, model.config.blockSize);
  const cache = emptyCache(model.config.nLayer);
  const losses: Value[] = [];
  for (let pos = 0; pos < n; pos++) {
    const probs = softmax(gptForward(model, tokens[pos], pos, cache));
    losses.push(probs[tokens[pos + 1]].log().neg());
  }
  return losses;
}

/** Every predicted token's loss, document after document: summed in this order, as the reference. */
export function batchLosses(model: ScalarModel, batch: number[][]): Value[] {
  return batch.flatMap((tokens) => documentLosses(model, tokens));
}
