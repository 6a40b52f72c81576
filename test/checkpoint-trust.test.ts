// Checkpoints that cannot be trusted are refused, each with one clear message: any edit of
// the JSON (the checksum), a crafted JSON with a valid checksum but a field out of range or
// inconsistent, a crafted .safetensors header, non-finite weights or moments. Checked in the
// core, on the bytes; the CLI's files and lock are in checkpoint-files.test.ts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, hex32 } from '../src/core/checkpoint/bytes.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, fieldsChecksum, parseCheckpointJson } from '../src/core/checkpoint/checkpoint.js';
import { encodeSafetensors, readSafetensorsHeader } from '../src/core/checkpoint/safetensors.js';
import { UserError } from '../src/core/errors.js';
import { paramLayout } from '../src/core/contract/params.js';
import { trainStep } from '../src/core/run/loop.js';
import { createRun, runCheckpoint } from '../src/core/run/run.js';

const DOCS = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'harper'];

function trained(): Checkpoint {
  const run = createRun(DOCS, { model: { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 }, train: { steps: 10 } });
  for (let i = 0; i < 3; i++) trainStep(run);
  return { ...runCheckpoint(run, { format: 'lines', valFraction: 0.1, path: '/data/names.txt', crc32: '0badf00d' }, 2.5), settings: { 'eval-every': 5 } };
}

const good = trained();
const { weights, json } = encodeCheckpoint(good);
type Fields = Record<string, any>;

/** `json` parsed, changed by `edit`, and sealed again with a valid checksum: a crafted file. */
function crafted(edit: (j: Fields) => void, text = json): string {
  const j = JSON.parse(text) as Fields;
  edit(j);
  j.checksum = fieldsChecksum(j);
  return JSON.stringify(j);
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `a UserError, not ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

const load = (text: string, bytes = weights) => decodeCheckpoint(parseCheckpointJson(text).json, bytes);

test('the checkpoint as written loads, and also when only reformatted', () => {
  assert.deepEqual(load(json).weights, good.weights);
  assert.deepEqual(load(JSON.stringify(JSON.parse(json), null, 4)).weights, good.weights);
  // an editor that saves UTF-8 with a byte-order mark changes no field
  assert.deepEqual(load(`\uFEFF${json}`).weights, good.weights);
  assert.deepEqual(load(crafted(() => {})).rng, good.rng, 'crafted() itself changes nothing');
});

// every field, edited by hand without resealing: the checksum catches each
const EDITS: [string, (j: Fields) => void][] = [
  ['several fields at once', (j) => { j.seed += 1; j.settings['eval-every'] = 6; }],
  ['weights.file', (j) => { j.weights.file = 'other.safetensors'; }],
  ['weights.crc32', (j) => { j.weights.crc32 = '00000000'; }],
  ['config.nLayer', (j) => { j.config.nLayer = 2; }],
  ['config.initStd', (j) => { j.config.initStd = 0.02; }],
  ['train.learningRate', (j) => { j.train.learningRate = 0.02; }],
  ['train.steps', (j) => { j.train.steps = 11; }],
  ['a vocabulary letter', (j) => { j.vocab[0] = 'A'; }],
  ['step', (j) => { j.step = 4; }],
  ['seed', (j) => { j.seed = 43; }],
  ['rng.index', (j) => { j.rng.index = (j.rng.index + 1) % 624; }],
  ['a generator word', (j) => { j.rng.mt[100] ^= 1; }],
  ['optimizer.crc32', (j) => { j.optimizer.crc32 = '00000000'; }],
  ['data.valFraction', (j) => { j.data.valFraction = 0.2; }],
  ['data.path', (j) => { j.data.path = '/elsewhere.txt'; }],
  ['best_val_loss', (j) => { j.best_val_loss = 1.5; }],
  ['engine', (j) => { j.engine = 'scalar'; }],
  ['threads', (j) => { j.threads = 2; }],
  ['settings', (j) => { j.settings['eval-every'] = 6; }],
  ['a field removed', (j) => { delete j.best_val_loss; }],
];

for (const [name, edit] of EDITS) {
  test(`an edited ${name} does not match the checksum`, () => {
    const j = JSON.parse(json) as Fields;
    edit(j);
    refused(() => parseCheckpointJson(JSON.stringify(j)), /does not match its checksum: it was edited or corrupted/);
  });
}

test('a missing or malformed checksum, and an older version, are refused by name', () => {
  const j = JSON.parse(json) as Fields;
  delete j.checksum;
  refused(() => parseCheckpointJson(JSON.stringify(j)), /checksum/);
  refused(() => parseCheckpointJson(json.replace(/"checksum": "[0-9a-f]{8}"/, '"checksum": 12')), /checksum/);
  refused(() => parseCheckpointJson(json.replace('"version": 2', '"version": 1')), /version 1 is not supported .* train it again/);
  refused(() => parseCheckpointJson('[]'), /not a microgpt-ts checkpoint/);
  refused(() => parseCheckpointJson('null'), /not a microgpt-ts checkpoint/);
});

// crafted files: a valid checksum over values no run could have written
const CRAFTED: [string, (j: Fields) => void, RegExp][] = [
  ['an unknown top-level field', (j) => { j.extra = 1; }, /unknown field "extra"/],
  ['a "__proto__" field', (j) => { Object.defineProperty(j, '__proto__', { value: { polluted: true }, enumerable: true }); }, /unknown field "__proto__"/],
  ['engine "constructor"', (j) => { j.engine = 'constructor'; }, /"engine" must be scalar, tensor or float32/],
  ['engine "__proto__"', (j) => { j.engine = '__proto__'; }, /"engine" must be/],
  ['engine "wasm" (an old name)', (j) => { j.engine = 'wasm'; }, /"engine" must be/],
  ['threads 0', (j) => { j.threads = 0; }, /"threads" must be an integer from 1 to 64/],
  ['threads 65', (j) => { j.threads = 65; }, /"threads" must be an integer from 1 to 64/],
  ['threads "2"', (j) => { j.threads = '2'; }, /"threads"/],
  ['a duplicate vocabulary letter', (j) => { j.vocab[1] = j.vocab[0]; }, /"vocab" is not sorted and unique at entry 1/],
  ['an unsorted vocabulary', (j) => { [j.vocab[1], j.vocab[2]] = [j.vocab[2], j.vocab[1]]; }, /"vocab" is not sorted and unique/],
  ['a two-letter vocabulary entry', (j) => { j.vocab[3] = 'xy'; }, /"vocab" must be a list of single characters/],
  ['a vocabulary number', (j) => { j.vocab[3] = 7; }, /"vocab" must be a list of single characters/],
  ['a vocabulary that does not fit vocabSize', (j) => { j.vocab.pop(); }, /has \d+ characters but the config's vocabSize is \d+/],
  ['step past the run', (j) => { j.step = 11; }, /"step" must be from 0 to the run's 10 steps/],
  ['a negative step', (j) => { j.step = -1; }, /"step"/],
  ['a fractional step', (j) => { j.step = 2.5; }, /"step"/],
  ['a seed that is not an integer', (j) => { j.seed = 0.5; }, /"seed" must be an integer/],
  ['generator index 625', (j) => { j.rng.index = 625; }, /index must be from 0 to 624/],
  ['generator index -1', (j) => { j.rng.index = -1; }, /index must be from 0 to 624/],
  ['a generator word of 33 bits', (j) => { j.rng.mt[5] = 2 ** 32; }, /624 32-bit words/],
  ['623 generator words', (j) => { j.rng.mt.pop(); }, /624 32-bit words/],
  ['a cached gauss that is a string', (j) => { j.rng.gaussNext = 'x'; }, /gaussNext/],
  ['n-layer 1e8', (j) => { j.config.nLayer = 1e8; }, /n-layer must be an integer from 1 to 1,024, got 100000000/],
  ['n-embd 1e9', (j) => { j.config.nEmbd = 1e9; }, /n-embd must be an integer from 1 to 65,536/],
  ['block-size 0', (j) => { j.config.blockSize = 0; }, /block-size must be/],
  ['an impossible head count', (j) => { j.config.nHead = 3; }, /divisible by n-head \(3\)/],
  ['an unknown config key', (j) => { j.config.nExperts = 8; }, /"config" has an unknown setting "nExperts"/],
  ['a config without nEmbd', (j) => { delete j.config.nEmbd; }, /"config" has no nEmbd/],
  ['a negative learning rate', (j) => { j.train.learningRate = -1; }, /lr must be > 0/],
  ['a learning rate of null (NaN in JSON)', (j) => { j.train.learningRate = null; }, /lr must be > 0/],
  ['beta2 of 1', (j) => { j.train.beta2 = 1; }, /beta2 must be in \[0, 1\)/],
  ['batch-size 1e8', (j) => { j.train.batchSize = 1e8; }, /batch-size must be an integer from 1 to/],
  ['an unknown train key', (j) => { j.train.momentum = 0.9; }, /"train" has an unknown setting "momentum"/],
  ['an optimizer of another encoding', (j) => { j.optimizer.encoding = 'hex'; }, /"optimizer" must be null or Adam's moments/],
  ['data in another format', (j) => { j.data.format = 'csv'; }, /"data" format must be "lines" or "text"/],
  ['a validation fraction of 1', (j) => { j.data.valFraction = 1; }, /valFraction must be in \[0, 1\)/],
  ['a data CRC that is not hex', (j) => { j.data.crc32 = 'zzzzzzzz'; }, /crc32 must be 8 hex digits/],
  ['a negative best loss', (j) => { j.best_val_loss = -1; }, /"best_val_loss" must be null or a finite loss/],
  ['a weights file in another directory', (j) => { j.weights.file = '../model.safetensors'; }, /must name a \.safetensors file in the same directory/],
  ['a hidden weights file', (j) => { j.weights.file = '.model.safetensors'; }, /must name a \.safetensors file/],
  ['a weights file that is not .safetensors', (j) => { j.weights.file = 'model.bin'; }, /must name a \.safetensors file/],
  ['a weights size that is not an integer', (j) => { j.weights.bytes = 1.5; }, /size and CRC-32/],
  ['settings holding an object', (j) => { j.settings.x = {}; }, /"settings" must map names to strings, numbers or booleans/],
];

for (const [name, edit, message] of CRAFTED) {
  test(`crafted with a valid checksum: ${name} is refused`, () => {
    refused(() => parseCheckpointJson(crafted(edit)), message);
  });
}

test('a crafted n-layer of 1e8 is refused at once, before anything is allocated', () => {
  const start = performance.now();
  refused(() => parseCheckpointJson(crafted((j) => { j.config.nLayer = 1e8; })), /n-layer/);
  assert.ok(performance.now() - start < 1000, 'no allocation on the way to the message');
});

/** A JSON that names `bytes` as its weights file, sealed. */
function naming(bytes: Uint8Array): string {
  return crafted((j) => { j.weights.bytes = bytes.length; j.weights.crc32 = hex32(crc32(bytes)); });
}

/** A .safetensors file whose header is `header` (any JSON) over `dataBytes` zero bytes. */
function rawSafetensors(header: unknown, dataBytes: number): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
}

const layout = paramLayout(good.config);
const tensorsOf = (c: Checkpoint) => layout.map((p) => ({ name: p.name, shape: [p.rows, p.cols], data: c.weights.slice(p.offset, p.offset + p.size) }));

test('weights that are not the config\'s layout: a tensor missing, extra, renamed or reshaped', () => {
  const tensors = tensorsOf(good);
  const missing = encodeSafetensors(tensors.slice(1));
  refused(() => load(naming(missing), missing), new RegExp(`has no tensor ${layout[0].name}`));
  const extra = encodeSafetensors([...tensors, { name: 'lm_bias', shape: [1, 1], data: new Float64Array(1) }]);
  refused(() => load(naming(extra), extra), /has a tensor the config does not: "lm_bias"/);
  const reshaped = encodeSafetensors(tensors.map((t, i) => (i === 0 ? { ...t, shape: [t.shape[1], t.shape[0]] } : t)));
  refused(() => load(naming(reshaped), reshaped), new RegExp(`${layout[0].name} has shape \\[\\d+,\\d+\\], the config needs`));
  const flat = encodeSafetensors(tensors.map((t, i) => (i === 0 ? { ...t, shape: [t.data.length] } : t)));
  refused(() => load(naming(flat), flat), /has shape/);
});

test('crafted safetensors headers: absurd lengths, shapes, offsets, dtypes and metadata', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['a header length of 2^63', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /header claims/],
    ['a header that is not JSON', rawSafetensors('x', 0).map((b, i) => (i === 8 ? 0x7b : b)), /not valid JSON/],
    ['a header that is a list', rawSafetensors([], 0), /not a JSON object/],
    ['a shape of 1e9 x 1e9', rawSafetensors({ a: { dtype: 'F64', shape: [1e9, 1e9], data_offsets: [0, 8] } }, 8), /does not hold shape/],
    ['a negative dimension', rawSafetensors({ a: { dtype: 'F64', shape: [-1], data_offsets: [0, 8] } }, 8), /no valid shape/],
    ['offsets past the end', rawSafetensors({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, 8), /byte range/],
    ['overlapping tensors', rawSafetensors({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] }, b: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8), /gap or an overlap/],
    ['a gap', rawSafetensors({ a: { dtype: 'F64', shape: [1], data_offsets: [8, 16] } }, 16), /gap or an overlap at byte 0/],
    ['float32 data', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8), /dtype F32, expected F64/],
    ['three offsets', rawSafetensors({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8, 8] } }, 8), /byte range/],
    ['metadata that is not strings', rawSafetensors({ __metadata__: { step: 3 } }, 0), /__metadata__ must map names to strings/],
    ['a "__proto__" tensor', rawSafetensors(JSON.parse('{"__proto__": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}'), 8), /has a tensor the config does not: "__proto__"|no tensor/],
  ];
  for (const [name, bytes, message] of cases) {
    const start = performance.now();
    refused(() => load(naming(bytes), bytes), message);
    assert.ok(performance.now() - start < 1000, `${name}: refused at once`);
  }
  assert.equal(readSafetensorsHeader(encodeSafetensors(tensorsOf(good))).tensors.size, layout.length);
});

test('non-finite weights or moments are refused, naming the tensor', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const c = trained();
    c.weights[layout[1].offset + 2] = bad;
    const files = encodeCheckpoint(c);
    refused(() => load(files.json, files.weights), new RegExp(`${layout[1].name} holds ${bad} at index 2; a checkpoint's weights must be finite`));
  }
  const c = trained();
  c.optimizer!.v[7] = NaN;
  const files = encodeCheckpoint(c);
  refused(() => load(files.json, files.weights), /non-finite or negative moment/);
  const d = trained();
  d.optimizer!.v[7] = -1;
  const negative = encodeCheckpoint(d);
  refused(() => load(negative.json, negative.weights), /non-finite or negative moment/);
});

test('moments that are not base64 of the right length are refused without decoding them', () => {
  refused(() => load(crafted((j) => { j.optimizer.m = '!!!!'; })), /optimizer state .* does not match/);
  refused(() => load(crafted((j) => { j.optimizer.m = j.optimizer.m.slice(4); })), /optimizer state .* does not match/);
  refused(() => load(crafted((j) => { j.optimizer.m = '*'.repeat(j.optimizer.m.length); })), /optimizer state .* does not match/);
});
