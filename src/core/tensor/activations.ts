// The buffers of a forward pass over up to `rows` token positions (all sequences of a batch
// back to back), and the same shapes again for their gradients. Allocated once, grown only
// when a larger batch arrives, so a training step allocates nothing.

import type { ModelConfig } from '../contract/config.js';

export interface LayerActs {
  ln1: Float64Array;     // (N, C) rmsnorm before attention
  rstd1: Float64Array;   // (N,)
  qkv: Float64Array;     // (N, 3C)
  att: Float64Array;     // (N, NH, A) softmax weights, A = blockSize
  atty: Float64Array;    // (N, C) heads side by side
  attproj: Float64Array; // (N, C)
  res1: Float64Array;    // (N, C) after the attention residual
  ln2: Float64Array;     // (N, C) rmsnorm before the MLP
  rstd2: Float64Array;   // (N,)
  fch: Float64Array;     // (N, 4C)
  fcr: Float64Array;     // (N, 4C) after the activation
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
  encoded: Float64Array; // (N, C) wte[token] + wpe[pos]
  x0: Float64Array;      // (N, C) its rmsnorm: where the residual stream starts
  rstd0: Float64Array;   // (N,)
  layers: LayerActs[];
  logits: Float64Array;  // (N, V)
  probs: Float64Array;   // (N, V)
  losses: Float64Array;  // (N,)
  buffers: Float64Array[]; // every buffer above, for zeroing
  widths: number[];        // entries per row of each
}

export function createActivations(c: ModelConfig, rows: number): Activations {
  const C = c.nEmbd, buffers: Float64Array[] = [], widths: number[] = [];
  const buf = (width: number): Float64Array => {
    const b = new Float64Array(rows * width);
    buffers.push(b);
    widths.push(width);
    return b;
  };
  const encoded = buf(C), x0 = buf(C), rstd0 = buf(1);
  const layers: LayerActs[] = [];
  const D = c.dropout ? C : 0; // no room for masks the run never draws
  for (let l = 0; l < c.nLayer; l++) {
    layers.push({
      ln1: buf(C), rstd1: buf(1), qkv: buf(3 * C), att: buf(c.nHead * c.blockSize), atty: buf(C), attproj: buf(C),
      res1: buf(C), ln2: buf(C), rstd2: buf(1), fch: buf(4 * C), fcr: buf(4 * C), fcproj: buf(C), res2: buf(C),
      attdrop: buf(D), mask1: buf(D), fcdrop: buf(D), mask2: buf(D),
    });
  }
  const logits = buf(c.vocabSize), probs = buf(c.vocabSize), losses = buf(1);
  return { rows, encoded, x0, rstd0, layers, logits, probs, losses, buffers, widths };
}

/** Floats per row over every buffer createActivations makes (for memory estimates; a test holds them equal). */
export function activationFloatsPerRow(c: ModelConfig): number {
  const C = c.nEmbd, D = c.dropout ? C : 0;
  return 2 * C + 1 + c.nLayer * (18 * C + 2 + c.nHead * c.blockSize + 4 * D) + 2 * c.vocabSize + 1;
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

export function createPacked(rows: number): Packed {
  const ints = () => new Int32Array(rows);
  return { N: 0, B: 0, tokens: ints(), targets: ints(), positions: ints(), seqStart: ints(), seqLen: ints() };
}
