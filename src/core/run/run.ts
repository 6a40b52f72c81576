// A training run from start to samples, in the reference's order of random draws:
// seed, shuffle the documents (a text is not shuffled), initialise the weights, train, then
// sample. A checkpoint holds the step, the random state and Adam's moments, so a run can
// stop anywhere and continue as if it never had.

import { type Checkpoint, type DataInfo, weightsForConfig } from '../checkpoint/checkpoint.js';
import { type ModelConfig, type TrainConfig, DEFAULT_MODEL, DEFAULT_SEED, DEFAULT_TRAIN,
  validateModelConfig, validateTrainConfig, validateTemperature } from '../contract/config.js';
import { checkDocuments } from '../data/documents.js';
import { UserError } from '../errors.js';
import type { Batch, Engine, EngineFactory } from '../contract/engine.js';
import { paramCount, initParams } from '../contract/params.js';
import { PyRandom } from '../contract/random.js';
import { learningRateAt } from '../contract/schedule.js';
import { createScalarEngine } from '../scalar/engine.js';
import { type DataFormat, type TextSplit, evalWindows, randomWindows, splitText } from '../data/text.js';
import { type Tokenizer, buildTokenizer, decode, encode, encodeDocument, tokenizerFromChars } from '../contract/tokenizer.js';

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
  seed?: number;
  format?: DataFormat; // how it trains and samples; absent means 'lines'
  text?: TextSplit;    // a 'text' run's training and held-out ids
}

export interface StepInfo {
  step: number; // 1-based, as printed
  steps: number;
  loss: number;
  lr: number;
  tokens?: number; // predicted tokens in the step's batch
}

/** Settings beyond the reference model; an engine lists those it implements in `features`. */
export type EngineFeature = 'relu2' | 'gelu' | 'layernorm' | 'dropout' | 'grad-clip' | 'weight-decay';

/** Throws a UserError naming the first setting that `engine` does not implement. */
export function checkEngineSupport(engine: Engine, config: ModelConfig, train: TrainConfig): void {
  const needed: [EngineFeature | null, string][] = [
    [config.activation === 'relu2' || config.activation === 'gelu' ? config.activation : null, `activation ${config.activation}`],
    [config.norm === 'layernorm' ? 'layernorm' : null, 'norm layernorm'],
    [config.dropout ? 'dropout' : null, `dropout ${config.dropout}`],
    [train.gradClip ? 'grad-clip' : null, `grad-clip ${train.gradClip}`],
    [train.weightDecay ? 'weight-decay' : null, `weight-decay ${train.weightDecay}`],
  ];
  const supported = engine.features ?? [];
  for (const [feature, setting] of needed) {
    if (feature !== null && !supported.includes(feature)) {
      throw new UserError(`${setting} is not supported by the ${engine.name} engine yet (it implements the reference model)`);
    }
  }
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
  return { ...initRun(tokenizer, rng, options), docs, valDocs, seed, format: 'lines' };
}

/**
 * A run on one continuous text (format 'text'): the vocabulary is every character of it,
 * the last `valFraction` (default 0.1) is held out, and each step trains on windows of
 * blockSize + 1 characters at offsets drawn from the run's random stream.
 */
export function createTextRun(text: string, options: RunOptions = {}): Run {
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = new PyRandom(seed);
  const tokenizer = buildTokenizer([text]);
  const split = splitText(tokenizer, text, options.valFraction ?? 0.1);
  return { ...initRun(tokenizer, rng, options), docs: [], valDocs: [], seed, format: 'text', text: split };
}

function initRun(tokenizer: Tokenizer, rng: PyRandom, options: RunOptions) {
  const config: ModelConfig = { ...DEFAULT_MODEL, ...options.model, vocabSize: tokenizer.vocabSize };
  const train: TrainConfig = { ...DEFAULT_TRAIN, ...options.train };
  validateModelConfig(config);
  validateTrainConfig(train);
  const weights = initParams(config, rng);
  const engine = (options.engine ?? createScalarEngine)(config, weights, train, options.seed ?? DEFAULT_SEED);
  checkEngineSupport(engine, config, train);
  return { tokenizer, config, train, rng, engine, step: 0, numParams: paramCount(config) };
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

/** The batch of the run's next step: documents in order, or random windows of a text. */
export function nextBatch(run: Run): Batch {
  if (!run.text) return stepBatch(run, run.step);
  return randomWindows(run.text.train, run.train.batchSize, run.config.blockSize + 1, run.rng);
}

/** How many tokens the model predicts on a batch (each sequence cut to the context). */
export function predictedTokens(batch: Batch, blockSize: number): number {
  return batch.reduce((n, t) => n + Math.min(blockSize, t.length - 1), 0);
}

/** Trains on the next batch, at the learning rate the schedule gives; returns what happened. */
export function trainStep(run: Run): StepInfo {
  const step = run.step;
  const lr = learningRateAt(run.train, step);
  const batch = nextBatch(run);
  const loss = run.engine.trainStep(batch, step, lr);
  run.step++;
  return { step: run.step, steps: run.train.steps, loss, lr, tokens: predictedTokens(batch, run.config.blockSize) };
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
  return batchLoss(run, docs.slice(0, Math.min(docs.length, maxDocs)).map((d) => encodeDocument(run.tokenizer, d)));
}

/** Mean loss per predicted token over token sequences, in chunks of 64, without training. */
export function batchLoss(run: Run, sequences: Batch): number {
  let total = 0, tokens = 0;
  for (let start = 0; start < sequences.length; start += 64) {
    const batch = sequences.slice(start, start + 64);
    const n = predictedTokens(batch, run.config.blockSize);
    total += run.engine.loss(batch) * n;
    tokens += n;
  }
  return total / tokens;
}

/**
 * The loss on the run's held-out data: the first `limit` validation documents, or `limit`
 * fixed windows spread over the held-out text. Undefined when nothing is held out.
 */
export function validationLoss(run: Run, limit = Infinity): number | undefined {
  if (run.text) {
    const windows = evalWindows(run.text.val, run.config.blockSize + 1, limit);
    return windows.length > 0 ? batchLoss(run, windows) : undefined;
  }
  return run.valDocs.length > 0 ? evaluate(run, run.valDocs, limit) : undefined;
}

export interface SampleOptions {
  temperature: number;
  prompt?: string;    // text to continue (it starts the returned sample)
  maxTokens?: number; // new characters at most; default: to the end of the context (lines), 256 (text)
  topK?: number;
}

/**
 * One sample. A 'lines' model starts a document at BOS (then the prompt) and stops at BOS;
 * a 'text' model continues the prompt, or a newline, for `maxTokens` characters.
 */
export function sampleText(run: Run, options: SampleOptions): string {
  validateTemperature(options.temperature);
  const { tokenizer, config } = run;
  const prompt = options.prompt ?? '';
  const promptIds = encode(tokenizer, prompt);
  if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) {
    throw new UserError(`top-k must be an integer >= 1, got ${options.topK}`);
  }
  let ids: number[], maxTokens: number, stopAt: number | undefined;
  if (run.format === 'text') {
    const newline = tokenizer.ids.get('\n');
    ids = promptIds.length > 0 ? promptIds : [newline ?? tokenizer.bos];
    maxTokens = options.maxTokens ?? 256;
  } else {
    ids = [tokenizer.bos, ...promptIds];
    maxTokens = options.maxTokens ?? Math.max(1, config.blockSize - promptIds.length);
    stopAt = tokenizer.bos;
  }
  const out = run.engine.generate(run.rng, { prompt: ids, maxTokens, temperature: options.temperature, topK: options.topK, stopAt });
  return prompt + decode(tokenizer, out);
}

/** A checkpoint of the run as it stands. */
export function runCheckpoint(run: Run, data: DataInfo, bestValLoss?: number): Checkpoint {
  return {
    config: run.config, train: run.train, vocab: run.tokenizer.chars, step: run.step, seed: run.seed ?? DEFAULT_SEED,
    rng: run.rng.getState(), weights: run.engine.weights(), optimizer: run.engine.optimizerState(),
    data, bestValLoss, engine: run.engine.name,
  };
}

/**
 * A run from a checkpoint, to sample or evaluate (no training data). `blockSize` may
 * shorten the context; the random stream continues where the checkpoint left it.
 */
export function runFromCheckpoint(c: Checkpoint, options: { engine?: EngineFactory; blockSize?: number } = {}): Run {
  const config: ModelConfig = { ...c.config, blockSize: options.blockSize ?? c.config.blockSize };
  validateModelConfig(config);
  const weights = weightsForConfig(c, config);
  const engine = (options.engine ?? createScalarEngine)(config, weights, c.train, c.seed);
  checkEngineSupport(engine, config, c.train);
  if (c.optimizer && config.blockSize === c.config.blockSize) engine.load(weights, c.optimizer);
  const rng = new PyRandom(c.seed);
  rng.setState(c.rng);
  return {
    docs: [], valDocs: [], tokenizer: tokenizerFromChars(c.vocab), config, train: c.train, rng, engine,
    step: c.step, numParams: paramCount(config), seed: c.seed, format: c.data.format,
  };
}

/**
 * Continues `run` (freshly created from the same data and settings) from a checkpoint:
 * its step, random stream, weights and Adam moments, so training goes on exactly.
 */
export function resumeRun(run: Run, c: Checkpoint): void {
  if (run.tokenizer.chars.join('') !== c.vocab.join('')) {
    throw new UserError('the data\'s characters differ from the checkpoint\'s vocabulary; resume needs the same data');
  }
  for (const key of Object.keys(c.config) as (keyof ModelConfig)[]) {
    if (run.config[key] !== c.config[key]) throw new UserError(`the run's ${key} (${run.config[key]}) differs from the checkpoint's (${c.config[key]})`);
  }
  if (!c.optimizer) throw new UserError('the checkpoint has no optimizer state, so training cannot continue exactly');
  run.step = c.step;
  run.rng.setState(c.rng);
  run.engine.load(c.weights, c.optimizer);
}
