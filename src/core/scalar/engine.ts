// The scalar engine behind the common Engine contract: a graph of Values per micro-batch,
// backward() through it, then the reference's Adam. Decoding feeds the same gptForward one
// token at a time through its KV cache.

import type { TrainConfig } from '../contract/config.js';
import type { Engine } from '../contract/engine.js';
import { checkWeights, paramCount } from '../contract/params.js';
import { createAdamState, adamStep } from './adam.js';
import { type KVCache, createScalarModel, emptyCache, gptForward, scalarWeights } from './gpt.js';
import { batchLosses } from './loss.js';
import { sum } from './value.js';

export function createScalarEngine(config: Engine['config'], weights: Float64Array, train: TrainConfig): Engine {
  checkWeights(config, weights);
  const model = createScalarModel(config, weights);
  const adam = createAdamState(model.params.length);
  let cache: KVCache = emptyCache(config.nLayer);
  const logits = new Float64Array(config.vocabSize); // (V,)
  return {
    name: 'scalar',
    config,
    threads: 1,
    backward(batch, _step, dloss) {
      const total = sum(batchLosses(model, batch));
      total.mul(dloss).backward(); // the reference's loss, (1/n) * sum(losses), when dloss = 1/n
      return total.data;
    },
    update: (step, lr) => adamStep(model.params, adam, train, step, lr),
    lossSum: (batch) => sum(batchLosses(model, batch)).data,
    feed(ids, pos) {
      if (pos === 0) cache = emptyCache(config.nLayer);
      if (cache.keys[0].length !== pos) throw new Error(`feed at position ${pos}, but the cache holds ${cache.keys[0].length}`);
      for (let i = 0; i < ids.length; i++) {
        const out = gptForward(model, ids[i], pos + i, cache);
        for (let v = 0; v < out.length; v++) logits[v] = out[v].data;
      }
      return logits;
    },
    weights: () => scalarWeights(model),
    gradients: () => Float64Array.from(model.params, (p) => p.grad),
    optimizerState: () => ({ m: adam.m.slice(), v: adam.v.slice() }),
    load(weights, optimizer) {
      checkWeights(config, weights, optimizer);
      model.params.forEach((p, i) => { p.data = weights[i]; p.grad = 0; });
      if (optimizer) { adam.m.set(optimizer.m); adam.v.set(optimizer.v); }
    },
  };
}

// Measured in Node 20: a Value with its place in the backward's topological order takes about
// 140 bytes of heap, and a predicted token adds about two Values per parameter (a product and
// a sum for every weight it meets).
const VALUE_BYTES = 140;

/** About how many bytes of JavaScript heap a scalar engine holds: parameters as Values, and a step's graph. */
export function scalarMemoryBytes(config: Engine['config'], train: TrainConfig): number {
  const n = paramCount(config);
  return VALUE_BYTES * n * (1 + 2 * train.batchSize * config.blockSize) + 16 * n;
}
