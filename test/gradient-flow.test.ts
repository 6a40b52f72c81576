// Gradient flow: every engine hands over the gradient it is about to use, the same numbers
// on each (exactly on the float64 ones), the per-tensor norms and ratios are what they say,
// dead ReLUs are counted, and measuring changes nothing about the run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import { initParams, paramLayout } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { ENGINES } from '../src/core/run/engines.js';
import { gradientFlow } from '../src/core/run/gradient-flow.js';
import { trainingLoop } from '../src/core/run/loop.js';
import { createRun } from '../src/core/run/run.js';
import { assertTensorClose } from './tensor-helpers.js';

const config: ModelConfig = { vocabSize: 7, nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 6, initStd: 0.3 };
const batch = [[6, 0, 1, 2, 3, 6], [6, 4, 5, 1, 6]];
const available = [...ENGINES.values()].filter((s) => s.unavailable() === undefined);

function gradientsOn(engine: string, weights: Float64Array): Float64Array {
  const e = ENGINES.get(engine as never)!.create(config, weights, { ...DEFAULT_TRAIN, batchSize: 2 }, 42, { threads: engine === 'float32' ? 1 : undefined });
  e.backward(batch, 0, 1 / 9);
  const g = e.gradients();
  e.close?.();
  return g;
}

test('every engine hands over the same gradient, to float64 rounding on the float64 engines and float32 on float32', () => {
  const weights = initParams(config, new PyRandom(3));
  const scalar = gradientsOn('scalar', weights), tensor = gradientsOn('tensor', weights);
  assert.ok(tensor.some((g) => Math.abs(g) > 0.1));
  // measured worst absolute differences, gradients up to 1.42: scalar 2.5e-16 (the graph sums
  // the two sequences' shares in another order), float32 1.7e-7
  assertTensorClose('scalar gradients', scalar, tensor, 1e-15, 1);
  if (available.some((s) => s.name === 'float32')) assertTensorClose('float32 gradients', gradientsOn('float32', weights), tensor, 5e-7, 1);
});

test('the numbers: norms of the gradient and the weights, and the update as a fraction of the weights', () => {
  const c: ModelConfig = { vocabSize: 2, nLayer: 1, nEmbd: 1, nHead: 1, blockSize: 1, initStd: 0.1 };
  const n = paramLayout(c).reduce((s, p) => s + p.size, 0);
  const before = Float64Array.from({ length: n }, (_, i) => i + 1), grads = new Float64Array(n), after = before.slice();
  grads[0] = 3; grads[1] = 4;    // wte (2, 1): |g| = 5
  after[0] += 0.3; after[1] -= 0.4; // |dw| = 0.5 against |w| = |(1, 2)| = sqrt 5
  const flow = gradientFlow(c, before, grads, after);
  assert.equal(flow.tensors[0].name, 'wte');
  assert.equal(flow.tensors[0].grad, 5);
  assert.equal(flow.tensors[0].weight, Math.sqrt(5));
  assert.ok(Math.abs(flow.tensors[0].update - 0.5 / Math.sqrt(5)) < 1e-15);
  assert.equal(flow.tensors[1].update, 0, 'an unmoved tensor');
  assert.deepEqual(flow.tensors.map((t) => t.name), paramLayout(c).map((p) => p.name));
});

test('dead ReLUs: an MLP unit whose weights are all zero passes no gradient back, and is counted', () => {
  const weights = initParams(config, new PyRandom(3));
  const fc1 = paramLayout(config).find((p) => p.name === 'layer1.mlp_fc1')!;
  const live = gradientFlow(config, weights, gradientsOn('tensor', weights), weights).deadUnits!;
  weights.fill(0, fc1.offset, fc1.offset + 5 * fc1.cols); // five units of layer 1 never fire
  const flow = gradientFlow(config, weights, gradientsOn('tensor', weights), weights);
  assert.equal(flow.deadUnits![1].units, 32);
  assert.equal(flow.deadUnits![1].dead, live[1].dead + 5);
  assert.equal(gradientFlow({ ...config, activation: 'gelu' }, weights, weights, weights).deadUnits, undefined, 'gelu has no exact zeros');
});

test('measuring the flow changes nothing about the run', () => {
  const losses = (flowEvery: number) => {
    const run = createRun(['anna', 'bob', 'cleo', 'dan'], { model: { nEmbd: 8, nHead: 2 }, train: { steps: 12 } });
    const seen: number[] = [];
    let measured = 0;
    for (const e of trainingLoop(run, { flowEvery, evalSize: 0 })) {
      if (e.type === 'step') { seen.push(e.loss); if (e.flow) measured++; }
    }
    return { seen, measured, weights: run.engine.weights() };
  };
  const plain = losses(0), measured = losses(5);
  assert.deepEqual(measured.seen, plain.seen);
  assert.deepEqual(measured.weights, plain.weights);
  assert.equal(plain.measured, 0);
  assert.equal(measured.measured, 3, 'steps 1, 5 and 10');
});

test('train --metrics writes the flow on the steps asked for; a bad --flow-every is one clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-'));
  try {
    const bin = new URL('../../bin/microgpt.js', import.meta.url).pathname, metrics = join(dir, 'm.jsonl');
    const r = spawnSync(process.execPath, [bin, 'train', '--steps', '20', '--flow-every', '10', '--metrics', metrics, '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.filter((l) => l.grad_norm !== undefined).map((l) => l.step), [1, 10, 20]);
    const first = lines[0] as { grad_norm: Record<string, number>; update_ratio: Record<string, number>; dead_units: number[] };
    assert.deepEqual(Object.keys(first.grad_norm), paramLayout({ ...config, nLayer: 1 }).map((p) => p.name));
    assert.ok(Object.values(first.update_ratio).every((x) => x > 0 && x < 1));
    assert.equal(first.dead_units.length, 1);
    const bad = spawnSync(process.execPath, [bin, 'train', '--flow-every', '-1', '--metrics', metrics], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^microgpt: error: --flow-every must be an integer >= 0, got -1\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
