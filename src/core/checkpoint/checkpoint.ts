// A checkpoint as bytes, for Node and the browser alike: the weights as a standard
// .safetensors file (float64, names and shapes of the parameter layout, so Python's
// safetensors reads it as it is) beside a JSON file with everything else a run needs to
// continue exactly: config, vocabulary, step, random state and Adam's moments. The JSON
// holds a CRC-32 (zlib's) of the weights file, so a truncated or altered file is caught.
//
// Adam's moments m and v are stored in the JSON as base64 of float64 little-endian, flat
// in layout order, with their own CRC-32; the .safetensors file stays the model alone.

import { type ModelConfig, type TrainConfig, validateModelConfig, validateTrainConfig } from '../contract/config.js';
import { type EngineName, type OptimizerState, isEngineName } from '../contract/engine.js';
import { UserError } from '../errors.js';
import { paramCount, paramLayout } from '../contract/params.js';
import type { RandomState } from '../contract/random.js';
import { bytesFloat64, crc32, float64Bytes, fromBase64, hex32, toBase64 } from './bytes.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'microgpt-ts checkpoint';
export const CHECKPOINT_VERSION = 1;

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
  vocab: string[];         // the tokenizer's characters; BOS is id vocab.length
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

/** The JSON half, as written. */
interface CheckpointJson {
  format: string;
  version: number;
  weights: { file: string; bytes: number; crc32: string };
  config: ModelConfig;
  train: TrainConfig;
  vocab: string[];
  step: number;
  seed: number;
  rng: RandomState;
  optimizer: { encoding: string; crc32: string; m: string; v: string } | null;
  data: DataInfo;
  best_val_loss: number | null;
  engine: string;
  threads?: number;
  settings?: Record<string, string | number | boolean>;
}

/** The two files of a checkpoint: `weights` (.safetensors) and `json`, which names it. */
export function encodeCheckpoint(c: Checkpoint, weightsFile = 'model.safetensors'): { weights: Uint8Array; json: string } {
  const tensors = paramLayout(c.config).map((p) => ({
    name: p.name, shape: [p.rows, p.cols], data: c.weights.subarray(p.offset, p.offset + p.size),
  }));
  const weights = encodeSafetensors(tensors, { producer: 'microgpt-ts', step: String(c.step), config: JSON.stringify(c.config) });
  let optimizer: CheckpointJson['optimizer'] = null;
  if (c.optimizer) {
    const m = float64Bytes(c.optimizer.m), v = float64Bytes(c.optimizer.v);
    optimizer = { encoding: 'base64 float64 little-endian, layout order', crc32: hex32(crc32(v, crc32(m))), m: toBase64(m), v: toBase64(v) };
  }
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION,
    weights: { file: weightsFile, bytes: weights.length, crc32: hex32(crc32(weights)) },
    config: c.config, train: c.train, vocab: c.vocab, step: c.step, seed: c.seed, rng: c.rng,
    optimizer, data: c.data, best_val_loss: c.bestValLoss ?? null, engine: c.engine, threads: c.threads, settings: c.settings ?? {},
  };
  // one field per line, each value compact: readable, and diffable between checkpoints
  const lines = Object.entries(json).map(([k, val]) => `  ${JSON.stringify(k)}: ${JSON.stringify(val)}`);
  return { weights, json: `{\n${lines.join(',\n')}\n}\n` };
}

/** The JSON half, parsed and checked; `weightsFile` names the .safetensors file to read next. */
export function parseCheckpointJson(text: string): { weightsFile: string; json: CheckpointJson } {
  let j: CheckpointJson;
  try {
    j = JSON.parse(text);
  } catch {
    throw new UserError('the checkpoint JSON is not valid JSON (truncated or modified?)');
  }
  if (j?.format !== CHECKPOINT_FORMAT) throw new UserError(`not a microgpt-ts checkpoint (format is ${JSON.stringify(j?.format)})`);
  if (j.version !== CHECKPOINT_VERSION) throw new UserError(`checkpoint version ${j.version} is not supported (this is version ${CHECKPOINT_VERSION})`);
  const bad = (field: string): never => { throw new UserError(`the checkpoint JSON has a missing or invalid "${field}" (modified?)`); };
  if (typeof j.weights?.file !== 'string' || /[/\\]/.test(j.weights.file) || !Number.isSafeInteger(j.weights.bytes)) bad('weights');
  if (!Array.isArray(j.vocab) || !j.vocab.every((ch) => typeof ch === 'string' && [...ch].length === 1)) bad('vocab');
  if (!Number.isSafeInteger(j.step) || j.step < 0) bad('step');
  if (!Number.isSafeInteger(j.seed)) bad('seed');
  if (!Array.isArray(j.rng?.mt) || j.rng.mt.length !== 624 || !Number.isInteger(j.rng.index)) bad('rng');
  if (j.data?.format !== 'lines' && j.data?.format !== 'text') bad('data');
  if (!isEngineName(j.engine)) bad('engine');
  if (typeof j.config !== 'object' || j.config === null) bad('config');
  if (typeof j.train !== 'object' || j.train === null) bad('train');
  validateModelConfig(j.config);
  validateTrainConfig(j.train);
  if (j.config.vocabSize !== j.vocab.length + 1) bad('vocab');
  return { weightsFile: j.weights.file, json: j };
}

/** A checkpoint from its two halves; a weights file that does not match the JSON is a UserError. */
export function decodeCheckpoint(json: CheckpointJson, weightsBytes: Uint8Array): Checkpoint {
  const w = json.weights;
  if (weightsBytes.length !== w.bytes) {
    throw new UserError(`${w.file} is ${weightsBytes.length} bytes but the checkpoint says ${w.bytes} (truncated or replaced?)`);
  }
  if (hex32(crc32(weightsBytes)) !== w.crc32) {
    throw new UserError(`${w.file} does not match its CRC-32 in the checkpoint (modified or corrupted?)`);
  }
  const { tensors } = decodeSafetensors(weightsBytes);
  const config = json.config;
  const weights = new Float64Array(paramCount(config)); // (numParams,)
  for (const p of paramLayout(config)) {
    const t = tensors.get(p.name);
    if (!t) throw new UserError(`${w.file} has no tensor ${p.name}`);
    if (t.shape.length !== 2 || t.shape[0] !== p.rows || t.shape[1] !== p.cols) {
      throw new UserError(`${w.file}: ${p.name} has shape [${t.shape}], the config needs [${p.rows}, ${p.cols}]`);
    }
    weights.set(t.data, p.offset);
  }
  let optimizer: OptimizerState | undefined;
  if (json.optimizer) {
    const m = fromBase64(json.optimizer.m), v = fromBase64(json.optimizer.v);
    if (m.length !== weights.length * 8 || v.length !== weights.length * 8 || hex32(crc32(v, crc32(m))) !== json.optimizer.crc32) {
      throw new UserError('the optimizer state in the checkpoint JSON does not match its CRC-32 (modified or corrupted?)');
    }
    optimizer = { m: bytesFloat64(m), v: bytesFloat64(v) };
  }
  return {
    config, train: json.train, vocab: json.vocab, step: json.step, seed: json.seed, rng: json.rng, weights, optimizer,
    data: json.data, bestValLoss: json.best_val_loss ?? undefined, engine: json.engine as EngineName, threads: json.threads,
    settings: typeof json.settings === 'object' && json.settings !== null ? json.settings : undefined,
  };
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
