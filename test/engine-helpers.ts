// One optimizer step straight on an engine, as the training loop takes it (run/loop.ts): for
// tests that drive an engine without a run.

import { type Batch, type Engine, batchTokens } from '../src/core/contract/engine.js';

/** Forward, backward and update on one batch; returns the mean loss per predicted token. */
export function engineStep(engine: Engine, batch: Batch, step: number, lr: number): number {
  const dloss = 1 / batchTokens(batch, engine.config.blockSize);
  const loss = engine.backward(batch, step, dloss) * dloss;
  engine.update(step, lr);
  return loss;
}

/** The mean loss per predicted token of a batch, forward only. */
export function engineLoss(engine: Engine, batch: Batch): number {
  return engine.lossSum(batch) * (1 / batchTokens(batch, engine.config.blockSize));
}
