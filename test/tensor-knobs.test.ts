// The tensor engine's settings beyond the reference: activations and LayerNorm against a
// formula and finite differences, the whole model's gradient with them on, and what a user
// sees of grad clipping, weight decay and dropout. The defaults must not move a bit.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_MODEL, DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import { initParams } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { batchTokens } from '../src/core/contract/engine.js';
import { train } from '../src/core/run/loop.js';
import { type RunOptions, createRun } from '../src/core/run/run.js';
import { engineStep } from './engine-helpers.js';
import { adamUpdate, clipGradNorm } from '../src/core/tensor/adam.js';
import { createTensorEngine } from '../src/core/tensor/engine.js';
import { createTensorModel, forwardLoss, lossAndGrad } from '../src/core/tensor/gpt.js';
import { layernormBackward, layernormForward } from '../src/core/tensor/layernorm.js';
import { geluBackward, geluForward, relu2Backward, relu2Forward } from '../src/core/tensor/pointwise.js';
import { assertTensorClose, newRng, numericGrad, objective, randomTensor } from './tensor-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const NAMES = fileURLToPath(new URL('../../data/names.txt', import.meta.url));
const DOCS = readFileSync(NAMES, 'utf8').split('\n').filter((l) => l.length > 0).slice(0, 200);

type Unary = (out: Float64Array, inp: Float64Array, n: number) => void;
type UnaryBackward = (dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number) => void;

function checkPointwise(name: string, forward: Unary, backward: UnaryBackward, formula: (x: number) => number): void {
  const rng = newRng(7), n = 64;
  const x = randomTensor(rng, n, 1.5), dout = randomTensor(rng, n);
  x[0] = 1e-3; // near the kink, but not on it
  const out = new Float64Array(n);
  forward(out, x, n);
  assertTensorClose(`${name} forward vs formula`, out, Array.from(x, formula), 0, 1e-300); // the same arithmetic: exact
  const dx = new Float64Array(n).fill(0.25); // backward accumulates
  backward(dx, dout, x, n);
  for (let i = 0; i < n; i++) dx[i] -= 0.25;
  const num = numericGrad(x, () => { const o = new Float64Array(n); forward(o, x, n); return objective(o, dout); }, 1e-6);
  assertTensorClose(`${name} dinp vs finite differences`, dx, num, 5e-7, 1e-6); // worst measured 1.1e-7 (relu2)
}

test('relu2 and gelu: forward is the formula, backward matches finite differences', () => {
  checkPointwise('relu2', relu2Forward, relu2Backward, (x) => (x > 0 ? x * x : 0));
  const k = Math.sqrt(2 / Math.PI);
  checkPointwise('gelu', geluForward, geluBackward, (x) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x ** 3))));
});

test('layernorm: rows of mean 0 and variance 1, backward matches finite differences', () => {
  const rng = newRng(11), N = 3, C = 8;
  const x = randomTensor(rng, N * C, 2), dout = randomTensor(rng, N * C);
  for (let i = 0; i < N * C; i++) x[i] += 3; // an offset that rmsnorm would keep
  const out = new Float64Array(N * C), rstd = new Float64Array(N);
  layernormForward(out, rstd, x, N, C);
  const want = new Float64Array(N * C);
  for (let t = 0; t < N; t++) {
    const row = Array.from(x.subarray(t * C, t * C + C));
    const mean = row.reduce((a, b) => a + b) / C;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / C;
    row.forEach((v, i) => { want[t * C + i] = (v - mean) / Math.sqrt(variance + 1e-5); });
  }
  assertTensorClose('layernorm forward vs formula', out, want, 1e-15); // measured 2e-16
  const dx = new Float64Array(N * C);
  layernormBackward(dx, dout, x, rstd, N, C);
  const num = numericGrad(x, () => { layernormForward(out, rstd, x, N, C); return objective(out, dout); });
  assertTensorClose('layernorm dinp vs finite differences', dx, num, 1e-8, 1e-6); // measured 2.3e-9
});

const TINY: ModelConfig = { ...DEFAULT_MODEL, vocabSize: 7, nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 6, initStd: 0.3 };
const BATCH = [[0, 3, 1, 4, 1, 5, 0], [0, 2, 6, 0]];

test('whole model with gelu + layernorm: sampled weight gradients match finite differences', () => {
  for (const knobs of [{ activation: 'gelu', norm: 'layernorm' }, { activation: 'relu2', norm: 'layernorm' }] as const) {
    const config = { ...TINY, ...knobs };
    const m = createTensorModel(config, initParams(config, new PyRandom(3)), 16);
    const mean = 1 / batchTokens(BATCH, config.blockSize);
    lossAndGrad(m, BATCH, mean); // the gradient of the mean loss, as the central differences below measure it
    const rng = newRng(5), idx: number[] = [];
    for (let k = 0; k < 40; k++) idx.push(Math.floor(rng.random() * m.params.length));
    const got = new Float64Array(idx.length), want = new Float64Array(idx.length);
    idx.forEach((i, k) => {
      got[k] = m.grads[i];
      const old = m.params[i];
      m.params[i] = old + 1e-5;
      const up = forwardLoss(m, BATCH) * mean;
      m.params[i] = old - 1e-5;
      const down = forwardLoss(m, BATCH) * mean;
      m.params[i] = old;
      want[k] = (up - down) / 2e-5;
    });
    assertTensorClose(`${knobs.activation}+${knobs.norm} sampled grads (params ${idx.join(',')})`, got, want, 2e-7, 1e-7); // worst measured 3.5e-8
  }
});

function losses(options: RunOptions, steps = 6): number[] {
  const run = createRun(DOCS, { engine: 'tensor', ...options, train: { steps, ...options.train } });
  const out: number[] = [];
  train(run, (info) => { out.push(info.loss); });
  return out;
}

test('grad clip: the norm becomes the limit when larger; a tiny limit changes training', () => {
  const g = Float64Array.from([3, 4, 0]);
  assert.equal(clipGradNorm(g, 1, 3), 5);
  assert.ok(Math.abs(Math.hypot(...g) - 1) < 1e-15, `clipped norm ${Math.hypot(...g)}`);
  const small = Float64Array.from([0.3, 0.4]);
  clipGradNorm(small, 1, 2);
  assert.deepEqual(Array.from(small), [0.3, 0.4]);
  const base = losses({});
  assert.deepEqual(losses({ train: { gradClip: 0 } }), base);
  assert.notDeepEqual(losses({ train: { gradClip: 1e-3 } }), base);
});

test('weight decay: with zero gradients every weight shrinks by 1 - lr * decay per step', () => {
  const w0 = initParams(TINY, new PyRandom(1)), n = w0.length;
  const params = w0.slice(), grads = new Float64Array(n), m = new Float64Array(n), v = new Float64Array(n);
  const lr = 0.1, wd = 0.5, cfg = { ...DEFAULT_TRAIN, weightDecay: wd };
  adamUpdate(params, grads, m, v, cfg, 0, lr, n); // zero moments: Adam itself moves nothing
  adamUpdate(params, grads, m, v, cfg, 1, lr, n);
  assertTensorClose('decayed weights', params, w0.map((w) => w * (1 - lr * wd) ** 2), 1e-15);
  assert.deepEqual(losses({ train: { weightDecay: 0 } }), losses({}));
  assert.notDeepEqual(losses({ train: { weightDecay: 0.5 } }), losses({}));
});

test('dropout: loss() is unaffected, training differs from none, and the same seed repeats exactly', () => {
  const w = initParams({ ...TINY, dropout: 0.5 }, new PyRandom(2));
  const on = createTensorEngine({ ...TINY, dropout: 0.5 }, w, DEFAULT_TRAIN, 42);
  const off = createTensorEngine(TINY, w, DEFAULT_TRAIN, 42);
  const l = on.lossSum(BATCH);
  assert.equal(on.lossSum(BATCH), l);
  assert.equal(off.lossSum(BATCH), l);
  assert.notEqual(engineStep(on, BATCH, 0, 0.01), engineStep(off, BATCH, 0, 0.01));
  const a = losses({ model: { dropout: 0.5 } }), b = losses({ model: { dropout: 0.5 } });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, losses({}));
  assert.notDeepEqual(losses({ model: { dropout: 0.5 }, seed: 7 }), losses({ seed: 7 }));
});

test('dropout: a resumed engine draws the same masks as an uninterrupted one', () => {
  const config = { ...TINY, dropout: 0.3 }, w = initParams(config, new PyRandom(4));
  const whole = createTensorEngine(config, w, DEFAULT_TRAIN, 9);
  const first = createTensorEngine(config, w, DEFAULT_TRAIN, 9);
  const want = [0, 1, 2, 3].map((s) => engineStep(whole, BATCH, s, 0.01));
  const got = [0, 1].map((s) => engineStep(first, BATCH, s, 0.01));
  const second = createTensorEngine(config, w, DEFAULT_TRAIN, 9);
  second.load(first.weights(), first.optimizerState());
  got.push(...[2, 3].map((s) => engineStep(second, BATCH, s, 0.01)));
  assert.deepEqual(got, want);
});

test('the CLI trains with --dropout, and the scalar engine rejects every knob clearly', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'train', '--data', NAMES, '--steps', '5', '--eval-every', '0', ...args], { encoding: 'utf8' });
  const r = cli('--dropout', '0.1', '--activation', 'gelu', '--norm', 'layernorm', '--grad-clip', '1', '--weight-decay', '0.1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /step 5\/5 \| loss \d+\.\d{4}/);
  for (const [flag, value, message] of [
    ['--dropout', '0.1', 'dropout 0.1'], ['--activation', 'gelu', 'activation gelu'], ['--activation', 'relu2', 'activation relu2'],
    ['--norm', 'layernorm', 'norm layernorm'], ['--grad-clip', '1', 'grad-clip 1'], ['--weight-decay', '0.1', 'weight-decay 0.1'],
  ]) {
    assert.throws(() => createRun(DOCS, { engine: 'scalar', ...knobOptions(flag, value) }), new RegExp(`${message} is not supported by the scalar engine yet`));
  }
  const s = cli('--engine', 'scalar', '--dropout', '0.1');
  assert.notEqual(s.status, 0);
  assert.match(s.stderr, /dropout 0\.1 is not supported by the scalar engine yet/);
});

function knobOptions(flag: string, value: string): RunOptions {
  if (flag === '--activation') return { model: { activation: value as 'gelu' } };
  if (flag === '--norm') return { model: { norm: 'layernorm' } };
  if (flag === '--dropout') return { model: { dropout: Number(value) } };
  if (flag === '--grad-clip') return { train: { gradClip: Number(value) } };
  return { train: { weightDecay: Number(value) } };
}
