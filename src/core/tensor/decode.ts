// Generation with a KV cache: each step feeds one token of each of B sequences through the
// training kernels with N = B rows, keeping every token's q|k|v row in its sequence's cache
// slot so attention never recomputes a past position. One sequence alone is B = 1. No gradients.

import { type ModelConfig, kvHeads, mlpHidden, qkvWidth } from '../contract/config.js';
import { type Activations, activationFloatsPerRow, createActivations } from './activations.js';
import { type TensorModel, headInput, streamStart } from './gpt.js';
import { normKernels } from './layernorm.js';
import { normGainForward } from './norm-gain.js';
import { mlpActivation } from './pointwise.js';
import { ropeForward } from './rope.js';

/**
 * The batch decoder's buffers: activations for up to `rows` tokens a step (one per sequence, or
 * several of one sequence at successive positions) and a KV cache per slot.
 */
export interface BatchDecodeState {
  slots: number;
  acts: Activations;     // (slots rows)
  kv: Float64Array[];    // per layer (slots, A, W): q|k|v of every cached position of every slot, W = C + 2 KV hd
  atty: Float64Array;    // (A, C) one row's attention output, row = position
  att: Float64Array;     // (A, NH, A)
}

export function createBatchDecodeState(m: TensorModel, slots: number, rows = slots): BatchDecodeState {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A } = m.config;
  return {
    slots, acts: createActivations(m.config, rows, m.kernels.alloc),
    kv: Array.from({ length: nLayer }, () => m.kernels.alloc(slots * A * qkvWidth(m.config))),
    atty: m.kernels.alloc(A * C), att: m.kernels.alloc(A * NH * A),
  };
}

/** The floats createBatchDecodeState allocates: activations of `rows`, each slot's KV cache, one row's attention. */
export function batchDecodeFloats(c: ModelConfig, slots: number, rows = slots): number {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A } = c;
  return rows * activationFloatsPerRow(c) + nLayer * slots * A * qkvWidth(c) + A * C + A * NH * A;
}

/**
 * Logits (B, V) for B sequences, row r feeding tokens[r] at positions[r] of cache slot
 * slots[r]. The matrix products take all rows at once, each row's sums in the same order
 * whatever the other rows (so a row's numbers are those of B = 1); attention reads each row's
 * own slot. With rope the cache holds the rotated q and k, as the full forward's qkv does.
 */
export function decodeBatchStep(m: TensorModel, s: BatchDecodeState, slots: Int32Array, tokens: Int32Array,
                                positions: Int32Array, B: number): Float64Array {
  const c = m.config, { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V } = c;
  const KV = kvHeads(c), QW = qkvWidth(c), H = mlpHidden(c);
  const { w, rope, kernels: k } = m, a = s.acts, slotSize = A * QW;
  const norm = normKernels(c.norm, k).forward, mlp = mlpActivation(c.activation, H, k);
  k.embeddingForward(a.encoded, tokens, positions, w.wte, w.wpe, B, C);
  if (c.embedNorm !== false) normGainForward(norm, a.x0, a.x0g, a.rstd0, a.encoded, w.embedNorm, B, C);
  let x = streamStart(c, a, w);
  for (let l = 0; l < nLayer; l++) {
    const L = a.layers[l], W = w.layers[l], kv = s.kv[l];
    const h1 = normGainForward(norm, L.ln1, L.ln1g, L.rstd1, x, W.attnNorm, B, C);
    k.matmulForward(L.qkv, h1, W.qkv, B, C, QW);
    if (rope) ropeForward(L.qkv, positions, rope, B, NH, KV);
    for (let r = 0; r < B; r++) kv.set(L.qkv.subarray(r * QW, (r + 1) * QW), slots[r] * slotSize + positions[r] * QW);
    for (let r = 0; r < B; r++) {
      const pos = positions[r];
      k.attentionForward(s.atty, s.att, kv.subarray(slots[r] * slotSize, (slots[r] + 1) * slotSize), 0, pos, pos + 1, C, NH, A, KV);
      L.atty.set(s.atty.subarray(pos * C, (pos + 1) * C), r * C);
    }
    k.matmulForward(L.attproj, L.atty, W.wo, B, C, C);
    k.residualForward(L.res1, L.attproj, x, B * C);
    const h2 = normGainForward(norm, L.ln2, L.ln2g, L.rstd2, L.res1, W.mlpNorm, B, C);
    k.matmulForward(L.fch, h2, W.fc1, B, C, mlp.inWidth);
    mlp.forward(L.fcr, L.fch, B, H);
    k.matmulForward(L.fcproj, L.fcr, W.fc2, B, H, C);
    k.residualForward(L.res2, L.fcproj, L.res1, B * C);
    x = L.res2;
  }
  if (c.finalNorm) normGainForward(norm, a.xf, a.xfg, a.rstdf, x, w.normF, B, C);
  k.matmulForward(a.logits, headInput(c, a, w), w.lmHead, B, C, V);
  return a.logits;
}
