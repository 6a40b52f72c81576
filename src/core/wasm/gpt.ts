// The GPT in float32 over the SIMD kernels, every tensor in wasm memory: the same list of
// kernels as the tensor engine (src/core/tensor/gpt.ts), forward top-down and backward the
// same list bottom-up. Sequences are packed back to back; a pass covers rows r0..r1-1.
// Unlike the tensor engine, the backward keeps one gradient for the whole residual stream:
// a residual connection passes its gradient through unchanged, so every block's output, its
// projection and its input share one buffer, and each norm adds its branch's share into it.
// Most backward kernels write their outputs (xGradient, see wasm/assembly/index.ts), so the
// step zeroes almost nothing. The settings of docs/llama.md are steps around the same kernels:
// a norm's gain after it, rope in place on q and k, fewer key/value heads expanded to a full
// q | k | v before attention (and summed back after), swiglu between the MLP's products.

import { type ModelConfig, kvHeads, mlpHidden, qkvWidth } from '../contract/config.js';
import { paramLayout } from '../contract/params.js';
import type { Arena } from './arena.js';
import type { KernelExports } from './kernels.js';
import type { Threads } from './threads.js';

// Shapes: C = nEmbd, NH = nHead, KV = key/value heads, hd = C / NH, Q = C + 2 KV hd (a q|k|v
// row), H = mlpHidden, F = 2H for swiglu (gate | up) else H. A norm's output `ln` is its plain
// output `nrm` times the gain; without gains the two are one buffer.

interface LayerActs {
  ln1: number;     // (N, C) norm before attention, times its gain
  nrm1: number;    // (N, C) the norm alone (= ln1 without gains)
  rstd1: number;   // (N,)
  qkv: number;     // (N, Q) rotated in place with rope
  qkvx: number;    // (N, 3C) every query head's key and value (= qkv unless KV < NH)
  att: number;     // (N, NH, A) softmax weights, A = attStride(blockSize, NH)
  atty: number;    // (N, C) heads side by side
  attproj: number; // (N, C)
  res1: number;    // (N, C) after the attention residual
  ln2: number;     // (N, C) norm before the MLP, times its gain
  nrm2: number;    // (N, C)
  rstd2: number;   // (N,)
  fch: number;     // (N, F)
  fcr: number;     // (N, H) after the activation
  gate: number;    // (N, H) GELU's gate, fcr = fch * gate, kept for the backward (0 for the other activations)
  fcproj: number;  // (N, C)
  res2: number;    // (N, C) after the MLP residual: the block's output
  mask1: number;   // (N, C) dropout masks of attproj and fcproj, applied in place (0 without dropout)
  mask2: number;   // (N, C)
}

/** Pointers to a pass's buffers for `rows` positions; the gradient twin has the same shapes. */
export interface Acts {
  rows: number;
  encoded: number; // (N, C) wte[token] + wpe[pos] (no wpe with rope)
  x0: number;      // (N, C) its norm times the gain: where the residual stream starts (= encoded without the norm)
  nrm0: number;    // (N, C)
  rstd0: number;   // (N,)
  layers: LayerActs[];
  xf: number;      // (N, C) the final norm times its gain: the head's input (= the last block's output without it)
  nrmf: number;    // (N, C)
  rstdf: number;   // (N,)
  logits: number;  // (N, V)
  probs: number;   // (N, V)
  losses: number;  // (N,)
}

/** The backward's buffers for `rows` positions; all but `residual` serve each layer in turn. */
export interface GradActs {
  logits: number;   // (N, V)
  residual: number; // (N, C) the residual stream's gradient, carried down from the top
  ln: number;       // (N, C) gradient of a norm's output (ln2, then ln1)
  fc: number;       // (N, F) gradient of fch
  fcr: number;      // (N, H) gradient of fcr (= fc but with swiglu: the others' backward is in place)
  atty: number;     // (N, C)
  qkv: number;      // (N, 3C)
  qkvc: number;     // (N, Q) summed back over each group (= qkv unless KV < NH)
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

/** The widths of a config (see the shapes above) and which of the settings beyond the reference it takes. */
export interface Dims {
  C: number; NH: number; KV: number; hd: number; Q: number; H: number; F: number; V: number;
  swiglu: boolean; rope: boolean; gains: boolean; embedNorm: boolean; finalNorm: boolean; tied: boolean;
}

export function modelDims(c: ModelConfig): Dims {
  const swiglu = c.activation === 'swiglu', H = mlpHidden(c);
  return {
    C: c.nEmbd, NH: c.nHead, KV: kvHeads(c), hd: c.nEmbd / c.nHead, Q: qkvWidth(c), H, F: swiglu ? 2 * H : H,
    V: c.vocabSize, swiglu, rope: c.pos === 'rope', gains: c.normWeight === true, embedNorm: c.embedNorm !== false,
    finalNorm: c.finalNorm === true, tied: c.tieEmbeddings === true,
  };
}

export function allocActs(arena: Arena, c: ModelConfig, rows: number, prefix: string): Acts {
  const { C, NH, KV, Q, H, F, V, gains, embedNorm, finalNorm } = modelDims(c), A = attStride(c.blockSize, NH);
  const buf = (name: string, width: number): number => arena.alloc(`${prefix}.${name}`, rows * width).ptr;
  const masks = (c.dropout ?? 0) > 0;
  const encoded = buf('encoded', C);
  const x0 = embedNorm ? buf('x0', C) : encoded, nrm0 = embedNorm && gains ? buf('nrm0', C) : x0;
  const rstd0 = embedNorm ? buf('rstd0', 1) : 0;
  const layers: LayerActs[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const b = (name: string, width: number) => buf(`layer${l}.${name}`, width);
    const ln1 = b('ln1', C), nrm1 = gains ? b('nrm1', C) : ln1, qkv = b('qkv', Q);
    const qkvx = KV < NH ? b('qkvx', 3 * C) : qkv;
    const ln2 = b('ln2', C), nrm2 = gains ? b('nrm2', C) : ln2;
    layers.push({
      ln1, nrm1, rstd1: b('rstd1', 1), qkv, qkvx, att: b('att', NH * A),
      atty: b('atty', C), attproj: b('attproj', C), res1: b('res1', C), ln2, nrm2, rstd2: b('rstd2', 1),
      fch: b('fch', F), fcr: b('fcr', H), gate: c.activation === 'gelu' ? b('gate', H) : 0, fcproj: b('fcproj', C), res2: b('res2', C),
      mask1: masks ? b('mask1', C) : 0, mask2: masks ? b('mask2', C) : 0,
    });
  }
  const top = layers[c.nLayer - 1].res2;
  const xf = finalNorm ? buf('xf', C) : top, nrmf = finalNorm && gains ? buf('nrmf', C) : xf;
  const rstdf = finalNorm ? buf('rstdf', 1) : 0;
  const logits = buf('logits', V), probs = buf('probs', V), losses = buf('losses', 1);
  return { rows, encoded, x0, nrm0, rstd0, layers, xf, nrmf, rstdf, logits, probs, losses };
}

export function allocGradActs(arena: Arena, c: ModelConfig, rows: number, prefix: string): GradActs {
  const { C, NH, KV, Q, H, F, swiglu } = modelDims(c);
  const buf = (name: string, width: number): number => arena.alloc(`${prefix}.${name}`, rows * width).ptr;
  const fc = buf('fc', F), qkv = buf('qkv', 3 * C);
  return {
    logits: buf('logits', c.vocabSize), residual: buf('residual', C), ln: buf('ln', C), fc, fcr: swiglu ? buf('fcr', H) : fc,
    atty: buf('atty', C), qkv, qkvc: KV < NH ? buf('qkvc', Q) : qkv, att: buf('att', NH * attStride(c.blockSize, NH)),
    encoded: buf('encoded', C), proj: (c.dropout ?? 0) > 0 ? buf('proj', C) : 0,
  };
}

/**
 * Pointers into the flat parameter buffer (or its gradient twin), by the layout's offsets.
 * The linear layers' weights are held transposed, in their own place (see linearWeights).
 */
export interface WeightPtrs {
  wte: number;       // (V, C)
  wpe: number;       // (blockSize, C); 0 with rope
  lmHead: number;    // (C, V) transposed; 0 when tied (the head is wte, untransposed)
  embedNorm: number; // (C,) gains, each 0 when absent
  normF: number;     // (C,)
  // transposed: qkv (C, Q) wq | wk | wv side by side, wo (C, C), fc1 (C, F), fc2 (H, C)
  layers: { attnNorm: number; qkv: number; wo: number; mlpNorm: number; fc1: number; fc2: number }[];
}

/** A linear layer's weight W (rows, cols) at `offset` floats into the layout. */
export interface LinearWeight {
  offset: number;
  rows: number; // OC
  cols: number; // C
}

/**
 * The weights the engine holds transposed: lm_head (unless tied) and each layer's wq | wk | wv
 * (as one (Q, C) matrix), wo, fc1 and fc2. The embedding tables are looked up by row and
 * stay; so does a tied head, which reads wte by rows too (see gptForward).
 */
export function linearWeights(c: ModelConfig): LinearWeight[] {
  const at = new Map(paramLayout(c).map((p) => [p.name, p.offset])), { C, Q, H, F, tied } = modelDims(c);
  const list: LinearWeight[] = tied ? [] : [{ offset: at.get('lm_head')!, rows: c.vocabSize, cols: C }];
  for (let l = 0; l < c.nLayer; l++) {
    list.push({ offset: at.get(`layer${l}.attn_wq`)!, rows: Q, cols: C }, { offset: at.get(`layer${l}.attn_wo`)!, rows: C, cols: C },
      { offset: at.get(`layer${l}.mlp_fc1`)!, rows: F, cols: C }, { offset: at.get(`layer${l}.mlp_fc2`)!, rows: C, cols: H });
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
  const layout = new Map(paramLayout(c).map((p) => [p.name, base + 4 * p.offset]));
  const at = (name: string) => layout.get(name) ?? 0;
  const layers = [];
  for (let l = 0; l < c.nLayer; l++) {
    layers.push({ attnNorm: at(`layer${l}.attn_norm`), qkv: at(`layer${l}.attn_wq`), wo: at(`layer${l}.attn_wo`),
      mlpNorm: at(`layer${l}.mlp_norm`), fc1: at(`layer${l}.mlp_fc1`), fc2: at(`layer${l}.mlp_fc2`) });
  }
  return { wte: at('wte'), wpe: at('wpe'), lmHead: at('lm_head'), embedNorm: at('embed_norm'), normF: at('norm_f'), layers };
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

type Pointwise = (out: number, gate: number, inp: number, n: number) => void; // gate: GELU's, see LayerActs
type Norm = (out: number, rstd: number, inp: number, T: number) => void; // rows of width nEmbd
type Backward<Args extends unknown[]> = (dinp: number, dout: number, ...rest: Args) => void;

export interface Model {
  config: ModelConfig;
  dims: Dims;
  rope: { cos: number; sin: number }; // the table (blockSize, hd/2) each in wasm memory; 0 without rope
  k: KernelExports;
  mm: Threads; // the kernels worth splitting across threads (all but the cheap ones called through k)
  w: WeightPtrs;
  dw: WeightPtrs;
  norm: { forward: Norm; backward: Backward<[inp: number, rstd: number, T: number]> };
  act: { forward: Pointwise; backward: Backward<[inp: number, gate: number, n: number]> };
}

/**
 * The model over kernels, weights at `params` and gradients at `grads`; config picks norm and
 * activation. With rope, `rope` points at the tensor engine's table of angles (tensor/rope.ts)
 * in float32.
 */
export function createModel(config: ModelConfig, k: KernelExports, mm: Threads, params: number, grads: number,
                            rope = { cos: 0, sin: 0 }): Model {
  const C = config.nEmbd;
  const [normF, normB] = config.norm === 'layernorm' ? ['layernormForward', 'layernormBackward'] as const
    : ['rmsnormForward', 'rmsnormBackward'] as const;
  const [actF, actB] = config.activation === 'relu2' ? ['relu2Forward', 'relu2Gradient'] as const
    : ['reluForward', 'reluGradient'] as const;
  const norm = {
    forward: (out: number, rstd: number, inp: number, T: number) => mm.rows(normF, [out, rstd, inp], [C, 1, C], T, [C]),
    backward: (dinp: number, dout: number, inp: number, rstd: number, T: number) =>
      mm.rows(normB, [dinp, dout, inp, rstd], [C, C, C, 1], T, [C]),
  };
  const act = config.activation === 'gelu' ? {
    forward: (out: number, gate: number, inp: number, n: number) => mm.rows('geluForward', [out, gate, inp], [1, 1, 1], n, []),
    backward: (dinp: number, dout: number, inp: number, gate: number, n: number) =>
      mm.rows('geluGradient', [dinp, dout, inp, gate], [1, 1, 1, 1], n, []),
  } : {
    forward: (out: number, _gate: number, inp: number, n: number) => mm.rows(actF, [out, inp], [1, 1], n, []),
    backward: (dinp: number, dout: number, inp: number, _gate: number, n: number) => mm.rows(actB, [dinp, dout, inp], [1, 1, 1], n, []),
  };
  return { config, dims: modelDims(config), rope, k, mm, w: weightPtrs(config, params), dw: weightPtrs(config, grads), norm, act };
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
 * With `cache` (decoding, r0 = 0), row r is one position of a sequence whose earlier q|k|v
 * rows sit in a cache slot: p's table entry r names the slot's first row in each layer's
 * cache (slots x blockSize rows, 3C wide) and the position, where the row is stored before
 * attention reads the slot (see attentionDecode, kvStore).
 */
export function gptForward(m: Model, a: Acts, p: Packed, r0: number, r1: number, dropout?: Dropout, cache?: number[]): void {
  const { C, NH, KV, hd, Q, H, F, V, swiglu, rope, embedNorm, finalNorm, tied } = m.dims;
  const { k, mm, w, act } = m, n = r1 - r0, A = attStride(m.config.blockSize, NH);
  const row = (ptr: number, width: number) => ptr + 4 * r0 * width; // row r0 of a buffer
  const normForward = (out: number, nrm: number, rstd: number, inp: number, gain: number) => {
    m.norm.forward(row(nrm, C), row(rstd, 1), row(inp, C), n);
    if (gain) mm.rows('gainForward', [row(out, C), row(nrm, C), gain], [C, C, 0], n, [C]);
  };
  k.embeddingForward(row(a.encoded, C), row(p.tokens, 1), row(p.positions, 1), w.wte, w.wpe, n, C);
  if (embedNorm) normForward(a.x0, a.nrm0, a.rstd0, a.encoded, w.embedNorm); // not redundant: the residual stream starts here
  let x = a.x0;
  for (let l = 0; l < m.config.nLayer; l++) {
    const L = a.layers[l], W = w.layers[l];
    normForward(L.ln1, L.nrm1, L.rstd1, x, W.attnNorm);
    mm.matmulForward(row(L.qkv, Q), row(L.ln1, C), W.qkv, n, C, Q);
    if (rope) {
      mm.rows('ropeForward', [row(L.qkv, Q), row(L.qkv, Q), row(p.positions, 1), m.rope.cos, m.rope.sin], [Q, Q, 1, 0, 0], n,
        [Q, NH + KV, hd]); // the query heads, then the key heads
    }
    if (KV < NH) mm.rows('kvExpandForward', [row(L.qkvx, 3 * C), row(L.qkv, Q)], [3 * C, Q], n, [C, NH, KV]);
    if (cache) {
      k.kvStore(cache[l], L.qkvx, p.seqs, n, 3 * C);
      mm.attentionDecode(L.atty, L.att, cache[l], p.seqs, n, C, NH, A, p.seqLen);
    } else {
      mm.attentionForward(L.atty, L.att, L.qkvx, p.seqs, p.B, C, NH, A, p.seqLen);
    }
    mm.matmulForward(row(L.attproj, C), row(L.atty, C), W.wo, n, C, C);
    if (dropout) dropout.state = k.dropoutForward(row(L.attproj, C), row(L.mask1, C), dropout.p, dropout.state, n * C);
    mm.rows('residualForward', [row(L.res1, C), row(L.attproj, C), row(x, C)], [1, 1, 1], n * C, []);
    normForward(L.ln2, L.nrm2, L.rstd2, L.res1, W.mlpNorm);
    mm.matmulForward(row(L.fch, F), row(L.ln2, C), W.fc1, n, C, F);
    if (swiglu) mm.rows('swigluForward', [row(L.fcr, H), row(L.fch, F)], [H, F], n, [H]);
    else act.forward(row(L.fcr, H), row(L.gate, H), row(L.fch, H), n * H);
    mm.matmulForward(row(L.fcproj, C), row(L.fcr, H), W.fc2, n, H, C);
    if (dropout) dropout.state = k.dropoutForward(row(L.fcproj, C), row(L.mask2, C), dropout.p, dropout.state, n * C);
    mm.rows('residualForward', [row(L.res2, C), row(L.fcproj, C), row(L.res1, C)], [1, 1, 1], n * C, []);
    x = L.res2;
  }
  if (finalNorm) normForward(a.xf, a.nrmf, a.rstdf, x, w.normF);
  // a tied head is wte (V, C) as it stands: logits = xf wte^T, dot products along its rows
  if (tied) mm.matmulInputGradient(row(a.logits, V), row(a.xf, C), w.wte, n, V, C);
  else mm.matmulForward(row(a.logits, V), row(a.xf, C), w.lmHead, n, C, V);
}

/** Losses (and probs) of rows 0..N-1 after gptForward. */
export function lossForward(m: Model, a: Acts, p: Packed, N: number): void {
  m.k.crossEntropyForward(a.losses, a.probs, a.logits, p.targets, N, m.config.vocabSize);
}

/**
 * Writes into dw the gradient of sum(losses) * dloss over rows 0..N-1, except for the embedding
 * tables (wte, wpe), which it adds into: zero those first. d.encoded must be zero too, and with
 * a final norm d.residual. `dropped`: the forward drew dropout masks.
 */
export function gptBackward(m: Model, a: Acts, d: GradActs, p: Packed, N: number, dloss: number, dropped = false): void {
  const { C, NH, KV, hd, Q, H, F, V, swiglu, rope, embedNorm, finalNorm, tied } = m.dims;
  const { k, mm, w, dw, act } = m, A = attStride(m.config.blockSize, NH);
  const matmulBackward = (dinp: number, dweight: number, dout: number, inp: number, weight: number, C1: number, OC: number) => {
    mm.matmulInputGradient(dinp, dout, weight, N, C1, OC);
    mm.matmulWeightGradient(dweight, dout, inp, N, C1, OC);
  };
  // dout is the gradient of the norm's output times its gain: in place it becomes the plain norm's
  const normBackward = (dinp: number, dout: number, inp: number, nrm: number, rstd: number, gain: number, dgain: number) => {
    if (gain) k.gainGradient(dout, dgain, dout, nrm, gain, N, C);
    m.norm.backward(dinp, dout, inp, rstd, N);
  };
  k.crossEntropyGradient(d.logits, a.probs, p.targets, dloss, N, V);
  const dxf = finalNorm ? d.ln : d.residual;
  if (tied) { // logits = xf wte^T  =>  dxf = dlogits wte, dwte = dlogits^T xf (written: the embedding adds after)
    mm.matmulForward(dxf, d.logits, w.wte, N, V, C);
    mm.matmulWeightGradient(dw.wte, a.xf, d.logits, N, V, C);
  } else {
    matmulBackward(dxf, dw.lmHead, d.logits, a.xf, w.lmHead, C, V);
  }
  if (finalNorm) normBackward(d.residual, d.ln, a.layers[m.config.nLayer - 1].res2, a.nrmf, a.rstdf, w.normF, dw.normF);
  for (let l = m.config.nLayer - 1; l >= 0; l--) {
    const L = a.layers[l], W = w.layers[l], dW = dw.layers[l];
    const xin = l > 0 ? a.layers[l - 1].res2 : a.x0;
    // d.residual holds d res2 = d fcproj (after its dropout mask, if any)
    const dfcproj = dropped ? d.proj : d.residual;
    if (dropped) k.dropoutGradient(d.proj, d.residual, L.mask2, N * C);
    matmulBackward(d.fcr, dW.fc2, dfcproj, L.fcr, W.fc2, H, C);
    if (swiglu) mm.rows('swigluGradient', [d.fc, d.fcr, L.fch], [F, H, F], N, [H]);
    else act.backward(d.fc, d.fcr, L.fch, L.gate, N * H); // in place: d fcr becomes d fch
    matmulBackward(d.ln, dW.fc1, d.fc, L.ln2, W.fc1, C, F);
    normBackward(d.residual, d.ln, L.res1, L.nrm2, L.rstd2, W.mlpNorm, dW.mlpNorm); // now d res1 = d attproj (after its mask)
    const dattproj = dropped ? d.proj : d.residual;
    if (dropped) k.dropoutGradient(d.proj, d.residual, L.mask1, N * C);
    matmulBackward(d.atty, dW.wo, dattproj, L.atty, W.wo, C, C);
    mm.attentionGradient(d.qkv, d.att, d.atty, L.qkvx, L.att, p.seqs, p.B, C, NH, A, p.seqLen);
    if (KV < NH) mm.rows('kvExpandGradient', [d.qkvc, d.qkv], [Q, 3 * C], N, [C, NH, KV]);
    if (rope) mm.rows('ropeGradient', [d.qkvc, d.qkvc, p.positions, m.rope.cos, m.rope.sin], [Q, Q, 1, 0, 0], N, [Q, NH + KV, hd]);
    matmulBackward(d.ln, dW.qkv, d.qkvc, L.ln1, W.qkv, C, Q);
    normBackward(d.residual, d.ln, xin, L.nrm1, L.rstd1, W.attnNorm, dW.attnNorm); // now d xin: the layer below's d res2
  }
  if (embedNorm) normBackward(d.encoded, d.residual, a.encoded, a.nrm0, a.rstd0, w.embedNorm, dw.embedNorm);
  k.embeddingBackward(dw.wte, dw.wpe, embedNorm ? d.encoded : d.residual, p.tokens, p.positions, N, C);
}
