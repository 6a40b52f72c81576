// The training loop, once for every front end (the main job, `train`, `bench`, the
// playground's worker): optimizer steps of gradAccum micro-batches, the validation loss on a
// cadence, checkpoints on a cadence, a stop when a loss is no longer finite. It yields events
// and leaves the side effects (printing, saving files, posting to a page) to its driver, which
// may pull it all at once, await between steps, or pull it in time slices.

import { batchTokens } from '../contract/engine.js';
import { requireKnownKeys } from '../contract/config.js';
import { learningRateAt } from '../contract/schedule.js';
import { DivergenceError, UserError, shown } from '../errors.js';
import { type FlowStats, gradientFlow } from './gradient-flow.js';
import { bitsPerCharacter, meanLossSteps, predictedCharacters, validationSequences } from './evaluate.js';
import { type Run, nextBatches } from './run.js';

/** What one optimizer step did. */
export interface StepInfo {
  step: number;   // 1-based, as printed: steps done after this one
  steps: number;  // the run's total
  loss: number;   // mean -log p over the step's predicted tokens
  lr: number;
  tokens: number; // predicted tokens over all its micro-batches
  ms: number;     // wall-clock time of the step
  flow?: FlowStats; // per-tensor gradient and update sizes, on the steps asked for (see LoopOptions.flowEvery)
}

/**
 * One optimizer step on the run's next batch: forward and backward on each micro-batch,
 * every token's gradient weighted 1/tokens, so gradAccum micro-batches of B sequences equal
 * one batch of gradAccum x B; then the update. A loss that is not finite stops the run
 * before the update, so its weights stay the last good ones (DivergenceError). With `flow`,
 * the step also measures its gradient flow (copies of weights and gradients: not free).
 */
export function trainStep(run: Run, flow = false): StepInfo {
  if (run.diverged !== undefined) throw new UserError(`the run diverged at step ${run.diverged}; it cannot train further`);
  if (run.step >= run.train.steps) throw new UserError(`the run has done all its ${run.train.steps} steps`);
  const start = performance.now();
  const step = run.step, lr = learningRateAt(run.train, step);
  const batches = nextBatches(run);
  let tokens = 0;
  for (const batch of batches) tokens += batchTokens(batch, run.config.blockSize);
  const dloss = 1 / tokens; // the reference's loss is (1/n) * sum(losses)
  let total = 0;
  batches.forEach((batch, k) => {
    const sum = run.engine.backward(batch, step, dloss);
    total = k === 0 ? sum : total + sum;
  });
  const loss = total * dloss;
  if (!Number.isFinite(loss)) {
    run.diverged = step + 1;
    throw new DivergenceError(step + 1, loss, lr, 'training');
  }
  const before = flow ? run.engine.weights() : undefined, grads = flow ? run.engine.gradients() : undefined;
  run.engine.update(step, lr);
  run.step++;
  const ms = performance.now() - start;
  const stats = before && grads ? gradientFlow(run.config, before, grads, run.engine.weights()) : undefined;
  return { step: run.step, steps: run.train.steps, loss, lr, tokens, ms, ...(stats ? { flow: stats } : {}) };
}

export interface LoopOptions {
  /** End after this step, to continue later (default: the run's last step). */
  stopAt?: number;
  /** Checked before each step; true ends the loop there, with a save. */
  shouldStop?: () => boolean;
  /** The validation loss every this many steps and after the last; 0 (default): after the last only. */
  evalEvery?: number;
  /** Held-out sequences per measurement (default: all of them). */
  evalSize?: number;
  /** Sequences per forward pass of a measurement; a 'pause' follows each (default 64). */
  evalChunk?: number;
  /** Also measure before the first step of a fresh run. */
  evalAtStart?: boolean;
  /** A 'save' every this many steps; 0 (default): only when the loop ends. */
  saveEvery?: number;
  /** The best validation loss so far (a resumed run's), to judge what improves on it. */
  best?: number;
  /** Measure the gradient flow every this many steps (and on the first); 0 (default): never. */
  flowEvery?: number;
}

export type LoopEvent =
  | ({ type: 'step' } & StepInfo)
  /** A validation measurement; `best` when it beats every earlier one (a model worth keeping). */
  | { type: 'eval'; step: number; loss: number; tokens: number; characters: number; bitsPerCharacter: number; best: boolean }
  /** The run's state is worth saving now (the cadence, or the end). */
  | { type: 'save'; step: number }
  /** Inside a measurement: a point where a driver working in time slices may yield. */
  | { type: 'pause' };

export interface LoopEnd {
  step: number;
  finished: boolean;      // the run has done all its steps
  best: number | undefined;
  lastEval: number | undefined;
}

const LOOP_OPTIONS: readonly (keyof LoopOptions)[] = ['stopAt', 'shouldStop', 'evalEvery', 'evalSize', 'evalChunk', 'evalAtStart',
  'saveEvery', 'best', 'flowEvery'];

/** Throws a UserError naming the first loop option that would hang (evalChunk 0), never train (stopAt NaN) or be ignored. */
function validateLoopOptions(options: LoopOptions): void {
  requireKnownKeys('loop option', options, LOOP_OPTIONS);
  const counts: [keyof LoopOptions, number][] = [['stopAt', 0], ['evalEvery', 0], ['evalSize', 0], ['evalChunk', 1], ['saveEvery', 0], ['flowEvery', 0]];
  for (const [key, min] of counts) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= min)) {
      throw new UserError(`${key} must be an integer >= ${min}, got ${shown(value)}`);
    }
  }
  if (options.shouldStop !== undefined && typeof options.shouldStop !== 'function') throw new UserError('shouldStop must be a function');
  if (options.best !== undefined && !(typeof options.best === 'number' && options.best >= 0)) {
    throw new UserError(`best must be a loss (a number >= 0), got ${shown(options.best)}`);
  }
}

/** Trains the run from where it stands, yielding what happens; see LoopOptions. */
export function* trainingLoop(run: Run, options: LoopOptions = {}): Generator<LoopEvent, LoopEnd, void> {
  validateLoopOptions(options);
  const steps = run.train.steps, stopAt = Math.min(options.stopAt ?? steps, steps);
  const evalEvery = options.evalEvery ?? 0, saveEvery = options.saveEvery ?? 0, flowEvery = options.flowEvery ?? 0;
  const validation = validationSequences(run, options.evalSize);
  let best = options.best ?? Infinity, lastEval: number | undefined, saved = run.step;

  let characters: number | undefined; // in the scored tokens of `validation`, counted once
  function* measure(): Generator<LoopEvent, void, void> {
    const { loss, tokens } = yield* meanLossSteps(run, validation, options.evalChunk);
    characters ??= predictedCharacters(run.tokenizer, validation, run.config.blockSize);
    if (!Number.isFinite(loss)) throw new DivergenceError(run.step, loss, learningRateAt(run.train, Math.max(0, run.step - 1)), 'validation');
    const improved = loss < best;
    if (improved) best = loss;
    lastEval = loss;
    yield { type: 'eval', step: run.step, loss, tokens, characters, bitsPerCharacter: bitsPerCharacter(loss, tokens, characters), best: improved };
  }

  if (options.evalAtStart && run.step === 0 && validation.length > 0) yield* measure();
  while (run.step < stopAt && !options.shouldStop?.()) {
    const info = trainStep(run, flowEvery > 0 && (run.step === 0 || (run.step + 1) % flowEvery === 0));
    yield { type: 'step', ...info };
    if (validation.length > 0 && (info.step === steps || (evalEvery > 0 && info.step % evalEvery === 0))) yield* measure();
    if (saveEvery > 0 && info.step % saveEvery === 0) {
      saved = info.step;
      yield { type: 'save', step: info.step };
    }
  }
  if (run.step !== saved) yield { type: 'save', step: run.step };
  return { step: run.step, finished: run.step >= steps, best: Number.isFinite(best) ? best : undefined, lastEval };
}

/** Runs the remaining steps with no validation or saving; `onStep` may return false to stop early. */
export function train(run: Run, onStep?: (info: StepInfo) => boolean | void): void {
  if (onStep !== undefined && typeof onStep !== 'function') throw new UserError(`onStep must be a function, got ${shown(onStep)}`);
  let stop = false;
  for (const event of trainingLoop(run, { shouldStop: () => stop, evalSize: 0 })) {
    if (event.type === 'step' && onStep && onStep(event) === false) stop = true;
  }
}
