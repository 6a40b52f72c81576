// A checkpoint as bytes, for Node and the browser alike: the weights as a standard
// .safetensors file (float64, names and shapes of the parameter layout, so Python's
// safetensors reads it as it is) beside a JSON file with everything else a run needs to
// continue exactly: config, vocabulary, step, random state and Adam's moments.
//
// Nothing in it is taken on trust. The JSON ends with a CRC-32 of all its other fields, and
// names the CRC-32 of the weights file, so a truncated, corrupted or hand-edited checkpoint
// is refused rather than silently continuing another run; and every field is also checked
// for type, range and consistency (a crafted file with a valid checksum still cannot ask for
// an absurd model, a duplicate character or a generator state out of range). The shapes in
// the weights file are compared with the config before any weights are allocated.
//
// Adam's moments m and v are stored in the JSON as base64 of float64 little-endian, flat
// in layout order; the .safetensors file stays the model alone.

import { type ModelConfig, type TrainConfig, MODEL_KEYS, TRAIN_KEYS, validateModelConfig, validateTrainConfig } from '../contract/config.js';
import { type EngineName, MAX_THREADS, type OptimizerState, isEngineName } from '../contract/engine.js';
import { UserError } from '../errors.js';
import { parseModelFile } from '../bpe/model-file.js';
import { paramCount, paramLayout } from '../contract/params.js';
import { type RandomState, randomStateProblem } from '../contract/random.js';
import { bytesFloat64, crc32, float64Bytes, fromBase64, hex32, toBase64 } from './bytes.js';
import { encodeSafetensors, readSafetensorsHeader, tensorData } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'microgpt-ts checkpoint';
export const CHECKPOINT_VERSION = 2; // 2 added the checksum over the JSON's fields

/** Where a run's text came from and how it was cut, so a resumed run can find it again. */
export interface DataInfo {
  format: 'lines' | 'text';
  valFraction: number;
  path?: string;  // as given when training
  crc32?: string; // of the file's bytes, to notice that it changed
}

/** Everything a run needs to continue exactly, or to sample and evaluate. */
export interface Checkpoint {
  config: ModelConfig;
  train: TrainConfig;
  vocab: string[];         // the tokenizer's characters; BOS is id vocab.length ([] with bpeModel)
  bpeModel?: string;       // a BPE tokenizer's .model text (minbpe's format); BOS is the id after its tokens
  step: number;            // steps done
  seed: number;
  rng: RandomState;        // the random stream after `step` steps
  weights: Float64Array;   // (numParams,) in layout order
  optimizer?: OptimizerState;
  data: DataInfo;
  bestValLoss?: number;
  engine: EngineName;      // which engine trained it (resume continues on it)
  threads?: number;        // how many threads it computed on
  settings?: Record<string, string | number | boolean>; // the front end's own, e.g. the CLI's eval-every
}

/** The JSON half, as written; `checksum` is the CRC-32 of the other fields (see fieldsChecksum). */
interface CheckpointJson {
  format: string;
  version: number;
  weights: { file: string; bytes: number; crc32: string };
  config: ModelConfig;
  train: TrainConfig;
  vocab: string[];
  bpe_model?: string;
  step: number;
  seed: number;
  rng: RandomState;
  optimizer: { encoding: string; crc32: string; m: string; v: string } | null;
  data: DataInfo;
  best_val_loss: number | null;
  engine: string;
  threads?: number;
  settings: Record<string, string | number | boolean>;
  checksum: string;
}

const OPTIMIZER_ENCODING = 'base64 float64 little-endian, layout order';

/**
 * The CRC-32 of every field but `checksum`, as the UTF-8 of their compact JSON in the order
 * written. JSON.parse keeps that order and numbers print back the same, so the checksum
 * survives reformatting the file, and nothing else.
 */
export function fieldsChecksum(fields: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(fields).filter(([key]) => key !== 'checksum'));
  return hex32(crc32(new TextEncoder().encode(JSON.stringify(rest))));
}

/**
 * The two files of a checkpoint: `weights` (.safetensors) and `json`, which names it
 * `weightsFile`, or the name that function makes of the weights' CRC-32 (8 hex digits).
 */
export function encodeCheckpoint(c: Checkpoint, weightsFile: string | ((crc: string) => string) = 'model.safetensors'): { weights: Uint8Array; json: string } {
  const tensors = paramLayout(c.config).map((p) => ({
    name: p.name, shape: [p.rows, p.cols], data: c.weights.subarray(p.offset, p.offset + p.size),
  }));
  const weights = encodeSafetensors(tensors, { producer: 'microgpt-ts', step: String(c.step), config: JSON.stringify(c.config) });
  let optimizer: CheckpointJson['optimizer'] = null;
  if (c.optimizer) {
    const m = float64Bytes(c.optimizer.m), v = float64Bytes(c.optimizer.v);
    optimizer = { encoding: OPTIMIZER_ENCODING, crc32: hex32(crc32(v, crc32(m))), m: toBase64(m), v: toBase64(v) };
  }
  const weightsCrc = hex32(crc32(weights));
  const fields: Omit<CheckpointJson, 'checksum'> = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION,
    weights: { file: typeof weightsFile === 'string' ? weightsFile : weightsFile(weightsCrc), bytes: weights.length, crc32: weightsCrc },
    config: c.config, train: c.train, vocab: c.vocab, ...(c.bpeModel !== undefined ? { bpe_model: c.bpeModel } : {}), step: c.step, seed: c.seed, rng: c.rng,
    optimizer, data: c.data, best_val_loss: c.bestValLoss ?? null, engine: c.engine,
    ...(c.threads !== undefined ? { threads: c.threads } : {}), settings: c.settings ?? {},
  };
  // JSON's own round trip drops undefined members, so the checksum is taken over exactly that
  const written = JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  const json = { ...written, checksum: fieldsChecksum(written) };
  // one field per line, each value compact: readable, and diffable between checkpoints
  const lines = Object.entries(json).map(([k, val]) => `  ${JSON.stringify(k)}: ${JSON.stringify(val)}`);
  return { weights, json: `{\n${lines.join(',\n')}\n}\n` };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isHex32 = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{8}$/.test(x);
const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

const REQUIRED_MODEL_KEYS = MODEL_KEYS.slice(0, 6);
const REQUIRED_TRAIN_KEYS = TRAIN_KEYS.slice(0, 6);
const JSON_KEYS = ['format', 'version', 'weights', 'config', 'train', 'vocab', 'bpe_model', 'step', 'seed', 'rng', 'optimizer', 'data',
  'best_val_loss', 'engine', 'threads', 'settings', 'checksum'];

/**
 * The JSON half, parsed and checked field by field; `weightsFile` names the .safetensors file
 * to read next and `weightsBytes` the size it must have.
 */
export function parseCheckpointJson(text: string): { weightsFile: string; weightsBytes: number; json: CheckpointJson } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text); // a byte-order mark an editor added changes no field
  } catch {
    throw new UserError('the checkpoint JSON is not valid JSON (truncated or modified?)');
  }
  if (!isObject(parsed) || parsed.format !== CHECKPOINT_FORMAT) {
    throw new UserError(`not a microgpt-ts checkpoint (format is ${JSON.stringify(isObject(parsed) ? parsed.format : parsed)?.slice(0, 60)})`);
  }
  if (parsed.version !== CHECKPOINT_VERSION) {
    throw new UserError(`checkpoint version ${JSON.stringify(parsed.version)?.slice(0, 20)} is not supported (this microgpt-ts reads version ${CHECKPOINT_VERSION}); ` +
      'version 1 came before the checksum: train it again with this version');
  }
  const unknown = Object.keys(parsed).find((key) => !JSON_KEYS.includes(key));
  if (unknown !== undefined) throw new UserError(`the checkpoint JSON has an unknown field ${JSON.stringify(unknown)} (modified?)`);
  if (!isHex32(parsed.checksum) || fieldsChecksum(parsed) !== parsed.checksum) {
    throw new UserError('the checkpoint JSON does not match its checksum: it was edited or corrupted, and a changed setting ' +
      'would silently change the run (train again, or restore the file)');
  }
  const j = parsed as unknown as CheckpointJson;
  checkFields(j);
  return { weightsFile: j.weights.file, weightsBytes: j.weights.bytes, json: j };
}

/** Why `d` is not a checkpoint's DataInfo (as its messages put it), or undefined when it is. */
function dataInfoProblem(d: unknown): string | undefined {
  if (!isObject(d) || (d.format !== 'lines' && d.format !== 'text')) return 'format must be "lines" or "text"';
  if (!(typeof d.valFraction === 'number' && d.valFraction >= 0 && d.valFraction < 1)) return 'valFraction must be in [0, 1)';
  if (d.path !== undefined && typeof d.path !== 'string') return 'path must be a string';
  if (d.crc32 !== undefined && !isHex32(d.crc32)) return 'crc32 must be 8 hex digits';
  return undefined;
}

/** Throws a UserError unless `d` is a DataInfo a checkpoint can be read back with. */
export function checkDataInfo(d: DataInfo): void {
  const problem = dataInfoProblem(d);
  if (problem) throw new UserError(`the checkpoint's data ${problem}`);
}

/** Type, range and consistency of every field: the checksum proves the file is as written, this that it makes sense. */
function checkFields(j: CheckpointJson): void {
  const bad = (field: string, why: string): never => { throw new UserError(`the checkpoint JSON's "${field}" ${why}`); };
  const w = j.weights;
  if (!isObject(w) || typeof w.file !== 'string' || !/^[^/\\.\x00-\x1f][^/\\\x00-\x1f]*\.safetensors$/.test(w.file)) {
    bad('weights', 'must name a .safetensors file in the same directory');
  }
  if (!Number.isSafeInteger(w.bytes) || w.bytes < 8 || !isHex32(w.crc32)) bad('weights', 'must give the file\'s size and CRC-32');

  for (const [field, value, keys, required] of [['config', j.config, MODEL_KEYS, REQUIRED_MODEL_KEYS],
    ['train', j.train, TRAIN_KEYS, REQUIRED_TRAIN_KEYS]] as const) {
    if (!isObject(value)) bad(field, 'must be an object');
    const extra = Object.keys(value).find((key) => !keys.includes(key));
    if (extra !== undefined) bad(field, `has an unknown setting ${JSON.stringify(extra)}`);
    const missing = required.find((key) => !own(value, key));
    if (missing !== undefined) bad(field, `has no ${missing}`);
  }
  try {
    validateModelConfig(j.config);
    validateTrainConfig(j.train);
  } catch (e) {
    throw e instanceof UserError ? new UserError(`the checkpoint's settings are impossible: ${e.message}`) : e;
  }

  if (!Array.isArray(j.vocab) || !j.vocab.every((ch) => typeof ch === 'string' && [...ch].length === 1)) {
    bad('vocab', 'must be a list of single characters');
  }
  for (let i = 1; i < j.vocab.length; i++) {
    if (!(j.vocab[i - 1].codePointAt(0)! < j.vocab[i].codePointAt(0)!)) bad('vocab', `is not sorted and unique at entry ${i} (${JSON.stringify(j.vocab[i])})`);
  }
  if (j.bpe_model !== undefined) {
    if (typeof j.bpe_model !== 'string') bad('bpe_model', 'must be the text of a .model file');
    let tokens: number;
    try {
      tokens = parseModelFile(j.bpe_model, 'bpe_model').vocabSize;
    } catch (e) {
      throw e instanceof UserError ? new UserError(`the checkpoint's tokenizer is not valid: ${e.message}`) : e;
    }
    if (j.vocab.length !== 0) bad('vocab', 'must be empty when the checkpoint has a BPE tokenizer');
    if (j.config.vocabSize !== tokens + 1) bad('bpe_model', `has ${tokens} tokens but the config's vocabSize is ${j.config.vocabSize} (tokens + BOS)`);
  } else if (j.config.vocabSize !== j.vocab.length + 1) {
    bad('vocab', `has ${j.vocab.length} characters but the config's vocabSize is ${j.config.vocabSize} (characters + BOS)`);
  }

  if (!Number.isSafeInteger(j.step) || j.step < 0 || j.step > j.train.steps) bad('step', `must be from 0 to the run's ${j.train.steps} steps`);
  if (!Number.isSafeInteger(j.seed)) bad('seed', 'must be an integer');
  const rng = randomStateProblem(j.rng);
  if (rng) bad('rng', rng);

  const o = j.optimizer;
  if (o !== null && (!isObject(o) || o.encoding !== OPTIMIZER_ENCODING || !isHex32(o.crc32) || typeof o.m !== 'string' || typeof o.v !== 'string')) {
    bad('optimizer', `must be null or Adam's moments in ${OPTIMIZER_ENCODING}`);
  }
  const data = dataInfoProblem(j.data);
  if (data) bad('data', data);
  if (j.best_val_loss !== null && !(Number.isFinite(j.best_val_loss) && j.best_val_loss >= 0)) bad('best_val_loss', 'must be null or a finite loss');
  if (!isEngineName(j.engine)) bad('engine', 'must be scalar, tensor or float32');
  if (j.threads !== undefined && !(Number.isInteger(j.threads) && j.threads >= 1 && j.threads <= MAX_THREADS)) {
    bad('threads', `must be an integer from 1 to ${MAX_THREADS}`);
  }
  if (!isObject(j.settings) || !Object.values(j.settings).every((x) => ['string', 'number', 'boolean'].includes(typeof x))) {
    bad('settings', 'must map names to strings, numbers or booleans');
  }
}

/**
 * A checkpoint from its two halves. The weights file's size and CRC-32 must match the JSON,
 * and its tensors the config's layout, name for name and shape for shape, before anything is
 * allocated; weights and moments must be finite numbers.
 */
export function decodeCheckpoint(json: CheckpointJson, weightsBytes: Uint8Array): Checkpoint {
  const w = json.weights;
  if (weightsBytes.length !== w.bytes) {
    throw new UserError(`${w.file} is ${weightsBytes.length} bytes but the checkpoint says ${w.bytes} (truncated or replaced?)`);
  }
  if (hex32(crc32(weightsBytes)) !== w.crc32) {
    throw new UserError(`${w.file} does not match its CRC-32 in the checkpoint (modified or corrupted?)`);
  }
  const header = readSafetensorsHeader(weightsBytes);
  const config = json.config, layout = paramLayout(config);
  for (const p of layout) {
    const t = header.tensors.get(p.name);
    if (!t) throw new UserError(`${w.file} has no tensor ${p.name}`);
    if (t.shape.length !== 2 || t.shape[0] !== p.rows || t.shape[1] !== p.cols) {
      throw new UserError(`${w.file}: ${p.name} has shape [${t.shape}], the config needs [${p.rows}, ${p.cols}]`);
    }
  }
  if (header.tensors.size !== layout.length) {
    const extra = [...header.tensors.keys()].find((name) => !layout.some((p) => p.name === name));
    throw new UserError(`${w.file} has a tensor the config does not: ${JSON.stringify(extra)}`);
  }
  const weights = new Float64Array(paramCount(config)); // (numParams,)
  for (const p of layout) weights.set(tensorData(weightsBytes, header, p.name), p.offset);
  let optimizer: OptimizerState | undefined;
  if (json.optimizer) {
    const expected = weights.length * 8;
    // base64 is 4 characters per 3 bytes: compare lengths before decoding anything
    const fits = (s: string) => s.length === 4 * Math.ceil(expected / 3);
    const decode = (s: string) => { try { return fits(s) ? fromBase64(s) : undefined; } catch { return undefined; } };
    const m = decode(json.optimizer.m), v = decode(json.optimizer.v);
    if (!m || !v || m.length !== expected || v.length !== expected || hex32(crc32(v, crc32(m))) !== json.optimizer.crc32) {
      throw new UserError('the optimizer state in the checkpoint JSON does not match its CRC-32 (modified or corrupted?)');
    }
    optimizer = { m: bytesFloat64(m), v: bytesFloat64(v) };
  }
  checkNumbers(w.file, config, weights, optimizer);
  return {
    config, train: json.train, vocab: json.vocab, ...(json.bpe_model !== undefined ? { bpeModel: json.bpe_model } : {}), step: json.step, seed: json.seed, rng: json.rng, weights, optimizer,
    data: json.data, bestValLoss: json.best_val_loss ?? undefined, engine: json.engine as EngineName, threads: json.threads,
    settings: json.settings,
  };
}

/** Weights and Adam's moments are finite numbers (v >= 0): the first that is not is named, by tensor and index. */
function checkNumbers(where: string, config: ModelConfig, weights: Float64Array, optimizer: OptimizerState | undefined): void {
  for (const p of paramLayout(config)) {
    const values = weights.subarray(p.offset, p.offset + p.size);
    const i = values.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) throw new UserError(`${where}: ${p.name} holds ${values[i]} at index ${i}; a checkpoint's weights must be finite (a diverged run?)`);
  }
  if (optimizer && (!optimizer.m.every(Number.isFinite) || !optimizer.v.every((x) => Number.isFinite(x) && x >= 0))) {
    throw new UserError('the optimizer state in the checkpoint holds a non-finite or negative moment (a diverged run?)');
  }
}

/**
 * Throws a UserError unless a checkpoint object (decoded, or made by runCheckpoint and then
 * changed in memory) is whole: possible settings, weights and moments of the config's size
 * and finite, a random state the generator can take, a step within the run. A reader of
 * files gets this from decodeCheckpoint; this is for the objects a library caller holds.
 */
export function checkCheckpoint(c: Checkpoint): void {
  try {
    validateModelConfig(c.config);
    validateTrainConfig(c.train);
  } catch (e) {
    throw e instanceof UserError ? new UserError(`the checkpoint's settings are impossible: ${e.message}`) : e;
  }
  const n = paramCount(c.config);
  const sized = (x: unknown) => x instanceof Float64Array && x.length === n;
  if (!sized(c.weights)) {
    const got = c.weights instanceof Float64Array ? c.weights.length : Object.prototype.toString.call(c.weights);
    throw new UserError(`the checkpoint's weights must be a Float64Array of the config's ${n} parameters, got ${got}`);
  }
  if (c.optimizer !== undefined && !(sized(c.optimizer.m) && sized(c.optimizer.v))) {
    throw new UserError(`the checkpoint's Adam moments must be two Float64Arrays of ${n} numbers, one per parameter`);
  }
  checkNumbers('the checkpoint', c.config, c.weights, c.optimizer);
  const rng = randomStateProblem(c.rng);
  if (rng) throw new UserError(`the random state ${rng}`);
  if (!(Number.isSafeInteger(c.step) && c.step >= 0 && c.step <= c.train.steps)) {
    throw new UserError(`the checkpoint's step must be from 0 to the run's ${c.train.steps} steps, got ${c.step}`);
  }
}

/**
 * The checkpoint's weights laid out for `config`, which may have a shorter context: the
 * position table keeps its first rows. A longer context than the checkpoint's is an error.
 */
export function weightsForConfig(c: Checkpoint, config: ModelConfig): Float64Array {
  if (config.blockSize > c.config.blockSize) {
    throw new UserError(`block-size ${config.blockSize} is larger than the checkpoint's position table (${c.config.blockSize} positions)`);
  }
  const from = new Map(paramLayout(c.config).map((p) => [p.name, p]));
  const out = new Float64Array(paramCount(config)); // (numParams,)
  for (const p of paramLayout(config)) {
    const src = from.get(p.name)!;
    out.set(c.weights.subarray(src.offset, src.offset + p.size), p.offset); // rows are a prefix
  }
  return out;
}
