// The float32 engine's llama settings (docs/llama.md): each new kernel against a float64 loop
// and finite differences, at widths that leave every vector remainder; the whole model's loss
// and gradients, setting by setting and all together, against a float64 reading of the
// document (written here, row by row with a KV cache) and its finite differences, and four
// training steps against the tensor engine; two threads give exactly what one gives; decoding
// with the cache equals the full forward; `train --preset llama --engine float32` end to end.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { enableRelaxedSimd, spawnNodeWorker } from '../src/node/kernel-thread.js';
import { DEFAULT_TRAIN, type ModelConfig, type TrainConfig, kvHeads, mlpHidden,
  validateModelConfig } from '../src/core/contract/config.js';
import type { Batch } from '../src/core/contract/engine.js';
import { initParams, paramLayout, paramViews } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { buildTokenizer, encodeDocument } from '../src/core/contract/tokenizer.js';
import { ENGINES, checkEngineSettings } from '../src/core/run/engines.js';
import { createWasmEngine } from '../src/core/wasm/engine.js';
import { ropeTable } from '../src/core/tensor/rope.js';
import { createTensorEngine } from '../src/core/tensor/engine.js';
import { type Kernels, createKernels, wasmSupport } from '../src/core/wasm/kernels.js';
import { engineStep } from './engine-helpers.js';
import { harness } from './wasm-helpers.js';

type F64 = Float64Array;
const rng = new PyRandom(11);
const rand = (n: number, scale = 1): F64 => Float64Array.from({ length: n }, () => scale * (2 * rng.random() - 1));
const f32 = (x: F64): F64 => Float64Array.from(Float32Array.from(x)); // inputs as the kernel sees them
enableRelaxedSimd();
const support = wasmSupport();
const skip = !support.simd && support.notice;

/** Throws naming the worst element unless |got - want| <= tol * (1 + |want|) everywhere. */
function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): number {
  assert.equal(got.length, want.length, `${name}: length`);
  let worst = 0, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(err <= worstErr)) { worst = i; worstErr = Number.isNaN(err) ? Infinity : err; }
  }
  assert.ok(worstErr <= tol, `${name}: worst at [${worst}]: float32 ${got[worst]}, float64 ${want[worst]} (error ${worstErr}, tolerance ${tol})`);
  return worstErr;
}


const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

// ---- kernels

function kernelTests(kernels: Kernels, label: string): void {
  for (const [T, C] of [[1, 1], [3, 5], [7, 12], [9, 19], [33, 36]]) {
    test(`${label}: gain forward and gradient, T=${T} C=${C}`, { skip }, () => {
      const { k, put, get } = harness(kernels);
      const x = f32(rand(T * C)), g = f32(rand(C)), dy = f32(rand(T * C));
      const X = put('x', x), G = put('g', g), Y = put('y', rand(T * C)), DY = put('dy', dy), DX = put('dx', rand(T * C)), DG = put('dg', rand(C));
      k.gainForward(Y.ptr, X.ptr, G.ptr, T, C);
      k.gainGradient(DX.ptr, DG.ptr, DY.ptr, X.ptr, G.ptr, T, C);
      const y = x.map((v, i) => v * g[i % C]), dx = dy.map((v, i) => v * g[i % C]), dg = new Float64Array(C);
      for (let i = 0; i < T * C; i++) dg[i % C] += dy[i] * x[i];
      expectClose('gainForward', get(Y), y, 1e-7); // one rounding
      expectClose('gainGradient dx', get(DX), dx, 1e-7);
      expectClose('gainGradient dgain', get(DG), dg, 2e-6); // float32 sums over T rows
      k.gainGradient(DY.ptr, DG.ptr, DY.ptr, X.ptr, G.ptr, T, C); // in place
      expectClose('gainGradient in place', get(DY), dx, 1e-7);
    });
  }

  for (const [T, H] of [[1, 1], [3, 3], [5, 4], [4, 17], [21, 40]]) {
    test(`${label}: swiglu forward and gradient, T=${T} H=${H}`, { skip }, () => {
      const { k, put, get } = harness(kernels);
      const u = f32(rand(T * 2 * H, 4)), dy = f32(rand(T * H));
      const U = put('u', u), Y = put('y', rand(T * H)), DY = put('dy', dy), DU = put('du', rand(T * 2 * H));
      k.swigluForward(Y.ptr, U.ptr, T, H);
      k.swigluGradient(DU.ptr, DY.ptr, U.ptr, T, H);
      const f = (a: number, b: number) => a * sigmoid(a) * b;
      const y = new Float64Array(T * H), du = new Float64Array(T * 2 * H);
      for (let t = 0; t < T; t++) for (let j = 0; j < H; j++) {
        const a = u[t * 2 * H + j], b = u[t * 2 * H + H + j], h = 1e-6;
        y[t * H + j] = f(a, b);
        // finite differences of the float64 function
        du[t * 2 * H + j] = dy[t * H + j] * (f(a + h, b) - f(a - h, b)) / (2 * h);
        du[t * 2 * H + H + j] = dy[t * H + j] * (f(a, b + h) - f(a, b - h)) / (2 * h);
      }
      expectClose('swigluForward', get(Y), y, 1e-6); // worst measured 2.0e-7
      expectClose('swigluGradient', get(DU), du, 1e-6); // worst measured 2.9e-7
    });
  }

  for (const [T, heads, hd, width] of [[1, 1, 2, 2], [3, 2, 6, 14], [5, 3, 8, 24], [4, 2, 10, 25], [17, 5, 18, 96]]) {
    test(`${label}: rope forward and gradient, T=${T} heads=${heads} hd=${hd} width=${width}`, { skip }, () => {
      const { k, put, putInt, get } = harness(kernels);
      const blockSize = 20, half = hd / 2, theta = 10000;
      const positions = Array.from({ length: T }, () => Math.floor(rng.random() * blockSize));
      const table = ropeTable(theta, blockSize, hd), x = f32(rand(T * width)), dy = f32(rand(T * width));
      const X = put('x', x), Y = put('y', x), P = putInt('pos', positions); // past the rotated heads, rows are left as they are
      const Cos = put('cos', table.cos), Sin = put('sin', table.sin), DY = put('dy', dy), DX = put('dx', dy);
      k.ropeForward(Y.ptr, X.ptr, P.ptr, Cos.ptr, Sin.ptr, T, width, heads, hd);
      k.ropeGradient(DX.ptr, DY.ptr, P.ptr, Cos.ptr, Sin.ptr, T, width, heads, hd);
      // docs/llama.md's loop, angles straight from theta
      const y = Float64Array.from(x);
      for (let t = 0; t < T; t++) for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) {
        const angle = positions[t] * theta ** (-2 * i / hd), at = t * width + h * hd;
        const a = x[at + i], b = x[at + i + half];
        y[at + i] = a * Math.cos(angle) - b * Math.sin(angle);
        y[at + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
      expectClose('ropeForward', get(Y), y, 3e-7); // worst measured 1.2e-7
      // the gradient is the adjoint of the forward: <dy, R x> = <R^T dy, x> for every x, dy
      const Rx = get(Y), Rtdy = get(DX);
      const lhs = dot(dy, Rx), rhs = dot(Rtdy, x);
      assert.ok(Math.abs(lhs - rhs) <= 1e-6 * (1 + Math.abs(lhs)), `ropeGradient is not the adjoint: ${lhs} vs ${rhs}`);
      k.ropeForward(X.ptr, X.ptr, P.ptr, Cos.ptr, Sin.ptr, T, width, heads, hd); // in place, then back
      k.ropeGradient(X.ptr, X.ptr, P.ptr, Cos.ptr, Sin.ptr, T, width, heads, hd);
      expectClose('ropeGradient undoes ropeForward', get(X), x, 3e-7);
    });
  }

  for (const [T, C, NH, KV] of [[1, 4, 4, 1], [3, 12, 6, 2], [5, 24, 4, 2], [7, 30, 6, 3], [4, 40, 4, 1]]) {
    test(`${label}: key/value heads expanded and summed back, T=${T} C=${C} NH=${NH} KV=${KV}`, { skip }, () => {
      const { k, put, get } = harness(kernels);
      const hd = C / NH, G = NH / KV, Q = C + 2 * KV * hd;
      const x = f32(rand(T * Q)), dy = f32(rand(T * 3 * C));
      const X = put('x', x), Y = put('y', rand(T * 3 * C)), DY = put('dy', dy), DX = put('dx', rand(T * Q));
      k.kvExpandForward(Y.ptr, X.ptr, T, C, NH, KV);
      k.kvExpandGradient(DX.ptr, DY.ptr, T, C, NH, KV);
      const y = new Float64Array(T * 3 * C), dx = new Float64Array(T * Q);
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < C; i++) { y[t * 3 * C + i] = x[t * Q + i]; dx[t * Q + i] = dy[t * 3 * C + i]; }
        for (let h = 0; h < NH; h++) for (let i = 0; i < hd; i++) for (const part of [0, 1]) {
          const from = t * Q + C + part * KV * hd + Math.floor(h / G) * hd + i, to = t * 3 * C + (1 + part) * C + h * hd + i;
          y[to] = x[from];
          dx[from] += dy[to];
        }
      }
      expectClose('kvExpandForward', get(Y), y, 0); // a copy
      expectClose('kvExpandGradient', get(DX), dx, 1e-7); // sums of G values
    });
  }

  test(`${label}: the embedding without a position table`, { skip }, () => {
    const { k, put, putInt, get } = harness(kernels);
    const V = 5, C = 7, T = 6, tokens = [1, 4, 1, 0, 2, 1];
    const wte = f32(rand(V * C)), dy = f32(rand(T * C)), dwte0 = f32(rand(V * C));
    const Wte = put('wte', wte), Y = put('y', rand(T * C)), Tok = putInt('tok', tokens), DY = put('dy', dy), DW = put('dw', dwte0);
    k.embeddingForward(Y.ptr, Tok.ptr, Tok.ptr, Wte.ptr, 0, T, C);
    k.embeddingBackward(DW.ptr, 0, DY.ptr, Tok.ptr, Tok.ptr, T, C);
    const y = new Float64Array(T * C), dw = Float64Array.from(dwte0);
    for (let t = 0; t < T; t++) for (let i = 0; i < C; i++) { y[t * C + i] = wte[tokens[t] * C + i]; dw[tokens[t] * C + i] += dy[t * C + i]; }
    expectClose('embeddingForward, no wpe', get(Y), y, 0);
    expectClose('embeddingBackward, no wpe', get(DW), dw, 1e-7);
  });
}

if (support.simd) kernelTests(createKernels({ relaxed: false }), 'simd');
if (support.relaxed) kernelTests(createKernels(), 'relaxed simd');

// ---- a float64 reading of docs/llama.md, one row at a time, as the scalar engine runs

/** The summed loss of every predicted token, and each row's logits, sequence by sequence. */
function referenceForward(c: ModelConfig, flat: F64, batch: Batch): { loss: number; logits: F64[] } {
  const p = paramViews(c, flat), C = c.nEmbd, NH = c.nHead, KV = kvHeads(c), hd = C / NH, G = NH / KV, H = mlpHidden(c);
  const theta = c.ropeTheta ?? 10000;
  const linear = (w: F64, x: F64, rows: number) => {
    const y = new Float64Array(rows), cols = x.length;
    for (let r = 0; r < rows; r++) y[r] = dot(w.subarray(r * cols, (r + 1) * cols), x);
    return y;
  };
  const norm = (x: F64, gain: F64 | undefined) => {
    let mean = 0;
    if (c.norm === 'layernorm') mean = x.reduce((a, b) => a + b) / C;
    let ss = 0;
    for (const v of x) ss += (v - mean) ** 2;
    const s = 1 / Math.sqrt(ss / C + 1e-5);
    return x.map((v, i) => (v - mean) * s * (gain ? gain[i] : 1));
  };
  const rope = (u: F64, heads: number, t: number) => {
    for (let h = 0; h < heads; h++) for (let i = 0; i < hd / 2; i++) {
      const angle = t * theta ** (-2 * i / hd), a = u[h * hd + i], b = u[h * hd + i + hd / 2];
      u[h * hd + i] = a * Math.cos(angle) - b * Math.sin(angle);
      u[h * hd + i + hd / 2] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  };
  let loss = 0;
  const logits: F64[] = [];
  for (const seq of batch) {
    const T = Math.min(c.blockSize, seq.length - 1);
    const keys: F64[][] = Array.from({ length: c.nLayer }, () => []), values: F64[][] = Array.from({ length: c.nLayer }, () => []);
    for (let t = 0; t < T; t++) {
      let x = Float64Array.from(p.get('wte')!.subarray(seq[t] * C, (seq[t] + 1) * C));
      if (c.pos !== 'rope') x = x.map((v, i) => v + p.get('wpe')![t * C + i]);
      if (c.embedNorm !== false) x = norm(x, p.get('embed_norm'));
      for (let l = 0; l < c.nLayer; l++) {
        const w = (name: string) => p.get(`layer${l}.${name}`)!;
        const h = norm(x, p.get(`layer${l}.attn_norm`));
        const q = linear(w('attn_wq'), h, C), k = linear(w('attn_wk'), h, KV * hd), v = linear(w('attn_wv'), h, KV * hd);
        if (c.pos === 'rope') { rope(q, NH, t); rope(k, KV, t); }
        keys[l].push(k);
        values[l].push(v);
        const y = new Float64Array(C);
        for (let head = 0; head < NH; head++) {
          const kv = Math.floor(head / G), qh = q.subarray(head * hd, (head + 1) * hd);
          const scores = keys[l].map((ks) => dot(qh, ks.subarray(kv * hd, (kv + 1) * hd)) / Math.sqrt(hd));
          const m = Math.max(...scores), e = scores.map((s) => Math.exp(s - m)), z = e.reduce((a, b) => a + b);
          for (let s = 0; s <= t; s++) for (let i = 0; i < hd; i++) y[head * hd + i] += (e[s] / z) * values[l][s][kv * hd + i];
        }
        x = x.map((xv, i) => xv + linear(w('attn_wo'), y, C)[i]);
        const h2 = norm(x, p.get(`layer${l}.mlp_norm`));
        const u = linear(w('mlp_fc1'), h2, c.activation === 'swiglu' ? 2 * H : H);
        const a = c.activation === 'swiglu' ? Float64Array.from({ length: H }, (_, i) => u[i] * sigmoid(u[i]) * u[H + i])
          : u.map((z) => Math.max(z, 0));
        const o = linear(w('mlp_fc2'), a, C);
        x = x.map((xv, i) => xv + o[i]);
      }
      if (c.finalNorm) x = norm(x, p.get('norm_f'));
      const z = linear(p.get(c.tieEmbeddings ? 'wte' : 'lm_head')!, x, c.vocabSize);
      const m = Math.max(...z);
      loss += m + Math.log(z.reduce((acc, v) => acc + Math.exp(v - m), 0)) - z[seq[t + 1]];
      logits.push(z);
    }
  }
  return { loss, logits };
}

// ---- the whole model

const docs = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'charlotte', 'mia', 'amelia', 'harper', 'evelyn', 'abigail', 'emily'];
const tok = buildTokenizer(docs);
const batches = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]].map((b) => b.map((i) => encodeDocument(tok, docs[i])));
// hd = 6: rope's pairs leave a remainder of 3; C = 12 leaves none of 8 but one of 16
const base: ModelConfig = { vocabSize: tok.vocabSize, nLayer: 2, nEmbd: 12, nHead: 2, blockSize: 8, initStd: 0.3 };
const train: TrainConfig = { ...DEFAULT_TRAIN, batchSize: 3, steps: 4 };

const llama: Partial<ModelConfig> = {
  pos: 'rope', ropeTheta: 10000, nKvHead: 2, activation: 'swiglu', mlpHidden: 13, normWeight: true, finalNorm: true, embedNorm: false,
};
const settings: [string, Partial<ModelConfig>][] = [
  ['rope', { pos: 'rope', ropeTheta: 500 }],
  ['n-kv-head', { nHead: 6, nKvHead: 2 }], // grouped-query, hd = 2
  ['n-kv-head 1', { nHead: 4, nKvHead: 1 }], // multi-query, hd = 3
  ['swiglu', { activation: 'swiglu' }],
  ['mlp-hidden', { mlpHidden: 7 }],
  ['norm-weight', { normWeight: true }],
  ['norm-weight, layernorm', { normWeight: true, norm: 'layernorm' }],
  ['final-norm', { finalNorm: true }],
  ['no-embed-norm', { embedNorm: false }],
  ['tie-embeddings', { tieEmbeddings: true }],
  ['llama', { ...llama, nHead: 6 }], // hd 2, three query heads to a key/value head
  ['llama, tied, C 20', { ...llama, nEmbd: 20, nHead: 2, nKvHead: 1, mlpHidden: 21, tieEmbeddings: true }], // hd 10: 4 pairs in a vector, 1 after; multi-query
];

/** Gains drawn away from 1 so that a gain's gradient matters to the check. */
function weightsFor(c: ModelConfig, seed: number): F64 {
  const w = initParams(c, new PyRandom(seed)), r = new PyRandom(seed + 1);
  for (const p of paramLayout(c)) if (p.init === 'ones') for (let i = p.offset; i < p.offset + p.size; i++) w[i] = 0.5 + r.random();
  return w;
}

/** The float32 engine's loss and gradient of the batch's summed loss. */
function engineGradient(c: ModelConfig, w: F64, batch: Batch): { loss: number; grad: F64 } {
  const engine = createWasmEngine(c, w, train);
  return { loss: engine.backward(batch, 0, 1), grad: engine.gradients() };
}

/**
 * Central differences of the float64 loss at up to `per` entries of each tensor, drawn at
 * random, and at every entry of a norm's gain: the indices and their derivatives.
 */
function numericGradient(c: ModelConfig, w: F64, batch: Batch, per = 12): Map<string, [number, number][]> {
  const x = Float64Array.from(w), h = 1e-5, pick = new PyRandom(9), out = new Map<string, [number, number][]>();
  for (const p of paramLayout(c)) {
    const at = p.init === 'ones' || p.size <= per ? Array.from({ length: p.size }, (_, i) => i)
      : Array.from({ length: per }, () => Math.floor(pick.random() * p.size));
    out.set(p.name, at.map((i) => {
      const j = p.offset + i;
      x[j] = w[j] + h;
      const up = referenceForward(c, x, batch).loss;
      x[j] = w[j] - h;
      const down = referenceForward(c, x, batch).loss;
      x[j] = w[j];
      return [i, (up - down) / (2 * h)];
    }));
  }
  return out;
}

/** Each tensor of the layout checked alone, so a failure names it; returns the worst error. */
function expectGradients(c: ModelConfig, got: F64, want: Map<string, [number, number][]>, tol: number): number {
  let worst = 0;
  for (const p of paramLayout(c)) {
    const entries = want.get(p.name)!;
    const mine = entries.map(([i]) => got[p.offset + i]), theirs = entries.map(([, g]) => g);
    worst = Math.max(worst, expectClose(`d ${p.name} at ${entries.map(([i]) => i).join(',')}`, mine, theirs, tol));
  }
  return worst;
}

for (const [name, setting] of settings) {
  const c: ModelConfig = { ...base, ...setting };
  test(`float32 engine, ${name}: loss and every gradient follow the float64 reading of docs/llama.md`, { skip }, () => {
    validateModelConfig(c);
    checkEngineSettings(ENGINES.get('float32')!, c, train); // declared
    const w = f32(weightsFor(c, 3)), batch = batches[2];
    const { loss, grad } = engineGradient(c, w, batch);
    const want = referenceForward(c, w, batch).loss;
    const lossErr = Math.abs(loss - want) / want;
    assert.ok(lossErr <= 3e-7, `loss: float32 ${loss}, float64 ${want}`); // worst measured 8.9e-8 (swiglu)
    expectGradients(c, grad, numericGradient(c, w, batch), 1e-5); // worst measured 3.8e-6 (llama, C 20)
  });
}

// with dropout too: the same masks (one generator, the same order of draws) in the new model
for (const [name, setting] of [...settings, ['llama, dropout 0.2', { ...llama, nHead: 6, dropout: 0.2 }]] as typeof settings) {
  const c: ModelConfig = { ...base, ...setting };
  test(`float32 engine, ${name}: gradients and four training steps follow the tensor engine`, { skip }, () => {
    const w = weightsFor(c, 6), tensor = createTensorEngine(c, w, train), wasm = createWasmEngine(c, w, train);
    tensor.backward(batches[0], 0, 1);
    wasm.backward(batches[0], 0, 1);
    const gt = tensor.gradients(), gw = wasm.gradients();
    for (const p of paramLayout(c)) { // worst measured 8.1e-6 (llama, tied, C 20)
      expectClose(`d ${p.name}`, gw.subarray(p.offset, p.offset + p.size), gt.subarray(p.offset, p.offset + p.size), 3e-5);
    }
    tensor.update(0, 0.01);
    wasm.update(0, 0.01);
    const lt = [1, 2, 3].map((s) => engineStep(tensor, batches[s], s, 0.01)), lw = [1, 2, 3].map((s) => engineStep(wasm, batches[s], s, 0.01));
    expectClose('losses', lw, lt, 6e-7); // worst measured 1.8e-7 (tie-embeddings)
    expectClose('weights after 4 steps', wasm.weights(), tensor.weights(), 5e-6); // worst measured 1.6e-6 (llama, tied, C 20)
  });
}

test('float32 engine, llama: two threads compute exactly what one does, step after step', { skip: !support.threads && 'no shared memory' }, async () => {
  // every setting is in one of these; the last adds the embeddings' gain
  for (const [, setting] of [...settings.slice(-2), ...settings.filter(([name]) => name === 'norm-weight, layernorm')]) {
    const c: ModelConfig = { ...base, ...setting }, w = weightsFor(c, 4);
    const t: TrainConfig = { ...train, batchSize: 4 };
    const one = createWasmEngine(c, w, t);
    const two = createWasmEngine(c, w, t, 1, { threads: 2, spawn: spawnNodeWorker, minFlops: 0, minFloats: 0, adaptive: false });
    await two.ready;
    try {
      assert.equal(two.threads, 2);
      for (let step = 0; step < 3; step++) {
        const batch = batches[step].concat([batches[3][step]]);
        assert.equal(engineStep(two, batch, step, 0.01), engineStep(one, batch, step, 0.01), `loss at step ${step}`);
      }
      assert.deepEqual(two.weights(), one.weights());
      assert.deepEqual(two.optimizerState(), one.optimizerState());
    } finally {
      two.close();
    }
  }
});

test('float32 engine: decoding with the KV cache gives the full forward\'s logits at every position, for every setting', { skip }, () => {
  for (const [, setting] of settings) {
    const c: ModelConfig = { ...base, ...setting }, w = f32(weightsFor(c, 5));
    const engine = createWasmEngine(c, w, train);
    const seq = encodeDocument(tok, 'charlotte').slice(0, c.blockSize + 1);
    const want = referenceForward(c, w, [seq]).logits;
    const whole = Float64Array.from(engine.feed(seq.slice(0, c.blockSize), 0));
    for (let t = 0; t < c.blockSize; t++) {
      const got = engine.feed([seq[t]], t);
      expectClose(`logits at position ${t}`, got, want[t], 5e-6); // worst measured 1.6e-6
      if (t === c.blockSize - 1) assert.deepEqual(got, whole, 'one token at a time equals the whole prompt at once');
    }
  }
});

test('train --preset llama --engine float32 learns, and a run stopped and resumed ends with the same weights', { skip }, () => {
  const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url)), tmp = mkdtempSync(join(tmpdir(), 'microgpt-f32-llama-'));
  const text = join(tmp, 'text.txt');
  writeFileSync(text, readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 6000));
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `exit code, stderr: ${r.stderr}`);
    return r.stdout;
  };
  const run = ['train', '--preset', 'llama', '--engine', 'float32', '--threads', '1', '--data', text, '--block-size', '32',
    '--batch-size', '4', '--warmup-steps', '2', '--eval-size', '8', '--steps', '20', '--quiet'];
  const out = cli(...run, '--eval-every', '10', '--out', join(tmp, 'a'));
  const val = [...out.matchAll(/step (\d+): val loss (\d+\.\d+)/g)].map((m) => Number(m[2]));
  assert.equal(val.length, 2, out);
  assert.ok(val[1] < val[0], `validation loss ${val[0]} -> ${val[1]}`);
  cli(...run, '--eval-every', '10', '--stop-at', '10', '--out', join(tmp, 'b'));
  cli('train', '--resume', join(tmp, 'b'), '--quiet');
  const weights = (dir: string) => readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith('model-000020'))!));
  assert.deepEqual(weights(join(tmp, 'b')), weights(join(tmp, 'a')));
  assert.ok(cli('sample', '--from', join(tmp, 'a'), '--engine', 'float32', '--max-tokens', '20', '--seed', '1').trim().length > 0, 'some text');
});
