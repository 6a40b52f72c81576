// The float32 engine's results pinned bit for bit: a hash of the losses and weights after a few
// training steps of the scale run's shape (bench/scale.ts) and of an odd shape that leaves every
// vector and tile remainder, with dropout. A speed-up must leave these unchanged; a change meant
// to move bits updates them on purpose. Only the plain SIMD build: with relaxed SIMD, whether a
// multiply-add is fused depends on the processor, so its bits differ from machine to machine.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ModelConfig, TrainConfig } from '../src/core/contract/config.js';
import { trainStep } from '../src/core/run/loop.js';
import { createTextRun } from '../src/core/run/run.js';
import { wasmSupport } from '../src/core/wasm/kernels.js';
import { spawnNodeWorker } from '../src/node/kernel-thread.js';

const text = readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8');
const SCALE: Partial<ModelConfig> = { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, activation: 'gelu', norm: 'layernorm' };
const ODD: Partial<ModelConfig> = { nLayer: 2, nHead: 4, nEmbd: 40, blockSize: 21, activation: 'gelu', norm: 'layernorm', dropout: 0.1 };
const train = (batchSize: number): Partial<TrainConfig> =>
  ({ batchSize, steps: 2000, learningRate: 1e-3, schedule: 'cosine', warmupSteps: 100, beta1: 0.9, beta2: 0.99 });

/** sha256 (first 16 hex digits) of the losses of `steps` steps and the weights after them. */
async function fingerprint(model: Partial<ModelConfig>, batchSize: number, steps: number, threads: number): Promise<string> {
  const run = createTextRun(text, { engine: 'float32', threads, spawn: spawnNodeWorker, tuning: { relaxed: false, adaptive: false },
    model, train: train(batchSize) });
  try {
    await (run.engine as { ready?: Promise<void> }).ready;
    const losses = Float64Array.from({ length: steps }, () => trainStep(run).loss), weights = run.engine.weights();
    return createHash('sha256').update(new Uint8Array(losses.buffer))
      .update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex').slice(0, 16);
  } finally {
    run.engine.close?.();
  }
}

const support = wasmSupport();
for (const threads of support.threads ? [1, 2] : [1]) {
  test(`float32 (plain SIMD) results are pinned bit for bit, threads ${threads}`, { skip: !support.simd && 'no WebAssembly SIMD' }, async () => {
    assert.equal(await fingerprint(SCALE, 12, 3, threads), 'c2459922ef154b01', 'the scale run shape');
    assert.equal(await fingerprint(ODD, 3, 4, threads), 'f512e167e47d4534', 'the odd shape with dropout');
  });
}
