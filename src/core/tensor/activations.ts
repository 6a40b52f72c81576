// The buffers of a forward pass over up to `rows` token positions (all sequences of a batch
// back to back), and the same shapes again for their gradients. Allocated once, grown only
// when a larger batch arrives, so a training step allocates nothing.

import { type ModelConfig, mlpHidden, qkvWidth } from '../contract/config.js';
import { mlpActivation } from './pointwise.js';

// W = C + 2 KV hd (q | k | v), H = mlp hidden, F = H or 2H (swiglu's gate | up). A buffer a
// setting does not use (a gain's output, dropout's masks, a norm that is off) has width 0.
export interface LayerActs {
  ln1: Float64Array;     // (N, C) norm before attention
  ln1g: Float64Array;    // (N, C) times its gain, with normWeight
  rstd1: Float64Array;   // (N,)
  qkv: Float64Array;     // (N, W) q and k rotated, with rope
  att: Float64Array;     // (N, NH, A) softmax weights, A = blockSize
  atty: Float64Array;    // (N, C) heads side by side
  attproj: Float64Array; // (N, C)
  res1: Float64Array;    // (N, C) after the attention residual
  ln2: Float64Array;     // (N, C) norm before the MLP
  ln2g: Float64Array;    // (N, C) times its gain
  rstd2: Float64Array;   // (N,)
  fch: Float64Array;     // (N, F)
  fcr: Float64Array;     // (N, H) after the activation
  fcproj: Float64Array;  // (N, C)
  res2: Float64Array;    // (N, C) after the MLP residual: the block's output
  // dropout (training only); empty unless config.dropout > 0
  attdrop: Float64Array; // (N, C) attproj after dropout
  mask1: Float64Array;   // (N, C) 0 or 1/(1-p)
  fcdrop: Float64Array;  // (N, C) fcproj after dropout
  mask2: Float64Array;   // (N, C)
}

/** In the gradient twin, rstd*, masks, probs and losses stay unused. */
export interface Activations {
  rows: number;
  encoded: Float64Array; // (N, C) wte[token] (+ wpe[pos] with learned positions)
  x0: Float64Array;      // (N, C) its norm, with embedNorm: where the residual stream starts
  x0g: Float64Array;     // (N, C) times its gain
  rstd0: Float64Array;   // (N,)
  layers: LayerActs[];
  xf: Float64Array;      // (N, C) the final norm, with finalNorm
  xfg: Float64Array;     // (N, C) times its gain
  rstdf: Float64Array;   // (N,)
  logits: Float64Array;  // (N, V)
  probs: Float64Array;   // (N, V)
  losses: Float64Array;  // (N,)
  buffers: Float64Array[]; // every buffer above, for zeroing
  widths: number[];        // entries per row of each
}

/** Entries per row of each buffer, the one place that decides them. */
function widths(c: ModelConfig) {
  const C = c.nEmbd, H = mlpHidden(c), gain = (on: boolean) => (on && c.normWeight ? C : 0);
  const embedNorm = c.embedNorm !== false, finalNorm = c.finalNorm === true;
  return {
    C, W: qkvWidth(c), H, F: mlpActivation(c.activation, H).inWidth, att: c.nHead * c.blockSize,
    D: c.dropout ? C : 0, // no room for masks the run never draws
    G: gain(true), x0: embedNorm ? C : 0, x0g: gain(embedNorm), rstd0: embedNorm ? 1 : 0,
    xf: finalNorm ? C : 0, xfg: gain(finalNorm), rstdf: finalNorm ? 1 : 0,
  };
}

/** The buffers for `rows` positions, each from `alloc` (a zeroed array of that many floats). */
export function createActivations(c: ModelConfig, rows: number,
                                  alloc: (n: number) => Float64Array = (n) => new Float64Array(n)): Activations {
  const w = widths(c), { C } = w, buffers: Float64Array[] = [], widthList: number[] = [];
  const buf = (width: number): Float64Array => {
    const b = alloc(rows * width);
    buffers.push(b);
    widthList.push(width);
    return b;
  };
  const encoded = buf(C), x0 = buf(w.x0), x0g = buf(w.x0g), rstd0 = buf(w.rstd0);
  const layers: LayerActs[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    layers.push({
      ln1: buf(C), ln1g: buf(w.G), rstd1: buf(1), qkv: buf(w.W), att: buf(w.att), atty: buf(C), attproj: buf(C),
      res1: buf(C), ln2: buf(C), ln2g: buf(w.G), rstd2: buf(1), fch: buf(w.F), fcr: buf(w.H), fcproj: buf(C), res2: buf(C),
      attdrop: buf(w.D), mask1: buf(w.D), fcdrop: buf(w.D), mask2: buf(w.D),
    });
  }
  const xf = buf(w.xf), xfg = buf(w.xfg), rstdf = buf(w.rstdf);
  const logits = buf(c.vocabSize), probs = buf(c.vocabSize), losses = buf(1);
  return { rows, encoded, x0, x0g, rstd0, layers, xf, xfg, rstdf, logits, probs, losses, buffers, widths: widthList };
}

/** Floats per row over every buffer createActivations makes (for memory estimates; a test holds them equal). */
export function activationFloatsPerRow(c: ModelConfig): number {
  const w = widths(c), C = w.C;
  const layer = 7 * C + 2 * w.G + 2 + w.W + w.att + w.F + w.H + 4 * w.D;
  return C + w.x0 + w.x0g + w.rstd0 + c.nLayer * layer + w.xf + w.xfg + w.rstdf + 2 * c.vocabSize + 1;
}

/** Clears the first N rows of every buffer (backward accumulates into them). */
export function zeroActivations(a: Activations, N: number): void {
  for (let i = 0; i < a.buffers.length; i++) a.buffers[i].fill(0, 0, N * a.widths[i]);
}

/** The token positions of a batch, packed: sequence b holds rows seqStart[b] .. + seqLen[b]. */
export interface Packed {
  N: number; // rows in use
  B: number; // sequences in use
  tokens: Int32Array;    // (rows,)
  targets: Int32Array;   // (rows,) the next token, to predict
  positions: Int32Array; // (rows,) position within its sequence
  seqStart: Int32Array;  // (rows,) a sequence has at least one row
  seqLen: Int32Array;    // (rows,)
}

export function createPacked(rows: number, allocInts: (n: number) => Int32Array = (n) => new Int32Array(n)): Packed {
  const ints = () => allocInts(rows);
  return { N: 0, B: 0, tokens: ints(), targets: ints(), positions: ints(), seqStart: ints(), seqLen: ints() };
}
