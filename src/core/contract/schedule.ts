// Learning rate for a step. The reference decays linearly to zero over the run; the other
// schedules share its shape: an optional linear warmup, then a decay over the remaining steps.

import { UserError, shown } from '../errors.js';
import * as libm from '../libm/index.js';
import type { Schedule, TrainConfig } from './config.js';

/** lr at 0-based `step` of `steps`: lr * (1 - step / steps). */
export function linearDecay(learningRate: number, step: number, steps: number): number {
  return learningRate * (1 - step / steps);
}

/** lr * (1 + cos(pi * step / steps)) / 2: from lr at step 0 down towards 0 at the end. */
export function cosineDecay(learningRate: number, step: number, steps: number): number {
  return learningRate * 0.5 * (1 + libm.cos(Math.PI * (step / steps)));
}

/**
 * lr at 0-based `step` under `schedule`. During the first `warmupSteps` it rises linearly
 * to the peak (lr * (step + 1) / warmupSteps), then decays over the steps that remain.
 * With no warmup, 'linear' is exactly the reference's linearDecay.
 */
export function scheduledLearningRate(learningRate: number, step: number, steps: number,
                                      schedule: Schedule = 'linear', warmupSteps = 0): number {
  // past the end, linear decay goes negative (a step that climbs the loss); NaN would train nothing
  if (!(Number.isInteger(steps) && steps >= 1)) throw new UserError(`steps must be an integer >= 1, got ${shown(steps)}`);
  if (!(Number.isInteger(step) && step >= 0 && step <= steps)) throw new UserError(`step must be an integer from 0 to ${steps}, got ${shown(step)}`);
  if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  const done = step - warmupSteps, total = steps - warmupSteps;
  switch (schedule) {
    case 'linear': return linearDecay(learningRate, done, total);
    case 'cosine': return cosineDecay(learningRate, done, total);
    case 'constant': return learningRate;
  }
}

/** The learning rate a run's train config gives at 0-based `step`. */
export function learningRateAt(train: TrainConfig, step: number): number {
  return scheduledLearningRate(train.learningRate, step, train.steps, train.schedule, train.warmupSteps);
}
