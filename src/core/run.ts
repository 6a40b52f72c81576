// A training run from start to samples, in the reference's order of random draws:
// seed, shuffle the documents, initialise the weights, train, then sample.

import { type ModelConfig, type TrainConfig, DEFAULT_MODEL, DEFAULT_SEED, DEFAULT_TRAIN,
  validateModelConfig, validateTrainConfig, validateTemperature } from './config.js';
import { checkDocuments } from './data.js';
import { UserError } from './errors.js';
import type { Batch, Engine, EngineFactory } from './engine.js';
import { paramCount, initParams } from './params.js';
import { PyRandom } from './random.js';
import { linearDecay } from './schedule.js';
import { createScalarEngine } from './scalar/engine.js';
import { type Tokenizer, buildTokenizer, decode, encodeDocument } from './tokenizer.js';

export interface RunOptions {
  seed?: number;
  /** Fraction of the shuffled documents held out for validation, taken from the end. */
  valFraction?: number;
  model?: Partial<Omit<ModelConfig, 'vocabSize'>>;
  train?: Partial<TrainConfig>;
  engine?: EngineFactory;
}

/** Everything a run carries between steps. */
export interface Run {
  docs: string[]; // shuffled, in training order
  valDocs: string[]; // held out: the last slice of the shuffled documents
  tokenizer: Tokenizer;
  config: ModelConfig;
  train: TrainConfig;
  rng: PyRandom;
  engine: Engine;
  step: number; // steps done so far
  numParams: number;
}

export interface StepInfo {
  step: number; // 1-based, as printed
  steps: number;
  loss: number;
  lr: number;
}

function heldOutCount(n: number, fraction: number): number {
  if (!(fraction >= 0 && fraction < 1)) throw new UserError(`val-fraction must be in [0, 1), got ${fraction}`);
  if (fraction === 0) return 0;
  const count = Math.max(1, Math.floor(n * fraction));
  if (count >= n) throw new UserError(`val-fraction ${fraction} leaves no training documents out of ${n}`);
  return count;
}

/** Seeds, shuffles a copy of `docs`, builds the vocabulary and initialises the weights. */
export function createRun(documents: string[], options: RunOptions = {}): Run {
  checkDocuments(documents, 'dataset');
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = new PyRandom(seed);
  const docs = documents.slice();
  rng.shuffle(docs);
  const tokenizer = buildTokenizer(docs); // from every document, so held-out text encodes too
  const valDocs = docs.splice(docs.length - heldOutCount(docs.length, options.valFraction ?? 0));
  const config: ModelConfig = { ...DEFAULT_MODEL, ...options.model, vocabSize: tokenizer.vocabSize };
  const train: TrainConfig = { ...DEFAULT_TRAIN, ...options.train };
  validateModelConfig(config);
  validateTrainConfig(train);
  const weights = initParams(config, rng);
  const engine = (options.engine ?? createScalarEngine)(config, weights, train);
  return { docs, valDocs, tokenizer, config, train, rng, engine, step: 0, numParams: paramCount(config) };
}

/** The documents of a step: the next `batchSize` in shuffled order, cycling. */
export function stepBatch(run: Run, step: number): Batch {
  const { batchSize } = run.train;
  const batch: Batch = [];
  for (let i = 0; i < batchSize; i++) {
    batch.push(encodeDocument(run.tokenizer, run.docs[(step * batchSize + i) % run.docs.length]));
  }
  return batch;
}

/** Trains on the next batch; returns what happened. */
export function trainStep(run: Run): StepInfo {
  const step = run.step;
  const lr = linearDecay(run.train.learningRate, step, run.train.steps);
  const loss = run.engine.trainStep(stepBatch(run, step), step, lr);
  run.step++;
  return { step: run.step, steps: run.train.steps, loss, lr };
}

/** Runs the remaining steps; `onStep` sees each one and may return false to stop early. */
export function train(run: Run, onStep?: (info: StepInfo) => boolean | void): void {
  while (run.step < run.train.steps) {
    const info = trainStep(run);
    if (onStep && onStep(info) === false) break;
  }
}

/** New documents from the model, drawn from the run's random stream. */
export function sample(run: Run, count: number, temperature: number): string[] {
  validateTemperature(temperature);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const { bos } = run.tokenizer;
    const ids = run.engine.generate(run.rng, { prompt: [bos], maxTokens: run.config.blockSize, temperature, stopAt: bos });
    out.push(decode(run.tokenizer, ids));
  }
  return out;
}

/** Mean loss per predicted token over `docs` (at most `maxDocs` of them), without training. */
export function evaluate(run: Run, docs: string[], maxDocs = Infinity): number {
  const count = Math.min(docs.length, maxDocs);
  let total = 0, tokens = 0;
  for (let start = 0; start < count; start += 64) {
    const batch = docs.slice(start, Math.min(count, start + 64)).map((d) => encodeDocument(run.tokenizer, d));
    const n = batch.reduce((acc, t) => acc + Math.min(run.config.blockSize, t.length - 1), 0);
    total += run.engine.loss(batch) * n;
    tokens += n;
  }
  return total / tokens;
}
