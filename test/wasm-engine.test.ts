// The float32 WebAssembly engine against the scalar engine (float64, the reference's
// arithmetic) from the same weights: losses, weights after training, Adam's moments and
// samples agree to float32 precision; so do the knobs beyond the reference against the
// tensor engine; two threads give exactly what one thread gives.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnNodeWorker } from '../src/node/kernel-thread.js';
import type { ModelConfig, TrainConfig } from '../src/core/contract/config.js';
import { DEFAULT_TRAIN } from '../src/core/contract/config.js';
import type { Engine } from '../src/core/contract/engine.js';
import { initParams } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { createScalarEngine } from '../src/core/scalar/engine.js';
import { createTensorEngine } from '../src/core/tensor/engine.js';
import { buildTokenizer, encodeDocument } from '../src/core/contract/tokenizer.js';
import { autoThreads, createWasmEngine } from '../src/core/wasm/engine.js';
import { wasmSupport } from '../src/core/wasm/kernels.js';
import { generate } from '../src/core/run/generate.js';
import { ENGINES } from '../src/core/run/engines.js';
import { engineLoss, engineStep } from './engine-helpers.js';

const docs = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'charlotte', 'mia', 'amelia', 'harper', 'evelyn', 'abigail', 'emily'];
const tok = buildTokenizer(docs);
const batches = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]].map((b) => b.map((i) => encodeDocument(tok, docs[i])));
const config: ModelConfig = { vocabSize: tok.vocabSize, nLayer: 2, nEmbd: 16, nHead: 4, blockSize: 8, initStd: 0.08 };
const train: TrainConfig = { ...DEFAULT_TRAIN, batchSize: 3, steps: 4 };
const weights = initParams(config, new PyRandom(1));
const support = wasmSupport();

function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= worst)) { worst = err; at = i; }
  }
  assert.ok(worst <= tol, `${name}: worst at [${at}]: wasm ${got[at]}, scalar ${want[at]} (tolerance ${tol})`);
}

function trainAll(engine: Engine): number[] {
  return batches.map((b, step) => engineStep(engine, b, step, 0.01 * (1 - step / 4)));
}

test('float32 engine: losses, weights and moments follow the scalar engine', { skip: !support.simd && support.notice }, () => {
  const scalar = createScalarEngine(config, weights, train), wasm = createWasmEngine(config, weights, train);
  const allDocs = docs.map((d) => encodeDocument(tok, d));
  assert.ok(Math.abs(engineLoss(wasm, allDocs) - engineLoss(scalar, allDocs)) < 2e-7, 'held-out loss before training (chunked: 12 docs > 3 per pass)'); // measured 3.4e-8
  const ls = trainAll(scalar), lw = trainAll(wasm);
  expectClose('training losses', lw, ls, 2e-7); // measured 5.6e-8
  expectClose('weights after 4 steps', wasm.weights(), scalar.weights(), 2e-7); // measured 5.1e-8
  const ms = scalar.optimizerState(), mw = wasm.optimizerState();
  expectClose('adam m', mw.m, ms.m, 5e-8); // measured 1.5e-8
  expectClose('adam v', mw.v, ms.v, 5e-9); // measured 1.2e-9
  assert.ok(Math.abs(engineLoss(wasm, allDocs) - engineLoss(scalar, allDocs)) < 5e-7, 'held-out loss after training'); // measured 9.5e-8
});

test('float32 engine: the same samples as the scalar engine, also past the context', { skip: !support.simd && support.notice }, () => {
  const scalar = createScalarEngine(config, weights, train), wasm = createWasmEngine(config, weights, train);
  trainAll(scalar);
  trainAll(wasm);
  for (const options of [
    { prompt: [tok.bos], maxTokens: config.blockSize, temperature: 0.5, stopAt: tok.bos },
    { prompt: [tok.bos, 3, 4], maxTokens: 3 * config.blockSize, temperature: 1, topK: 5 },
  ]) {
    const r1 = new PyRandom(5), r2 = new PyRandom(5);
    for (let i = 0; i < 10; i++) assert.deepEqual(generate(wasm, r2, options), generate(scalar, r1, options), `sample ${i}`);
  }
});

test('float32 engine: load restores weights and moments', { skip: !support.simd && support.notice }, () => {
  const a = createWasmEngine(config, weights, train), b = createWasmEngine(config, weights, train);
  trainAll(a);
  b.load(a.weights(), a.optimizerState());
  assert.deepEqual(b.weights(), a.weights());
  assert.equal(engineStep(b, batches[0], 4, 0.001), engineStep(a, batches[0], 4, 0.001));
  assert.deepEqual(b.weights(), a.weights());
});

for (const [name, model, knobs] of [
  ['gelu', { activation: 'gelu' }, {}], ['relu2', { activation: 'relu2' }, {}], ['layernorm', { norm: 'layernorm' }, {}],
  ['grad-clip 0.5', {}, { gradClip: 0.5 }], ['weight-decay 0.1', {}, { weightDecay: 0.1 }],
  ['dropout 0.2', { dropout: 0.2 }, {}], // the same masks: one generator, the same order of draws
] as [string, Partial<ModelConfig>, Partial<TrainConfig>][]) {
  test(`float32 engine: ${name} follows the tensor engine`, { skip: !support.simd && support.notice }, () => {
    const c = { ...config, ...model }, t = { ...train, ...knobs };
    const tensor = createTensorEngine(c, weights, t), wasm = createWasmEngine(c, weights, t);
    assert.ok(ENGINES.get('float32')!.features.includes(name.split(' ')[0] as never));
    expectClose(`${name} losses`, trainAll(wasm), trainAll(tensor), 5e-7); // worst measured 8.2e-8 (weight decay)
    expectClose(`${name} weights`, wasm.weights(), tensor.weights(), 1e-6); // worst measured 4.2e-7 (dropout)
  });
}

test('float32 engine: two threads train exactly as one', { skip: !support.threads && 'no shared memory' }, async () => {
  const big: ModelConfig = { ...config, nEmbd: 64, blockSize: 16 };
  const w = initParams(big, new PyRandom(2));
  const t: TrainConfig = { ...train, batchSize: 4 };
  const one = createWasmEngine(big, w, t);
  const two = createWasmEngine(big, w, t, 1, { threads: 2, spawn: spawnNodeWorker, minFlops: 0 });
  await two.ready;
  try {
    assert.equal(two.threads, 2);
    for (let step = 0; step < 3; step++) {
      const batch = batches[step].concat([batches[3][step]]);
      assert.equal(engineStep(two, batch, step, 0.01), engineStep(one, batch, step, 0.01), `loss at step ${step}`);
    }
    assert.deepEqual(two.weights(), one.weights());
  } finally {
    two.close();
  }
});

test('float32 engine: two threads decode exactly as one (the attention over each cached row on either thread)', { skip: !support.threads && 'no shared memory' }, async () => {
  const big: ModelConfig = { ...config, nEmbd: 64, blockSize: 16 };
  const w = initParams(big, new PyRandom(4));
  const one = createWasmEngine(big, w, train);
  const two = createWasmEngine(big, w, train, 1, { threads: 2, spawn: spawnNodeWorker, minFlops: 0, minFloats: 0, adaptive: false });
  await two.ready;
  try {
    const [d1, d2] = [one.batchDecoder!(4, 16), two.batchDecoder!(4, 16)]; // 4 slots, a whole window a step
    const rng = new PyRandom(5);
    // four slots filled to different lengths, then steps of one row per slot at their next positions
    const fill = [16, 9, 3, 12], pos = [0, 0, 0, 0];
    for (let slot = 0; slot < 4; slot++) {
      const ids = Int32Array.from({ length: fill[slot] }, () => rng.randbelow(big.vocabSize));
      const args = [new Int32Array(fill[slot]).fill(slot), ids, Int32Array.from({ length: fill[slot] }, (_, p) => p), fill[slot]] as const;
      assert.deepEqual(d2.step(...args), d1.step(...args), `slot ${slot}'s prompt`);
      pos[slot] = fill[slot] % 16;
    }
    for (let step = 0; step < 5; step++) {
      const slots = Int32Array.from([0, 1, 2, 3]), ids = Int32Array.from({ length: 4 }, () => rng.randbelow(big.vocabSize));
      const positions = Int32Array.from(pos.map((p) => p));
      assert.deepEqual(d2.step(slots, ids, positions, 4), d1.step(slots, ids, positions, 4), `step ${step}`);
      for (let s = 0; s < 4; s++) pos[s] = (pos[s] + 1) % 16;
    }
    assert.deepEqual(two.feed([1, 2, 3, 4, 5], 0), one.feed([1, 2, 3, 4, 5], 0), 'feed');
  } finally {
    two.close();
  }
});

test('float32 engine: decoding with the thread probe on (as serve runs) gives one thread\'s logits across its trial steps', { skip: !support.threads && 'no shared memory' }, async () => {
  // the probe runs trial steps on the calling thread alone from the 9th decode step on, every
  // 64 steps, and may keep that way: the cache rows written by either way must read the same
  const big: ModelConfig = { ...config, nEmbd: 64, blockSize: 16 };
  const w = initParams(big, new PyRandom(6));
  const one = createWasmEngine(big, w, train);
  const two = createWasmEngine(big, w, train, 1, { threads: 2, spawn: spawnNodeWorker, minFlops: 0, minFloats: 0 });
  await two.ready;
  try {
    const [d1, d2] = [one.batchDecoder!(4), two.batchDecoder!(4)];
    const rng = new PyRandom(7), slots = Int32Array.from([0, 1, 2, 3]);
    for (let step = 0; step < 150; step++) { // trials at steps 8-11, 72-75, 136-139
      const ids = Int32Array.from({ length: 4 }, () => rng.randbelow(big.vocabSize));
      const positions = Int32Array.from(slots, (s) => (step + 5 * s) % 16);
      assert.deepEqual(d2.step(slots, ids, positions, 4), d1.step(slots, ids, positions, 4), `step ${step}`);
    }
  } finally {
    two.close();
  }
});

test('autoThreads: two threads only where a step has products worth splitting and a second core', () => {
  const recipe: ModelConfig = { ...config, nLayer: 4, nEmbd: 128, nHead: 4, blockSize: 64 };
  assert.equal(autoThreads(recipe, { ...train, batchSize: 12 }, 2), 2);
  assert.equal(autoThreads(recipe, { ...train, batchSize: 12 }, 1), 1, 'one core');
  assert.equal(autoThreads(config, train, 8), 1, 'the reference model: every product is below the hand-off threshold');
});
