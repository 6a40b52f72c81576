// Generation with a KV cache: one token at a time through the same kernels with N = 1, its
// q|k|v row kept per layer so attention never recomputes a past position. No gradients.

import { type Activations, createActivations } from './activations.js';
import { attentionForward } from './attention.js';
import { embeddingForward } from './embedding.js';
import type { TensorModel } from './gpt.js';
import { matmulForward } from './matmul.js';
import { normKernels } from './layernorm.js';
import { activationKernels, residualForward } from './pointwise.js';

export interface DecodeState {
  acts: Activations;     // one row: the current position
  kv: Float64Array[];    // per layer (A, 3C): q|k|v of every cached position
  atty: Float64Array;    // (A, C) attention output, row = position
  att: Float64Array;     // (A, NH, A)
  token: Int32Array;     // (1,)
  position: Int32Array;  // (1,)
}

export function createDecodeState(m: TensorModel): DecodeState {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A } = m.config;
  return {
    acts: createActivations(m.config, 1),
    kv: Array.from({ length: nLayer }, () => new Float64Array(A * 3 * C)),
    atty: new Float64Array(A * C), att: new Float64Array(A * NH * A),
    token: new Int32Array(1), position: new Int32Array(1),
  };
}

/** Logits (V,) for the token after `token` at `pos`; positions 0..pos-1 must be cached. */
export function decodeStep(m: TensorModel, s: DecodeState, token: number, pos: number): Float64Array {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V } = m.config;
  const { w } = m, a = s.acts;
  const norm = normKernels(m.config.norm).forward, act = activationKernels(m.config.activation).forward;
  s.token[0] = token;
  s.position[0] = pos;
  embeddingForward(a.encoded, s.token, s.position, w.wte, w.wpe, 1, C);
  norm(a.x0, a.rstd0, a.encoded, 1, C);
  let x = a.x0;
  for (let l = 0; l < nLayer; l++) {
    const L = a.layers[l], W = w.layers[l], kv = s.kv[l];
    norm(L.ln1, L.rstd1, x, 1, C);
    matmulForward(L.qkv, L.ln1, W.qkv, 1, C, 3 * C);
    kv.set(L.qkv, pos * 3 * C);
    attentionForward(s.atty, s.att, kv, 0, pos, pos + 1, C, NH, A);
    for (let i = 0; i < C; i++) L.atty[i] = s.atty[pos * C + i];
    matmulForward(L.attproj, L.atty, W.wo, 1, C, C);
    residualForward(L.res1, L.attproj, x, C);
    norm(L.ln2, L.rstd2, L.res1, 1, C);
    matmulForward(L.fch, L.ln2, W.fc1, 1, C, 4 * C);
    act(L.fcr, L.fch, 4 * C);
    matmulForward(L.fcproj, L.fcr, W.fc2, 1, 4 * C, C);
    residualForward(L.res2, L.fcproj, L.res1, C);
    x = L.res2;
  }
  matmulForward(a.logits, x, w.lmHead, 1, C, V);
  return a.logits;
}
