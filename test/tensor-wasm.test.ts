// The tensor engine's WebAssembly kernels (wasm/float64/) against the TypeScript ones they
// twin: every product, Adam step, loss, attention and norm, and whole training runs, reference
// and beyond, must give the same bits, not merely close numbers.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_TRAIN, type ModelConfig, type TrainConfig } from '../src/core/contract/config.js';
import { train } from '../src/core/run/loop.js';
import { createRun } from '../src/core/run/run.js';
import { createTensorEngine, tensorKernels } from '../src/core/tensor/engine.js';
import { type TensorKernels, TS_KERNELS } from '../src/core/tensor/kernels.js';
import { createWasmKernels, wasmTokenProbabilities } from '../src/core/tensor/wasm-kernels.js';
import { tokenProbabilities } from '../src/core/contract/sampling.js';
import { newRng } from './tensor-helpers.js';

const NAMES = fileURLToPath(new URL('../../data/names.txt', import.meta.url));
const DOCS = readFileSync(NAMES, 'utf8').split('\n').filter((l) => l.length > 0);

const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));

/** Fails unless got and want hold the same float64 bits, naming the first element that differs. */
function assertSameBits(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${name}: length ${got.length}, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${name}: element [${i}] got ${show(got[i])}, want ${show(want[i])} (of ${want.length})`);
  }
}

/** A buffer from `k` holding `values`. */
function filled(k: TensorKernels, values: Float64Array): Float64Array {
  const a = k.alloc(values.length);
  a.set(values);
  return a;
}

/** Gaussian entries, with exact zeros (and so signed-zero products) sprinkled in. */
function values(seed: number, n: number): Float64Array {
  const rng = newRng(seed), out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 7 === 3 ? 0 : rng.gauss(0, 1);
  return out;
}

test('wasm matmul forward and backward: the same bits as the TS kernels, odd and even shapes', (t) => {
  const k = createWasmKernels(1 << 20);
  if (!k) return t.skip('no WebAssembly SIMD here');
  // N odd (the TS tiles repeat the last row), C and OC odd, not multiples of 8, and 1
  const shapes = [[1, 16, 48], [16, 16, 27], [3, 5, 7], [7, 64, 256], [2, 17, 9], [5, 1, 3], [1, 3, 1], [9, 24, 10], [32, 256, 64]];
  for (const [N, C, OC] of shapes) {
    const what = `N ${N}, C ${C}, OC ${OC}`, x = values(N * 1000 + C, N * C), w = values(OC, OC * C), dy = values(7, N * OC);
    x.fill(0, 0, C); // a row of zeros: every product of row 0 is a signed zero
    for (let i = 0; i < C; i++) w[i] = -Math.abs(w[i]); // all -0 for output 0: a sum that starts from 0, not its first term, gives +0
    const dx0 = values(1, N * C), dw0 = values(2, OC * C); // backward accumulates onto these
    const wx = filled(k, x), ww = filled(k, w), wy = k.alloc(N * OC), wdy = filled(k, dy), wdx = filled(k, dx0), wdw = filled(k, dw0);
    assert.ok(wx.buffer === wdw.buffer, 'the buffers are in the module\'s memory, so the wasm kernel runs');
    const y = new Float64Array(N * OC), dx = dx0.slice(), dw = dw0.slice();
    k.matmulForward(wy, wx, ww, N, C, OC);
    TS_KERNELS.matmulForward(y, x, w, N, C, OC);
    assertSameBits(`matmulForward out (${what})`, wy, y);
    k.matmulBackward(wdx, wdw, wdy, wx, ww, N, C, OC);
    TS_KERNELS.matmulBackward(dx, dw, dy, x, w, N, C, OC);
    assertSameBits(`matmulBackward dinp (${what})`, wdx, dx);
    assertSameBits(`matmulBackward dweight (${what})`, wdw, dw);
  }
});

test('wasm Adam: the same parameters, moments and cleared gradients as the TS loop, with and without weight decay', (t) => {
  const k = createWasmKernels(1 << 16);
  if (!k) return t.skip('no WebAssembly SIMD here');
  for (const [n, weightDecay] of [[101, 0], [64, 0.1], [1, 0.5]] as const) {
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, weightDecay }, what = `n ${n}, weight decay ${weightDecay}`;
    const p = values(3, n), m = new Float64Array(n), v = new Float64Array(n);
    const wp = filled(k, p), wg = k.alloc(n), wm = k.alloc(n), wv = k.alloc(n);
    for (const step of [0, 1, 2, 400, 999]) { // late steps: 1 - beta1^(step+1) rounds to 1
      const g = values(10 + step, n), grads = g.slice(), lr = 0.01 * (1 - step / 1000);
      wg.set(g);
      k.adamUpdate(wp, wg, wm, wv, cfg, step, lr, n);
      TS_KERNELS.adamUpdate(p, grads, m, v, cfg, step, lr, n);
      assertSameBits(`params (${what}, step ${step})`, wp, p);
      assertSameBits(`m (${what}, step ${step})`, wm, m);
      assertSameBits(`v (${what}, step ${step})`, wv, v);
      assertSameBits(`grads (${what}, step ${step})`, wg, grads);
    }
  }
});

test('wasm cross-entropy forward: the same probabilities and losses as the TS kernel, odd vocabularies', (t) => {
  const k = createWasmKernels(1 << 16);
  if (!k) return t.skip('no WebAssembly SIMD here');
  for (const [N, V] of [[1, 27], [7, 27], [5, 1], [3, 2], [9, 101]]) {
    const what = `N ${N}, V ${V}`, z = values(N + V, N * V).map((x, i) => (i % 5 === 0 ? 30 * x : x)); // some rows far from uniform
    const targets = Int32Array.from({ length: N }, (_, t) => (t * 7 + 3) % V);
    const probs = new Float64Array(N * V), losses = new Float64Array(N);
    const wp = k.alloc(N * V), wl = k.alloc(N), wz = filled(k, z), wt = k.allocInts(N);
    wt.set(targets);
    assert.ok(wt.buffer === wz.buffer, 'the targets are in the module\'s memory, so the wasm kernel runs');
    k.crossentropyForward(wp, wl, wz, wt, N, V);
    TS_KERNELS.crossentropyForward(probs, losses, z, targets, N, V);
    assertSameBits(`crossentropyForward probs (${what})`, wp, probs);
    assertSameBits(`crossentropyForward losses (${what})`, wl, losses);
  }
});

test('wasm attention forward and backward: the same bits as the TS kernels, packed sequences, grouped heads, decoding', (t) => {
  const k = createWasmKernels(1 << 18);
  if (!k) return t.skip('no WebAssembly SIMD here');
  // [rows before the sequence, its length, queries from t0, C, NH, KV, A]
  const cases = [[0, 7, 0, 16, 4, 4, 16], [3, 5, 0, 15, 3, 3, 9], [2, 6, 0, 24, 4, 2, 8], [0, 1, 0, 8, 2, 1, 4], [4, 9, 8, 12, 6, 3, 9], [1, 5, 2, 10, 1, 1, 5]];
  for (const [row0, T, t0, C, NH, KV, A] of cases) {
    const what = `row0 ${row0}, T ${T}, t0 ${t0}, C ${C}, NH ${NH}, KV ${KV}, A ${A}`, N = row0 + T, W = C + 2 * KV * (C / NH);
    const qkv = values(N * W, N * W).map((x) => 2 * x), out0 = values(1, N * C), att0 = values(2, N * NH * A);
    const out = out0.slice(), att = att0.slice(), wout = filled(k, out0), watt = filled(k, att0), wqkv = filled(k, qkv);
    k.attentionForward(wout, watt, wqkv, row0, t0, T, C, NH, A, KV);
    TS_KERNELS.attentionForward(out, att, qkv, row0, t0, T, C, NH, A, KV);
    assertSameBits(`attentionForward out (${what})`, wout, out);
    assertSameBits(`attentionForward att (${what})`, watt, att);
    const dqkv0 = values(3, N * W), datt0 = values(4, N * NH * A), dout = values(5, N * C);
    const dqkv = dqkv0.slice(), datt = datt0.slice(), wdqkv = filled(k, dqkv0), wdatt = filled(k, datt0), wdout = filled(k, dout);
    k.attentionBackward(wdqkv, wdatt, wdout, wqkv, watt, row0, T, C, NH, A, KV);
    TS_KERNELS.attentionBackward(dqkv, datt, dout, qkv, att, row0, T, C, NH, A, KV);
    assertSameBits(`attentionBackward dqkv (${what})`, wdqkv, dqkv);
    assertSameBits(`attentionBackward datt (${what})`, wdatt, datt);
  }
});

test('wasm RMSNorm forward and backward: the same bits as the TS kernels, odd widths', (t) => {
  const k = createWasmKernels(1 << 16);
  if (!k) return t.skip('no WebAssembly SIMD here');
  for (const [N, C] of [[1, 16], [7, 16], [3, 15], [5, 1], [2, 37]]) {
    const what = `N ${N}, C ${C}`, x = values(N * 10 + C, N * C), dy = values(6, N * C), dx0 = values(8, N * C);
    x.fill(0, 0, C); // a row of zeros: its scale is eps^-1/2
    const y = new Float64Array(N * C), rstd = new Float64Array(N), dx = dx0.slice();
    const wx = filled(k, x), wy = k.alloc(N * C), wr = k.alloc(N), wdy = filled(k, dy), wdx = filled(k, dx0);
    k.rmsnormForward(wy, wr, wx, N, C);
    TS_KERNELS.rmsnormForward(y, rstd, x, N, C);
    assertSameBits(`rmsnormForward out (${what})`, wy, y);
    assertSameBits(`rmsnormForward rstd (${what})`, wr, rstd);
    k.rmsnormBackward(wdx, wdy, wx, wr, N, C);
    TS_KERNELS.rmsnormBackward(dx, dy, x, rstd, N, C);
    assertSameBits(`rmsnormBackward dinp (${what})`, wdx, dx);
  }
});

test('wasm cross-entropy backward, ReLU, residual adds and embeddings: the same bits as the TS kernels', (t) => {
  const k = createWasmKernels(1 << 16);
  if (!k) return t.skip('no WebAssembly SIMD here');
  const ints = (values: number[]) => { const a = k.allocInts(values.length); a.set(values); return a; };
  for (const [N, V, C] of [[1, 27, 16], [7, 27, 16], [5, 3, 15], [2, 1, 1]]) {
    const what = `N ${N}, V ${V}, C ${C}`, targets = Array.from({ length: N }, (_, i) => (i * 5 + 1) % V);
    const probs = values(1, N * V).map(Math.abs), dz0 = values(2, N * V), dz = dz0.slice(), wdz = filled(k, dz0);
    k.crossentropyBackward(wdz, filled(k, probs), ints(targets), 1 / 7, N, V);
    TS_KERNELS.crossentropyBackward(dz, probs, Int32Array.from(targets), 1 / 7, N, V);
    assertSameBits(`crossentropyBackward (${what})`, wdz, dz);
    const n = N * C, x = values(3, n), y0 = values(4, n), dy = values(5, n), dx0 = values(6, n);
    x[0] = -0; // ReLU passes no -0 and no gradient through 0
    const [wx, wdy] = [filled(k, x), filled(k, dy)];
    for (const name of ['reluForward', 'residualForward'] as const) {
      const y = y0.slice(), wy = filled(k, y0);
      if (name === 'reluForward') { k.reluForward(wy, wx, n); TS_KERNELS.reluForward(y, x, n); }
      else { k.residualForward(wy, wx, wdy, n); TS_KERNELS.residualForward(y, x, dy, n); }
      assertSameBits(`${name} (${what})`, wy, y);
    }
    const dx = dx0.slice(), dx2 = y0.slice(), wdx = filled(k, dx0), wdx2 = filled(k, y0);
    k.reluBackward(wdx, wdy, wx, n);
    TS_KERNELS.reluBackward(dx, dy, x, n);
    assertSameBits(`reluBackward (${what})`, wdx, dx);
    k.residualBackward(wdx, wdx2, wdy, n);
    TS_KERNELS.residualBackward(dx, dx2, dy, n);
    assertSameBits(`residualBackward dinp1 (${what})`, wdx, dx);
    assertSameBits(`residualBackward dinp2 (${what})`, wdx2, dx2);
    // a token or position twice: the backward adds both rows' gradients into one
    const tokens = Array.from({ length: N }, (_, i) => (i * 3) % V), positions = Array.from({ length: N }, (_, i) => i % 3);
    const wte = values(7, V * C), wpe = values(8, 3 * C);
    for (const pos of [true, false]) { // learned positions, or none (rotary)
      const out = new Float64Array(n), wout = k.alloc(n), dwte = values(9, V * C), dwpe = values(10, 3 * C);
      const [wdwte, wdwpe] = [filled(k, dwte), filled(k, dwpe)];
      k.embeddingForward(wout, ints(tokens), ints(positions), filled(k, wte), pos ? filled(k, wpe) : undefined, N, C);
      TS_KERNELS.embeddingForward(out, Int32Array.from(tokens), Int32Array.from(positions), wte, pos ? wpe : undefined, N, C);
      assertSameBits(`embeddingForward (${what}, positions ${pos})`, wout, out);
      k.embeddingBackward(wdwte, pos ? wdwpe : undefined, wdy, ints(tokens), ints(positions), N, C);
      TS_KERNELS.embeddingBackward(dwte, pos ? dwpe : undefined, dy, Int32Array.from(tokens), Int32Array.from(positions), N, C);
      assertSameBits(`embeddingBackward dwte (${what}, positions ${pos})`, wdwte, dwte);
      assertSameBits(`embeddingBackward dwpe (${what}, positions ${pos})`, wdwpe, dwpe);
    }
  }
});

test('wasm token probabilities: the same bits as tokenProbabilities, its overflow limit and its NaN error', (t) => {
  const probabilities = wasmTokenProbabilities();
  if (!probabilities) return t.skip('no WebAssembly SIMD here');
  for (const n of [1, 2, 27, 100, 300]) { // 300 makes its memory again
    for (const temperature of [1, 0.5, 2, 0.013, 1e-300]) { // the last overflows: the limit T -> 0
      const logits = values(n + 7, n).map((x, i) => (i % 9 === 4 ? 40 * x : x));
      if (n > 2) logits[1] = -Infinity; // as top-k leaves them
      const want = tokenProbabilities(logits, temperature), got = probabilities(logits, temperature);
      if (want === undefined) assert.equal(got, undefined, `n ${n}, T ${temperature}: the overflow limit`);
      else assertSameBits(`probabilities (n ${n}, T ${temperature})`, got!, want);
    }
  }
  const logits = values(3, 27);
  assertSameBits('with top-k (the TS kernel)', probabilities(logits, 0.7, 5)!, tokenProbabilities(logits, 0.7, 5)!);
  logits[3] = NaN;
  assert.throws(() => probabilities(logits, 1), /NaN logit/);
});

/** Trains the same run on the wasm and the TS kernels; every loss, weight and moment must agree. */
function assertSameRun(name: string, model: Partial<ModelConfig>, trainCfg: Partial<TrainConfig>, docs = DOCS.slice(0, 2000)): void {
  const runs = [0, 1].map(() => createRun(docs, { engine: 'tensor', model, train: trainCfg, seed: 5 }));
  const [wasm, ts] = runs, kernels = tensorKernels(wasm.config, wasm.train);
  assert.equal(kernels.name, 'wasm', `${name}: the engine's default kernels are WebAssembly`);
  wasm.engine = createTensorEngine(wasm.config, wasm.engine.weights(), wasm.train, wasm.seed, kernels);
  ts.engine = createTensorEngine(ts.config, ts.engine.weights(), ts.train, ts.seed, TS_KERNELS);
  const losses = runs.map((run) => {
    const out: number[] = [];
    train(run, (s) => { out.push(s.loss); });
    return out;
  });
  assert.equal(losses[0].length, wasm.train.steps);
  assertSameBits(`${name}: losses`, losses[0], losses[1]);
  assertSameBits(`${name}: weights`, wasm.engine.weights(), ts.engine.weights());
  const [mw, mt] = [wasm.engine.optimizerState(), ts.engine.optimizerState()];
  assertSameBits(`${name}: Adam m`, mw.m, mt.m);
  assertSameBits(`${name}: Adam v`, mw.v, mt.v);
  // evaluation and generation read the same weights through the same products
  const batch = [[0, 5, 9, 3, 0], [0, 1, 2]];
  assert.ok(Object.is(wasm.engine.lossSum(batch), ts.engine.lossSum(batch)), `${name}: lossSum`);
  assertSameBits(`${name}: feed logits`, wasm.engine.feed([0, 4, 7], 0), ts.engine.feed([0, 4, 7], 0));
  const [dw, dt] = [wasm.engine.batchDecoder!(3), ts.engine.batchDecoder!(3)];
  const slots = Int32Array.of(0, 1, 2), tokens = Int32Array.of(1, 2, 3), positions = Int32Array.of(0, 0, 0);
  assertSameBits(`${name}: batch decoder logits`, dw.step(slots, tokens, positions, 3), dt.step(slots, tokens, positions, 3));
}

test('the reference run (1000 steps) on the wasm kernels: every loss, weight and Adam moment bit-identical to the TS kernels', () => {
  assertSameRun('reference', {}, {});
});

test('bigger runs beyond the reference on the wasm kernels: bit-identical to the TS kernels', () => {
  // several layers and heads, batches, rope, grouped-query heads, swiglu, norm gains, tied
  // embeddings, a final norm, dropout, clipping, weight decay, accumulation, warm-up, cosine
  assertSameRun('llama-like', { nLayer: 2, nEmbd: 24, nHead: 4, nKvHead: 2, blockSize: 16, pos: 'rope', activation: 'swiglu',
    normWeight: true, tieEmbeddings: true, finalNorm: true, dropout: 0.1 },
  { batchSize: 3, steps: 40, gradClip: 1, weightDecay: 0.1, gradAccum: 2, warmupSteps: 5, schedule: 'cosine' });
  // odd widths everywhere (C 15, hidden 37, head dim 5), layernorm, gelu, an odd batch
  assertSameRun('odd widths', { nLayer: 3, nEmbd: 15, nHead: 3, mlpHidden: 37, blockSize: 9, norm: 'layernorm', activation: 'gelu', embedNorm: false },
    { batchSize: 5, steps: 30 });
});

test('a wasm kernel set whose memory is full hands out heap buffers, and calls on them still give the TS bits', (t) => {
  const k = createWasmKernels(100); // one page, 8,192 floats
  if (!k) return t.skip('no WebAssembly SIMD here');
  const N = 100, C = 50, OC = 80, inMemory = k.alloc(N * C), onHeap = k.alloc(OC * C); // 5,000 and 4,000 floats
  assert.ok(inMemory.buffer !== onHeap.buffer, 'the second buffer does not fit the memory');
  inMemory.set(values(1, N * C));
  onHeap.set(values(2, OC * C));
  const y = k.alloc(N * OC), want = new Float64Array(N * OC);
  k.matmulForward(y, inMemory, onHeap, N, C, OC);
  TS_KERNELS.matmulForward(want, inMemory, onHeap, N, C, OC);
  assertSameBits('matmulForward over a heap weight', y, want);
});
