// Named views into the flat parameter buffer, following src/core/params.ts's layout. The
// gradient buffer gets the same views, so dw.layers[0].fc1 is the gradient of layer0.mlp_fc1.

import type { ModelConfig } from '../contract/config.js';
import { paramLayout } from '../contract/params.js';

export interface LayerWeights {
  qkv: Float64Array; // (3C, C) attn_wq | attn_wk | attn_wv, back to back in the layout
  wo: Float64Array;  // (C, C) attn_wo
  fc1: Float64Array; // (4C, C) mlp_fc1
  fc2: Float64Array; // (C, 4C) mlp_fc2
}

export interface Weights {
  wte: Float64Array;    // (V, C)
  wpe: Float64Array;    // (blockSize, C)
  lmHead: Float64Array; // (V, C)
  layers: LayerWeights[];
}

export function weightViews(c: ModelConfig, flat: Float64Array): Weights {
  const spec = new Map(paramLayout(c).map((p) => [p.name, p]));
  const view = (name: string, count = 1): Float64Array => {
    const p = spec.get(name)!;
    return flat.subarray(p.offset, p.offset + count * p.size);
  };
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const wq = spec.get(`layer${l}.attn_wq`)!, wv = spec.get(`layer${l}.attn_wv`)!;
    if (wv.offset !== wq.offset + 2 * wq.size) throw new Error('attn_wq, attn_wk, attn_wv must be adjacent');
    layers.push({ qkv: view(`layer${l}.attn_wq`, 3), wo: view(`layer${l}.attn_wo`),
      fc1: view(`layer${l}.mlp_fc1`), fc2: view(`layer${l}.mlp_fc2`) });
  }
  return { wte: view('wte'), wpe: view('wpe'), lmHead: view('lm_head'), layers };
}
