// The tensor engine behind the common Engine interface: flat buffers, explicit kernels, Adam
// in place. Same weights and operation order as the scalar engine, so the same losses.
// It also implements the knobs beyond the reference (see `features`).

import { DEFAULT_SEED } from '../contract/config.js';
import type { EngineFactory } from '../contract/engine.js';
import { adamUpdate, clipGradNorm } from './adam.js';
import { createDecodeState, generateTokens } from './decode.js';
import { dropoutRng } from './dropout.js';
import { createTensorModel, forwardLoss, lossAndGrad } from './gpt.js';

export const createTensorEngine: EngineFactory = (config, weights, train, seed = DEFAULT_SEED) => {
  const model = createTensorModel(config, weights, train.batchSize * config.blockSize);
  const n = model.params.length;
  const m = new Float64Array(n), v = new Float64Array(n); // (numParams,) Adam moments
  const decode = createDecodeState(model);
  return {
    name: 'tensor',
    config,
    features: ['relu2', 'gelu', 'layernorm', 'dropout', 'grad-clip', 'weight-decay'],
    trainStep(batch, step, lr) {
      // masks depend only on (seed, step), so a resumed run draws the same ones
      const loss = lossAndGrad(model, batch, config.dropout ? dropoutRng(seed, step) : undefined);
      if (train.gradClip) clipGradNorm(model.grads, train.gradClip, n);
      adamUpdate(model.params, model.grads, m, v, train, step, lr, n);
      return loss;
    },
    loss: (batch) => forwardLoss(model, batch),
    generate: (rng, options) => generateTokens(model, decode, rng, options),
    weights: () => model.params.slice(),
    optimizerState: () => ({ m: m.slice(), v: v.slice() }),
    load(weights, optimizer) {
      if (weights.length !== n) throw new Error(`expected ${n} weights, got ${weights.length}`);
      if (optimizer && (optimizer.m.length !== n || optimizer.v.length !== n)) throw new Error(`expected Adam moments of ${n}`);
      model.params.set(weights);
      model.grads.fill(0);
      if (optimizer) { m.set(optimizer.m); v.set(optimizer.v); }
    },
  };
};
