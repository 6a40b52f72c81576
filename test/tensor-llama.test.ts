// The tensor engine's road to a Llama (docs/llama.md): RoPE, grouped-query attention, SwiGLU
// and norm gains against their formulas and finite differences; the whole model's gradient
// with each setting alone and all together; the KV-cache decoder against the full forward.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as libm from '../src/core/libm/index.js';
import { DEFAULT_MODEL, type ModelConfig, kvHeads, mlpHidden, qkvWidth } from '../src/core/contract/config.js';
import { batchTokens } from '../src/core/contract/engine.js';
import { initParams, paramLayout } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { type ScalarModel, createScalarModel, linear, rmsnorm, softmax } from '../src/core/scalar/gpt.js';
import { type Value, sum } from '../src/core/scalar/value.js';
import { activationFloatsPerRow, createActivations } from '../src/core/tensor/activations.js';
import { attentionBackward, attentionForward } from '../src/core/tensor/attention.js';
import { createBatchDecodeState, decodeBatchStep } from '../src/core/tensor/decode.js';
import { createTensorModel, forwardLoss, gptForward, lossAndGrad, pack } from '../src/core/tensor/gpt.js';
import { normKernels } from '../src/core/tensor/layernorm.js';
import { normGainBackward, normGainForward } from '../src/core/tensor/norm-gain.js';
import { swigluBackward, swigluForward } from '../src/core/tensor/pointwise.js';
import { ropeBackward, ropeForward, ropeTable } from '../src/core/tensor/rope.js';
import { assertTensorClose, newRng, numericGrad, objective, randomTensor } from './tensor-helpers.js';

const rng = newRng(2024);

test('rope: forward is docs/llama.md\'s rotation of q and k (v stays), backward turns it back and matches finite differences', () => {
  const N = 5, C = 16, NH = 4, KV = 2, hd = C / NH, W = C + 2 * KV * hd, A = 12, theta = 500;
  const positions = Int32Array.from([0, 3, 11, 7, 1]), table = ropeTable(theta, A, hd);
  const qkv = randomTensor(rng, N * W), out = qkv.slice();
  ropeForward(out, positions, table, N, NH, KV);
  const want = qkv.slice();
  for (let t = 0; t < N; t++) {
    for (let h = 0; h < NH + KV; h++) {
      const u = t * W + h * hd;
      for (let i = 0; i < hd / 2; i++) {
        const angle = positions[t] * Math.pow(theta, (-2 * i) / hd), a = qkv[u + i], b = qkv[u + hd / 2 + i];
        want[u + i] = a * Math.cos(angle) - b * Math.sin(angle);
        want[u + hd / 2 + i] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
  }
  assertTensorClose('rope forward vs formula', out, want, 0, Number.MIN_VALUE);
  const back = out.slice();
  ropeBackward(back, positions, table, N, NH, KV);
  assertTensorClose('rope backward of forward', back, qkv, 1e-14, 1e-12); // measured 2.2e-15
  const dout = randomTensor(rng, N * W), dqkv = dout.slice();
  ropeBackward(dqkv, positions, table, N, NH, KV);
  const fd = numericGrad(qkv, () => { const o = qkv.slice(); ropeForward(o, positions, table, N, NH, KV); return objective(o, dout); });
  assertTensorClose('rope dqkv vs finite differences', dqkv, fd, 5e-8, 1e-6); // measured 5.9e-9
});

test('rope: a query at t and a key at s score by t - s alone', () => {
  const hd = 8, NH = 1, KV = 1, W = 3 * hd, table = ropeTable(10000, 32, hd);
  const q = randomTensor(rng, hd), k = randomTensor(rng, hd);
  const score = (t: number, s: number): number => {
    const rows = new Float64Array(2 * W);
    rows.set(q, 0);
    rows.set(k, W + hd); // row 1's key
    ropeForward(rows, Int32Array.from([t, s]), table, 2, NH, KV);
    return objective(rows.subarray(0, hd), rows.subarray(W + hd, W + 2 * hd));
  };
  for (const d of [0, 3, 17]) {
    const base = score(d, 0);
    for (const s of [1, 5, 14]) assertTensorClose(`q.k at (${s + d}, ${s}) vs (${d}, 0)`, [score(s + d, s)], [base], 2e-13); // measured 3.6e-14
  }
  assert.notEqual(score(3, 0).toFixed(6), score(4, 0).toFixed(6), 'the score moves with the offset');
});

/** qkv (T, C + 2 KV hd) with each key/value head copied to every query head of its group: (T, 3C). */
function expandHeads(qkv: Float64Array, T: number, C: number, NH: number, KV: number): Float64Array {
  const hd = C / NH, W = C + 2 * KV * hd, out = new Float64Array(T * 3 * C);
  for (let t = 0; t < T; t++) {
    out.set(qkv.subarray(t * W, t * W + C), t * 3 * C);
    for (let h = 0; h < NH; h++) {
      const kv = Math.floor(h / (NH / KV)) * hd;
      for (let j = 0; j < hd; j++) {
        out[t * 3 * C + C + h * hd + j] = qkv[t * W + C + kv + j];
        out[t * 3 * C + 2 * C + h * hd + j] = qkv[t * W + C + KV * hd + kv + j];
      }
    }
  }
  return out;
}

/** The gradient of expandHeads' output folded back: each shared head sums its group's. */
function foldHeads(d: Float64Array, T: number, C: number, NH: number, KV: number): Float64Array {
  const hd = C / NH, W = C + 2 * KV * hd, out = new Float64Array(T * W);
  for (let t = 0; t < T; t++) {
    out.set(d.subarray(t * 3 * C, t * 3 * C + C), t * W);
    for (let h = 0; h < NH; h++) {
      const kv = Math.floor(h / (NH / KV)) * hd;
      for (let j = 0; j < hd; j++) {
        out[t * W + C + kv + j] += d[t * 3 * C + C + h * hd + j];
        out[t * W + C + KV * hd + kv + j] += d[t * 3 * C + 2 * C + h * hd + j];
      }
    }
  }
  return out;
}

for (const KV of [1, 2, 4]) {
  test(`grouped-query attention, ${KV} key/value heads for 4 query heads: multi-head attention over copied heads, and finite differences`, () => {
    const C = 16, NH = 4, A = 7, lens = [4, 3], T = 7, W = qkvWidth({ ...DEFAULT_MODEL, vocabSize: 2, nEmbd: C, nHead: NH, nKvHead: KV });
    const qkv = randomTensor(rng, T * W), dout = randomTensor(rng, T * C);
    const run = (x: Float64Array, kv: number) => {
      const out = new Float64Array(T * C), att = new Float64Array(T * NH * A);
      attentionForward(out, att, x, 0, 0, lens[0], C, NH, A, kv);
      attentionForward(out, att, x, lens[0], 0, lens[1], C, NH, A, kv);
      return { out, att };
    };
    const grad = (x: Float64Array, kv: number) => {
      const { att } = run(x, kv), dx = new Float64Array(x.length), datt = new Float64Array(att.length);
      attentionBackward(dx, datt, dout, x, att, 0, lens[0], C, NH, A, kv);
      attentionBackward(dx, datt, dout, x, att, lens[0], lens[1], C, NH, A, kv);
      return dx;
    };
    const wide = expandHeads(qkv, T, C, NH, KV);
    assertTensorClose('out vs copied heads', run(qkv, KV).out, run(wide, NH).out, 0, Number.MIN_VALUE);
    const dqkv = grad(qkv, KV);
    assertTensorClose('dqkv vs copied heads, folded', dqkv, foldHeads(grad(wide, NH), T, C, NH, KV), 5e-12); // measured 7.9e-13: summation order
    const fd = numericGrad(qkv, () => objective(run(qkv, KV).out, dout));
    assertTensorClose('dqkv vs finite differences', dqkv, fd, 5e-6, 1e-4); // measured 7e-7; entries of O(1), those near 0 judged on 1e-4
  });
}

test('swiglu: silu(gate) * up per row, backward into both halves matches finite differences', () => {
  const N = 3, H = 5, inp = randomTensor(rng, N * 2 * H, 2), dout = randomTensor(rng, N * H);
  const out = new Float64Array(N * H);
  swigluForward(out, inp, N, H);
  const want = new Float64Array(N * H);
  for (let t = 0; t < N; t++) {
    for (let j = 0; j < H; j++) {
      const g = inp[t * 2 * H + j];
      want[t * H + j] = (g / (1 + libm.exp(-g))) * inp[t * 2 * H + H + j];
    }
  }
  assertTensorClose('swiglu forward vs formula', out, want, 0, Number.MIN_VALUE);
  const dinp = new Float64Array(N * 2 * H).fill(0.5); // backward accumulates
  swigluBackward(dinp, dout, inp, N, H);
  for (let i = 0; i < dinp.length; i++) dinp[i] -= 0.5;
  const fd = numericGrad(inp, () => { swigluForward(out, inp, N, H); return objective(out, dout); });
  assertTensorClose('swiglu dinp vs finite differences', dinp, fd, 5e-7, 1e-6); // measured 7.5e-8
});

for (const name of ['rmsnorm', 'layernorm'] as const) {
  test(`${name} with a gain: norm(x) * g, backward gives dx and dg (summed over rows) as finite differences do`, () => {
    const N = 4, C = 6, { forward, backward } = normKernels(name);
    const x = randomTensor(rng, N * C, 2), g = randomTensor(rng, C), dout = randomTensor(rng, N * C);
    const xhat = new Float64Array(N * C), y = new Float64Array(N * C), rstd = new Float64Array(N);
    const run = () => { normGainForward(forward, xhat, y, rstd, x, g, N, C); return objective(y, dout); };
    assert.equal(normGainForward(forward, xhat, y, rstd, x, g, N, C), y);
    const plain = new Float64Array(N * C);
    forward(plain, new Float64Array(N), x, N, C);
    assertTensorClose(`${name} xhat`, xhat, plain, 0, Number.MIN_VALUE);
    assertTensorClose(`${name} y vs xhat * g`, y, xhat.map((v, i) => v * g[i % C]), 0, Number.MIN_VALUE);
    const dx = new Float64Array(N * C), dxhat = new Float64Array(N * C), dg = new Float64Array(C);
    normGainBackward(backward, dx, dxhat, dg, dout, x, xhat, rstd, g, N, C);
    assertTensorClose(`${name} dx vs finite differences`, dx, numericGrad(x, run), 1e-8, 1e-6); // measured 2.2e-9
    assertTensorClose(`${name} dg vs finite differences`, dg, numericGrad(g, run), 3e-9, 1e-6); // measured 3e-10
  });
}

const TINY: ModelConfig = { ...DEFAULT_MODEL, vocabSize: 7, nLayer: 2, nEmbd: 16, nHead: 4, blockSize: 6, initStd: 0.3 };
const BATCH = [[0, 3, 1, 4, 1, 5, 0], [0, 2, 6, 0]];
const LLAMA: Partial<ModelConfig> = { pos: 'rope', ropeTheta: 100, nKvHead: 2, activation: 'swiglu', mlpHidden: 12, normWeight: true, finalNorm: true, embedNorm: false };

const SETTINGS: Record<string, Partial<ModelConfig>> = {
  'pos rope': { pos: 'rope' },
  'n-kv-head 2': { nKvHead: 2 },
  'n-kv-head 1': { nKvHead: 1 },
  swiglu: { activation: 'swiglu' },
  'mlp-hidden 12': { mlpHidden: 12 },
  'norm-weight': { normWeight: true },
  'norm-weight, layernorm': { normWeight: true, norm: 'layernorm' },
  'tie-embeddings': { tieEmbeddings: true },
  'final-norm': { finalNorm: true },
  'final-norm, norm-weight': { finalNorm: true, normWeight: true },
  'embed-norm false': { embedNorm: false },
  llama: LLAMA,
  'llama, tied': { ...LLAMA, tieEmbeddings: true },
  'llama, layernorm, gelu, n-kv-head 1, embed norm': { ...LLAMA, norm: 'layernorm', activation: 'gelu', nKvHead: 1, embedNorm: true },
};

/** Seeded weights with every gain moved off 1, so a wrong gain gradient shows. */
function weightsFor(config: ModelConfig, seed: number): Float64Array {
  const w = initParams(config, new PyRandom(seed)), r = new PyRandom(seed + 1);
  for (const p of paramLayout(config)) if (p.init === 'ones') for (let i = p.offset; i < p.offset + p.size; i++) w[i] += r.gauss(0, 0.3);
  return w;
}

for (const [label, setting] of Object.entries(SETTINGS)) {
  test(`whole model, ${label}: every parameter tensor's gradient matches finite differences`, () => {
    const config = { ...TINY, ...setting };
    const m = createTensorModel(config, weightsFor(config, 3), 16);
    const mean = 1 / batchTokens(BATCH, config.blockSize);
    lossAndGrad(m, BATCH, mean);
    const pick = newRng(5);
    for (const p of paramLayout(config)) {
      const idx = p.size <= 48 ? Array.from({ length: p.size }, (_, i) => i) : Array.from({ length: 48 }, () => Math.floor(pick.random() * p.size));
      const got = idx.map((i) => m.grads[p.offset + i]), want = idx.map((i) => {
        const at = p.offset + i, old = m.params[at];
        m.params[at] = old + 1e-5;
        const up = forwardLoss(m, BATCH) * mean;
        m.params[at] = old - 1e-5;
        const down = forwardLoss(m, BATCH) * mean;
        m.params[at] = old;
        return (up - down) / 2e-5;
      });
      // central differences of h = 1e-5 at initStd 0.3 err by ~1e-9: entries far below the tensor's largest are judged on its scale
      const floor = 1e-3 * Math.max(...want.map(Math.abs));
      assertTensorClose(`grad ${p.name} (entries ${idx.slice(0, 8).join(',')}...)`, got, want, 2e-6, floor); // worst measured 4.7e-7 (attn_wq)
    }
  });
}

/**
 * The twin: docs/llama.md's computation in the scalar engine's Values, one token at a time,
 * written from the document rather than from the kernels (RMSNorm only). Returns each
 * position's logits.
 */
function twinLogits(m: ScalarModel, seq: number[]): Value[][] {
  const c = m.config, s = (name: string) => m.state.get(name)!, C = c.nEmbd, NH = c.nHead, hd = C / NH, KV = kvHeads(c), H = mlpHidden(c);
  const theta = c.ropeTheta ?? 10000, scale = libm.pow(libm.pow(hd, 0.5), -1);
  const norm = (x: Value[], gain: string): Value[] => (c.normWeight ? rmsnorm(x).map((v, i) => v.mul(s(gain)[0][i])) : rmsnorm(x));
  const rotate = (u: Value[], t: number): Value[] => u.map((_, j) => {
    const i = j % (hd / 2), h0 = j - (j % hd), angle = t * Math.pow(theta, (-2 * i) / hd);
    const a = u[h0 + i], b = u[h0 + i + hd / 2];
    return j % hd < hd / 2 ? a.mul(Math.cos(angle)).sub(b.mul(Math.sin(angle))) : b.mul(Math.cos(angle)).add(a.mul(Math.sin(angle)));
  });
  const keys: Value[][][] = Array.from({ length: c.nLayer }, () => []), values: Value[][][] = Array.from({ length: c.nLayer }, () => []);
  const out: Value[][] = [];
  for (let t = 0; t < seq.length - 1; t++) {
    let x = c.pos === 'rope' ? s('wte')[seq[t]] : s('wte')[seq[t]].map((v, i) => v.add(s('wpe')[t][i]));
    if (c.embedNorm !== false) x = norm(x, 'embed_norm');
    for (let l = 0; l < c.nLayer; l++) {
      const p = (name: string) => s(`layer${l}.${name}`);
      const h = norm(x, `layer${l}.attn_norm`);
      let q = linear(h, p('attn_wq')), k = linear(h, p('attn_wk'));
      if (c.pos === 'rope') { q = rotate(q, t); k = rotate(k, t); }
      keys[l].push(k);
      values[l].push(linear(h, p('attn_wv')));
      const y: Value[] = [];
      for (let qh = 0; qh < NH; qh++) {
        const kv = Math.floor(qh / (NH / KV)) * hd;
        const w = softmax(keys[l].map((key) => sum(Array.from({ length: hd }, (_, j) => q[qh * hd + j].mul(key[kv + j]))).mul(scale)));
        for (let j = 0; j < hd; j++) y.push(sum(w.map((ws, u) => ws.mul(values[l][u][kv + j]))));
      }
      x = linear(y, p('attn_wo')).map((v, i) => v.add(x[i]));
      const u = linear(norm(x, `layer${l}.mlp_norm`), p('mlp_fc1'));
      const a = c.activation === 'swiglu' ? u.slice(0, H).map((g, j) => g.mul(g.neg().exp().add(1).pow(-1)).mul(u[H + j])) : u.map((v) => v.relu());
      x = linear(a, p('mlp_fc2')).map((v, i) => v.add(x[i]));
    }
    if (c.finalNorm) x = norm(x, 'norm_f');
    out.push(linear(x, s(c.tieEmbeddings ? 'wte' : 'lm_head')));
  }
  return out;
}

for (const label of ['pos rope', 'n-kv-head 1', 'swiglu', 'final-norm, norm-weight', 'embed-norm false', 'tie-embeddings', 'llama', 'llama, tied']) {
  test(`whole model, ${label}: the loss and every gradient tensor match a twin in the scalar engine's Values`, () => {
    const config = { ...TINY, ...SETTINGS[label] }, weights = weightsFor(config, 6);
    const twin = createScalarModel(config, weights), dloss = 1 / batchTokens(BATCH, config.blockSize);
    const losses = BATCH.flatMap((seq) => twinLogits(twin, seq).map((logits, t) => softmax(logits)[seq[t + 1]].log().neg()));
    const total = sum(losses);
    total.mul(dloss).backward();
    const m = createTensorModel(config, weights, 16);
    assertTensorClose('sum of losses', [lossAndGrad(m, BATCH, dloss)], [total.data], 1e-14); // worst measured 1.8e-16
    for (const p of paramLayout(config)) {
      const want = twin.params.slice(p.offset, p.offset + p.size).map((v) => v.grad);
      assertTensorClose(`grad ${p.name}`, m.grads.subarray(p.offset, p.offset + p.size), want, 1e-10); // worst measured 1.8e-11 (mlp_fc1): summation order
    }
  });
}

test('every llama field at its reference value changes nothing, to the bit', () => {
  const same: ModelConfig = { ...TINY, pos: 'learned', ropeTheta: 500, nKvHead: TINY.nHead, mlpHidden: 4 * TINY.nEmbd,
    normWeight: false, tieEmbeddings: false, finalNorm: false, embedNorm: true };
  const w = initParams(TINY, new PyRandom(8));
  assert.deepEqual(initParams(same, new PyRandom(8)), w);
  const a = createTensorModel(TINY, w, 16), b = createTensorModel(same, w, 16);
  assert.equal(lossAndGrad(b, BATCH, 0.1), lossAndGrad(a, BATCH, 0.1));
  assert.deepEqual(b.grads, a.grads);
});

for (const label of ['llama', 'llama, tied', 'llama, layernorm, gelu, n-kv-head 1, embed norm']) {
  test(`${label}: the KV-cache decoder gives the full forward's logits at every position, to the bit, however the rows are batched`, () => {
    const config = { ...TINY, ...SETTINGS[label], blockSize: 9 }, V = config.vocabSize;
    const m = createTensorModel(config, weightsFor(config, 4));
    const seqs = [[0, 3, 1, 4, 1, 5, 2, 6, 0], [0, 6, 5, 4, 3, 2, 1, 0]];
    const full = seqs.map((seq) => {
      pack(m, [seq], 0);
      gptForward(m);
      return m.acts.logits.slice(0, (seq.length - 1) * V);
    });
    // both sequences at once, interleaved in two cache slots, one token of each per step
    const state = createBatchDecodeState(m, 2);
    for (let t = 0; t < seqs[0].length - 1; t++) {
      const live = seqs.map((s, b) => b).filter((b) => t < seqs[b].length - 1);
      const logits = decodeBatchStep(m, state, Int32Array.from(live), Int32Array.from(live, (b) => seqs[b][t]), Int32Array.from(live, () => t), live.length);
      live.forEach((b, r) => assertTensorClose(`sequence ${b} position ${t} logits`, logits.subarray(r * V, (r + 1) * V), full[b].subarray(t * V, (t + 1) * V), 0, Number.MIN_VALUE));
    }
    // several positions of one sequence in one step (as speculative decoding checks a draft), then the rest
    const one = createBatchDecodeState(m, 1, 5), seq = seqs[0], zeros = new Int32Array(5);
    const first = decodeBatchStep(m, one, zeros, Int32Array.from(seq.slice(0, 5)), Int32Array.from([0, 1, 2, 3, 4]), 5);
    assertTensorClose('positions 0-4 in one step', first.slice(0, 5 * V), full[0].subarray(0, 5 * V), 0, Number.MIN_VALUE);
    const rest = decodeBatchStep(m, one, zeros, Int32Array.from(seq.slice(5, 8)), Int32Array.from([5, 6, 7]), 3);
    assertTensorClose('positions 5-7 in one step', rest.slice(0, 3 * V), full[0].subarray(5 * V, 8 * V), 0, Number.MIN_VALUE);
  });
}

test('memory: the activation estimate counts exactly the buffers made, with every setting', () => {
  for (const setting of Object.values(SETTINGS)) {
    const config = { ...TINY, ...setting, dropout: 0.1 };
    const floats = createActivations(config, 5).buffers.reduce((n, b) => n + b.length, 0);
    assert.equal(activationFloatsPerRow(config) * 5, floats, JSON.stringify(setting));
  }
});
