// The generate loop, once for every engine: feed the prompt through the engine's KV cache,
// then draw one id at a time from the logits; when the context is full, start the cache
// again on the most recent blockSize ids. On top of it, the run's two ways of sampling text.

import { type ModelConfig, requireKnownKeys, validateTemperature } from '../contract/config.js';
import type { Engine } from '../contract/engine.js';
import type { PyRandom } from '../contract/random.js';
import { type TokenProbabilities, drawToken, validateTopK } from '../contract/sampling.js';
import { decode, encode } from '../contract/tokenizer.js';
import { UserError, requireString, shown } from '../errors.js';
import { wasmTokenProbabilities } from '../tensor/wasm-kernels.js';
import type { Run } from './run.js';

export interface GenerateOptions {
  prompt: number[];     // ids to start from (at least one, e.g. [BOS])
  maxTokens: number;    // how many new ids to draw at most
  temperature: number;  // > 0; logits are divided by it
  topK?: number;        // keep only the k most likely ids before drawing
  stopAt?: number;      // stop when this id is drawn (it is not returned)
  probabilities?: TokenProbabilities; // a faster twin of tokenProbabilities (the same bits)
}

/** One drawn id and the logits it was drawn from (reused by the next step: copy to keep). */
export interface DrawnToken {
  id: number;
  logits: Float64Array; // (vocabSize,) before temperature
}

/**
 * One sequence being generated, as a state the caller advances: which ids to feed next and at
 * which position (`nextFeed`), then a draw from the logits after them (`drawNext`). The engine
 * call sits between the two, so one engine can advance many sequences at once (serving).
 */
export interface Decoding {
  readonly options: GenerateOptions;
  context: number[]; // the prompt and every id drawn so far
  start: number;     // context[start] sits at position 0 of the cache
  fed: number;       // context[start..fed) is in the cache
  made: number;      // ids drawn
  done: boolean;
}

export function startDecoding(options: GenerateOptions): Decoding {
  if (options.prompt.length === 0) throw new UserError('generate needs a prompt of at least one id');
  return { options, context: options.prompt.slice(), start: 0, fed: 0, made: 0, done: options.maxTokens <= 0 };
}

/** The ids to feed before the next draw, from position `pos`; a full context restarts the cache on its last blockSize ids. */
export function nextFeed(d: Decoding, blockSize: number): { ids: number[]; pos: number } {
  if (d.context.length - d.start > blockSize) d.start = d.fed = d.context.length - blockSize;
  const feed = { ids: d.context.slice(d.fed), pos: d.fed - d.start };
  d.fed = d.context.length;
  return feed;
}

/** Draws the next id from the logits after the fed ids; undefined when the sequence ends (its stop id, or maxTokens). */
export function drawNext(d: Decoding, logits: Float64Array, rng: PyRandom): DrawnToken | undefined {
  const { temperature, topK, probabilities } = d.options;
  const id = drawToken(logits, temperature, rng, topK, probabilities);
  return takeToken(d, id) ? { id, logits } : undefined;
}

/** Adds a drawn id to the sequence; false when it is the stop id, which ends it unwritten. Reaching maxTokens ends it after this id. */
export function takeToken(d: Decoding, id: number): boolean {
  if (id === d.options.stopAt) { d.done = true; return false; }
  d.context.push(id);
  d.made++;
  if (d.made >= d.options.maxTokens) d.done = true;
  return true;
}

/**
 * The generate loop: new ids after the prompt, one draw of `rng` per id, yielded one at a time
 * so a caller can stream them, read their logits or stop early. The stop id is not yielded.
 */
export function* generateTokens(engine: Engine, rng: PyRandom, options: GenerateOptions): Generator<DrawnToken, void, void> {
  validateGenerateOptions(options, engine.config);
  const d = startDecoding(options);
  while (!d.done) {
    const { ids, pos } = nextFeed(d, engine.config.blockSize);
    const drawn = drawNext(d, engine.feed(ids, pos), rng);
    if (drawn) yield drawn;
  }
}

/**
 * New ids after the prompt, all at once. With prompt [BOS], maxTokens = blockSize and
 * stopAt = BOS this is exactly the reference's sampling loop.
 */
export function generate(engine: Engine, rng: PyRandom, options: GenerateOptions): number[] {
  const out: number[] = [];
  for (const { id } of generateTokens(engine, rng, options)) out.push(id);
  return out;
}

/**
 * Throws a UserError naming the first option of a generate call that cannot work: a count
 * that never ends (NaN, Infinity) or an id the model has no row for (an engine would read
 * past its tables, or never see the stop id), before anything is drawn.
 */
export function validateGenerateOptions(options: GenerateOptions, config: Pick<ModelConfig, 'vocabSize' | 'blockSize'>): void {
  const { vocabSize } = config, isId = (id: number) => Number.isInteger(id) && id >= 0 && id < vocabSize;
  const most = Math.max(MAX_NEW_TOKENS, config.blockSize); // sample() asks for a whole context
  if (!(Number.isInteger(options.maxTokens) && options.maxTokens >= 0 && options.maxTokens <= most)) {
    throw new UserError(`max-tokens must be an integer from 0 to ${most.toLocaleString('en-US')}, got ${shown(options.maxTokens)}`);
  }
  validateTemperature(options.temperature);
  validateTopK(options.topK);
  const bad = options.prompt.find((id) => !isId(id));
  if (bad !== undefined) throw new UserError(`prompt id ${bad} is not in the vocabulary (ids 0..${vocabSize - 1})`);
  if (options.stopAt !== undefined && !isId(options.stopAt)) {
    throw new UserError(`stop id ${options.stopAt} is not in the vocabulary (ids 0..${vocabSize - 1})`);
  }
}

/** New documents from the model, drawn from the run's random stream (the reference's samples). */
export function sample(run: Run, count: number, temperature: number): string[] {
  // a text run never saw BOS: its "documents" would be blockSize characters after an untrained id
  if (run.format === 'text') {
    throw new UserError('sample() draws documents, each from BOS, as a \'lines\' run learns them; this run learned one text: ' +
      'use sampleText(run, { temperature, prompt, maxTokens })');
  }
  validateSampleCount(count);
  validateTemperature(temperature);
  const { bos } = run.tokenizer, out: string[] = [];
  const probabilities = wasmTokenProbabilities(); // WebAssembly's softmax where there is one: the same bits, no cold JavaScript
  for (let i = 0; i < count; i++) {
    out.push(decode(run.tokenizer, generate(run.engine, run.rng, { prompt: [bos], maxTokens: run.config.blockSize, temperature, stopAt: bos,
      probabilities })));
  }
  return out;
}

export interface SampleOptions {
  temperature: number;
  prompt?: string;    // text to continue (it starts the returned sample)
  maxTokens?: number; // new characters at most; default: to the end of the context (lines), 256 (text)
  topK?: number;
}

const SAMPLE_OPTIONS: readonly (keyof SampleOptions)[] = ['temperature', 'prompt', 'maxTokens', 'topK'];

// Far more than anyone reads; a typo's extra zeros get a message instead of hours of output
// (or, where samples are gathered first, a memory blow-up).
export const MAX_SAMPLES = 100_000;
export const MAX_NEW_TOKENS = 1_000_000;

/** Throws a UserError naming the first sampling setting that cannot work. */
export function validateSampleOptions(options: SampleOptions): void {
  requireKnownKeys('sample option', options, SAMPLE_OPTIONS);
  if (options.prompt !== undefined) requireString('the prompt', options.prompt);
  validateTemperature(options.temperature);
  validateTopK(options.topK);
  if (options.maxTokens !== undefined && !(Number.isInteger(options.maxTokens) && options.maxTokens >= 1 && options.maxTokens <= MAX_NEW_TOKENS)) {
    throw new UserError(`max-tokens must be an integer from 1 to ${MAX_NEW_TOKENS.toLocaleString('en-US')}, got ${shown(options.maxTokens)}`);
  }
}

/** Throws a UserError unless `count` samples is a number a front end can print. */
export function validateSampleCount(count: number): void {
  if (!(Number.isInteger(count) && count >= 0 && count <= MAX_SAMPLES)) {
    throw new UserError(`samples must be an integer from 0 to ${MAX_SAMPLES.toLocaleString('en-US')}, got ${shown(count)}`);
  }
}

/**
 * How a sample starts and ends: a 'lines' model starts a document at BOS (then the prompt) and
 * stops at BOS; a 'text' model continues the prompt, or a newline, for `maxTokens` tokens.
 */
export function samplePlan(run: Run, options: SampleOptions): GenerateOptions {
  validateSampleOptions(options);
  const { tokenizer, config } = run;
  const promptIds = encode(tokenizer, options.prompt ?? '');
  const common = { temperature: options.temperature, topK: options.topK };
  if (run.format === 'text') {
    const newline = tokenizer.bpe ? encode(tokenizer, '\n') : tokenizer.ids.has('\n') ? [tokenizer.ids.get('\n')!] : [];
    return { ...common, prompt: promptIds.length > 0 ? promptIds : newline.length > 0 ? newline : [tokenizer.bos], maxTokens: options.maxTokens ?? 256 };
  }
  return { ...common, prompt: [tokenizer.bos, ...promptIds], maxTokens: options.maxTokens ?? Math.max(1, config.blockSize - promptIds.length), stopAt: tokenizer.bos };
}

/** One sample: the prompt and what the model writes after it (see samplePlan). */
export function sampleText(run: Run, options: SampleOptions): string {
  const out = generate(run.engine, run.rng, samplePlan(run, options));
  return (options.prompt ?? '') + decode(run.tokenizer, out);
}
