// A checkpoint as bytes, for Node and the browser alike: the weights as a standard
// .safetensors file (float64, names and shapes of the parameter layout, so Python's
// safetensors reads it as it is) beside a JSON file with everything else a run needs to
// continue exactly: config, vocabulary, step, random state and Adam's moments. The JSON
// holds a CRC-32 (zlib's) of the weights file, so a truncated or altered file is caught.
//
// Adam's moments m and v are stored in the JSON as base64 of float64 little-endian, flat
// in layout order, with their own CRC-32; the .safetensors file stays the model alone.

import { type ModelConfig, type TrainConfig, validateModelConfig, validateTrainConfig } from './config.js';
import type { OptimizerState } from './engine.js';
import { UserError } from './errors.js';
import { paramCount, paramLayout } from './params.js';
import type { RandomState } from './random.js';

export const CHECKPOINT_FORMAT = 'microgpt-ts checkpoint';
export const CHECKPOINT_VERSION = 1;

// ---- safetensors ----------------------------------------------------------------------

/** One named float64 tensor, row-major. */
export interface Tensor {
  name: string;
  shape: number[];
  data: Float64Array; // (product of shape,)
}

/** A .safetensors file of `tensors` in the given order, with string `metadata`. */
export function encodeSafetensors(tensors: Tensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let dataLen = 0;
  for (const t of tensors) {
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw new Error(`${t.name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    header[t.name] = { dtype: 'F64', shape: t.shape, data_offsets: [dataLen, dataLen + 8 * t.data.length] };
    dataLen += 8 * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8; // space-padded so the data is 8-byte aligned
  const out = new Uint8Array(8 + headerLen + dataLen);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.fill(0x20, 8, 8 + headerLen);
  out.set(json, 8);
  let pos = 8 + headerLen;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, pos += 8) view.setFloat64(pos, t.data[i], true);
  }
  return out;
}

/** The tensors and metadata of a .safetensors file; anything malformed is a UserError. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => { throw new UserError(`not a valid .safetensors file: ${why}`); };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) fail(`the header claims ${headerLen} bytes but the file has ${bytes.length} (truncated?)`);
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    fail('the header is not valid JSON (truncated or modified?)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');

  const dataStart = 8 + headerLen, dataLen = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  const ranges: number[][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') { metadata = raw as Record<string, string>; continue; }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e?.dtype !== 'F64') fail(`${name} has dtype ${String(e?.dtype)}, expected F64`);
    const shape = Array.isArray(e.shape) && e.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? e.shape as number[] : fail(`${name} has no valid shape`);
    const [begin, end] = Array.isArray(e.data_offsets) ? e.data_offsets : [NaN, NaN];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(Number.isSafeInteger(begin) && begin >= 0 && end <= dataLen && end - begin === 8 * size)) {
      fail(`${name}'s byte range [${begin}, ${end}) does not hold shape [${shape}] within ${dataLen} data bytes (truncated?)`);
    }
    const data = new Float64Array(size); // (product of shape,)
    for (let i = 0, pos = dataStart + begin; i < size; i++, pos += 8) data[i] = view.getFloat64(pos, true);
    tensors.set(name, { name, shape, data });
    ranges.push([begin, end]);
  }
  // the tensors must tile the data exactly: no gap, no overlap, nothing left over
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end] of ranges) {
    if (begin !== covered) fail(`the tensors' byte ranges have a gap or an overlap at byte ${covered}`);
    covered = end;
  }
  if (covered !== dataLen) fail(`${dataLen - covered} bytes after the last tensor`);
  return { tensors, metadata };
}

// ---- checksums and base64 -----------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as zlib.crc32 computes it, as 8 hex digits; pass `crc` to continue over more bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function float64Bytes(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return out;
}

function bytesFloat64(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

const BASE64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Standard base64 with padding. Written into bytes and decoded once: megabytes of moments
 * through btoa and a string per chunk took about a second per checkpoint. */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(4 * Math.ceil(bytes.length / 3));
  let o = 0, i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = BASE64[n >> 18]; out[o++] = BASE64[(n >> 12) & 63]; out[o++] = BASE64[(n >> 6) & 63]; out[o++] = BASE64[n & 63];
  }
  if (i < bytes.length) {
    const two = i + 1 < bytes.length, n = (bytes[i] << 16) | (two ? bytes[i + 1] << 8 : 0);
    out[o++] = BASE64[n >> 18]; out[o++] = BASE64[(n >> 12) & 63];
    out[o++] = two ? BASE64[(n >> 6) & 63] : 61; // '='
    out[o++] = 61;
  }
  return new TextDecoder().decode(out);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ---- checkpoints --------------------------------------------------------------------

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
  engine?: string;         // which engine trained it (either can load it)
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
  engine: string | null;
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
    optimizer, data: c.data, best_val_loss: c.bestValLoss ?? null, engine: c.engine ?? null, settings: c.settings ?? {},
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
    data: json.data, bestValLoss: json.best_val_loss ?? undefined, engine: json.engine ?? undefined,
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
