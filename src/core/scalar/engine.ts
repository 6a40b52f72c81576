// The scalar engine behind the common Engine interface.

import type { EngineFactory } from '../engine.js';
import { createAdamState, adamStep } from './adam.js';
import { createScalarModel, scalarWeights } from './gpt.js';
import { batchLoss } from './loss.js';
import { sampleTokens } from './sample.js';

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
    sample: (rng, bos, temperature) => sampleTokens(model, rng, bos, temperature),
    weights: () => scalarWeights(model),
  };
};
