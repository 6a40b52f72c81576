// The GPT over whole sequences as a list of kernels: the forward reads top-down like the
// scalar gptForward, the backward is the same list read bottom-up. Sequences of a batch are
// packed back to back, so only real tokens are computed.

import type { ModelConfig } from '../contract/config.js';
import { batchTokens, predictedTokens } from '../contract/engine.js';
import { paramCount } from '../contract/params.js';
import { type Activations, type Packed, createActivations, createPacked, zeroActivations } from './activations.js';
import { attentionBackward, attentionForward } from './attention.js';
import { crossentropyBackward, crossentropyForward } from './crossentropy.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { matmulBackward, matmulForward } from './matmul.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { normKernels } from './layernorm.js';
import { activationKernels, residualBackward, residualForward } from './pointwise.js';
import { type Weights, weightViews } from './weights.js';

export interface TensorModel {
  config: ModelConfig;
  params: Float64Array; // (numParams,) in layout order
  grads: Float64Array;  // (numParams,) twin of params
  w: Weights;           // named views into params
  dw: Weights;          // the same views into grads
  acts: Activations;
  dacts: Activations;
  packed: Packed;
  dropped: boolean;     // the last forward drew dropout masks, so its backward goes through them
}

/** A model over a copy of `weights`, with room for `rows` token positions per pass. */
export function createTensorModel(config: ModelConfig, weights: Float64Array, rows = config.blockSize): TensorModel {
  const n = paramCount(config);
  if (weights.length !== n) throw new Error(`expected ${n} weights, got ${weights.length}`);
  const params = Float64Array.from(weights), grads = new Float64Array(n);
  rows = Math.max(rows, config.blockSize); // any one sequence fits
  return { config, params, grads, w: weightViews(config, params), dw: weightViews(config, grads),
    acts: createActivations(config, rows), dacts: createActivations(config, rows), packed: createPacked(rows), dropped: false };
}

/** Reallocates the buffers if `rows` positions do not fit (only ever grows). */
export function ensureRows(m: TensorModel, rows: number): void {
  if (rows <= m.acts.rows) return;
  m.acts = createActivations(m.config, rows);
  m.dacts = createActivations(m.config, rows);
  m.packed = createPacked(rows);
}

/** Packs sequences first, first+1, ... while they fit; returns the index after the last one. */
export function pack(m: TensorModel, batch: number[][], first: number): number {
  const p = m.packed, A = m.config.blockSize;
  let N = 0, B = 0, b = first;
  for (; b < batch.length; b++) {
    const seq = batch[b], n = predictedTokens(seq, A);
    if (N + n > m.acts.rows) break;
    if (n === 0) continue;
    p.seqStart[B] = N;
    p.seqLen[B] = n;
    B++;
    for (let t = 0; t < n; t++, N++) {
      p.tokens[N] = seq[t];
      p.targets[N] = seq[t + 1];
      p.positions[N] = t;
    }
  }
  p.N = N;
  p.B = B;
  return b;
}

/**
 * Fills acts for the packed positions, up to each position's loss. With `rand` (training)
 * and config.dropout > 0, dropout masks the attention and MLP outputs before each residual.
 */
export function gptForward(m: TensorModel, rand?: () => number): void {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V, dropout = 0 } = m.config;
  const { w, acts: a } = m, { N, B, tokens, targets, positions, seqStart, seqLen } = m.packed;
  const norm = normKernels(m.config.norm).forward, act = activationKernels(m.config.activation).forward;
  const drop = rand !== undefined && dropout > 0;
  m.dropped = drop;
  embeddingForward(a.encoded, tokens, positions, w.wte, w.wpe, N, C);
  norm(a.x0, a.rstd0, a.encoded, N, C); // not redundant: the residual stream starts here
  let x = a.x0;
  for (let l = 0; l < nLayer; l++) {
    const L = a.layers[l], W = w.layers[l];
    norm(L.ln1, L.rstd1, x, N, C);
    matmulForward(L.qkv, L.ln1, W.qkv, N, C, 3 * C);
    for (let b = 0; b < B; b++) attentionForward(L.atty, L.att, L.qkv, seqStart[b], 0, seqLen[b], C, NH, A);
    matmulForward(L.attproj, L.atty, W.wo, N, C, C);
    if (drop) dropoutForward(L.attdrop, L.mask1, L.attproj, dropout, rand, N * C);
    residualForward(L.res1, drop ? L.attdrop : L.attproj, x, N * C);
    norm(L.ln2, L.rstd2, L.res1, N, C);
    matmulForward(L.fch, L.ln2, W.fc1, N, C, 4 * C);
    act(L.fcr, L.fch, N * 4 * C);
    matmulForward(L.fcproj, L.fcr, W.fc2, N, 4 * C, C);
    if (drop) dropoutForward(L.fcdrop, L.mask2, L.fcproj, dropout, rand, N * C);
    residualForward(L.res2, drop ? L.fcdrop : L.fcproj, L.res1, N * C);
    x = L.res2;
  }
  matmulForward(a.logits, x, w.lmHead, N, C, V);
  crossentropyForward(a.probs, a.losses, a.logits, targets, N, V);
}

/** Accumulates into grads the gradient of sum(losses) * dloss; the forward read bottom-up. */
export function gptBackward(m: TensorModel, dloss: number): void {
  const { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V } = m.config;
  const { w, dw, acts: a, dacts: d, dropped } = m, { N, B, tokens, targets, positions, seqStart, seqLen } = m.packed;
  const norm = normKernels(m.config.norm).backward, act = activationKernels(m.config.activation).backward;
  zeroActivations(d, N);
  crossentropyBackward(d.logits, a.probs, targets, dloss, N, V);
  matmulBackward(d.layers[nLayer - 1].res2, dw.lmHead, d.logits, a.layers[nLayer - 1].res2, w.lmHead, N, C, V);
  for (let l = nLayer - 1; l >= 0; l--) {
    const L = a.layers[l], W = w.layers[l], dL = d.layers[l], dW = dw.layers[l];
    const xin = l > 0 ? a.layers[l - 1].res2 : a.x0, dxin = l > 0 ? d.layers[l - 1].res2 : d.x0;
    residualBackward(dropped ? dL.fcdrop : dL.fcproj, dL.res1, dL.res2, N * C);
    if (dropped) dropoutBackward(dL.fcproj, dL.fcdrop, L.mask2, N * C);
    matmulBackward(dL.fcr, dW.fc2, dL.fcproj, L.fcr, W.fc2, N, 4 * C, C);
    act(dL.fch, dL.fcr, L.fch, N * 4 * C);
    matmulBackward(dL.ln2, dW.fc1, dL.fch, L.ln2, W.fc1, N, C, 4 * C);
    norm(dL.res1, dL.ln2, L.res1, L.rstd2, N, C);
    residualBackward(dropped ? dL.attdrop : dL.attproj, dxin, dL.res1, N * C);
    if (dropped) dropoutBackward(dL.attproj, dL.attdrop, L.mask1, N * C);
    matmulBackward(dL.atty, dW.wo, dL.attproj, L.atty, W.wo, N, C, C);
    for (let b = 0; b < B; b++) attentionBackward(dL.qkv, dL.att, dL.atty, L.qkv, L.att, seqStart[b], seqLen[b], C, NH, A);
    matmulBackward(dL.ln1, dW.qkv, dL.qkv, L.ln1, W.qkv, N, C, 3 * C);
    norm(dxin, dL.ln1, xin, L.rstd1, N, C);
  }
  norm(d.encoded, d.x0, a.encoded, a.rstd0, N, C);
  embeddingBackward(dw.wte, dw.wpe, d.encoded, tokens, positions, N, C);
}

function sumLosses(m: TensorModel, acc: number, first: boolean): number {
  const { losses } = m.acts, { N } = m.packed;
  let t = 0;
  if (first && N > 0) acc = losses[t++]; // as sum() does: from the first element on
  for (; t < N; t++) acc += losses[t];
  return acc;
}

/**
 * The sum of the batch's losses (every prediction of every sequence, in document order, as
 * the reference sums them), with dloss times its gradient added into grads. `rand` turns on
 * dropout (see gptForward).
 */
export function lossAndGrad(m: TensorModel, batch: number[][], dloss: number, rand?: () => number): number {
  const count = batchTokens(batch, m.config.blockSize);
  if (count === 0) throw new Error('the batch has no token to predict');
  ensureRows(m, count);
  pack(m, batch, 0);
  gptForward(m, rand);
  gptBackward(m, dloss);
  return sumLosses(m, 0, true);
}

/** The same sum, forward only, in chunks that fit the buffers (for large held-out batches). */
export function forwardLoss(m: TensorModel, batch: number[][]): number {
  let total = 0, count = 0;
  for (let b = 0; b < batch.length;) {
    b = pack(m, batch, b);
    gptForward(m);
    total = sumLosses(m, total, count === 0);
    count += m.packed.N;
  }
  if (count === 0) throw new Error('the batch has no token to predict');
  return total;
}
