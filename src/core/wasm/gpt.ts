// The GPT in float32 over the SIMD kernels, every tensor in wasm memory: the same list of
// kernels as the tensor engine (src/core/tensor/gpt.ts), forward top-down and backward the
// same list bottom-up. Sequences are packed back to back; a pass covers rows r0..r1-1.
// Unlike the tensor engine, the backward keeps one gradient for the whole residual stream:
// a residual connection passes its gradient through unchanged, so every block's output, its
// projection and its input share one buffer, and each norm adds its branch's share into it.
// Most backward kernels write their outputs (xGradient, see wasm/assembly/index.ts), so the
// step zeroes almost nothing.

import type { ModelConfig } from '../contract/config.js';
import { paramLayout } from '../contract/params.js';
import type { Arena } from './arena.js';
import type { KernelExports } from './kernels.js';
import type { Threads } from './threads.js';

interface LayerActs {
  ln1: number;     // (N, C) norm before attention
  rstd1: number;   // (N,)
  qkv: number;     // (N, 3C)
  att: number;     // (N, NH, A) softmax weights, A = attStride(blockSize, NH)
  atty: number;    // (N, C) heads side by side
  attproj: number; // (N, C)
  res1: number;    // (N, C) after the attention residual
  ln2: number;     // (N, C) norm before the MLP
  rstd2: number;   // (N,)
  fch: number;     // (N, 4C)
  fcr: number;     // (N, 4C) after the activation
  fcproj: number;  // (N, C)
  res2: number;    // (N, C) after the MLP residual: the block's output
  mask1: number;   // (N, C) dropout masks of attproj and fcproj, applied in place (0 without dropout)
  mask2: number;   // (N, C)
}

/** Pointers to a pass's buffers for `rows` positions; the gradient twin has the same shapes. */
export interface Acts {
  rows: number;
  encoded: number; // (N, C) wte[token] + wpe[pos]
  x0: number;      // (N, C) its norm: where the residual stream starts
  rstd0: number;   // (N,)
  layers: LayerActs[];
  logits: number;  // (N, V)
  probs: number;   // (N, V)
  losses: number;  // (N,)
}

/** The backward's buffers for `rows` positions; all but `residual` serve each layer in turn. */
export interface GradActs {
  logits: number;   // (N, V)
  residual: number; // (N, C) the residual stream's gradient, carried down from the top
  ln: number;       // (N, C) gradient of a norm's output (ln2, then ln1)
  fc: number;       // (N, 4C) gradient of fcr, then in place of fch
  atty: number;     // (N, C)
  qkv: number;      // (N, 3C)
  att: number;      // (N, NH, A) the attention backward's scratch
  encoded: number;  // (N, C) the first norm's input: zeroed, the norm backward adds into it
  proj: number;     // (N, C) a projection's gradient through its dropout mask (0 without dropout)
}

/**
 * The row stride A of att, at least blockSize, padded so that consecutive positions sit an odd
 * number of cache lines apart: the attention backward walks att by columns, and a power-of-two
 * stride would send a whole column into one cache set (padding halves it at blockSize 256).
 * A stays a multiple of 4 floats, so with a multiple of 8 heads no padding can make the
 * distance odd: then A is not padded at all.
 */
export function attStride(blockSize: number, nHead: number): number {
  const base = Math.ceil(blockSize / 4) * 4;
  const evenLines = (a: number) => (nHead * a) % 16 === 0 && ((nHead * a) / 16) % 2 === 0;
  for (let a = base; a < base + 64; a += 4) if (!evenLines(a)) return a;
  return base;
}

export function allocActs(arena: Arena, c: ModelConfig, rows: number, prefix: string): Acts {
  const C = c.nEmbd, A = attStride(c.blockSize, c.nHead);
  const buf = (name: string, width: number): number => arena.alloc(`${prefix}.${name}`, rows * width).ptr;
  const masks = (c.dropout ?? 0) > 0;
  const encoded = buf('encoded', C), x0 = buf('x0', C), rstd0 = buf('rstd0', 1);
  const layers: LayerActs[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const b = (name: string, width: number) => buf(`layer${l}.${name}`, width);
    layers.push({
      ln1: b('ln1', C), rstd1: b('rstd1', 1), qkv: b('qkv', 3 * C), att: b('att', c.nHead * A),
      atty: b('atty', C), attproj: b('attproj', C), res1: b('res1', C), ln2: b('ln2', C), rstd2: b('rstd2', 1),
      fch: b('fch', 4 * C), fcr: b('fcr', 4 * C), fcproj: b('fcproj', C), res2: b('res2', C),
      mask1: masks ? b('mask1', C) : 0, mask2: masks ? b('mask2', C) : 0,
    });
  }
  const logits = buf('logits', c.vocabSize), probs = buf('probs', c.vocabSize), losses = buf('losses', 1);
  return { rows, encoded, x0, rstd0, layers, logits, probs, losses };
}

export function allocGradActs(arena: Arena, c: ModelConfig, rows: number, prefix: string): GradActs {
  const C = c.nEmbd;
  const buf = (name: string, width: number): number => arena.alloc(`${prefix}.${name}`, rows * width).ptr;
  return {
    logits: buf('logits', c.vocabSize), residual: buf('residual', C), ln: buf('ln', C), fc: buf('fc', 4 * C),
    atty: buf('atty', C), qkv: buf('qkv', 3 * C), att: buf('att', c.nHead * attStride(c.blockSize, c.nHead)),
    encoded: buf('encoded', C), proj: (c.dropout ?? 0) > 0 ? buf('proj', C) : 0,
  };
}

/**
 * Pointers into the flat parameter buffer (or its gradient twin), by the layout's offsets.
 * The linear layers' weights are held transposed, in their own place (see linearWeights).
 */
export interface WeightPtrs {
  wte: number;    // (V, C)
  wpe: number;    // (blockSize, C)
  lmHead: number; // (C, V) transposed
  layers: { qkv: number; wo: number; fc1: number; fc2: number }[]; // transposed: qkv (C, 3C) wq | wk | wv side by side
}

/** A linear layer's weight W (rows, cols) at `offset` floats into the layout. */
export interface LinearWeight {
  offset: number;
  rows: number; // OC
  cols: number; // C
}

/**
 * The weights the engine holds transposed: lm_head and each layer's wq | wk | wv (as one
 * (3C, C) matrix), wo, fc1 and fc2. The embedding tables are looked up by row and stay.
 */
export function linearWeights(c: ModelConfig): LinearWeight[] {
  const at = new Map(paramLayout(c).map((p) => [p.name, p.offset])), C = c.nEmbd;
  const list: LinearWeight[] = [{ offset: at.get('lm_head')!, rows: c.vocabSize, cols: C }];
  for (let l = 0; l < c.nLayer; l++) {
    list.push({ offset: at.get(`layer${l}.attn_wq`)!, rows: 3 * C, cols: C }, { offset: at.get(`layer${l}.attn_wo`)!, rows: C, cols: C },
      { offset: at.get(`layer${l}.mlp_fc1`)!, rows: 4 * C, cols: C }, { offset: at.get(`layer${l}.mlp_fc2`)!, rows: C, cols: 4 * C });
  }
  return list;
}

/**
 * A copy of a flat parameter-shaped buffer with every linear weight transposed: from the
 * layout's W (rows, cols) to the engine's W^T, or back with `back`.
 */
export function transposeLinears(c: ModelConfig, flat: ArrayLike<number>, back = false): Float64Array {
  const out = Float64Array.from(flat);
  for (const { offset, rows, cols } of linearWeights(c)) {
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) {
      const w = offset + r * cols + k, wt = offset + k * rows + r;
      if (back) out[w] = flat[wt];
      else out[wt] = flat[w];
    }
  }
  return out;
}

export function weightPtrs(c: ModelConfig, base: number): WeightPtrs {
  const at = new Map(paramLayout(c).map((p) => [p.name, base + 4 * p.offset]));
  const layers = [];
  for (let l = 0; l < c.nLayer; l++) {
    layers.push({ qkv: at.get(`layer${l}.attn_wq`)!, wo: at.get(`layer${l}.attn_wo`)!,
      fc1: at.get(`layer${l}.mlp_fc1`)!, fc2: at.get(`layer${l}.mlp_fc2`)! });
  }
  return { wte: at.get('wte')!, wpe: at.get('wpe')!, lmHead: at.get('lm_head')!, layers };
}

/**
 * Token positions of a pass: sequence b holds rows seqStart[b] .. seqStart[b] + seqLen[b] - 1,
 * and its attention computes query rows t0..seqLen[b]-1 (t0 > 0 only when a KV cache grows).
 */
export interface Packed {
  B: number;
  seqStart: Int32Array; // (rows,)
  seqLen: Int32Array;   // (rows,)
  seqs: number;         // (rows, 3) i32 in wasm memory: seqStart, t0, seqLen per sequence, for the attention kernels
  tokens: number;       // (rows,) i32
  targets: number;      // (rows,) i32
  positions: number;    // (rows,) i32
}

type Pointwise = (out: number, inp: number, n: number) => void;
type Norm = (out: number, rstd: number, inp: number, T: number) => void; // rows of width nEmbd
type Backward<Args extends unknown[]> = (dinp: number, dout: number, ...rest: Args) => void;

export interface Model {
  config: ModelConfig;
  k: KernelExports;
  mm: Threads; // the kernels worth splitting across threads (all but the cheap ones called through k)
  w: WeightPtrs;
  dw: WeightPtrs;
  norm: { forward: Norm; backward: Backward<[inp: number, rstd: number, T: number]> };
  act: { forward: Pointwise; backward: Backward<[inp: number, n: number]> };
}

/** The model over kernels, weights at `params` and gradients at `grads`; config picks norm and activation. */
export function createModel(config: ModelConfig, k: KernelExports, mm: Threads, params: number, grads: number): Model {
  const C = config.nEmbd;
  const [normF, normB] = config.norm === 'layernorm' ? ['layernormForward', 'layernormBackward'] as const
    : ['rmsnormForward', 'rmsnormBackward'] as const;
  const [actF, actB] = config.activation === 'gelu' ? ['geluForward', 'geluGradient'] as const
    : config.activation === 'relu2' ? ['relu2Forward', 'relu2Gradient'] as const : ['reluForward', 'reluGradient'] as const;
  const norm = {
    forward: (out: number, rstd: number, inp: number, T: number) => mm.rows(normF, [out, rstd, inp], [C, 1, C], T, [C]),
    backward: (dinp: number, dout: number, inp: number, rstd: number, T: number) =>
      mm.rows(normB, [dinp, dout, inp, rstd], [C, C, C, 1], T, [C]),
  };
  const act = {
    forward: (out: number, inp: number, n: number) => mm.rows(actF, [out, inp], [1, 1], n, []),
    backward: (dinp: number, dout: number, inp: number, n: number) => mm.rows(actB, [dinp, dout, inp], [1, 1, 1], n, []),
  };
  return { config, k, mm, w: weightPtrs(config, params), dw: weightPtrs(config, grads), norm, act };
}

/** Dropout for one training forward: probability p, and the mask generator's state, advanced as it draws. */
export interface Dropout {
  p: number;
  state: number;
}

/**
 * Fills acts for rows r0..r1-1, up to the logits. p's table must ask attention for just those
 * query rows, whose earlier rows must be there already. With `dropout`, the attention and MLP
 * projections are masked before each residual, in the float64 engine's order of draws.
 */
export function gptForward(m: Model, a: Acts, p: Packed, r0: number, r1: number, dropout?: Dropout): void {
  const { nLayer, nEmbd: C, nHead: NH, vocabSize: V } = m.config;
  const { k, mm, w, norm, act } = m, n = r1 - r0, A = attStride(m.config.blockSize, NH);
  const row = (ptr: number, width: number) => ptr + 4 * r0 * width; // row r0 of a buffer
  k.embeddingForward(row(a.encoded, C), row(p.tokens, 1), row(p.positions, 1), w.wte, w.wpe, n, C);
  norm.forward(row(a.x0, C), row(a.rstd0, 1), row(a.encoded, C), n); // not redundant: the residual stream starts here
  let x = a.x0;
  for (let l = 0; l < nLayer; l++) {
    const L = a.layers[l], W = w.layers[l];
    norm.forward(row(L.ln1, C), row(L.rstd1, 1), row(x, C), n);
    mm.matmulForward(row(L.qkv, 3 * C), row(L.ln1, C), W.qkv, n, C, 3 * C);
    mm.attentionForward(L.atty, L.att, L.qkv, p.seqs, p.B, C, NH, A, p.seqLen);
    mm.matmulForward(row(L.attproj, C), row(L.atty, C), W.wo, n, C, C);
    if (dropout) dropout.state = k.dropoutForward(row(L.attproj, C), row(L.mask1, C), dropout.p, dropout.state, n * C);
    mm.rows('residualForward', [row(L.res1, C), row(L.attproj, C), row(x, C)], [1, 1, 1], n * C, []);
    norm.forward(row(L.ln2, C), row(L.rstd2, 1), row(L.res1, C), n);
    mm.matmulForward(row(L.fch, 4 * C), row(L.ln2, C), W.fc1, n, C, 4 * C);
    act.forward(row(L.fcr, 4 * C), row(L.fch, 4 * C), n * 4 * C);
    mm.matmulForward(row(L.fcproj, C), row(L.fcr, 4 * C), W.fc2, n, 4 * C, C);
    if (dropout) dropout.state = k.dropoutForward(row(L.fcproj, C), row(L.mask2, C), dropout.p, dropout.state, n * C);
    mm.rows('residualForward', [row(L.res2, C), row(L.fcproj, C), row(L.res1, C)], [1, 1, 1], n * C, []);
    x = L.res2;
  }
  mm.matmulForward(row(a.logits, V), row(x, C), w.lmHead, n, C, V);
}

/** Losses (and probs) of rows 0..N-1 after gptForward. */
export function lossForward(m: Model, a: Acts, p: Packed, N: number): void {
  m.k.crossEntropyForward(a.losses, a.probs, a.logits, p.targets, N, m.config.vocabSize);
}

/**
 * Writes into dw the gradient of sum(losses) * dloss over rows 0..N-1, except for the embedding
 * tables (wte, wpe), which it adds into: zero those first. d.encoded must be zero too.
 * `dropped`: the forward drew dropout masks.
 */
export function gptBackward(m: Model, a: Acts, d: GradActs, p: Packed, N: number, dloss: number, dropped = false): void {
  const { nLayer, nEmbd: C, nHead: NH, vocabSize: V } = m.config;
  const { k, mm, w, dw, norm, act } = m, A = attStride(m.config.blockSize, NH);
  const matmulBackward = (dinp: number, dweight: number, dout: number, inp: number, weight: number, C1: number, OC: number) => {
    mm.matmulInputGradient(dinp, dout, weight, N, C1, OC);
    mm.matmulWeightGradient(dweight, dout, inp, N, C1, OC);
  };
  k.crossEntropyGradient(d.logits, a.probs, p.targets, dloss, N, V);
  matmulBackward(d.residual, dw.lmHead, d.logits, a.layers[nLayer - 1].res2, w.lmHead, C, V);
  for (let l = nLayer - 1; l >= 0; l--) {
    const L = a.layers[l], W = w.layers[l], dW = dw.layers[l];
    const xin = l > 0 ? a.layers[l - 1].res2 : a.x0;
    // d.residual holds d res2 = d fcproj (after its dropout mask, if any)
    const dfcproj = dropped ? d.proj : d.residual;
    if (dropped) k.dropoutGradient(d.proj, d.residual, L.mask2, N * C);
    matmulBackward(d.fc, dW.fc2, dfcproj, L.fcr, W.fc2, 4 * C, C);
    act.backward(d.fc, d.fc, L.fch, N * 4 * C); // in place: d fcr becomes d fch
    matmulBackward(d.ln, dW.fc1, d.fc, L.ln2, W.fc1, C, 4 * C);
    norm.backward(d.residual, d.ln, L.res1, L.rstd2, N); // now d res1 = d attproj (after its mask)
    const dattproj = dropped ? d.proj : d.residual;
    if (dropped) k.dropoutGradient(d.proj, d.residual, L.mask1, N * C);
    matmulBackward(d.atty, dW.wo, dattproj, L.atty, W.wo, C, C);
    mm.attentionGradient(d.qkv, d.att, d.atty, L.qkv, L.att, p.seqs, p.B, C, NH, A, p.seqLen);
    matmulBackward(d.ln, dW.qkv, d.qkv, L.ln1, W.qkv, C, 3 * C);
    norm.backward(d.residual, d.ln, xin, L.rstd1, N); // now d xin: the layer below's d res2
  }
  norm.backward(d.encoded, d.residual, a.encoded, a.rstd0, N);
  k.embeddingBackward(dw.wte, dw.wpe, d.encoded, p.tokens, p.positions, N, C);
}
