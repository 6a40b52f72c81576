// Every float32 SIMD kernel against the float64 engine's kernel (src/core/tensor/, itself
// checked by finite differences in tensor-kernels and tensor-knobs) on random inputs, with
// shapes that leave every vector and tile remainder. A failure names the kernel, the worst
// index and both values. The float64 kernels' backward adds into its outputs, so they get
// zeros; the SIMD backward kernels overwrite theirs, so they get garbage first.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enableRelaxedSimd } from '../src/node/kernel-thread.js';
import { PyRandom } from '../src/core/contract/random.js';
import { attentionBackward, attentionForward } from '../src/core/tensor/attention.js';
import { crossentropyBackward, crossentropyForward } from '../src/core/tensor/crossentropy.js';
import { dropoutRng, dropoutState } from '../src/core/tensor/dropout.js';
import { embeddingBackward, embeddingForward } from '../src/core/tensor/embedding.js';
import { layernormBackward, layernormForward } from '../src/core/tensor/layernorm.js';
import { matmulBackward, matmulForward } from '../src/core/tensor/matmul.js';
import { activationKernels, residualForward } from '../src/core/tensor/pointwise.js';
import { rmsnormBackward, rmsnormForward } from '../src/core/tensor/rmsnorm.js';
import { ARENA_BASE, type KernelTimings, type Kernels, createKernels, wasmSupport } from '../src/core/wasm/kernels.js';
import { harness } from './wasm-helpers.js';

type F64 = Float64Array;
const rng = new PyRandom(7);
const rand = (n: number, scale = 1): F64 => Float64Array.from({ length: n }, () => scale * (2 * rng.random() - 1));
const ids = (n: number, max: number): number[] => Array.from({ length: n }, () => Math.floor(rng.random() * max));

/**
 * Throws naming the worst element unless |got - want| <= tol * (1 + |want|) everywhere. The
 * default is a few float32 roundings (an ulp is 6e-8 relative), a few times the worst measured
 * (1.4e-7, layernormBackward); kernels with long sums give their own, each beside its measure.
 */
function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = 5e-7): void {
  assert.equal(got.length, want.length, `${name}: length`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(err <= worstErr) || Number.isNaN(got[i])) { worst = i; worstErr = Number.isNaN(got[i]) ? Infinity : err; }
  }
  assert.ok(worstErr <= tol, `${name}: worst at [${worst}]: wasm ${got[worst]}, float64 ${want[worst]}`);
}


/** a (rows, cols) row-major, transposed. */
function transpose(a: ArrayLike<number>, rows: number, cols: number): F64 {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

const f32 = (x: F64): F64 => Float64Array.from(Float32Array.from(x)); // inputs as the kernel sees them

function kernelTests(kernels: Kernels, label: string): void {
  const shapes: [number, number, number][] = [[1, 16, 16], [7, 13, 10], [64, 32, 48], [33, 128, 65], [300, 20, 36]];
  for (const [BT, C, OC] of shapes) {
    test(`${label}: matmul forward and both backward products, BT=${BT} C=${C} OC=${OC}`, () => {
      const { k, put, get } = harness(kernels);
      const x = f32(rand(BT * C)), w = f32(rand(OC * C)), dy = f32(rand(BT * OC));
      const dx0 = f32(rand(BT * C)), dw0 = f32(rand(OC * C)); // garbage the backward must overwrite
      // the SIMD kernels take and give the weight transposed, W^T (C, OC)
      const X = put('x', x), Wt = put('wt', transpose(w, OC, C)), Y = put('y', rand(BT * OC)), DY = put('dy', dy);
      const DX = put('dx', dx0), DWt = put('dwt', dw0);
      k.matmulForward(Y.ptr, X.ptr, Wt.ptr, BT, C, OC);
      k.matmulInputGradient(DX.ptr, DY.ptr, Wt.ptr, BT, C, OC);
      k.matmulWeightGradient(DWt.ptr, DY.ptr, X.ptr, BT, C, OC, 0, C);
      const y = new Float64Array(BT * OC), dx = new Float64Array(BT * C), dw = new Float64Array(OC * C);
      matmulForward(y, x, w, BT, C, OC);
      matmulBackward(dx, dw, dy, x, w, BT, C, OC);
      expectClose('matmulForward', get(Y), y, 5e-6); // worst measured 1.3e-6: float32 sums of up to 512 products
      expectClose('matmulInputGradient', get(DX), dx, 4e-6); // worst measured 8.4e-7
      expectClose('matmulWeightGradient', transpose(get(DWt), C, OC), dw, 1e-5); // worst measured 2.6e-6
    });
  }

  for (const [T, C, NH, A] of [[1, 8, 2, 1], [5, 12, 3, 7], [19, 16, 4, 19], [64, 64, 2, 64], [40, 30, 5, 41]]) {
    test(`${label}: attention forward and backward, T=${T} C=${C} NH=${NH} A=${A}`, () => {
      const { k, put, putInt, get } = harness(kernels);
      const qkv = f32(rand(T * 3 * C)), dout = f32(rand(T * C)), dqkv0 = f32(rand(T * 3 * C));
      const seqs = putInt('seqs', [0, 0, T]).ptr; // one sequence: first row, first query row, length
      const QKV = put('qkv', qkv), O = put('out', rand(T * C)), Att = put('att', new Float64Array(T * NH * A));
      const DO = put('dout', dout), DQKV = put('dqkv', dqkv0); // garbage to overwrite
      const DAtt = put('datt', rand(T * NH * A)); // scratch
      k.attentionForward(O.ptr, Att.ptr, QKV.ptr, seqs, 0, NH, C, NH, A);
      k.attentionGradient(DQKV.ptr, DAtt.ptr, DO.ptr, QKV.ptr, Att.ptr, seqs, 0, NH, C, NH, A);
      const out = new Float64Array(T * C), att = new Float64Array(T * NH * A), dqkv = new Float64Array(T * 3 * C);
      attentionForward(out, att, qkv, 0, 0, T, C, NH, A);
      attentionBackward(dqkv, new Float64Array(T * NH * A), dout, qkv, att, 0, T, C, NH, A);
      const causal = (a: ArrayLike<number>) => Float64Array.from(a, (x, i) => (i % A <= Math.floor(i / (NH * A)) ? x : 0));
      expectClose('attentionForward out', get(O), out);
      expectClose('attentionForward att', causal(get(Att)), att);
      expectClose('attentionGradient dqkv', get(DQKV), dqkv, 1e-6); // worst measured 2.5e-7
    });
  }

  test(`${label}: attention from a cache, or head by head, equals attention over the whole sequence`, () => {
    const { k, put, putInt, get } = harness(kernels);
    const T = 11, C = 16, NH = 2, A = 12;
    const QKV = put('qkv', rand(T * 3 * C)), Att = put('att', new Float64Array(T * NH * A));
    const full = put('full', new Float64Array(T * C)), inc = put('inc', new Float64Array(T * C));
    const whole = putInt('whole', [0, 0, T]).ptr;
    k.attentionForward(full.ptr, Att.ptr, QKV.ptr, whole, 0, NH, C, NH, A);
    for (let t = 0; t < T; t++) k.attentionForward(inc.ptr, Att.ptr, QKV.ptr, putInt(`row${t}`, [0, t, t + 1]).ptr, 0, NH, C, NH, A);
    expectClose('attentionForward with t0 > 0', get(inc), get(full), 0); // the same arithmetic: exact
    const dqkv1 = put('dqkv1', new Float64Array(T * 3 * C)), dqkv2 = put('dqkv2', new Float64Array(T * 3 * C));
    const datt = put('datt', new Float64Array(T * NH * A)), dout = put('dout', rand(T * C));
    k.attentionGradient(dqkv1.ptr, datt.ptr, dout.ptr, QKV.ptr, Att.ptr, whole, 0, NH, C, NH, A);
    for (let h = 0; h < NH; h++) k.attentionGradient(dqkv2.ptr, datt.ptr, dout.ptr, QKV.ptr, Att.ptr, whole, h, h + 1, C, NH, A);
    expectClose('attentionGradient one head at a time', get(dqkv2), get(dqkv1), 0);
  });

  test(`${label}: attention over a packed batch equals each sequence on its own`, () => {
    const { k, put, putInt, get } = harness(kernels);
    const lengths = [5, 1, 9, 3], C = 12, NH = 3, A = 9, N = lengths.reduce((a, b) => a + b);
    const starts = lengths.map((_, b) => lengths.slice(0, b).reduce((a, c) => a + c, 0));
    const QKV = put('qkv', rand(N * 3 * C)), dout = put('dout', rand(N * C));
    const batch = putInt('batch', lengths.flatMap((T, b) => [starts[b], 0, T])).ptr;
    const y = put('y', new Float64Array(N * C)), att = put('att', new Float64Array(N * NH * A));
    const dqkv = put('dqkv', new Float64Array(N * 3 * C)), datt = put('datt', new Float64Array(N * NH * A));
    k.attentionForward(y.ptr, att.ptr, QKV.ptr, batch, 0, lengths.length * NH, C, NH, A);
    k.attentionGradient(dqkv.ptr, datt.ptr, dout.ptr, QKV.ptr, att.ptr, batch, 0, lengths.length * NH, C, NH, A);
    lengths.forEach((T, b) => {
      const s = starts[b], one = putInt(`seq${b}`, [0, 0, T]).ptr;
      const y1 = put(`y${b}`, new Float64Array(T * C)), att1 = put(`att${b}`, new Float64Array(T * NH * A));
      const dqkv1 = put(`dqkv${b}`, new Float64Array(T * 3 * C)), datt1 = put(`datt${b}`, new Float64Array(T * NH * A));
      k.attentionForward(y1.ptr, att1.ptr, QKV.ptr + 4 * s * 3 * C, one, 0, NH, C, NH, A);
      k.attentionGradient(dqkv1.ptr, datt1.ptr, dout.ptr + 4 * s * C, QKV.ptr + 4 * s * 3 * C, att1.ptr, one, 0, NH, C, NH, A);
      expectClose(`attention out, sequence ${b}`, get(y).subarray(s * C, (s + T) * C), get(y1), 0);
      expectClose(`attention dqkv, sequence ${b}`, get(dqkv).subarray(s * 3 * C, (s + T) * 3 * C), get(dqkv1), 0);
    });
  });

  for (const [T, C] of [[1, 4], [9, 13], [50, 128]]) {
    test(`${label}: rmsnorm and layernorm forward and backward, T=${T} C=${C}`, () => {
      const { k, put, get } = harness(kernels);
      const x = f32(rand(T * C, 2)), dout = f32(rand(T * C)), dx0 = f32(rand(T * C));
      const X = put('x', x), Y = put('y', new Float64Array(T * C)), R = put('rstd', new Float64Array(T));
      const DY = put('dy', dout), DX = put('dx', dx0);
      k.rmsnormForward(Y.ptr, R.ptr, X.ptr, T, C);
      k.rmsnormBackward(DX.ptr, DY.ptr, X.ptr, R.ptr, T, C);
      const y = new Float64Array(T * C), rstd = new Float64Array(T), dx = dx0.slice(); // norms add into dinp, both engines
      rmsnormForward(y, rstd, x, T, C);
      rmsnormBackward(dx, dout, x, rstd, T, C);
      expectClose('rmsnormForward', get(Y), y);
      expectClose('rmsnormForward rstd', get(R), rstd);
      expectClose('rmsnormBackward', get(DX), dx);
      const ln = new Float64Array(T * C), lstd = new Float64Array(T), ldx = dx0.slice();
      layernormForward(ln, lstd, x, T, C);
      layernormBackward(ldx, dout, x, lstd, T, C);
      const LY = put('ln', new Float64Array(T * C)), LR = put('lrstd', new Float64Array(T)), LDX = put('ldx', dx0);
      k.layernormForward(LY.ptr, LR.ptr, X.ptr, T, C);
      k.layernormBackward(LDX.ptr, DY.ptr, X.ptr, LR.ptr, T, C);
      expectClose('layernormForward', get(LY), ln);
      expectClose('layernormForward rstd', get(LR), lstd);
      expectClose('layernormBackward', get(LDX), ldx);
    });
  }

  for (const n of [3, 64, 1001]) {
    test(`${label}: relu, relu2, gelu and residual forward and backward, n=${n}`, () => {
      const { k, put, get } = harness(kernels);
      const x = f32(rand(n, 4)), b = f32(rand(n)), dout = f32(rand(n)), d0 = f32(rand(n)); // d0: garbage to overwrite
      const X = put('x', x), B = put('b', b), DY = put('dy', dout);
      const R = put('relu', new Float64Array(n)), G = put('gelu', new Float64Array(n)), S = put('sum', new Float64Array(n));
      const GATE = put('gelu gate', d0);
      const DR = put('drelu', d0), DG = put('dgelu', d0), DR2 = put('drelu2', d0), R2 = put('relu2', new Float64Array(n));
      k.relu2Forward(R2.ptr, X.ptr, n);
      k.relu2Gradient(DR2.ptr, DY.ptr, X.ptr, n);
      const ref = (name: string) => {
        const { forward, backward } = activationKernels(name), y = new Float64Array(n), dx = new Float64Array(n);
        forward(y, x, n);
        backward(dx, dout, x, n);
        return { y, dx };
      };
      const [relu, relu2, gelu] = ['relu', 'relu2', 'gelu'].map(ref);
      expectClose('relu2Forward', get(R2), relu2.y);
      expectClose('relu2Gradient', get(DR2), relu2.dx);
      k.reluForward(R.ptr, X.ptr, n);
      k.reluGradient(DR.ptr, DY.ptr, X.ptr, n);
      k.geluForward(G.ptr, GATE.ptr, X.ptr, n);
      k.geluGradient(DG.ptr, DY.ptr, X.ptr, GATE.ptr, n);
      k.residualForward(S.ptr, X.ptr, B.ptr, n);
      expectClose('reluForward', get(R), relu.y);
      expectClose('reluGradient', get(DR), relu.dx);
      expectClose('geluForward', get(G), gelu.y);
      expectClose('geluForward gate', get(GATE), Array.from(x, (v, i) => (v === 0 ? 0.5 : gelu.y[i] / v)), 2e-6);
      expectClose('geluGradient', get(DG), gelu.dx, 2e-6); // worst measured 5.1e-7
      const sum = new Float64Array(n);
      residualForward(sum, x, b, n);
      expectClose('residualForward', get(S), sum);
      // in place, as the engine calls them: the gradient of the output becomes that of the input
      const geluInPlace = (dinp: number, d: number, inp: number, n: number) => k.geluGradient(dinp, d, inp, GATE.ptr, n);
      for (const [name, backward, want] of [['relu', k.reluGradient, relu.dx], ['relu2', k.relu2Gradient, relu2.dx],
        ['gelu', geluInPlace, gelu.dx]] as const) {
        const D = put(`${name} in place`, dout);
        backward(D.ptr, D.ptr, X.ptr, n);
        expectClose(`${name}Gradient in place`, get(D), want, name === 'gelu' ? 2e-6 : undefined);
      }
    });
  }

  for (const [T, V] of [[1, 2], [7, 65], [40, 27]]) {
    test(`${label}: softmax cross-entropy forward and backward, T=${T} V=${V}`, () => {
      const { k, put, putInt, get } = harness(kernels);
      const logits = f32(rand(T * V, 5)), targets = ids(T, V), dz0 = f32(rand(T * V)), dloss = 1 / T; // dz0: garbage
      const Z = put('logits', logits), P = put('probs', new Float64Array(T * V)), L = put('losses', new Float64Array(T));
      const Y = putInt('targets', targets), DZ = put('dz', dz0);
      k.crossEntropyForward(L.ptr, P.ptr, Z.ptr, Y.ptr, T, V);
      k.crossEntropyGradient(DZ.ptr, P.ptr, Y.ptr, dloss, T, V);
      const losses = new Float64Array(T), probs = new Float64Array(T * V);
      crossentropyForward(probs, losses, logits, Int32Array.from(targets), T, V);
      const dz = new Float64Array(T * V);
      crossentropyBackward(dz, probs, Int32Array.from(targets), dloss, T, V);
      expectClose('crossEntropyForward losses', get(L), losses);
      expectClose('crossEntropyForward probs', get(P), probs);
      expectClose('crossEntropyGradient', get(DZ), dz);
    });
  }

  test(`${label}: embedding forward and backward, with repeated ids`, () => {
    const { k, put, putInt, get } = harness(kernels);
    const T = 9, C = 10, V = 4, P = 6;
    const wte = rand(V * C), wpe = rand(P * C), dout = rand(T * C), tokens = ids(T, V), positions = ids(T, P);
    const E = put('wte', wte), Pe = put('wpe', wpe), Y = put('y', new Float64Array(T * C)), DY = put('dy', dout);
    const dwte0 = f32(rand(V * C)), dwpe0 = f32(rand(P * C)); // the embedding backward adds to what is there
    const DE = put('dwte', dwte0), DP = put('dwpe', dwpe0);
    const I = putInt('tokens', tokens), J = putInt('positions', positions);
    k.embeddingForward(Y.ptr, I.ptr, J.ptr, E.ptr, Pe.ptr, T, C);
    k.embeddingBackward(DE.ptr, DP.ptr, DY.ptr, I.ptr, J.ptr, T, C);
    const y = new Float64Array(T * C), dwte = dwte0.slice(), dwpe = dwpe0.slice();
    embeddingForward(y, Int32Array.from(tokens), Int32Array.from(positions), wte, wpe, T, C);
    embeddingBackward(dwte, dwpe, dout, Int32Array.from(tokens), Int32Array.from(positions), T, C);
    expectClose('embeddingForward', get(Y), y);
    expectClose('embeddingBackward dwte', get(DE), dwte);
    expectClose('embeddingBackward dwpe', get(DP), dwpe);
  });

  test(`${label}: dropout draws the float64 engine's masks, and continues its generator across calls`, () => {
    const { k, put, get } = harness(kernels);
    const n = 1001, p = 0.3, x = f32(rand(n)), dy = f32(rand(n));
    const rand64 = dropoutRng(42, 7), want = Array.from({ length: n }, () => (rand64() < p ? 0 : 1 / (1 - p)));
    const X = put('x', x), M = put('mask', new Float64Array(n)), DX = put('dx', rand(n)), DY = put('dy', dy);
    const split = 400; // two calls, the second starting where the first stopped
    const state = k.dropoutForward(X.ptr, M.ptr, p, dropoutState(42, 7), split);
    k.dropoutForward(X.ptr + 4 * split, M.ptr + 4 * split, p, state, n - split);
    expectClose('dropout mask', get(M), f32(Float64Array.from(want)), 0);
    expectClose('dropoutForward (in place)', get(X), x.map((v, i) => v * want[i]));
    k.dropoutGradient(DX.ptr, DY.ptr, M.ptr, n);
    expectClose('dropoutGradient', get(DX), dy.map((v, i) => v * want[i]));
  });

  test(`${label}: adam update, with weight decay, and the pieces of gradient clipping`, () => {
    const { k, put, get } = harness(kernels);
    const n = 1103, lr = 0.01, b1 = 0.85, b2 = 0.99, eps = 1e-8, step = 3, decay = 1 - lr * 0.1;
    const p = f32(rand(n)), g = f32(rand(n)), m = f32(rand(n, 0.1)), v = f32(rand(n, 0.1).map(Math.abs));
    const Pt = put('p', p), G = put('g', g), M = put('m', m), Vt = put('v', v);
    const c1 = 1 - b1 ** (step + 1), c2 = 1 - b2 ** (step + 1);
    k.adamUpdate(Pt.ptr, G.ptr, M.ptr, Vt.ptr, n, lr, b1, b2, eps, c1, c2, decay);
    const m1 = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]), v1 = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] ** 2);
    expectClose('adamUpdate m', get(M), m1);
    expectClose('adamUpdate v', get(Vt), v1);
    expectClose('adamUpdate params', get(Pt), p.map((pi, i) => pi * decay - (lr * m1[i] / c1) / (Math.sqrt(v1[i] / c2) + eps)));
    expectClose('sumOfSquares', [k.sumOfSquares(G.ptr, n)], [g.reduce((s, x) => s + x * x, 0)]); // measured 1.3e-7
    k.scale(G.ptr, 0.25, n);
    expectClose('scale', get(G), g.map((x) => x * 0.25), 0);
  });
}

enableRelaxedSimd(); // Node 20 validates relaxed SIMD only behind this flag
const support = wasmSupport();
test('this runtime runs WebAssembly SIMD, relaxed too', () => {
  assert.ok(support.simd, support.notice);
  assert.ok(support.relaxed, 'relaxed SIMD did not validate');
});
if (support.simd) kernelTests(createKernels({ relaxed: false }), 'simd');
if (support.relaxed) kernelTests(createKernels(), 'relaxed simd');

test('timed kernels count each call and compute the same', () => {
  if (!support.simd) return;
  const timings: KernelTimings = new Map();
  const plain = createKernels(), timed = createKernels({ timings });
  const x = rand(37), y = rand(37), n = x.length, bytes = 4 * n;
  const outputs = [plain, timed].map((kernels) => {
    kernels.memory.grow(1); // one page past the static data
    new Float32Array(kernels.memory.buffer, ARENA_BASE, 2 * n).set([...x, ...y]);
    kernels.exports.residualForward(ARENA_BASE + 2 * bytes, ARENA_BASE, ARENA_BASE + bytes, n);
    kernels.exports.residualForward(ARENA_BASE + 2 * bytes, ARENA_BASE, ARENA_BASE + bytes, n);
    return Array.from(new Float32Array(kernels.memory.buffer, ARENA_BASE + 2 * bytes, n));
  });
  assert.deepEqual(outputs[1], outputs[0]);
  assert.equal(timings.get('residualForward')?.calls, 2);
  assert.ok(timings.get('residualForward')!.ms >= 0);
  assert.equal(timings.get('adamUpdate')?.calls, 0);
});
