// Every tensor kernel on random inputs: forward against the scalar engine's Values (to the
// bit), backward against the Values' gradients and against finite differences.

import { test } from 'node:test';
import * as libm from '../src/core/libm/index.js';
import { DEFAULT_TRAIN } from '../src/core/contract/config.js';
import { adamStep, createAdamState } from '../src/core/scalar/adam.js';
import { linear, rmsnorm, softmax } from '../src/core/scalar/gpt.js';
import { Value, sum } from '../src/core/scalar/value.js';
import { adamUpdate } from '../src/core/tensor/adam.js';
import { attentionBackward, attentionForward } from '../src/core/tensor/attention.js';
import { crossentropyBackward, crossentropyForward } from '../src/core/tensor/crossentropy.js';
import { embeddingBackward, embeddingForward } from '../src/core/tensor/embedding.js';
import { matmulBackward, matmulForward } from '../src/core/tensor/matmul.js';
import { reluBackward, reluForward, residualBackward, residualForward } from '../src/core/tensor/pointwise.js';
import { rmsnormBackward, rmsnormForward } from '../src/core/tensor/rmsnorm.js';
import { assertTensorClose, newRng, randomTensor } from './tensor-helpers.js';

type Tensors = Record<string, Float64Array>;

/** A kernel under test: its inputs, its forward and backward, and the same op in Values. */
interface KernelCase {
  name: string;
  inputs: Tensors;
  forward(inp: Tensors): Float64Array;
  backward(grads: Tensors, inp: Tensors, dout: Float64Array): void; // accumulates into grads
  scalar(inp: Record<string, Value[]>): Value[];
  dout?(n: number): Float64Array; // the weights of the test objective sum(out * dout)
}

function rows(flat: Value[], width: number): Value[][] {
  const out: Value[][] = [];
  for (let r = 0; r < flat.length; r += width) out.push(flat.slice(r, r + width));
  return out;
}

function objective(out: Float64Array, dout: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * dout[i];
  return s;
}

function checkKernel(k: KernelCase): void {
  const rng = newRng(1234);
  const out = k.forward(k.inputs);
  const dout = k.dout ? k.dout(out.length) : randomTensor(rng, out.length);

  // forward and backward in Values
  const values: Record<string, Value[]> = {};
  for (const [name, x] of Object.entries(k.inputs)) values[name] = Array.from(x, (d) => new Value(d));
  const sOut = k.scalar(values);
  assertTensorClose(`${k.name} forward vs scalar`, out, sOut.map((v) => v.data), 0, Number.MIN_VALUE);
  sum(sOut.map((v, i) => v.mul(dout[i]))).backward();

  const grads: Tensors = {};
  for (const [name, x] of Object.entries(k.inputs)) grads[name] = new Float64Array(x.length);
  k.backward(grads, k.inputs, dout);

  for (const [name, x] of Object.entries(k.inputs)) {
    assertTensorClose(`${k.name} d${name} vs scalar`, grads[name], values[name].map((v) => v.grad), 2e-13); // worst measured 5e-14 (attention dqkv): summation order
    const fd = new Float64Array(x.length), h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + h;
      const up = objective(k.forward(k.inputs), dout);
      x[i] = x0 - h;
      const down = objective(k.forward(k.inputs), dout);
      x[i] = x0;
      fd[i] = (up - down) / (2 * h);
    }
    assertTensorClose(`${k.name} d${name} vs finite differences`, grads[name], fd, 1e-6, 1e-6); // worst measured 7.9e-7 (matmul dweight): h = 1e-6 truncation and rounding
  }
}

const rng = newRng(42);
const N = 5, C = 8, OC = 6, V = 7, NH = 2, A = 6;

test('embedding', () => {
  const tokens = Int32Array.from([3, 0, 6, 3, 1]), positions = Int32Array.from([0, 1, 2, 0, 1]);
  checkKernel({
    name: 'embedding',
    inputs: { wte: randomTensor(rng, V * C), wpe: randomTensor(rng, A * C) },
    forward: ({ wte, wpe }) => {
      const out = new Float64Array(N * C);
      embeddingForward(out, tokens, positions, wte, wpe, N, C);
      return out;
    },
    backward: (g, _, dout) => embeddingBackward(g.wte, g.wpe, dout, tokens, positions, N, C),
    scalar: ({ wte, wpe }) => Array.from(tokens).flatMap((tok, t) =>
      rows(wte, C)[tok].map((x, i) => x.add(rows(wpe, C)[positions[t]][i]))),
  });
});

test('rmsnorm', () => {
  checkKernel({
    name: 'rmsnorm',
    inputs: { inp: randomTensor(rng, N * C) },
    forward: ({ inp }) => {
      const out = new Float64Array(N * C);
      rmsnormForward(out, new Float64Array(N), inp, N, C);
      return out;
    },
    backward: (g, { inp }, dout) => {
      const rstd = new Float64Array(N);
      rmsnormForward(new Float64Array(N * C), rstd, inp, N, C);
      rmsnormBackward(g.inp, dout, inp, rstd, N, C);
    },
    scalar: ({ inp }) => rows(inp, C).flatMap((x) => rmsnorm(x)),
  });
});

for (const [c, oc] of [[C, OC], [C + 3, 5], [4 * C, C]]) {
  test(`matmul (${N}, ${c}) x (${oc}, ${c})^T`, () => {
    checkKernel({
      name: 'matmul',
      inputs: { inp: randomTensor(rng, N * c), weight: randomTensor(rng, oc * c) },
      forward: ({ inp, weight }) => {
        const out = new Float64Array(N * oc);
        matmulForward(out, inp, weight, N, c, oc);
        return out;
      },
      backward: (g, { inp, weight }, dout) => matmulBackward(g.inp, g.weight, dout, inp, weight, N, c, oc),
      scalar: ({ inp, weight }) => rows(inp, c).flatMap((x) => linear(x, rows(weight, c))),
    });
  });
}

/** The scalar engine's attention (as in gptForward) for one sequence of T rows of q|k|v. */
function scalarAttention(qkv: Value[], T: number, c: number, nh: number): Value[] {
  const hd = c / nh, scale = libm.pow(libm.pow(hd, 0.5), -1);
  const r = rows(qkv, 3 * c), out: Value[] = [];
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nh; h++) {
      const hs = h * hd, logits: Value[] = [];
      for (let s = 0; s <= t; s++) {
        let dot = r[t][hs].mul(r[s][c + hs]);
        for (let j = 1; j < hd; j++) dot = dot.add(r[t][hs + j].mul(r[s][c + hs + j]));
        logits.push(dot.mul(scale));
      }
      const w = softmax(logits);
      for (let j = 0; j < hd; j++) {
        let acc = w[0].mul(r[0][2 * c + hs + j]);
        for (let s = 1; s <= t; s++) acc = acc.add(w[s].mul(r[s][2 * c + hs + j]));
        out.push(acc);
      }
    }
  }
  return out;
}

test('attention: two sequences packed back to back', () => {
  const lens = [4, 3], total = 7; // rows 0..3 and 4..6
  checkKernel({
    name: 'attention',
    inputs: { qkv: randomTensor(rng, total * 3 * C) },
    forward: ({ qkv }) => {
      const out = new Float64Array(total * C), att = new Float64Array(total * NH * A);
      attentionForward(out, att, qkv, 0, 0, lens[0], C, NH, A);
      attentionForward(out, att, qkv, lens[0], 0, lens[1], C, NH, A);
      return out;
    },
    backward: (g, { qkv }, dout) => {
      const out = new Float64Array(total * C), att = new Float64Array(total * NH * A);
      const datt = new Float64Array(total * NH * A);
      attentionForward(out, att, qkv, 0, 0, lens[0], C, NH, A);
      attentionForward(out, att, qkv, lens[0], 0, lens[1], C, NH, A);
      attentionBackward(g.qkv, datt, dout, qkv, att, 0, lens[0], C, NH, A);
      attentionBackward(g.qkv, datt, dout, qkv, att, lens[0], lens[1], C, NH, A);
    },
    scalar: ({ qkv }) => [
      ...scalarAttention(qkv.slice(0, lens[0] * 3 * C), lens[0], C, NH),
      ...scalarAttention(qkv.slice(lens[0] * 3 * C), lens[1], C, NH),
    ],
  });
});

test('attention: decoding the last query alone equals the full sequence', () => {
  const T = 5, qkv = randomTensor(rng, T * 3 * C);
  const full = new Float64Array(T * C), one = new Float64Array(T * C), att = new Float64Array(T * NH * A);
  attentionForward(full, att, qkv, 0, 0, T, C, NH, A);
  attentionForward(one, att, qkv, 0, T - 1, T, C, NH, A);
  assertTensorClose('last row', one.subarray((T - 1) * C), full.subarray((T - 1) * C), 0, Number.MIN_VALUE);
});

test('relu', () => {
  checkKernel({
    name: 'relu',
    inputs: { inp: randomTensor(rng, N * C) },
    forward: ({ inp }) => {
      const out = new Float64Array(N * C);
      reluForward(out, inp, N * C);
      return out;
    },
    backward: (g, { inp }, dout) => reluBackward(g.inp, dout, inp, N * C),
    scalar: ({ inp }) => inp.map((x) => x.relu()),
  });
});

test('residual', () => {
  checkKernel({
    name: 'residual',
    inputs: { a: randomTensor(rng, N * C), b: randomTensor(rng, N * C) },
    forward: ({ a, b }) => {
      const out = new Float64Array(N * C);
      residualForward(out, a, b, N * C);
      return out;
    },
    backward: (g, _, dout) => residualBackward(g.a, g.b, dout, N * C),
    scalar: ({ a, b }) => a.map((x, i) => x.add(b[i])),
  });
});

test('softmax cross-entropy', () => {
  const targets = Int32Array.from([2, 0, 6, 6, 1]), dloss = 1 / N;
  checkKernel({
    name: 'crossentropy',
    inputs: { logits: randomTensor(rng, N * V, 2) },
    forward: ({ logits }) => {
      const losses = new Float64Array(N);
      crossentropyForward(new Float64Array(N * V), losses, logits, targets, N, V);
      return losses;
    },
    backward: (g, { logits }) => {
      const probs = new Float64Array(N * V);
      crossentropyForward(probs, new Float64Array(N), logits, targets, N, V);
      crossentropyBackward(g.logits, probs, targets, dloss, N, V);
    },
    scalar: ({ logits }) => rows(logits, V).map((z, t) => softmax(z)[targets[t]].log().neg()),
    dout: (n) => new Float64Array(n).fill(dloss),
  });
});

test('backward kernels accumulate', () => {
  const inp = randomTensor(rng, N * C), weight = randomTensor(rng, OC * C), dout = randomTensor(rng, N * OC);
  const once = [new Float64Array(N * C), new Float64Array(OC * C)], twice = [new Float64Array(N * C), new Float64Array(OC * C)];
  matmulBackward(once[0], once[1], dout, inp, weight, N, C, OC);
  matmulBackward(twice[0], twice[1], dout, inp, weight, N, C, OC);
  matmulBackward(twice[0], twice[1], dout, inp, weight, N, C, OC);
  assertTensorClose('dinp twice', twice[0], once[0].map((x) => 2 * x), 1e-15);
  assertTensorClose('dweight twice', twice[1], once[1].map((x) => 2 * x), 1e-15);
});

test('adam: the same update as the scalar engine, to the bit', () => {
  const n = 50, params = randomTensor(rng, n), m = new Float64Array(n), v = new Float64Array(n), grads = new Float64Array(n);
  const values = Array.from(params, (d) => new Value(d)), state = createAdamState(n);
  for (let step = 0; step < 3; step++) {
    const g = randomTensor(rng, n, 0.1);
    grads.set(g);
    values.forEach((p, i) => { p.grad = g[i]; });
    adamUpdate(params, grads, m, v, DEFAULT_TRAIN, step, 0.01 * (1 - step / 3), n);
    adamStep(values, state, DEFAULT_TRAIN, step, 0.01 * (1 - step / 3));
    assertTensorClose(`params after step ${step}`, params, values.map((p) => p.data), 0, Number.MIN_VALUE);
    assertTensorClose(`m after step ${step}`, m, state.m, 0, Number.MIN_VALUE);
    assertTensorClose(`v after step ${step}`, v, state.v, 0, Number.MIN_VALUE);
    assertTensorClose('grads cleared', grads, new Float64Array(n), 0, Number.MIN_VALUE);
  }
});
