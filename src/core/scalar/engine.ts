// The scalar engine behind the common Engine interface.

import type { EngineFactory } from '../contract/engine.js';
import { createAdamState, adamStep } from './adam.js';
import { createScalarModel, scalarWeights } from './gpt.js';
import { batchLoss } from './loss.js';
import { generateTokens } from './sample.js';

export const createScalarEngine: EngineFactory = (config, weights, train) => {
  const model = createScalarModel(config, weights);
  const adam = createAdamState(model.params.length);
  return {
    name: 'scalar',
    config,
    trainStep(batch, step, lr) {
      const loss = batchLoss(model, batch);
      loss.backward();
      adamStep(model.params, adam, train, step, lr);
      return loss.data;
    },
    loss: (batch) => batchLoss(model, batch).data,
    generate: (rng, options) => generateTokens(model, rng, options),
    weights: () => scalarWeights(model),
    optimizerState: () => ({ m: adam.m.slice(), v: adam.v.slice() }),
    load(weights, optimizer) {
      model.params.forEach((p, i) => { p.data = weights[i]; p.grad = 0; });
      if (optimizer) { adam.m.set(optimizer.m); adam.v.set(optimizer.v); }
    },
  };
};
