// The ONNX export run by onnxruntime: its logits equal the float64 engine's at every position,
// in one pass and token by token through the KV cache, for a left-padded batch, and greedy
// generation picks the same tokens, for the reference model and every setting of docs/llama.md.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { encodeOnnx, encodeOnnxGraph } from '../src/cli/onnx-file.js';
import { type ModelConfig, kvHeads } from '../src/core/contract/config.js';
import { initParams } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { buildOnnxGraph } from '../src/core/export/onnx-graph.js';
import { train } from '../src/core/run/loop.js';
import { generate } from '../src/core/run/generate.js';
import { createRun } from '../src/core/run/run.js';

const NAMES = fileURLToPath(new URL('../../data/names.txt', import.meta.url));
const DOCS = readFileSync(NAMES, 'utf8').split('\n').filter((l) => l.length > 0).slice(0, 300);
const TOL = 1e-5; // |logit difference|, float32 against float64: the worst measured is 1.6e-6 (n-kv-head 2, trained)

type Feeds = Record<string, ort.Tensor>;
const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);

/** The cache before the first token: (B, KV, 0, hd) for every layer. */
function emptyCache(c: ModelConfig, B: number): Feeds {
  const feeds: Feeds = {};
  for (let l = 0; l < c.nLayer; l++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [B, kvHeads(c), 0, c.nEmbd / c.nHead]);
    }
  }
  return feeds;
}

/** The outputs' present.* renamed as the next call's past_key_values.*. */
function nextCache(out: ort.InferenceSession.OnnxValueMapType): Feeds {
  const feeds: Feeds = {};
  for (const [name, value] of Object.entries(out)) {
    if (name.startsWith('present.')) feeds[name.replace('present.', 'past_key_values.')] = value as ort.Tensor;
  }
  return feeds;
}

interface Step { ids: number[][]; mask: number[][]; positions: number[][] } // each (B, S) or (B, T) for the mask

async function runStep(s: ort.InferenceSession, step: Step, cache: Feeds) {
  const B = step.ids.length, S = step.ids[0].length, T = step.mask[0].length;
  const out = await s.run({
    input_ids: int64(step.ids.flat(), [B, S]),
    attention_mask: int64(step.mask.flat(), [B, T]),
    position_ids: int64(step.positions.flat(), [B, S]),
    ...cache,
  });
  return { logits: out.logits.data as Float32Array, cache: nextCache(out) };
}

/** Logits (S, V) of one sequence: in one pass, or one token a call feeding the cache back. */
async function onnxLogits(s: ort.InferenceSession, c: ModelConfig, ids: number[], oneByOne: boolean): Promise<Float32Array> {
  const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
  if (!oneByOne) return (await runStep(s, { ids: [ids], mask: [ids.map(() => 1)], positions: [range(ids.length)] }, emptyCache(c, 1))).logits;
  const all = new Float32Array(ids.length * c.vocabSize);
  let cache = emptyCache(c, 1);
  for (let t = 0; t < ids.length; t++) {
    const out = await runStep(s, { ids: [[ids[t]]], mask: [range(t + 1).map(() => 1)], positions: [[t]] }, cache);
    all.set(out.logits, t * c.vocabSize);
    cache = out.cache;
  }
  return all;
}

/** Our logits (S, V), one row per position, through the float64 engine's KV-cached feed. */
function ourLogits(engine: { feed(ids: number[], pos: number): Float64Array }, V: number, ids: number[]): Float64Array {
  const all = new Float64Array(ids.length * V);
  for (let t = 0; t < ids.length; t++) all.set(engine.feed([ids[t]], t), t * V);
  return all;
}

/** The largest |a - b|, and fails naming where when it is over the tolerance. */
function assertLogitsClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, V: number, tol = TOL): number {
  assert.equal(got.length, want.length, `${name}: ${got.length} logits, want ${want.length}`);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tol, `${name}: position ${Math.floor(at / V)} token ${at % V}: onnx ${got[at]}, ours ${want[at]} (|diff| ${worst} > ${tol})`);
  return worst;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Greedy generation through the ONNX graph with its cache, from [bos]: until stopAt (when given) or maxTokens. */
async function onnxGreedy(s: ort.InferenceSession, c: ModelConfig, bos: number, stopAt?: number, maxTokens = c.blockSize): Promise<number[]> {
  const context = [bos];
  let cache = emptyCache(c, 1);
  while (context.length <= maxTokens) {
    const t = context.length - 1;
    const step = await runStep(s, { ids: [[context[t]]], mask: [context.map(() => 1)], positions: [[t]] }, cache);
    cache = step.cache;
    const id = argmax(step.logits);
    if (id === stopAt) break;
    context.push(id);
  }
  return context.slice(1);
}

const SMALL = { nLayer: 2, nEmbd: 16, nHead: 4, blockSize: 16 };

/** A model trained a few steps on names with the tensor engine: weights that are not the initial draw. */
function trainedRun(model: Partial<ModelConfig>, steps = 100) {
  const run = createRun(DOCS, { model: { ...SMALL, ...model }, train: { steps, batchSize: 4 } });
  train(run);
  return run;
}

/** Checks one trained model every way; returns the worst |logit difference| seen. */
async function checkModel(name: string, model: Partial<ModelConfig>): Promise<number> {
  const run = trainedRun(model), c = run.config, V = c.vocabSize, bos = run.tokenizer.bos;
  const s = await ort.InferenceSession.create(encodeOnnx(c, run.engine.weights()));
  let worst = 0;
  const names = ['emma', 'christopher', 'zoe', 'olivia', 'liam', 'charlotte', 'amelia', 'benjamin', 'sophia', 'alexander'];
  const whole = names.flatMap((doc) => [bos, ...Array.from(doc, (ch) => run.tokenizer.ids.get(ch)!)]);
  for (const ids of [whole.slice(0, 5), whole.slice(0, c.blockSize)]) { // a name, and the whole context (every position, rope's last)
    const want = ourLogits(run.engine, V, ids);
    worst = Math.max(worst, assertLogitsClose(`${name}, ${ids.length} tokens, one pass`, await onnxLogits(s, c, ids, false), want, V));
    worst = Math.max(worst, assertLogitsClose(`${name}, ${ids.length} tokens, with the cache`, await onnxLogits(s, c, ids, true), want, V));
  }
  const ours = generate(run.engine, new PyRandom(1), { prompt: [bos], maxTokens: c.blockSize, temperature: 1, topK: 1, stopAt: bos });
  assert.ok(ours.length >= 3, `${name}: greedy generation made only ${ours.length} tokens`); // else the check says little
  assert.deepEqual(await onnxGreedy(s, c, bos, bos), ours, `${name}: greedy generation`);
  return worst;
}

test('the graph has the inputs and outputs of an Optimum decoder with a KV cache', () => {
  const c: ModelConfig = { ...SMALL, vocabSize: 27, initStd: 0.08, nKvHead: 2, pos: 'rope' };
  const g = buildOnnxGraph(c, initParams(c, new PyRandom(1)));
  const describe = (v: { name: string; dataType: number; shape: (number | string)[] }) => `${v.name} ${v.dataType} [${v.shape.join(', ')}]`;
  assert.deepEqual(g.inputs.map(describe), [
    'input_ids 7 [batch_size, sequence_length]',
    'attention_mask 7 [batch_size, past_sequence_length + sequence_length]',
    'position_ids 7 [batch_size, sequence_length]',
    ...[0, 1].flatMap((l) => ['key', 'value'].map((k) => `past_key_values.${l}.${k} 1 [batch_size, 2, past_sequence_length, 4]`)),
  ]);
  assert.deepEqual(g.outputs.map(describe), [
    'logits 1 [batch_size, sequence_length, 27]',
    ...[0, 1].flatMap((l) => ['key', 'value'].map((k) => `present.${l}.${k} 1 [batch_size, 2, past_sequence_length + sequence_length, 4]`)),
  ]);
  assert.equal(g.opset, 17);
});

test('a weight buffer of the wrong size is refused', () => {
  const c: ModelConfig = { ...SMALL, vocabSize: 27, initStd: 0.08 };
  assert.throws(() => buildOnnxGraph(c, new Float64Array(10)), /expected \d+ weights, got 10/);
});

test('weights beyond protobuf\'s 2 GiB are one clear error, not a failed allocation', () => {
  const c: ModelConfig = { ...SMALL, vocabSize: 27, initStd: 0.08 };
  const g = buildOnnxGraph(c, initParams(c, new PyRandom(1)));
  const huge = { name: 'huge', dataType: 1 as const, dims: [2 ** 29], floats: { length: 2 ** 29 } as Float32Array }; // 2 GiB, never allocated
  assert.throws(() => encodeOnnxGraph({ ...g, initializers: [...g.initializers, huge] }), (e: Error) => e.name === 'UserError' && /2\.0 GiB .* 2 GiB limit/.test(e.message));
});

async function checkPaddedBatch(name: string, model: Partial<ModelConfig>): Promise<number> {
  const run = trainedRun(model), c = run.config, V = c.vocabSize, bos = run.tokenizer.bos;
  const s = await ort.InferenceSession.create(encodeOnnx(c, run.engine.weights()));
  const encode = (doc: string) => [bos, ...Array.from(doc, (ch) => run.tokenizer.ids.get(ch)!)];
  const long = encode('jonathan'), short = encode('ava'), pad = long.length - short.length;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const first = await runStep(s, {
    ids: [long, [...Array(pad).fill(0), ...short]],
    mask: [long.map(() => 1), [...Array(pad).fill(0), ...short.map(() => 1)]],
    positions: [range(long.length), [...Array(pad).fill(0), ...range(short.length)]], // a pad's position is never seen
  }, emptyCache(c, 2));
  assert.ok(first.logits.every(Number.isFinite), 'a padding position, which sees only padding, still computes numbers');
  const rows = (b: number, from: number) => first.logits.subarray((b * long.length + from) * V, (b + 1) * long.length * V);
  let worst = assertLogitsClose(`${name}: longer sequence`, rows(0, 0), ourLogits(run.engine, V, long), V);
  worst = Math.max(worst, assertLogitsClose(`${name}: shorter sequence, after its padding`, rows(1, pad), ourLogits(run.engine, V, short), V));
  // one more token each, at its own position, through the batch's cache
  const next = [argmax(rows(0, long.length - 1).subarray(-V)), argmax(rows(1, long.length - 1).subarray(-V))];
  const second = await runStep(s, {
    ids: [[next[0]], [next[1]]],
    mask: [[...long.map(() => 1), 1], [...Array(pad).fill(0), ...short.map(() => 1), 1]],
    positions: [[long.length], [short.length]],
  }, first.cache);
  worst = Math.max(worst, assertLogitsClose(`${name}: longer, next step`, second.logits.subarray(0, V), ourLogits(run.engine, V, [...long, next[0]]).subarray(-V), V));
  worst = Math.max(worst, assertLogitsClose(`${name}: shorter, next step`, second.logits.subarray(V), ourLogits(run.engine, V, [...short, next[1]]).subarray(-V), V));
  return worst;
}

const VARIANTS: [string, Partial<ModelConfig>][] = [
  ['rope', { pos: 'rope' }],
  ['rope, theta 500', { pos: 'rope', ropeTheta: 500 }],
  ['n-kv-head 2', { nKvHead: 2 }],
  ['n-kv-head 1', { nKvHead: 1 }],
  ['relu2', { activation: 'relu2' }],
  ['gelu', { activation: 'gelu' }],
  ['swiglu', { activation: 'swiglu', mlpHidden: 24 }],
  ['mlp-hidden 40', { mlpHidden: 40 }],
  ['layernorm', { norm: 'layernorm' }],
  ['norm-weight', { normWeight: true }],
  ['layernorm, norm-weight', { norm: 'layernorm', normWeight: true }],
  ['tie-embeddings', { tieEmbeddings: true }],
  ['final-norm', { finalNorm: true }],
  ['final-norm, norm-weight', { finalNorm: true, normWeight: true }],
  ['embed-norm false', { embedNorm: false }],
  ['embed-norm false, norm-weight', { embedNorm: false, normWeight: true }],
];

/** The llama preset's model settings (presets/llama.json's model keys, as the flags spell them). */
function llamaPreset(): Partial<ModelConfig> {
  const p = JSON.parse(readFileSync(fileURLToPath(new URL('../../presets/llama.json', import.meta.url)), 'utf8'));
  return { nLayer: p['n-layer'], nEmbd: p['n-embd'], nHead: p['n-head'], nKvHead: p['n-kv-head'], blockSize: p['block-size'],
    pos: p.pos, ropeTheta: p['rope-theta'], activation: p.activation, mlpHidden: p['mlp-hidden'], norm: p.norm,
    normWeight: p['norm-weight'], finalNorm: p['final-norm'], embedNorm: p['embed-norm'] };
}

for (const [name, model] of [['reference', {}], ...VARIANTS, ['llama preset', llamaPreset()]] as [string, Partial<ModelConfig>][]) {
  test(`${name}: onnxruntime logits equal the float64 engine, in one pass and with the cache; greedy generation is ours`, async () => {
    const worst = await checkModel(name, model);
    console.log(`${name}: max |logit difference| ${worst.toExponential(2)}`);
  });
}

for (const [name, model] of [['reference', {}], ['llama preset', llamaPreset()]] as [string, Partial<ModelConfig>][]) {
  test(`${name}: a left-padded batch of two sequences of different lengths, then a step of both with the cache`, async () => {
    const worst = await checkPaddedBatch(name, model);
    console.log(`${name}, left-padded batch: max |logit difference| ${worst.toExponential(2)}`);
  });
}
