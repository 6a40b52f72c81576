// Generation with a KV cache: each step feeds one token of each of B sequences through the
// training kernels with N = B rows, keeping every token's q|k|v row in its sequence's cache
// slot so attention never recomputes a past position. One sequence alone is B = 1. No gradients.

import { type Activations, createActivations } from './activations.js';
import { attentionForward } from './attention.js';
import { embeddingForward } from './embedding.js';
import type { TensorModel } from './gpt.js';
import { matmulForward } from './matmul.js';
import { normKernels } from './layernorm.js';
import { activationKernels, residualForward } from './pointwise.js';

/**
 * The batch decoder's buffers: activations for up to `rows` tokens a step (one per sequence, or
 * several of one sequence at successive positions) and a KV cache per slot.
 */
export interface BatchDecodeState {
  slots: number;
  acts: Activations;     // (slots rows)
  kv: Float64Array[];    // per layer (slots, A, 3C): q|k|v of every cached position of every slot
  atty: Float64Array;    // (A, C) one row's attention output, row = position
  att: Float64Array;     // (A, NH, A)
}

export function createBatchDecodeState(m: TensorModel, slots: number, rows = slots): BatchDecodeState {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A } = m.config;
  return {
    slots, acts: createActivations(m.config, rows),
    kv: Array.from({ length: nLayer }, () => new Float64Array(slots * A * 3 * C)),
    atty: new Float64Array(A * C), att: new Float64Array(A * NH * A),
  };
}

/**
 * Logits (B, V) for B sequences, row r feeding tokens[r] at positions[r] of cache slot
 * slots[r]. The matrix products take all rows at once, each row's sums in the same order
 * whatever the other rows (so a row's numbers are those of B = 1); attention reads each row's
 * own slot.
 */
export function decodeBatchStep(m: TensorModel, s: BatchDecodeState, slots: Int32Array, tokens: Int32Array,
                                positions: Int32Array, B: number): Float64Array {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V } = m.config;
  const { w } = m, a = s.acts, C3 = 3 * C, slotSize = A * C3;
  const norm = normKernels(m.config.norm).forward, act = activationKernels(m.config.activation).forward;
  embeddingForward(a.encoded, tokens, positions, w.wte, w.wpe, B, C);
  norm(a.x0, a.rstd0, a.encoded, B, C);
  let x = a.x0;
  for (let l = 0; l < nLayer; l++) {
    const L = a.layers[l], W = w.layers[l], kv = s.kv[l];
    norm(L.ln1, L.rstd1, x, B, C);
    matmulForward(L.qkv, L.ln1, W.qkv, B, C, C3);
    for (let r = 0; r < B; r++) kv.set(L.qkv.subarray(r * C3, (r + 1) * C3), slots[r] * slotSize + positions[r] * C3);
    for (let r = 0; r < B; r++) {
      const pos = positions[r];
      attentionForward(s.atty, s.att, kv.subarray(slots[r] * slotSize, (slots[r] + 1) * slotSize), 0, pos, pos + 1, C, NH, A);
      L.atty.set(s.atty.subarray(pos * C, (pos + 1) * C), r * C);
    }
    matmulForward(L.attproj, L.atty, W.wo, B, C, C);
    residualForward(L.res1, L.attproj, x, B * C);
    norm(L.ln2, L.rstd2, L.res1, B, C);
    matmulForward(L.fch, L.ln2, W.fc1, B, C, 4 * C);
    act(L.fcr, L.fch, B * 4 * C);
    matmulForward(L.fcproj, L.fcr, W.fc2, B, 4 * C, C);
    residualForward(L.res2, L.fcproj, L.res1, B * C);
    x = L.res2;
  }
  matmulForward(a.logits, x, w.lmHead, B, C, V);
  return a.logits;
}
