// A checkpoint as a Hugging Face LlamaForCausalLM: config.json, generation_config.json and the
// weights under Hugging Face's names. Only a model whose computation is exactly a Llama's maps;
// anything else is refused by name, never approximated. Our RoPE pairs (i, i + hd/2) as Hugging
// Face's rotate-half does, so wq and wk keep their rows as they are.

import { type ModelConfig, kvHeads, mlpHidden } from '../contract/config.js';
import { paramViews } from '../contract/params.js';
import type { Tensor } from '../checkpoint/safetensors.js';
import type { Tokenizer } from '../contract/tokenizer.js';

export const RMS_NORM_EPS = 1e-5; // the norm's epsilon in every engine

/** The settings of `c` a LlamaForCausalLM cannot hold, as the flags spell them, with what Llama has. */
export function llamaMisfits(c: ModelConfig): string[] {
  const out: string[] = [];
  if ((c.pos ?? 'learned') !== 'rope') out.push('pos learned (Llama: --pos rope)');
  if ((c.norm ?? 'rmsnorm') !== 'rmsnorm') out.push(`norm ${c.norm} (Llama: rmsnorm)`);
  if (!c.normWeight) out.push('norms without gains (Llama: --norm-weight)');
  if (c.embedNorm !== false) out.push('embed-norm true (Llama: --embed-norm false)');
  if (!c.finalNorm) out.push('no final norm (Llama: --final-norm)');
  if ((c.activation ?? 'relu') !== 'swiglu') out.push(`activation ${c.activation ?? 'relu'} (Llama: --activation swiglu)`);
  return out;
}

/** config.json: the architecture, as transformers' LlamaConfig reads it. */
export function hfConfig(c: ModelConfig, tok: Tokenizer): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.nEmbd,
    intermediate_size: mlpHidden(c),
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: kvHeads(c),
    head_dim: c.nEmbd / c.nHead,
    hidden_act: 'silu',
    max_position_embeddings: c.blockSize,
    rms_norm_eps: RMS_NORM_EPS,
    rope_theta: c.ropeTheta ?? 10000,
    rope_scaling: null,
    attention_bias: false,
    attention_dropout: 0,
    mlp_bias: false,
    pretraining_tp: 1,
    initializer_range: c.initStd,
    tie_word_embeddings: c.tieEmbeddings === true,
    bos_token_id: tok.bos,
    eos_token_id: tok.bos,
    pad_token_id: tok.bos,
    use_cache: true,
    torch_dtype: 'float32',
  };
}

/**
 * generation_config.json: a sample ends at BOS (the end of a document) or when the context is
 * full: blockSize fed positions predict blockSize + 1 tokens, as `microgpt sample` stops a lines
 * model's sample (a text model's samples slide the context on, which generate does not).
 */
export function hfGenerationConfig(c: ModelConfig, tok: Tokenizer): Record<string, unknown> {
  return { bos_token_id: tok.bos, eos_token_id: tok.bos, pad_token_id: tok.bos, max_length: c.blockSize + 1 };
}

/** The weights under LlamaForCausalLM's names and shapes: fc1 splits into gate and up, gains lose their row. */
export function hfTensors(c: ModelConfig, weights: Float64Array): Tensor[] {
  const v = paramViews(c, weights), C = c.nEmbd, H = mlpHidden(c), KV = kvHeads(c) * (C / c.nHead);
  const out: Tensor[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, C], data: v.get('wte')! }];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `model.layers.${i}.`, ours = (name: string) => v.get(`layer${i}.${name}`)!;
    const fc1 = ours('mlp_fc1'); // (2H, C): the gate's H rows, then the up projection's
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [C], data: ours('attn_norm') },
      { name: `${p}self_attn.q_proj.weight`, shape: [C, C], data: ours('attn_wq') },
      { name: `${p}self_attn.k_proj.weight`, shape: [KV, C], data: ours('attn_wk') },
      { name: `${p}self_attn.v_proj.weight`, shape: [KV, C], data: ours('attn_wv') },
      { name: `${p}self_attn.o_proj.weight`, shape: [C, C], data: ours('attn_wo') },
      { name: `${p}post_attention_layernorm.weight`, shape: [C], data: ours('mlp_norm') },
      { name: `${p}mlp.gate_proj.weight`, shape: [H, C], data: fc1.subarray(0, H * C) },
      { name: `${p}mlp.up_proj.weight`, shape: [H, C], data: fc1.subarray(H * C, 2 * H * C) },
      { name: `${p}mlp.down_proj.weight`, shape: [C, H], data: ours('mlp_fc2') },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [C], data: v.get('norm_f')! });
  if (!c.tieEmbeddings) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, C], data: v.get('lm_head')! });
  return out;
}
