// The GPT over whole sequences as a list of kernels: the forward reads top-down like the
// scalar gptForward, the backward is the same list read bottom-up. Sequences of a batch are
// packed back to back, so only real tokens are computed.

import { DEFAULT_MODEL, type ModelConfig, kvHeads, mlpHidden, qkvWidth } from '../contract/config.js';
import { batchTokens, predictedTokens } from '../contract/engine.js';
import { checkWeights, paramCount } from '../contract/params.js';
import { type Activations, type Packed, createActivations, createPacked, zeroActivations } from './activations.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { type TensorKernels, TS_KERNELS } from './kernels.js';
import { normKernels } from './layernorm.js';
import { normGainBackward, normGainForward } from './norm-gain.js';
import { mlpActivation } from './pointwise.js';
import { type RopeTable, ropeBackward, ropeForward, ropeTable } from './rope.js';
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
  rope?: RopeTable;     // with rotary positions: their cos and sin, computed once
  kernels: TensorKernels; // the products and Adam, and where every buffer they touch lives
}

/** A model over a copy of `weights`, with room for `rows` token positions per pass, on `kernels`. */
export function createTensorModel(config: ModelConfig, weights: Float64Array, rows = config.blockSize,
                                  kernels = TS_KERNELS): TensorModel {
  checkWeights(config, weights);
  const n = paramCount(config);
  const params = kernels.alloc(n), grads = kernels.alloc(n);
  params.set(weights);
  rows = Math.max(rows, config.blockSize); // any one sequence fits
  return { config, params, grads, w: weightViews(config, params), dw: weightViews(config, grads), kernels,
    acts: createActivations(config, rows, kernels.alloc), dacts: createActivations(config, rows, kernels.alloc),
    packed: createPacked(rows, kernels.allocInts), dropped: false,
    rope: config.pos === 'rope' ? ropeTable(config.ropeTheta ?? DEFAULT_MODEL.ropeTheta, config.blockSize, config.nEmbd / config.nHead) : undefined };
}

/** Reallocates the buffers if `rows` positions do not fit (only ever grows). */
export function ensureRows(m: TensorModel, rows: number): void {
  if (rows <= m.acts.rows) return;
  m.acts = createActivations(m.config, rows, m.kernels.alloc);
  m.dacts = createActivations(m.config, rows, m.kernels.alloc);
  m.packed = createPacked(rows, m.kernels.allocInts);
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

/** The buffer a norm site's result is in: the norm's output, or its product with the gain. */
const gained = (xhat: Float64Array, yg: Float64Array, g: Float64Array | undefined): Float64Array => (g === undefined ? xhat : yg);

/** Where the residual stream starts: the embeddings, or their norm (times its gain). */
export function streamStart(c: ModelConfig, a: Activations, w: Weights): Float64Array {
  return c.embedNorm === false ? a.encoded : gained(a.x0, a.x0g, w.embedNorm);
}

/** What the head reads: the last block's output, or its final norm (times its gain). */
export function headInput(c: ModelConfig, a: Activations, w: Weights): Float64Array {
  return c.finalNorm ? gained(a.xf, a.xfg, w.normF) : a.layers[c.nLayer - 1].res2;
}

/**
 * Fills acts for the packed positions, up to each position's loss. With `rand` (training)
 * and config.dropout > 0, dropout masks the attention and MLP outputs before each residual.
 */
export function gptForward(m: TensorModel, rand?: () => number): void {
  const c = m.config, { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V, dropout = 0 } = c;
  const KV = kvHeads(c), QW = qkvWidth(c), H = mlpHidden(c);
  const { w, acts: a, rope, kernels: k } = m, { N, B, tokens, targets, positions, seqStart, seqLen } = m.packed;
  const norm = normKernels(c.norm, k).forward, mlp = mlpActivation(c.activation, H, k);
  const drop = rand !== undefined && dropout > 0;
  m.dropped = drop;
  k.embeddingForward(a.encoded, tokens, positions, w.wte, w.wpe, N, C);
  if (c.embedNorm !== false) normGainForward(norm, a.x0, a.x0g, a.rstd0, a.encoded, w.embedNorm, N, C); // not redundant: the residual stream starts here
  let x = streamStart(c, a, w);
  for (let l = 0; l < nLayer; l++) {
    const L = a.layers[l], W = w.layers[l];
    const h1 = normGainForward(norm, L.ln1, L.ln1g, L.rstd1, x, W.attnNorm, N, C);
    k.matmulForward(L.qkv, h1, W.qkv, N, C, QW);
    if (rope) ropeForward(L.qkv, positions, rope, N, NH, KV);
    for (let b = 0; b < B; b++) k.attentionForward(L.atty, L.att, L.qkv, seqStart[b], 0, seqLen[b], C, NH, A, KV);
    k.matmulForward(L.attproj, L.atty, W.wo, N, C, C);
    if (drop) dropoutForward(L.attdrop, L.mask1, L.attproj, dropout, rand, N * C);
    k.residualForward(L.res1, drop ? L.attdrop : L.attproj, x, N * C);
    const h2 = normGainForward(norm, L.ln2, L.ln2g, L.rstd2, L.res1, W.mlpNorm, N, C);
    k.matmulForward(L.fch, h2, W.fc1, N, C, mlp.inWidth);
    mlp.forward(L.fcr, L.fch, N, H);
    k.matmulForward(L.fcproj, L.fcr, W.fc2, N, H, C);
    if (drop) dropoutForward(L.fcdrop, L.mask2, L.fcproj, dropout, rand, N * C);
    k.residualForward(L.res2, drop ? L.fcdrop : L.fcproj, L.res1, N * C);
    x = L.res2;
  }
  if (c.finalNorm) normGainForward(norm, a.xf, a.xfg, a.rstdf, x, w.normF, N, C);
  k.matmulForward(a.logits, headInput(c, a, w), w.lmHead, N, C, V);
  k.crossentropyForward(a.probs, a.losses, a.logits, targets, N, V);
}

/** Accumulates into grads the gradient of sum(losses) * dloss; the forward read bottom-up. */
export function gptBackward(m: TensorModel, dloss: number): void {
  const c = m.config, { nLayer, nEmbd: C, nHead: NH, blockSize: A, vocabSize: V } = c;
  const KV = kvHeads(c), QW = qkvWidth(c), H = mlpHidden(c);
  const { w, dw, acts: a, dacts: d, dropped, rope, kernels: k } = m, { N, B, tokens, targets, positions, seqStart, seqLen } = m.packed;
  const norm = normKernels(c.norm, k).backward, mlp = mlpActivation(c.activation, H, k);
  const last = nLayer - 1;
  zeroActivations(d, N);
  k.crossentropyBackward(d.logits, a.probs, targets, dloss, N, V);
  // tied: dw.lmHead is dw.wte, and both this and the embedding's backward add into it
  k.matmulBackward(headInput(c, d, w), dw.lmHead, d.logits, headInput(c, a, w), w.lmHead, N, C, V);
  if (c.finalNorm) normGainBackward(norm, d.layers[last].res2, d.xf, dw.normF, d.xfg, a.layers[last].res2, a.xf, a.rstdf, w.normF, N, C);
  for (let l = last; l >= 0; l--) {
    const L = a.layers[l], W = w.layers[l], dL = d.layers[l], dW = dw.layers[l];
    const xin = l > 0 ? a.layers[l - 1].res2 : streamStart(c, a, w), dxin = l > 0 ? d.layers[l - 1].res2 : streamStart(c, d, w);
    k.residualBackward(dropped ? dL.fcdrop : dL.fcproj, dL.res1, dL.res2, N * C);
    if (dropped) dropoutBackward(dL.fcproj, dL.fcdrop, L.mask2, N * C);
    k.matmulBackward(dL.fcr, dW.fc2, dL.fcproj, L.fcr, W.fc2, N, H, C);
    mlp.backward(dL.fch, dL.fcr, L.fch, N, H);
    k.matmulBackward(gained(dL.ln2, dL.ln2g, W.mlpNorm), dW.fc1, dL.fch, gained(L.ln2, L.ln2g, W.mlpNorm), W.fc1, N, C, mlp.inWidth);
    normGainBackward(norm, dL.res1, dL.ln2, dW.mlpNorm, dL.ln2g, L.res1, L.ln2, L.rstd2, W.mlpNorm, N, C);
    k.residualBackward(dropped ? dL.attdrop : dL.attproj, dxin, dL.res1, N * C);
    if (dropped) dropoutBackward(dL.attproj, dL.attdrop, L.mask1, N * C);
    k.matmulBackward(dL.atty, dW.wo, dL.attproj, L.atty, W.wo, N, C, C);
    for (let b = 0; b < B; b++) k.attentionBackward(dL.qkv, dL.att, dL.atty, L.qkv, L.att, seqStart[b], seqLen[b], C, NH, A, KV);
    if (rope) ropeBackward(dL.qkv, positions, rope, N, NH, KV);
    k.matmulBackward(gained(dL.ln1, dL.ln1g, W.attnNorm), dW.qkv, dL.qkv, gained(L.ln1, L.ln1g, W.attnNorm), W.qkv, N, C, QW);
    normGainBackward(norm, dxin, dL.ln1, dW.attnNorm, dL.ln1g, xin, L.ln1, L.rstd1, W.attnNorm, N, C);
  }
  if (c.embedNorm !== false) normGainBackward(norm, d.encoded, d.x0, dw.embedNorm, d.x0g, a.encoded, a.x0, a.rstd0, w.embedNorm, N, C);
  k.embeddingBackward(dw.wte, dw.wpe, d.encoded, tokens, positions, N, C);
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
