// The checkpoint format: a .safetensors file that follows the format's specification to the
// byte, a JSON half that round-trips a run exactly, and damage that is caught, not loaded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, fromBase64, toBase64 } from '../src/core/checkpoint/bytes.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, parseCheckpointJson, weightsForConfig } from '../src/core/checkpoint/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../src/core/checkpoint/safetensors.js';
import { UserError } from '../src/core/errors.js';
import { paramLayout } from '../src/core/contract/params.js';
import { trainStep } from '../src/core/run/loop.js';
import { createRun, runCheckpoint } from '../src/core/run/run.js';
import { PyRandom } from '../src/core/contract/random.js';

const DOCS = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'harper'];

function trainedCheckpoint(steps = 3): Checkpoint {
  const run = createRun(DOCS, { model: { nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 8 }, train: { steps: 10 } });
  for (let i = 0; i < steps; i++) trainStep(run);
  return runCheckpoint(run, { format: 'lines', valFraction: 0 }, 2.5);
}

/** The header as the specification describes it, read by hand rather than by our decoder. */
function readHeader(bytes: Uint8Array): { headerLen: number; header: Record<string, any> } {
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen));
  return { headerLen, header: JSON.parse(text) };
}

test('the weights file follows the safetensors specification', () => {
  const c = trainedCheckpoint();
  const { weights } = encodeCheckpoint(c);
  const { headerLen, header } = readHeader(weights);
  assert.equal(headerLen % 8, 0, 'header length is a multiple of 8, so the data is aligned');
  const headerText = new TextDecoder().decode(weights.subarray(8, 8 + headerLen));
  assert.equal(headerText[0], '{', 'the header starts with {');
  assert.match(headerText, /^\{.*\} *$/s, 'padding is trailing spaces only');
  assert.deepEqual(header.__metadata__.producer, 'microgpt-ts');
  assert.ok(Object.values(header.__metadata__).every((v) => typeof v === 'string'), 'metadata is a string map');

  const layout = paramLayout(c.config);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  assert.deepEqual(names, layout.map((p) => p.name), 'names and order of the parameter layout');
  const dataLen = weights.length - 8 - headerLen;
  let expected = 0;
  for (const p of layout) {
    const e = header[p.name];
    assert.equal(e.dtype, 'F64', p.name);
    assert.deepEqual(e.shape, [p.rows, p.cols], p.name);
    assert.deepEqual(e.data_offsets, [expected, expected + 8 * p.size], `${p.name}: offsets contiguous`);
    expected += 8 * p.size;
  }
  assert.equal(expected, dataLen, 'the tensors cover the data exactly, nothing after them');
  // the raw data is the weights, little-endian, in layout order
  const view = new DataView(weights.buffer, weights.byteOffset + 8 + headerLen);
  for (const p of [layout[0], layout.at(-1)!]) {
    const off = header[p.name].data_offsets[0];
    assert.equal(view.getFloat64(off, true), c.weights[p.offset]);
    assert.equal(view.getFloat64(off + 8 * (p.size - 1), true), c.weights[p.offset + p.size - 1]);
  }
});

test('a checkpoint round-trips every field bit for bit', () => {
  const c = trainedCheckpoint();
  const { weights, json } = encodeCheckpoint(c, 'w.safetensors');
  const parsed = parseCheckpointJson(json);
  assert.equal(parsed.weightsFile, 'w.safetensors');
  const back = decodeCheckpoint(parsed.json, weights);
  assert.deepEqual(back.weights, c.weights);
  assert.deepEqual(back.optimizer!.m, c.optimizer!.m);
  assert.deepEqual(back.optimizer!.v, c.optimizer!.v);
  assert.deepEqual(back.rng, c.rng);
  assert.deepEqual(back.config, c.config);
  assert.deepEqual(back.train, c.train);
  assert.deepEqual(back.vocab, c.vocab);
  assert.equal(back.step, 3);
  assert.equal(back.bestValLoss, 2.5);
});

test('crc32 is zlib\'s', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

function assertUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof UserError && pattern.test(err.message));
}

test('a truncated, altered or mismatched checkpoint is detected with a clear message', () => {
  const c = trainedCheckpoint();
  const { weights, json } = encodeCheckpoint(c);
  const meta = parseCheckpointJson(json).json;
  assertUserError(() => decodeCheckpoint(meta, weights.subarray(0, weights.length - 100)), /is \d+ bytes but the checkpoint says \d+ \(truncated/);
  const flipped = weights.slice();
  flipped[flipped.length - 3] ^= 0x10;
  assertUserError(() => decodeCheckpoint(meta, flipped), /does not match its CRC-32/);
  assertUserError(() => parseCheckpointJson(json.slice(0, json.length / 2)), /not valid JSON \(truncated/);
  assertUserError(() => parseCheckpointJson('{"format": "something else"}'), /not a microgpt-ts checkpoint/);
  assertUserError(() => parseCheckpointJson(json.replace('"version": 2', '"version": 99')), /version 99 is not supported/);
  assertUserError(() => parseCheckpointJson(json.replace('"nLayer":2', '"nLayer":0')), /does not match its checksum/);
  const badOptimizer = json.replace(/"m":"(.)/, (_, ch) => `"m":"${ch === 'A' ? 'B' : 'A'}`);
  assertUserError(() => parseCheckpointJson(badOptimizer), /does not match its checksum/);
});

test('the safetensors reader rejects malformed files', () => {
  const good = encodeSafetensors([{ name: 'a', shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) }]);
  assert.deepEqual([...decodeSafetensors(good).tensors.get('a')!.data], [1, 2, 3, 4]);
  assertUserError(() => decodeSafetensors(good.subarray(0, 5)), /only 5 bytes/);
  assertUserError(() => decodeSafetensors(good.subarray(0, 20)), /header claims/);
  assertUserError(() => decodeSafetensors(good.subarray(0, good.length - 8)), /byte range/);
  const extra = new Uint8Array(good.length + 8);
  extra.set(good);
  assertUserError(() => decodeSafetensors(extra), /8 bytes after the last tensor/);
});

test('a shorter context keeps the first rows of the position table; a longer one is an error', () => {
  const c = trainedCheckpoint();
  const short = { ...c.config, blockSize: 4 };
  const w = weightsForConfig(c, short);
  const wpe = (config: typeof short, flat: Float64Array) => {
    const p = paramLayout(config).find((q) => q.name === 'wpe')!;
    return flat.subarray(p.offset, p.offset + p.size);
  };
  assert.deepEqual(wpe(short, w), wpe(c.config, c.weights).subarray(0, 4 * c.config.nEmbd));
  const fc2 = (config: typeof short, flat: Float64Array) => flat.subarray(flat.length - 4 * config.nEmbd * config.nEmbd);
  assert.deepEqual(fc2(short, w), fc2(c.config, c.weights));
  assertUserError(() => weightsForConfig(c, { ...c.config, blockSize: 9 }), /block-size 9 is larger than the checkpoint's position table \(8 positions\)/);
});

test('base64 of the moments agrees with Node for every tail length, and decodes back', () => {
  const rng = new PyRandom(5);
  for (const length of [0, 1, 2, 3, 4, 5, 6, 7, 100, 100_001]) {
    const bytes = Uint8Array.from({ length }, () => Math.floor(rng.random() * 256));
    const text = toBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64'), `length ${length}`);
    assert.deepEqual(fromBase64(text), bytes, `round trip, length ${length}`);
  }
});
