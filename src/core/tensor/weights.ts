// Named views into the flat parameter buffer, following src/core/contract/params.ts's layout.
// The gradient buffer gets the same views, so dw.layers[0].fc1 is the gradient of
// layer0.mlp_fc1. A tied head is a second view of wte, so its gradient adds into wte's.

import type { ModelConfig } from '../contract/config.js';
import { paramLayout } from '../contract/params.js';

export interface LayerWeights {
  attnNorm?: Float64Array; // (C,) attn_norm's gain, with normWeight
  qkv: Float64Array;       // (C + 2 KV hd, C) attn_wq | attn_wk | attn_wv, back to back in the layout
  wo: Float64Array;        // (C, C) attn_wo
  mlpNorm?: Float64Array;  // (C,) mlp_norm's gain
  fc1: Float64Array;       // (H, C), or (2H, C) gate | up for swiglu: mlp_fc1
  fc2: Float64Array;       // (C, H) mlp_fc2
}

export interface Weights {
  wte: Float64Array;        // (V, C)
  wpe?: Float64Array;       // (blockSize, C) with learned positions
  lmHead: Float64Array;     // (V, C) lm_head, or wte itself when tied
  embedNorm?: Float64Array; // (C,) embed_norm's gain
  normF?: Float64Array;     // (C,) norm_f's gain
  layers: LayerWeights[];
}

export function weightViews(c: ModelConfig, flat: Float64Array): Weights {
  const spec = new Map(paramLayout(c).map((p) => [p.name, p]));
  const view = (name: string, size?: number): Float64Array => {
    const p = spec.get(name)!;
    return flat.subarray(p.offset, p.offset + (size ?? p.size));
  };
  const maybe = (name: string): Float64Array | undefined => (spec.has(name) ? view(name) : undefined);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const wq = spec.get(`layer${l}.attn_wq`)!, wk = spec.get(`layer${l}.attn_wk`)!, wv = spec.get(`layer${l}.attn_wv`)!;
    if (wk.offset !== wq.offset + wq.size || wv.offset !== wk.offset + wk.size) throw new Error('attn_wq, attn_wk, attn_wv must be adjacent');
    layers.push({ attnNorm: maybe(`layer${l}.attn_norm`), qkv: view(`layer${l}.attn_wq`, wq.size + wk.size + wv.size),
      wo: view(`layer${l}.attn_wo`), mlpNorm: maybe(`layer${l}.mlp_norm`), fc1: view(`layer${l}.mlp_fc1`), fc2: view(`layer${l}.mlp_fc2`) });
  }
  return { wte: view('wte'), wpe: maybe('wpe'), lmHead: c.tieEmbeddings ? view('wte') : view('lm_head'),
    embedNorm: maybe('embed_norm'), normF: maybe('norm_f'), layers };
}
