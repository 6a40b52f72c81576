// The library's entry points called the way a careless caller would (from JavaScript, with no
// type checker): every impossible value is a UserError naming it, thrown before any work, never
// a hang, a NaN, a draw from garbage or a setting silently dropped.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBpeTokenizer, encodeBpe } from '../src/core/bpe/bpe-tokenizer.js';
import { splitChunks } from '../src/core/bpe/split-patterns.js';
import { trainBpe } from '../src/core/bpe/train.js';
import type { Checkpoint } from '../src/core/checkpoint/checkpoint.js';
import { DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import type { Engine } from '../src/core/contract/engine.js';
import { initParams, paramCount } from '../src/core/contract/params.js';
import { learningRateAt, scheduledLearningRate } from '../src/core/contract/schedule.js';
import { buildOnnxGraph } from '../src/core/export/onnx-graph.js';
import { decodeDataset } from '../src/core/data/decode.js';
import { evalWindows, randomWindows } from '../src/core/data/text.js';
import { validationLoss } from '../src/core/run/evaluate.js';
import { gradientFlow } from '../src/core/run/gradient-flow.js';
import { PyRandom } from '../src/core/contract/random.js';
import { applyTopK, drawToken } from '../src/core/contract/sampling.js';
import { buildTokenizer, decode } from '../src/core/contract/tokenizer.js';
import { UserError } from '../src/core/errors.js';
import { generate, sample, sampleText } from '../src/core/run/generate.js';
import { train, trainingLoop } from '../src/core/run/loop.js';
import { type RunOptions, createRun, createTextRun, resumeRun, runCheckpoint, runFromCheckpoint } from '../src/core/run/run.js';
import { ENGINES } from '../src/core/run/engines.js';
import { createScalarEngine } from '../src/core/scalar/engine.js';
import { createTensorEngine } from '../src/core/tensor/engine.js';
import { createWasmEngine } from '../src/core/wasm/engine.js';

const docs = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia'];
const small = { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 };
const engines = [...ENGINES.keys()].filter((name) => ENGINES.get(name)!.unavailable() === undefined);
const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);
// what a JavaScript caller can pass where the types say otherwise
const loose = <T>(value: unknown) => value as T;

test('sample refuses a count that is not a whole number of samples, before drawing any', () => {
  const run = createRun(docs, { model: small });
  for (const count of [-1, 1.5, Number.NaN, Infinity, 1e7, '3']) {
    assert.throws(() => sample(run, loose<number>(count), 0.5), userError(/samples must be an integer from 0 to 100,000, got/), String(count));
  }
  assert.deepEqual(sample(run, 0, 0.5), []);
});

test('generate refuses options that would hang, draw from garbage or be ignored, on every engine', () => {
  for (const engine of engines) {
    const run = createRun(docs, { model: small, engine });
    const bos = run.tokenizer.bos, ok = { prompt: [bos], maxTokens: 3, temperature: 0.5 };
    const cases: [object, RegExp][] = [
      [{ maxTokens: Number.NaN }, /max-tokens must be an integer from 0 to 1,000,000, got NaN/],
      [{ maxTokens: Infinity }, /max-tokens must be an integer from 0 to 1,000,000, got Infinity/],
      [{ maxTokens: -1 }, /max-tokens must be an integer from 0 to 1,000,000, got -1/],
      [{ maxTokens: 1.5 }, /max-tokens must be an integer from 0 to 1,000,000, got 1.5/],
      [{ temperature: 0 }, /temperature must be > 0, got 0/],
      [{ temperature: Number.NaN }, /temperature must be > 0, got NaN/],
      [{ topK: 0 }, /top-k must be an integer >= 1, got 0/],
      [{ topK: 2.5 }, /top-k must be an integer >= 1, got 2.5/],
      [{ prompt: [] }, /generate needs a prompt of at least one id/],
      [{ prompt: [bos + 1] }, new RegExp(`prompt id ${bos + 1} is not in the vocabulary \\(ids 0\\.\\.${bos}\\)`)],
      [{ prompt: [-1] }, /prompt id -1 is not in the vocabulary/],
      [{ prompt: [1.5] }, /prompt id 1.5 is not in the vocabulary/],
      [{ stopAt: 999 }, /stop id 999 is not in the vocabulary/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => generate(run.engine, run.rng, { ...ok, ...change }), userError(message), `${engine} ${JSON.stringify(change)}`);
    }
    assert.deepEqual(generate(run.engine, run.rng, { ...ok, maxTokens: 0 }), [], 'no new ids is a valid ask');
    run.engine.close?.();
  }
});

test('an unknown or misspelt setting is an error naming it, not a run with the default', () => {
  const cases: [RunOptions, RegExp][] = [
    [loose({ model: { nEmbed: 32 } }), /unknown model setting "nEmbed"; the model settings are nLayer, nEmbd, /],
    [loose({ train: { step: 3 } }), /unknown train setting "step"; the train settings are steps, batchSize, /],
    [loose({ seeed: 1 }), /unknown run option "seeed"; the run options are seed, valFraction, /],
    [loose({ model: { vocabSize: 100 } }), /model vocabSize 100 differs from the tokenizer's \d+: the vocabulary size comes from the data \(or the BPE tokenizer\)/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => createRun(docs, options), userError(message), JSON.stringify(options));
    assert.throws(() => createTextRun(docs.join('\n'), options), userError(message), JSON.stringify(options));
  }
  assert.equal(createRun(docs, { model: loose({ ...small, vocabSize: 12 }) }).config.vocabSize, 12, 'the vocabulary size it has anyway is fine');
  const run = createTextRun(docs.join('\n'), { model: small });
  assert.throws(() => sampleText(run, loose({ temperature: 0.5, maxToken: 3 })), userError(/unknown sample option "maxToken"; the sample options are temperature, prompt, maxTokens, topK/));
  const checkpoint = runCheckpoint(run, { format: 'text', valFraction: 0.1 });
  assert.throws(() => runFromCheckpoint(checkpoint, loose({ blocksize: 4 })), userError(/unknown reopen option "blocksize"; the reopen options are engine, blockSize, /));
});

test('the training loop refuses a cadence that would hang, never train or be ignored', () => {
  const fresh = () => createRun(docs, { model: small, valFraction: 0.3, train: { steps: 3 } });
  const cases: [object, RegExp][] = [
    [{ evalChunk: 0 }, /evalChunk must be an integer >= 1, got 0/],
    [{ evalEvery: Number.NaN }, /evalEvery must be an integer >= 0, got NaN/],
    [{ evalEvery: -1 }, /evalEvery must be an integer >= 0, got -1/],
    [{ evalEvery: 1.5 }, /evalEvery must be an integer >= 0, got 1.5/],
    [{ saveEvery: -1 }, /saveEvery must be an integer >= 0, got -1/],
    [{ flowEvery: 0.5 }, /flowEvery must be an integer >= 0, got 0.5/],
    [{ evalSize: -1 }, /evalSize must be an integer >= 0, got -1/],
    [{ stopAt: Number.NaN }, /stopAt must be an integer >= 0, got NaN/],
    [{ evalevery: 1 }, /unknown loop option "evalevery"; the loop options are stopAt, shouldStop, evalEvery, /],
  ];
  for (const [options, message] of cases) {
    const run = fresh();
    assert.throws(() => trainingLoop(run, loose(options)).next(), userError(message), JSON.stringify(options));
    assert.equal(run.step, 0, 'nothing trained');
  }
});

test('a checkpoint object changed in memory is refused whole, not sampled from zeros or garbage', () => {
  const run = createRun(docs, { model: small, train: { steps: 3 } });
  train(run);
  const good = () => runCheckpoint(run, { format: 'lines', valFraction: 0 });
  const n = run.numParams;
  const cases: [(c: Checkpoint) => void, RegExp][] = [
    [(c) => { c.weights = c.weights.subarray(0, 10); }, new RegExp(`the checkpoint's weights must be a Float64Array of the config's ${n} parameters, got 10`)],
    [(c) => { c.weights = new Float64Array(n + 5); }, new RegExp(`the checkpoint's weights must be a Float64Array of the config's ${n} parameters, got ${n + 5}`)],
    [(c) => { c.weights = loose(Array.from(c.weights)); }, /the checkpoint's weights must be a Float64Array/],
    [(c) => { c.weights[3] = Infinity; }, /the checkpoint: wte holds Infinity at index 3; a checkpoint's weights must be finite/],
    [(c) => { c.optimizer!.m[5] = Number.NaN; }, /the optimizer state in the checkpoint holds a non-finite or negative moment/],
    [(c) => { c.optimizer = { m: new Float64Array(3), v: new Float64Array(3) }; }, new RegExp(`the checkpoint's Adam moments must be two Float64Arrays of ${n} numbers`)],
    [(c) => { c.vocab = c.vocab.slice(0, 3); }, /the checkpoint's tokenizer has 4 tokens \(with BOS\) but its config's vocabSize is 12/],
    [(c) => { c.vocab = [...c.vocab, 'z']; }, /the checkpoint's tokenizer has 13 tokens \(with BOS\) but its config's vocabSize is 12/],
    [(c) => { c.vocab = ['a', 'a', ...c.vocab.slice(2)]; }, /the characters of a tokenizer must be unique single characters; "a" is not/],
    [(c) => { c.config = { ...c.config, nEmbd: 12 }; }, /the checkpoint's weights must be a Float64Array of the config's \d+ parameters/],
    [(c) => { c.config = { ...c.config, nHead: 3 }; }, /the checkpoint's settings are impossible: n-embd \(8\) must be divisible by n-head \(3\)/],
    [(c) => { c.rng = { mt: [], index: 0, gaussNext: null }; }, /the random state must hold the generator's 624 32-bit words/],
    [(c) => { c.rng = { ...c.rng, index: 9999 }; }, /the random state index must be from 0 to 624/],
    [(c) => { c.step = 99; }, /the checkpoint's step must be from 0 to the run's 3 steps, got 99/],
  ];
  for (const [tamper, message] of cases) {
    const c = good();
    tamper(c);
    assert.throws(() => runFromCheckpoint(c), userError(message), String(tamper));
    // resume may name the difference from its run first (the data's characters), but refuses too
    if (c.optimizer) assert.throws(() => resumeRun(createRun(docs, { model: small, train: { steps: 3 } }), c), UserError, String(tamper));
  }
  assert.deepEqual(sample(runFromCheckpoint(good()), 2, 0.5), sample(runFromCheckpoint(good()), 2, 0.5), 'an untouched one still loads');
});

test('tokenizers refuse an unknown split pattern and ids outside the vocabulary by name', () => {
  for (const pattern of ['gpt5', '\\w+', '__proto__', 'constructor']) {
    const message = new RegExp(`unknown split pattern ${JSON.stringify(pattern).replace(/[\\+]/g, '\\$&')}; the split patterns are none, gpt2, gpt4`);
    assert.throws(() => trainBpe('hello world', 260, loose(pattern)), userError(message), pattern);
    assert.throws(() => splitChunks('hello world', loose(pattern)), userError(message), pattern);
    assert.throws(() => createBpeTokenizer(loose(pattern), []), userError(message), pattern);
  }
  const chars = buildTokenizer(docs);
  for (const id of [999, -1, 1.5, Number.NaN]) {
    assert.throws(() => decode(chars, [0, id]), userError(new RegExp(`token id ${id} is not in the vocabulary \\(ids 0\\.\\.11\\)`)), String(id));
  }
  assert.equal(decode(chars, [chars.bos, 0, 1, chars.bos]), 'ab');
});

test('drawToken and applyTopK refuse a temperature, k or logits they cannot draw from', () => {
  const logits = () => Float64Array.from([1, 2, 3]);
  for (const t of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => drawToken(logits(), t, new PyRandom(1)), userError(new RegExp(`temperature must be > 0, got ${t}`)), String(t));
  }
  for (const k of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => applyTopK(logits(), k), userError(new RegExp(`top-k must be an integer >= 1, got ${k}`)), String(k));
    assert.throws(() => drawToken(logits(), 1, new PyRandom(1), k), userError(/top-k must be an integer >= 1/), String(k));
  }
  assert.throws(() => drawToken(new Float64Array(0), 1, new PyRandom(1)), userError(/there are no logits to draw from/));
  const kept = logits();
  applyTopK(kept, 1);
  assert.deepEqual(Array.from(kept), [-Infinity, -Infinity, 3]);
});

test('a value of the wrong type is named as given, not printed as if it were the number', () => {
  const cases: [RunOptions, RegExp][] = [
    [loose({ model: { nEmbd: '16' } }), /n-embd must be an integer from 1 to 65,536, got "16" \(a string\)/],
    [loose({ train: { steps: '5' } }), /steps must be an integer >= 0, got "5" \(a string\)/],
    [loose({ train: { learningRate: '0.01' } }), /lr must be > 0, got "0.01" \(a string\)/],
    [loose({ model: { dropout: '0.1' } }), /dropout must be in \[0, 1\), got "0.1" \(a string\)/],
    [loose({ seed: '7' }), /seed must be an integer, got "7" \(a string\)/],
    [loose({ seed: Number.NaN }), /seed must be an integer, got NaN/],
    [loose({ engine: 'float32', threads: '2' }), /threads must be an integer from 1 to 64, got "2" \(a string\)/],
    [loose({ engine: 'float32', threads: 'auto', cores: -3 }), /cores must be an integer >= 1, got -3/],
  ];
  for (const [options, message] of cases) {
    if ((options.engine ?? 'tensor') === 'float32' && !engines.includes('float32')) continue;
    assert.throws(() => createRun(docs, { ...options, model: { ...small, ...options.model } }), userError(message), JSON.stringify(options));
  }
  const run = createRun(docs, { model: small });
  assert.throws(() => sample(run, 2, loose('0.5')), userError(/temperature must be > 0, got "0.5" \(a string\)/));
});

test('a model no runtime can hold is a UserError naming its size, with or without memory limits', () => {
  if (engines.includes('float32')) {
    // 3.2 billion parameters: beyond the 4 GiB a WebAssembly memory can address on any machine
    assert.throws(() => createRun(docs, { engine: 'float32', model: { nEmbd: 4096, nHead: 4, nLayer: 16 } }),
      userError(/this model needs about [\d.]+ GiB on the float32 engine, more than the 4\.0 GiB a WebAssembly memory can address/));
  }
  // 51 billion parameters: more numbers than one typed array holds
  for (const engine of ['tensor', 'scalar'] as const) {
    assert.throws(() => createRun(docs, { engine, model: { nEmbd: 65536, nHead: 1 } }),
      userError(new RegExp(`this model needs about [\\d.]+ GiB on the ${engine} engine, and this runtime could not allocate it \\(.+\\); make it smaller`)), engine);
  }
});

test('an engine made or loaded by hand refuses weights that are not its config\'s, and threads with no way to start them', () => {
  const config = { vocabSize: 10, nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8, initStd: 0.08 };
  const n = paramCount(config), weights = new Float64Array(n);
  const makers: [string, (c: ModelConfig, w: Float64Array) => Engine][] = [
    ['scalar', (c, w) => createScalarEngine(c, w, DEFAULT_TRAIN)],
    ['tensor', (c, w) => createTensorEngine(c, w, DEFAULT_TRAIN, 1)],
    ...(engines.includes('float32') ? [['float32', (c: ModelConfig, w: Float64Array) => createWasmEngine(c, w, DEFAULT_TRAIN, 1)] as [string, typeof makers[0][1]]] : []),
  ];
  for (const [name, make] of makers) {
    assert.throws(() => make(config, new Float64Array(5)), userError(new RegExp(`expected ${n} weights, got 5`)), name);
    assert.throws(() => make(config, loose(Array.from(weights))), userError(new RegExp(`expected ${n} weights in a Float64Array, got an array`)), name);
    assert.throws(() => make({ ...config, nHead: 3 }, weights), userError(/n-embd \(8\) must be divisible by n-head \(3\)/), name);
    const engine = make(config, weights);
    assert.throws(() => engine.load(new Float64Array(5)), userError(new RegExp(`expected ${n} weights, got 5`)), `${name} load`);
    assert.throws(() => engine.load(weights, { m: new Float64Array(3), v: new Float64Array(n) }), userError(new RegExp(`expected Adam moments of ${n} numbers each`)), `${name} load`);
    engine.close?.();
  }
  if (engines.includes('float32')) {
    assert.throws(() => createRun(docs, { model: small, engine: 'float32', threads: 2 }),
      userError(/threads 2 needs a spawn function to start the kernel threads \(in Node: spawnNodeWorker from 'microgpt-ts\/node'\), or give threads: 1/));
    // 'auto' names itself and what it chose, where it would choose threads (a model big enough to split)
    const big = { nLayer: 1, nEmbd: 128, nHead: 4, blockSize: 64 };
    assert.throws(() => createRun(docs, { model: big, train: { batchSize: 8 }, engine: 'float32', threads: 'auto', cores: 4 }),
      userError(/^threads 'auto' \(2 on 4 cores, for this model\) needs a spawn function to start the kernel threads \(in Node: spawnNodeWorker from 'microgpt-ts\/node'\), or give threads: 1$/));
    createRun(docs, { model: small, engine: 'float32', threads: 'auto', cores: 4 }).engine.close?.(); // too small to split: one thread, no spawn needed
  }
});

test('data of the wrong shape is named, not read character by character or as an empty vocabulary', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => createRun(loose('emma\nolivia')), /the documents must be an array of strings, got "emma\\nolivia" \(a string\); for one text use parseDocuments\(text\) or createTextRun/],
    [() => createRun(loose(undefined)), /the documents must be an array of strings, got undefined/],
    [() => createRun(loose([1, 2, 3])), /document 0 must be a string, got 1/],
    [() => createRun(['', '']), /dataset: every document is empty, so there are no characters to learn/],
    [() => createTextRun(loose(12345)), /the text must be a string, got 12345/],
    [() => createTextRun(loose(['abc', 'def'])), /the text must be a string, got an array/],
    [() => createRun(docs, { valFraction: loose('0.5') }), /val-fraction must be in \[0, 1\), got "0.5" \(a string\)/],
    [() => createTextRun(docs.join('\n'), { valFraction: loose('0.5') }), /val-fraction must be in \[0, 1\), got "0.5" \(a string\)/],
  ];
  for (const [call, message] of cases) assert.throws(call, userError(message), String(call));
});

test('BPE training and encoding name a policy, option or text they cannot use', () => {
  const { tokenizer } = trainBpe('hello world hello', 258, 'gpt4');
  assert.throws(() => encodeBpe(tokenizer, 'hi', loose('nope')),
    userError(/the special-token policy must be 'all', 'none', 'raise' or a set of special tokens, got "nope" \(a string\)/));
  assert.throws(() => trainBpe(loose(123), 260, 'gpt4'), userError(/the text must be a string, got 123/));
  assert.throws(() => trainBpe('hello world', 258, 'gpt4', loose({ progressEvery: 0 })), userError(/progressEvery must be an integer >= 1, got 0/));
  assert.throws(() => trainBpe('hello world', 258, 'gpt4', loose({ onprogress: () => {} })),
    userError(/unknown BPE training option "onprogress"; the BPE training options are onProgress, progressEvery/));
  assert.throws(() => encodeBpe(tokenizer, loose(42)), userError(/the text must be a string, got 42/));
  const run = createTextRun('hello world, hello there', { model: small });
  assert.throws(() => sampleText(run, loose({ temperature: 0.5, prompt: 42 })), userError(/the prompt must be a string, got 42/));
});

test('the schedule, the parameter layout and the held-out loss refuse numbers outside what they describe', () => {
  for (const step of [Number.NaN, -5, 1.5, 1001]) {
    assert.throws(() => learningRateAt(DEFAULT_TRAIN, step), userError(new RegExp(`step must be an integer from 0 to 1000, got ${step}`)), String(step));
  }
  assert.equal(learningRateAt(DEFAULT_TRAIN, 1000), 0, 'the end of the run is still on the schedule');
  assert.throws(() => scheduledLearningRate(0.01, 5, 0), userError(/steps must be an integer >= 1, got 0/));
  const config = { vocabSize: 10, nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8, initStd: 0.08 };
  assert.throws(() => paramCount({ ...config, nLayer: 1.5 }), userError(/n-layer must be an integer from 1 to 1,024, got 1.5/));
  assert.throws(() => initParams({ ...config, nLayer: -1 }, new PyRandom(1)), userError(/n-layer must be an integer from 1 to 1,024, got -1/));
  assert.throws(() => buildOnnxGraph(config, new Float64Array(3)), userError(new RegExp(`expected ${paramCount(config)} weights, got 3`)));
  const run = createRun(docs, { model: small, valFraction: 0.3 });
  for (const limit of [-1, Number.NaN, 1.5]) {
    assert.throws(() => validationLoss(run, limit), userError(new RegExp(`limit must be an integer >= 1 \\(or Infinity\\), got ${limit}`)), String(limit));
  }
  assert.ok(Number.isFinite(validationLoss(run, 1)!));
});

test('sample, which draws documents from BOS, refuses a run that learned one text (sampleText continues it)', () => {
  const run = createTextRun('hello world. this is a small text for a test. '.repeat(20), { model: small });
  assert.throws(() => sample(run, 3, 0.5), userError(/sample\(\) draws documents, each from BOS, as a 'lines' run learns them; this run learned one text: use sampleText\(run, \{ temperature, prompt, maxTokens \}\)/));
  assert.equal(typeof sampleText(run, { temperature: 0.5, maxTokens: 4 }), 'string');
});

test('a run refuses a tokenizer, memory limits or thread options of the wrong shape', () => {
  const text = 'hello world. this is a small text for a test. '.repeat(20);
  const training = trainBpe(text, 270, 'gpt4');
  assert.throws(() => createTextRun(text, { model: small, bpe: loose(training) }),
    userError(/bpe must be a BPE tokenizer \(trainBpe\(\.\.\.\)\.tokenizer, parseModelFile or createBpeTokenizer\), got an object with tokenizer, counts/));
  assert.throws(() => createTextRun(text, { model: small, bpe: loose('gpt4') }), userError(/bpe must be a BPE tokenizer .*, got "gpt4" \(a string\)/));
  assert.equal(createTextRun(text, { model: small, bpe: training.tokenizer }).tokenizer.vocabSize, 271);
  for (const memory of [1e9, { bytes: Number.NaN, heapBytes: 1e9, where: 'here' }, { bytes: 1e9 }]) {
    assert.throws(() => createRun(docs, { model: small, memory: loose(memory) }),
      userError(/memory must give bytes and heapBytes \(numbers > 0\) and where \(a string\)/), JSON.stringify(memory));
  }
  if (engines.includes('float32')) {
    assert.throws(() => createRun(docs, { model: small, engine: 'float32', threads: 2, spawn: loose('yes') }), userError(/spawn must be a function that starts a kernel thread, got "yes" \(a string\)/));
    assert.throws(() => createRun(docs, { model: small, engine: 'float32', tuning: loose({ minflops: 1 }) }), userError(/unknown tuning option "minflops"/));
  }
});

test('text windows, gradient flow and dataset bytes refuse sizes and types that would loop or read garbage', () => {
  const ids = [1, 2, 3, 4, 5];
  for (const windowLen of [1, 0, -1, 2.5]) {
    assert.throws(() => evalWindows(ids, windowLen), userError(new RegExp(`a window must be an integer >= 2 ids \\(a context and its next\\), got ${windowLen}`)), String(windowLen));
    assert.throws(() => randomWindows(ids, 2, windowLen, new PyRandom(1)), userError(/a window must be an integer >= 2 ids/), String(windowLen));
  }
  assert.throws(() => randomWindows(ids, -1, 3, new PyRandom(1)), userError(/count must be an integer >= 0, got -1/));
  assert.equal(evalWindows(ids, 3).length, 2);
  const config = { vocabSize: 10, nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8, initStd: 0.08 };
  const n = paramCount(config), ok = new Float64Array(n);
  assert.throws(() => gradientFlow(config, ok, new Float64Array(3), ok), userError(new RegExp(`grads must hold the config's ${n} parameters, got 3`)));
  assert.throws(() => decodeDataset(loose('abc'), 'x'), userError(/x: a dataset's bytes must be a Uint8Array, got "abc" \(a string\)/));
});

test('train refuses a callback that is not a function before the first step', () => {
  const run = createRun(docs, { model: small, train: { steps: 2 } });
  assert.throws(() => train(run, loose('x')), userError(/onStep must be a function, got "x" \(a string\)/));
  assert.equal(run.step, 0, 'nothing trained');
});

test('runCheckpoint refuses data information that would make the checkpoint unreadable', () => {
  const run = createRun(docs, { model: small, train: { steps: 2 } });
  const cases: [unknown, RegExp][] = [
    [{ format: 'lines' }, /the checkpoint's data valFraction must be in \[0, 1\)/],
    [{ format: 'csv', valFraction: 0 }, /the checkpoint's data format must be "lines" or "text"/],
    [{ format: 'lines', valFraction: 0, crc32: 'xyz' }, /the checkpoint's data crc32 must be 8 hex digits/],
    [undefined, /the checkpoint's data format must be "lines" or "text"/],
  ];
  for (const [data, message] of cases) assert.throws(() => runCheckpoint(run, loose(data)), userError(message), JSON.stringify(data));
  assert.equal(runCheckpoint(run, { format: 'lines', valFraction: 0 }).step, 0);
});

test('createBpeTokenizer names a merge that is not { left, right, id }', () => {
  assert.throws(() => createBpeTokenizer('gpt4', loose([[104, 101]])),
    userError(/merge 1 must be \{ left, right, id \} \(three token ids\), got an array/));
  assert.throws(() => createBpeTokenizer('gpt4', loose([{ left: 104, right: 101 }])),
    userError(/merge 1 must be \{ left, right, id \} \(three token ids\), got an object with left, right/));
  assert.equal(createBpeTokenizer('gpt4', [{ left: 104, right: 101, id: 256 }]).vocabSize, 257);
});
