// A run from start to checkpoint, in the reference's order of random draws: seed, shuffle
// the documents (a text is not shuffled), initialise the weights, then the batches of each
// step. A checkpoint holds the step, the random state and Adam's moments, so a run can stop
// anywhere and continue as if it never had.

import type { Checkpoint, DataInfo } from '../checkpoint/checkpoint.js';
import { checkCheckpoint, checkDataInfo, weightsForConfig } from '../checkpoint/checkpoint.js';
import { type ModelConfig, type TrainConfig, DEFAULT_MODEL, DEFAULT_SEED, DEFAULT_TRAIN, MODEL_KEYS, TRAIN_KEYS, requireKnownKeys,
  validateModelConfig, validateTrainConfig } from '../contract/config.js';
import type { Batch, Engine, EngineName } from '../contract/engine.js';
import { paramCount, initParams } from '../contract/params.js';
import { PyRandom } from '../contract/random.js';
import { type Tokenizer, buildTokenizer, encodeDocument, tokenizerFromBpe, tokenizerFromChars } from '../contract/tokenizer.js';
import type { BpeTokenizer } from '../bpe/bpe-tokenizer.js';
import { formatModelFile, parseModelFile } from '../bpe/model-file.js';
import { wasmGaussPairs, wasmShuffleDraws } from '../tensor/wasm-kernels.js';
import { checkDocuments } from '../data/documents.js';
import { type DataFormat, type TextSplit, randomWindows, splitText } from '../data/text.js';
import { UserError, shown } from '../errors.js';
import { type EngineOptions, type MemoryLimits, ANY_MACHINE, DEFAULT_ENGINE, allocating, checkEngineSettings, checkMemory, engineSpec } from './engines.js';

export interface RunOptions extends EngineOptions {
  seed?: number;
  /** Fraction held out for validation: the last documents after the shuffle, or the end of a text. */
  valFraction?: number;
  model?: Partial<Omit<ModelConfig, 'vocabSize'>>;
  train?: Partial<TrainConfig>;
  /** Which engine computes (default 'tensor'). */
  engine?: EngineName;
  /** When given, a run that would not fit is refused before anything is allocated; without, only one no machine could hold. */
  memory?: MemoryLimits;
  /** A BPE tokenizer to train on; by default the data's characters are the vocabulary. */
  bpe?: BpeTokenizer;
}

const RUN_OPTIONS: readonly (keyof RunOptions)[] = ['seed', 'valFraction', 'model', 'train', 'engine', 'memory', 'bpe', 'threads', 'spawn',
  'cores', 'tuning'];

/** Everything a run carries between steps. */
export interface Run {
  docs: string[];    // shuffled, in training order
  valDocs: string[]; // held out: the last slice of the shuffled documents
  tokenizer: Tokenizer;
  config: ModelConfig;
  train: TrainConfig;
  rng: PyRandom;
  engine: Engine;
  step: number;      // optimizer steps done so far
  numParams: number;
  seed: number;
  format: DataFormat;
  text?: TextSplit;  // a 'text' run's training and held-out ids
  diverged?: number; // the step whose loss was not finite: the run cannot go on
}

function heldOutCount(n: number, fraction: number): number {
  if (!(typeof fraction === 'number' && fraction >= 0 && fraction < 1)) throw new UserError(`val-fraction must be in [0, 1), got ${shown(fraction)}`);
  if (fraction === 0) return 0;
  const count = Math.max(1, Math.floor(n * fraction));
  if (count >= n) throw new UserError(`val-fraction ${fraction} leaves no training documents out of ${n} (a val-fraction of 0 trains on all of them, with no validation loss)`);
  return count;
}

/**
 * The documents as a run sees them: seeds the stream, shuffles a copy, builds the vocabulary
 * from all of them (so held-out text encodes too; unless a BPE tokenizer is given) and holds
 * out the last `valFraction`.
 */
export function splitDocuments(documents: string[], seed: number, valFraction: number, bpe?: BpeTokenizer) {
  checkDocuments(documents, 'dataset');
  const rng = new PyRandom(seed);
  const docs = documents.slice();
  rng.shuffle(docs, wasmShuffleDraws()); // WebAssembly's draws where there are: the same ones, no cold JavaScript
  const tokenizer = bpe ? tokenizerFromBpe(bpe) : buildTokenizer(docs);
  if (tokenizer.vocabSize < 2) throw new UserError('dataset: every document is empty, so there are no characters to learn');
  const valDocs = docs.splice(docs.length - heldOutCount(docs.length, valFraction));
  return { rng, docs, valDocs, tokenizer };
}

/** Seeds, shuffles a copy of `documents`, builds the vocabulary and initialises the weights. */
export function createRun(documents: string[], options: RunOptions = {}): Run {
  const seed = options.seed ?? DEFAULT_SEED;
  const { rng, docs, valDocs, tokenizer } = splitDocuments(documents, seed, options.valFraction ?? 0, options.bpe);
  return { ...initRun(tokenizer, rng, seed, options), docs, valDocs, format: 'lines' };
}

/**
 * The documents (train and held out) too long for the context: a document of n tokens
 * is n + 1 predictions (each token, then the closing BOS), and only the first blockSize
 * are trained on and scored. `longest` is the most tokens any document has.
 */
export function documentsCut(run: Pick<Run, 'docs' | 'valDocs' | 'config' | 'tokenizer'>): { count: number; total: number; longest: number } {
  let count = 0, longest = 0;
  const bpe = run.tokenizer.bpe !== undefined, blockSize = run.config.blockSize;
  for (const list of [run.docs, run.valDocs]) {
    for (let i = 0; i < list.length; i++) {
      const doc = list[i];
      // a document has at most doc.length characters (code points): count them only where
      // that bound could be cut or be the longest (a cold start's loop over every character costs ms)
      if (!bpe && doc.length + 1 <= blockSize && doc.length <= longest) continue;
      let n = 0;
      if (bpe) n = encodeDocument(run.tokenizer, doc).length - 2;
      else for (const _ of doc) n++; // code points, as the tokenizer counts characters
      if (n + 1 > blockSize) count++;
      if (n > longest) longest = n;
    }
  }
  return { count, total: run.docs.length + run.valDocs.length, longest };
}

/**
 * A run on one continuous text (format 'text'): the vocabulary is every character of it (or
 * the BPE tokenizer given), the last `valFraction` (default 0.1) is held out, and each step
 * trains on windows of blockSize + 1 tokens at offsets drawn from the run's random stream.
 */
export function createTextRun(text: string, options: RunOptions = {}): Run {
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = new PyRandom(seed);
  const tokenizer = options.bpe ? tokenizerFromBpe(options.bpe) : buildTokenizer([text]);
  const split = splitText(tokenizer, text, options.valFraction ?? 0.1);
  return { ...initRun(tokenizer, rng, seed, options), docs: [], valDocs: [], format: 'text', text: split };
}

/** Settings checked and the engine made, all before the first weight is drawn. */
function initRun(tokenizer: Tokenizer, rng: PyRandom, seed: number, options: RunOptions) {
  checkSettingNames(options, tokenizer.vocabSize);
  const config: ModelConfig = { ...DEFAULT_MODEL, ...options.model, vocabSize: tokenizer.vocabSize };
  const train: TrainConfig = { ...DEFAULT_TRAIN, ...options.train };
  const { spec, create } = prepareEngine(options.engine ?? DEFAULT_ENGINE, config, train, options);
  const engine = allocating(spec, config, train, () => {
    const weights = initParams(config, rng, wasmGaussPairs()); // WebAssembly's transform where there is one: the same bits, no cold JavaScript
    return create(weights);
  });
  return { tokenizer, config, train, rng, seed, engine, step: 0, numParams: paramCount(config) };
}

/**
 * Every option and setting named is one the run knows. A model's vocabSize comes from the
 * tokenizer; one given anyway (a checkpoint's config, see resumeOptions) must agree with it.
 */
function checkSettingNames(options: RunOptions, vocabSize: number): void {
  requireKnownKeys('run option', options, RUN_OPTIONS);
  const { vocabSize: given, ...model }: Partial<ModelConfig> = options.model ?? {};
  requireKnownKeys('model setting', model, MODEL_KEYS.filter((key) => key !== 'vocabSize'));
  if (given !== undefined && given !== vocabSize) {
    throw new UserError(`model vocabSize ${given} differs from the tokenizer's ${vocabSize}: the vocabulary size comes from the data (or the BPE tokenizer)`);
  }
  requireKnownKeys('train setting', options.train ?? {}, TRAIN_KEYS);
}

/** Validates the settings for an engine (and its memory: given limits, or what no machine holds); returns its spec and maker. */
function prepareEngine(name: EngineName, config: ModelConfig, train: TrainConfig, options: RunOptions & { seed?: number }) {
  validateModelConfig(config);
  validateTrainConfig(train);
  const spec = engineSpec(name);
  const why = spec.unavailable();
  if (why) throw new UserError(`${why}; use another engine`);
  checkEngineSettings(spec, config, train, options);
  checkMemory(spec, config, train, options.memory ?? ANY_MACHINE);
  return { spec, create: (weights: Float64Array) => spec.create(config, weights, train, options.seed ?? DEFAULT_SEED, options) };
}

/**
 * The micro-batches of the run's next optimizer step: gradAccum of them, batchSize sequences
 * each: documents in shuffled order, cycling, or windows of the text at random offsets.
 * Together they are exactly the batch of gradAccum x batchSize sequences.
 */
export function nextBatches(run: Run): Batch[] {
  const { batchSize, gradAccum = 1 } = run.train;
  const batches: Batch[] = [];
  for (let k = 0; k < gradAccum; k++) {
    if (run.text) {
      batches.push(randomWindows(run.text.train, batchSize, run.config.blockSize + 1, run.rng));
      continue;
    }
    const first = (run.step * gradAccum + k) * batchSize;
    const batch: Batch = [];
    for (let i = 0; i < batchSize; i++) batch.push(encodeDocument(run.tokenizer, run.docs[(first + i) % run.docs.length], run.config.blockSize + 1));
    batches.push(batch);
  }
  return batches;
}

/** A checkpoint of the run as it stands. */
export function runCheckpoint(run: Run, data: DataInfo, bestValLoss?: number): Checkpoint {
  checkDataInfo(data); // else the checkpoint is written, and refused when read back
  return {
    config: run.config, train: run.train, vocab: run.tokenizer.chars, step: run.step, seed: run.seed,
    ...(run.tokenizer.bpe ? { bpeModel: formatModelFile(run.tokenizer.bpe) } : {}),
    rng: run.rng.getState(), weights: run.engine.weights(), optimizer: run.engine.optimizerState(),
    data, bestValLoss, engine: run.engine.name, threads: run.engine.threads,
  };
}

/** How to reopen a checkpoint: by default on the engine (and threads) it was trained on. */
export interface ReopenOptions extends EngineOptions {
  engine?: EngineName;
  blockSize?: number; // a shorter context than the checkpoint's
  memory?: MemoryLimits;
}

const REOPEN_OPTIONS: readonly (keyof ReopenOptions)[] = ['engine', 'blockSize', 'memory', 'threads', 'spawn', 'cores', 'tuning'];

/**
 * A run from a checkpoint, to sample or evaluate (no training data). `blockSize` may
 * shorten the context; the random stream continues where the checkpoint left it.
 */
export function runFromCheckpoint(c: Checkpoint, options: ReopenOptions = {}): Run {
  requireKnownKeys('reopen option', options, REOPEN_OPTIONS);
  checkCheckpoint(c);
  const tokenizer = checkpointTokenizer(c);
  const config: ModelConfig = { ...c.config, blockSize: options.blockSize ?? c.config.blockSize };
  const weights = weightsForConfig(c, config);
  const { spec, create } = prepareEngine(options.engine ?? c.engine, config, c.train, { ...options, seed: c.seed });
  const engine = allocating(spec, config, c.train, () => create(weights));
  if (c.optimizer && config.blockSize === c.config.blockSize) engine.load(weights, c.optimizer);
  const rng = new PyRandom(c.seed);
  rng.setState(c.rng);
  return {
    docs: [], valDocs: [], tokenizer, config, train: c.train, rng, engine,
    step: c.step, numParams: paramCount(config), seed: c.seed, format: c.data.format,
  };
}

/** The tokenizer a checkpoint carries: its BPE model, or its characters. */
export function checkpointTokenizer(c: Checkpoint): Tokenizer {
  const tokenizer = c.bpeModel !== undefined ? tokenizerFromBpe(parseModelFile(c.bpeModel, 'the checkpoint\'s tokenizer')) : tokenizerFromChars(c.vocab);
  if (tokenizer.vocabSize !== c.config.vocabSize) {
    throw new UserError(`the checkpoint's tokenizer has ${tokenizer.vocabSize} tokens (with BOS) but its config's vocabSize is ${c.config.vocabSize}`);
  }
  return tokenizer;
}

/** The options that recreate a checkpoint's run on its own engine (and threads, unless `options` says otherwise). */
export function resumeOptions(c: Checkpoint, options: EngineOptions = {}): RunOptions {
  const threads = engineSpec(c.engine).takesThreads ? options.threads ?? c.threads : undefined;
  const bpe = c.bpeModel !== undefined ? checkpointTokenizer(c).bpe : undefined;
  return { ...options, threads, engine: c.engine, seed: c.seed, valFraction: c.data.valFraction, model: c.config, train: c.train, bpe };
}

/**
 * Continues `run` (freshly created from the same data and the checkpoint's settings, see
 * resumeOptions) from a checkpoint: its step, random stream, weights and Adam moments, so
 * training goes on exactly.
 */
export function resumeRun(run: Run, c: Checkpoint): void {
  checkCheckpoint(c);
  if (run.tokenizer.bpe ? formatModelFile(run.tokenizer.bpe) !== c.bpeModel : c.bpeModel !== undefined) {
    throw new UserError('the run\'s tokenizer differs from the checkpoint\'s; resume needs the same tokenizer');
  }
  if (run.tokenizer.chars.join('') !== c.vocab.join('')) {
    throw new UserError('the data\'s characters differ from the checkpoint\'s vocabulary; resume needs the same data');
  }
  for (const key of Object.keys(c.config) as (keyof ModelConfig)[]) {
    if (run.config[key] !== c.config[key]) throw new UserError(`the run's ${key} (${run.config[key]}) differs from the checkpoint's (${c.config[key]})`);
  }
  for (const key of Object.keys(c.train) as (keyof TrainConfig)[]) {
    if (run.train[key] !== c.train[key]) throw new UserError(`the run's ${key} (${run.train[key]}) differs from the checkpoint's (${c.train[key]})`);
  }
  if (run.engine.name !== c.engine) {
    throw new UserError(`the checkpoint was trained on the ${c.engine} engine; it continues exactly only there (this run uses ${run.engine.name})`);
  }
  if (!c.optimizer) throw new UserError('the checkpoint has no optimizer state, so training cannot continue exactly');
  run.step = c.step;
  run.rng.setState(c.rng);
  run.engine.load(c.weights, c.optimizer);
}
