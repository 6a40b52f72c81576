// The plain-number forward of the playground against the scalar engine (the same
// probabilities at every position) and, for the settings beyond the reference, against the
// tensor engine's logits; attention rows are causal distributions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectForward } from '../web/src/inspect.js';
import { trainStep } from '../src/core/run/loop.js';
import { createRun } from '../src/core/run/run.js';
import { createScalarModel, emptyCache, gptForward, softmax } from '../src/core/scalar/gpt.js';
import { createTensorModel, gptForward as tensorForward, pack } from '../src/core/tensor/gpt.js';
import type { ModelConfig } from '../src/core/contract/config.js';
import { encode } from '../src/core/contract/tokenizer.js';

const DOCS = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'harper'];

for (const model of [{}, { nLayer: 2, nEmbd: 12, nHead: 3, blockSize: 8 }]) {
  test(`probabilities equal softmax of the scalar engine's logits (${JSON.stringify(model)})`, () => {
    const run = createRun(DOCS, { seed: 7, model, train: { steps: 5 } });
    for (let i = 0; i < 5; i++) trainStep(run); // trained weights, not just the initial draw
    const weights = run.engine.weights();
    const tokens = [run.tokenizer.bos, ...encode(run.tokenizer, 'amelia')];
    const got = inspectForward(run.config, weights, tokens);

    const scalar = createScalarModel(run.config, weights);
    const cache = emptyCache(run.config.nLayer);
    let worst = 0, where = '';
    tokens.forEach((id, pos) => {
      const want = softmax(gptForward(scalar, id, pos, cache)).map((v) => v.data);
      want.forEach((w, c) => {
        const diff = Math.abs(got.probs[pos][c] - w);
        if (diff > worst || where === '') { worst = Math.max(worst, diff); where = `pos ${pos} id ${c}: got ${got.probs[pos][c]}, scalar ${w}`; }
      });
    });
    assert.equal(worst, 0, `largest difference at ${where}`);
  });
}

// The llama preset's settings at a small size, then each setting on its own (and with the rest).
const LLAMA: Partial<ModelConfig> = { nLayer: 2, nEmbd: 16, nHead: 4, nKvHead: 2, blockSize: 8, pos: 'rope', ropeTheta: 10000,
  activation: 'swiglu', mlpHidden: 24, normWeight: true, finalNorm: true, embedNorm: false };
const BEYOND: Partial<ModelConfig>[] = [LLAMA, { ...LLAMA, tieEmbeddings: true, nKvHead: 1 }, { pos: 'rope', ropeTheta: 500 }, { nKvHead: 1 },
  { activation: 'swiglu' }, { activation: 'relu2', mlpHidden: 20 }, { activation: 'gelu' }, { normWeight: true }, { finalNorm: true },
  { embedNorm: false }, { tieEmbeddings: true }, { norm: 'layernorm', normWeight: true, finalNorm: true }];

for (const model of BEYOND) {
  test(`logits and probabilities equal the tensor engine's (${JSON.stringify(model)})`, () => {
    const run = createRun(DOCS, { seed: 3, model, train: { steps: 5, learningRate: 0.05 } });
    for (let i = 0; i < 5; i++) trainStep(run); // trained gains and weights, not the initial draw
    const weights = run.engine.weights();
    const tokens = [run.tokenizer.bos, ...encode(run.tokenizer, 'amelia')];
    const got = inspectForward(run.config, weights, tokens);

    const m = createTensorModel(run.config, weights);
    pack(m, [[...tokens, 0]], 0); // the last target is unused: only the logits are compared
    tensorForward(m);
    const V = run.config.vocabSize;
    let worst = 0, where = 'nowhere';
    for (const [name, mine, theirs] of [['logits', got.logits, m.acts.logits], ['probs', got.probs, m.acts.probs]] as const) {
      tokens.forEach((_, pos) => {
        for (let c = 0; c < V; c++) {
          const diff = Math.abs(mine[pos][c] - theirs[pos * V + c]);
          if (diff > worst) { worst = diff; where = `${name} pos ${pos} id ${c}: got ${mine[pos][c]}, tensor ${theirs[pos * V + c]}`; }
        }
      });
    }
    // measured: equal to the last bit, as both sum each dot product left to right
    assert.equal(worst, 0, `largest difference at ${where}`);
  });
}

test('attention rows are causal distributions, one per head and layer', () => {
  const run = createRun(DOCS, { seed: 1, model: { nLayer: 2, nHead: 4 } });
  const tokens = [run.tokenizer.bos, ...encode(run.tokenizer, 'mia')];
  const { attention, probs } = inspectForward(run.config, run.engine.weights(), tokens);
  assert.equal(attention.length, 2);
  assert.equal(probs.length, tokens.length);
  for (const layer of attention) {
    assert.equal(layer.length, 4);
    for (const head of layer) {
      head.forEach((row, pos) => {
        assert.equal(row.length, pos + 1, 'a position attends to itself and the ones before it');
        const total = row.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 1) < 1e-12, `row ${pos} sums to ${total}`);
      });
    }
  }
});

test('more tokens than the context is an error', () => {
  const run = createRun(DOCS, { model: { blockSize: 4 } });
  assert.throws(() => inspectForward(run.config, run.engine.weights(), [0, 1, 2, 3, 4]), /1\.\.4 tokens/);
});
