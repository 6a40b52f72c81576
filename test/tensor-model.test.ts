// The whole model in llm.c's style: the same weights and documents through the scalar and
// the tensor engine; the loss must be identical and every named gradient tensor agree.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ModelConfig } from '../src/core/contract/config.js';
import { parseDocuments } from '../src/core/data/documents.js';
import { initParams, paramLayout } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { batchTokens } from '../src/core/contract/engine.js';
import { createScalarEngine } from '../src/core/scalar/engine.js';
import { createScalarModel } from '../src/core/scalar/gpt.js';
import { batchLosses } from '../src/core/scalar/loss.js';
import { sum } from '../src/core/scalar/value.js';
import { generate } from '../src/core/run/generate.js';
import { engineStep } from './engine-helpers.js';
import { createTensorEngine } from '../src/core/tensor/engine.js';
import { createTensorModel, forwardLoss, lossAndGrad } from '../src/core/tensor/gpt.js';
import { buildTokenizer, encodeDocument } from '../src/core/contract/tokenizer.js';
import { DEFAULT_TRAIN } from '../src/core/contract/config.js';
import { assertTensorClose } from './tensor-helpers.js';

const names = parseDocuments(readFileSync(new URL('../../data/names.txt', import.meta.url), 'utf8'));
const tokenizer = buildTokenizer(names);
const encode = (docs: string[]) => docs.map((d) => encodeDocument(tokenizer, d));

const CONFIGS: Record<string, ModelConfig> = {
  default: { vocabSize: tokenizer.vocabSize, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 },
  'deep-wide': { vocabSize: tokenizer.vocabSize, nLayer: 2, nEmbd: 24, nHead: 3, blockSize: 12, initStd: 0.08 },
  'short-context': { vocabSize: tokenizer.vocabSize, nLayer: 3, nEmbd: 8, nHead: 2, blockSize: 5, initStd: 0.3 },
};

const BATCHES: Record<string, string[]> = {
  'one name': ['emma'],
  'a batch, one longer than the context': ['olivia', 'maximilianoalexander', 'al', 'zoe'],
};

function compare(config: ModelConfig, docs: string[]): void {
  const weights = initParams(config, new PyRandom(7));
  const batch = encode(docs);

  const scalar = createScalarModel(config, weights);
  const sSum = sum(batchLosses(scalar, batch)), dloss = 1 / batchTokens(batch, config.blockSize); // the mean's gradient
  sSum.mul(dloss).backward();

  const tensor = createTensorModel(config, weights);
  const tSum = lossAndGrad(tensor, batch, dloss);
  assert.equal(tSum, sSum.data, 'the sum of the losses, to the bit');
  assert.equal(forwardLoss(tensor, batch), sSum.data, 'the forward-only sum, to the bit');

  for (const p of paramLayout(config)) {
    const want = scalar.params.slice(p.offset, p.offset + p.size).map((v) => v.grad);
    assertTensorClose(`grad ${p.name}`, tensor.grads.subarray(p.offset, p.offset + p.size), want, 5e-11); // worst measured 1.5e-11
  }
}

for (const [cname, config] of Object.entries(CONFIGS)) {
  for (const [bname, docs] of Object.entries(BATCHES)) {
    test(`${cname}, ${bname}: loss and every gradient tensor match the scalar engine`, () => compare(config, docs));
  }
}

test('a held-out batch larger than the buffers is scored in chunks, to the bit', () => {
  const config = CONFIGS['short-context'];
  const weights = initParams(config, new PyRandom(3));
  const batch = encode(names.slice(0, 40));
  const tensor = createTensorModel(config, weights); // room for one context only
  assert.equal(forwardLoss(tensor, batch), sum(batchLosses(createScalarModel(config, weights), batch)).data);
  assert.equal(tensor.acts.rows, config.blockSize, 'scoring did not grow the buffers');
});

test('generation matches the scalar engine: sliding window, top-k, stop id', () => {
  const config = CONFIGS['short-context'];
  const weights = initParams(config, new PyRandom(5));
  const engines = [createScalarEngine, createTensorEngine].map((f) => f(config, weights, DEFAULT_TRAIN));
  const bos = tokenizer.bos;
  const cases = [
    { prompt: [bos], maxTokens: 12, temperature: 1.3 },
    { prompt: [bos, 4, 1, 13], maxTokens: 9, temperature: 0.6, topK: 5 },
    { prompt: [bos], maxTokens: 30, temperature: 0.9, stopAt: bos },
  ];
  for (const options of cases) {
    const [s, t] = engines.map((e) => generate(e, new PyRandom(11), options));
    assert.deepEqual(t, s, JSON.stringify(options));
  }
});

test('weights, optimizer state and load: a resumed run equals an uninterrupted one', () => {
  const config = CONFIGS.default;
  const weights = initParams(config, new PyRandom(9));
  const batches = encode(['ava', 'liam', 'noah', 'mia']).map((b) => [b]);
  const straight = createTensorEngine(config, weights, DEFAULT_TRAIN);
  const first = createTensorEngine(config, weights, DEFAULT_TRAIN);
  batches.forEach((b, i) => engineStep(straight, b, i, 0.01));
  batches.slice(0, 2).forEach((b, i) => engineStep(first, b, i, 0.01));
  const resumed = createTensorEngine(config, new Float64Array(weights.length), DEFAULT_TRAIN);
  resumed.load(first.weights(), first.optimizerState());
  batches.slice(2).forEach((b, i) => engineStep(resumed, b, i + 2, 0.01));
  assert.deepEqual(resumed.weights(), straight.weights());
  assert.deepEqual(resumed.optimizerState(), straight.optimizerState());
});
