// The Hugging Face folder's weights under Hugging Face's own computation: a LlamaForCausalLM
// forward written from transformers' modeling_llama (rotate_half, repeat_kv, LlamaMLP), reading
// only config.json and model.safetensors (by name), gives the tensor engine's logits. transformers.js
// runs the ONNX graph, which reads our weights directly, so this is what checks the safetensors
// file a PyTorch user would load.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Checkpoint } from '../src/core/checkpoint/checkpoint.js';
import { encodeSafetensors } from '../src/core/checkpoint/safetensors.js';
import { DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import { initParams } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { buildTokenizer } from '../src/core/contract/tokenizer.js';
import { hfConfig, hfTensors } from '../src/core/export/hf-model.js';
import { runFromCheckpoint } from '../src/core/run/run.js';

type HfConfig = Record<string, number | boolean>;

/** Every tensor of a float32 .safetensors file by name, read as the specification describes. */
function readF32Safetensors(bytes: Uint8Array): Map<string, { shape: number[]; data: Float64Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  const out = new Map<string, { shape: number[]; data: Float64Array }>();
  for (const [name, e] of Object.entries(header as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>)) {
    if (name === '__metadata__') continue;
    assert.equal(e.dtype, 'F32', name);
    const data = new Float64Array((e.data_offsets[1] - e.data_offsets[0]) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(8 + len + e.data_offsets[0] + 4 * i, true);
    out.set(name, { shape: e.shape, data });
  }
  return out;
}

/** y = x W^T for x (T, in) and a Linear weight W (out, in). */
function linear(x: Float64Array[], w: { shape: number[]; data: Float64Array }): Float64Array[] {
  const [out, inp] = w.shape;
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) { let s = 0; for (let i = 0; i < inp; i++) s += row[i] * w.data[o * inp + i]; y[o] = s; }
    return y;
  });
}

/** LlamaRMSNorm: weight * x * rsqrt(mean(x^2) + eps). */
function rmsNorm(x: Float64Array[], w: Float64Array, eps: number): Float64Array[] {
  return x.map((row) => {
    let ms = 0;
    for (const v of row) ms += v * v;
    const s = 1 / Math.sqrt(ms / row.length + eps);
    return row.map((v, i) => w[i] * v * s);
  });
}

/** The logits (T, vocab) of LlamaForCausalLM over `ids` at positions 0..T-1, as transformers computes them. */
function hfLlamaLogits(cfg: HfConfig, t: Map<string, { shape: number[]; data: Float64Array }>, ids: number[]): Float64Array[] {
  const C = cfg.hidden_size as number, NH = cfg.num_attention_heads as number, KV = cfg.num_key_value_heads as number;
  const hd = cfg.head_dim as number, eps = cfg.rms_norm_eps as number, theta = cfg.rope_theta as number, T = ids.length;
  const get = (name: string) => { const x = t.get(name); assert.ok(x, `model.safetensors has ${name}`); return x; };
  const embed = get('model.embed_tokens.weight');
  let h = ids.map((id) => embed.data.slice(id * C, (id + 1) * C));
  // LlamaRotaryEmbedding: inv_freq = 1 / theta^(2i/hd), emb = cat(freqs, freqs); x * cos + rotate_half(x) * sin
  const rope = (x: Float64Array, pos: number): Float64Array => {
    const out = new Float64Array(hd), half = hd / 2;
    for (let j = 0; j < hd; j++) {
      const angle = pos / theta ** ((2 * (j % half)) / hd);
      const rotated = j < half ? -x[j + half] : x[j - half]; // rotate_half: cat(-x2, x1)
      out[j] = x[j] * Math.cos(angle) + rotated * Math.sin(angle);
    }
    return out;
  };
  for (let l = 0; l < (cfg.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}.`;
    const x = rmsNorm(h, get(`${p}input_layernorm.weight`).data, eps);
    const q = linear(x, get(`${p}self_attn.q_proj.weight`)), k = linear(x, get(`${p}self_attn.k_proj.weight`));
    const v = linear(x, get(`${p}self_attn.v_proj.weight`));
    const heads = (rows: Float64Array[], n: number, rotate: boolean) =>
      Array.from({ length: n }, (_, head) => rows.map((r, pos) => { const u = r.slice(head * hd, (head + 1) * hd); return rotate ? rope(u, pos) : u; }));
    const qh = heads(q, NH, true), kh = heads(k, KV, true), vh = heads(v, KV, false);
    const y = Array.from({ length: T }, () => new Float64Array(C));
    for (let head = 0; head < NH; head++) {
      const kv = Math.floor(head / (NH / KV)); // repeat_kv
      for (let i = 0; i < T; i++) {
        const scores = Array.from({ length: i + 1 }, (_, j) => { let s = 0; for (let d = 0; d < hd; d++) s += qh[head][i][d] * kh[kv][j][d]; return s / Math.sqrt(hd); });
        const max = Math.max(...scores), e = scores.map((s) => Math.exp(s - max)), sum = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) y[i][head * hd + d] += (e[j] / sum) * vh[kv][j][d];
      }
    }
    const o = linear(y, get(`${p}self_attn.o_proj.weight`));
    h = h.map((r, i) => r.map((val, c) => val + o[i][c]));
    const x2 = rmsNorm(h, get(`${p}post_attention_layernorm.weight`).data, eps);
    const gate = linear(x2, get(`${p}mlp.gate_proj.weight`)), up = linear(x2, get(`${p}mlp.up_proj.weight`));
    const act = gate.map((g, i) => g.map((z, j) => (z / (1 + Math.exp(-z))) * up[i][j])); // silu(gate) * up
    const down = linear(act, get(`${p}mlp.down_proj.weight`));
    h = h.map((r, i) => r.map((val, c) => val + down[i][c]));
  }
  const normed = rmsNorm(h, get('model.norm.weight').data, eps);
  const head = cfg.tie_word_embeddings ? embed : get('lm_head.weight');
  assert.equal(t.has('lm_head.weight'), !cfg.tie_word_embeddings, 'lm_head.weight is there exactly when untied');
  return linear(normed, head);
}

const LLAMA: ModelConfig = {
  vocabSize: 0, nLayer: 2, nEmbd: 16, nHead: 4, nKvHead: 2, blockSize: 16, initStd: 0.3, ropeTheta: 500,
  pos: 'rope', activation: 'swiglu', mlpHidden: 24, norm: 'rmsnorm', normWeight: true, finalNorm: true, embedNorm: false,
};

test('model.safetensors under Hugging Face\'s Llama computation gives the tensor engine\'s logits', () => {
  const tok = buildTokenizer(['the quick brown fox', 'jumps over']);
  for (const tie of [false, true]) {
    const config = { ...LLAMA, vocabSize: tok.vocabSize, tieEmbeddings: tie };
    const rng = new PyRandom(3);
    // gains away from 1 so a misplaced norm weight shows; float32 values, so both sides read the same weights
    const weights = initParams(config, rng).map((w, i) => Math.fround(w === 1 ? 1 + 0.5 * Math.sin(i) : w));
    const c: Checkpoint = {
      config, train: DEFAULT_TRAIN, vocab: tok.chars, step: 0, seed: 3, weights, rng: rng.getState(),
      data: { format: 'lines', valFraction: 0 }, engine: 'tensor',
    };
    // the two files as export writes them (the command itself is tested in export.test.ts)
    const cfg = JSON.parse(JSON.stringify(hfConfig(config, tok))) as HfConfig;
    const tensors = readF32Safetensors(encodeSafetensors(hfTensors(config, weights), { format: 'pt' }, 'F32'));
    const ids = [tok.bos, ...'the fox jumps'.split('').map((ch) => tok.ids.get(ch)!)];
    const theirs = hfLlamaLogits(cfg, tensors, ids);
    const engine = runFromCheckpoint(c, { engine: 'tensor' }).engine;
    let worst = 0, at = '';
    for (let i = 0; i < ids.length; i++) {
      const ours = engine.feed([ids[i]], i); // logits after position i
      for (let j = 0; j < tok.vocabSize; j++) {
        const d = Math.abs(ours[j] - theirs[i][j]);
        if (d > worst) { worst = d; at = `position ${i}, token ${j}: ours ${ours[j]}, Hugging Face's ${theirs[i][j]}`; }
      }
    }
    // measured: 4e-15 (float64 on both sides, the same float32 weights, sums in another order)
    assert.ok(worst < 1e-13, `tie ${tie}: worst difference ${worst} at ${at}`);
  }
});
