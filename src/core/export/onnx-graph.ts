// The model as an ONNX graph with a KV cache, in the inputs and outputs Hugging Face Optimum
// gives a decoder (so onnxruntime and transformers.js run it as they run a Llama's). It reads
// top-down like docs/llama.md's forward: embeddings, blocks, head; the weights go in as float32.

import { DEFAULT_MODEL, type ModelConfig, kvHeads, mlpHidden } from '../contract/config.js';
import { checkWeights, paramLayout } from '../contract/params.js';
import { ropeTable } from '../tensor/rope.js';
import { BOOL, FLOAT, GraphBuilder, INT64, type OnnxGraph, type OnnxValueInfo } from './onnx-ir.js';

/** The opset of the default domain the graph uses. */
export const ONNX_OPSET = 17;
const EPS = 1e-5;
const MASKED = -3.4028234663852886e38; // float32's lowest: finite, so a query that sees only padding stays a number
const GELU_K = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

// the symbolic dimensions, named as Optimum names them
const BATCH = 'batch_size', SEQ = 'sequence_length', PAST = 'past_sequence_length', TOTAL = 'past_sequence_length + sequence_length';

/** The graph's inputs and outputs: ids, mask and positions, the cache of every layer in and out, logits. */
function signature(c: ModelConfig): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
  const kv = kvHeads(c), hd = c.nEmbd / c.nHead;
  const inputs: OnnxValueInfo[] = [
    { name: 'input_ids', dataType: INT64, shape: [BATCH, SEQ] },
    { name: 'attention_mask', dataType: INT64, shape: [BATCH, TOTAL] },
    { name: 'position_ids', dataType: INT64, shape: [BATCH, SEQ] },
  ];
  const outputs: OnnxValueInfo[] = [{ name: 'logits', dataType: FLOAT, shape: [BATCH, SEQ, c.vocabSize] }];
  for (let l = 0; l < c.nLayer; l++) {
    for (const kind of ['key', 'value']) {
      inputs.push({ name: `past_key_values.${l}.${kind}`, dataType: FLOAT, shape: [BATCH, kv, PAST, hd] });
      outputs.push({ name: `present.${l}.${kind}`, dataType: FLOAT, shape: [BATCH, kv, TOTAL, hd] });
    }
  }
  return { inputs, outputs };
}

/** The weights in float32 by parameter name; a matrix used by MatMul is transposed to (in, out). */
class Weights {
  private readonly views = new Map<string, { data: Float64Array; rows: number; cols: number }>();
  private readonly b: GraphBuilder;
  constructor(b: GraphBuilder, c: ModelConfig, flat: Float64Array) {
    this.b = b;
    for (const p of paramLayout(c)) this.views.set(p.name, { data: flat.subarray(p.offset, p.offset + p.size), rows: p.rows, cols: p.cols });
  }

  /** The matrix as stored: (rows, cols), or a gain as (cols,). */
  asIs(name: string): string {
    const { data, rows, cols } = this.views.get(name)!;
    return this.b.weight(name, rows === 1 ? [cols] : [rows, cols], Float32Array.from(data));
  }

  /** Rows r0 .. r1 of the matrix, transposed: (cols, r1 - r0), so that y = x W^T is MatMul(x, it). */
  transposed(name: string, r0 = 0, r1?: number, suffix = ''): string {
    const { data, rows, cols } = this.views.get(name)!, n = (r1 ?? rows) - r0;
    const out = new Float32Array(cols * n); // (cols, n)
    for (let r = 0; r < n; r++) for (let j = 0; j < cols; j++) out[j * n + r] = data[(r0 + r) * cols + j];
    return this.b.weight(`${name}${suffix}.T`, [cols, n], out);
  }
}

/** RMSNorm or LayerNorm over the last axis, eps 1e-5, times the gain when the config has gains. */
function norm(b: GraphBuilder, c: ModelConfig, w: Weights, x: string, gainName: string): string {
  const mean = (t: string) => b.op('ReduceMean', [t], { axes: [-1], keepdims: 1 }); // (B, S, 1)
  if (c.norm === 'layernorm') x = b.op('Sub', [x, mean(x)]);
  const ms = mean(b.op('Mul', [x, x]));
  const y = b.op('Div', [x, b.op('Sqrt', [b.op('Add', [ms, b.scalar(EPS)])])]);
  return c.normWeight ? b.op('Mul', [y, w.asIs(gainName)]) : y;
}

/** (B, S, n*hd) -> (B, n, S, hd): one row per head. */
function splitHeads(b: GraphBuilder, x: string, n: number, hd: number): string {
  return b.op('Transpose', [b.op('Reshape', [x, b.ints([0, 0, n, hd])])], { perm: [0, 2, 1, 3] });
}

/**
 * RoPE's cos and sin at each token's position, (B, 1, S, hd): tables of blockSize rows (the
 * angle of pair i, t * theta^(-2i/hd), in both halves of a row) gathered by position_ids.
 */
function ropeTables(b: GraphBuilder, c: ModelConfig): { cos: string; sin: string } {
  const hd = c.nEmbd / c.nHead, half = hd / 2;
  const angles = ropeTable(c.ropeTheta ?? DEFAULT_MODEL.ropeTheta, c.blockSize, hd); // the engines' own table
  const cos = new Float32Array(c.blockSize * hd), sin = new Float32Array(c.blockSize * hd); // (A, hd)
  for (let t = 0; t < c.blockSize; t++) {
    for (let i = 0; i < half; i++) {
      cos[t * hd + i] = cos[t * hd + half + i] = angles.cos[t * half + i];
      sin[t * hd + i] = sin[t * hd + half + i] = angles.sin[t * half + i];
    }
  }
  b.scope = 'rope';
  const gather = (table: string) => b.op('Unsqueeze', [b.op('Gather', [table, 'position_ids'], { axis: 0 }), b.ints([1])]);
  return { cos: gather(b.weight('rope.cos', [c.blockSize, hd], cos)), sin: gather(b.weight('rope.sin', [c.blockSize, hd], sin)) };
}

/** u cos + rotate_half(u) sin, rotate_half(a | b) = (-b | a): pair (i, i + hd/2) turns by its angle. */
function rotate(b: GraphBuilder, u: string, rope: { cos: string; sin: string }, hd: number): string {
  const half = (from: number, to: number) => b.op('Slice', [u, b.ints([from]), b.ints([to]), b.ints([-1])]);
  const rotated = b.op('Concat', [b.op('Neg', [half(hd / 2, hd)]), half(0, hd / 2)], { axis: -1 });
  return b.op('Add', [b.op('Mul', [u, rope.cos]), b.op('Mul', [rotated, rope.sin])]);
}

/**
 * What each query may see, as a bias added to its scores, (B, 1, S, T): the keys at or before
 * its place in the cache (it is the P + s-th of T = P + S) that attention_mask does not mark
 * as padding; 0 there, float32's lowest elsewhere. Computed once for every layer.
 */
function attentionBias(b: GraphBuilder): string {
  b.scope = 'mask';
  const T = b.op('Shape', ['attention_mask'], { start: 1, end: 2 }), S = b.op('Shape', ['input_ids'], { start: 1, end: 2 }); // (1,)
  const scalar = (t: string) => b.op('Squeeze', [t, b.ints([0])]);
  const keys = b.op('Range', [b.ints([0], true), scalar(T), b.ints([1], true)]);                   // (T,)
  const queries = b.op('Range', [scalar(b.op('Sub', [T, S])), scalar(T), b.ints([1], true)]);      // (S,)
  const causal = b.op('LessOrEqual', [b.op('Unsqueeze', [keys, b.ints([0])]), b.op('Unsqueeze', [queries, b.ints([1])])]); // (S, T)
  const kept = b.op('Cast', [b.op('Unsqueeze', ['attention_mask', b.ints([1, 2])])], { to: BOOL }); // (B, 1, 1, T)
  return b.op('Where', [b.op('And', [causal, kept]), b.scalar(0), b.scalar(MASKED)]);
}

/** Causal self-attention of layer l with its cache: the present keys (after rope) and values go out as outputs. */
function attention(b: GraphBuilder, c: ModelConfig, w: Weights, l: number, h: string, bias: string,
                   rope?: { cos: string; sin: string }): string {
  const C = c.nEmbd, NH = c.nHead, KV = kvHeads(c), hd = C / NH, p = `layer${l}.`;
  let q = splitHeads(b, b.op('MatMul', [h, w.transposed(`${p}attn_wq`)]), NH, hd); // (B, NH, S, hd)
  let k = splitHeads(b, b.op('MatMul', [h, w.transposed(`${p}attn_wk`)]), KV, hd); // (B, KV, S, hd)
  let v = splitHeads(b, b.op('MatMul', [h, w.transposed(`${p}attn_wv`)]), KV, hd); // (B, KV, S, hd)
  if (rope) { q = rotate(b, q, rope, hd); k = rotate(b, k, rope, hd); }
  k = b.op('Concat', [`past_key_values.${l}.key`, k], { axis: 2 }, `present.${l}.key`);       // (B, KV, T, hd)
  v = b.op('Concat', [`past_key_values.${l}.value`, v], { axis: 2 }, `present.${l}.value`); // (B, KV, T, hd)
  if (KV < NH) { k = repeatKv(b, k, NH / KV, NH, hd); v = repeatKv(b, v, NH / KV, NH, hd); } // (B, NH, T, hd)
  const scores = b.op('Mul', [b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), b.scalar(1 / Math.sqrt(hd))]);
  const probs = b.op('Softmax', [b.op('Add', [scores, bias])], { axis: -1 });           // (B, NH, S, T)
  const y = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });     // (B, S, NH, hd)
  return b.op('MatMul', [b.op('Reshape', [y, b.ints([0, 0, C])]), w.transposed(`${p}attn_wo`)]); // (B, S, C)
}

/** (B, KV, T, hd) -> (B, NH, T, hd), each key/value head repeated for its g = NH / KV query heads. */
function repeatKv(b: GraphBuilder, x: string, g: number, NH: number, hd: number): string {
  const one = b.op('Unsqueeze', [x, b.ints([2])]); // (B, KV, 1, T, hd)
  return b.op('Reshape', [b.op('Concat', Array(g).fill(one), { axis: 2 }), b.ints([0, NH, -1, hd])]);
}

/** The MLP's activation: relu, relu^2 or GELU's tanh form (swiglu is the MLP's own, below). */
function activation(b: GraphBuilder, name: string | undefined, u: string): string {
  if (name === 'relu2') { const r = b.op('Relu', [u]); return b.op('Mul', [r, r]); }
  if (name !== 'gelu') return b.op('Relu', [u]);
  const cube = b.op('Mul', [b.op('Mul', [u, u]), u]);
  const inner = b.op('Mul', [b.op('Add', [u, b.op('Mul', [cube, b.scalar(GELU_A)])]), b.scalar(GELU_K)]);
  return b.op('Mul', [b.op('Mul', [u, b.scalar(0.5)]), b.op('Add', [b.op('Tanh', [inner]), b.scalar(1)])]);
}

/** act(h W1^T) W2^T, or for swiglu silu(h Wgate^T) * (h Wup^T) W2^T with fc1's two halves. */
function mlp(b: GraphBuilder, c: ModelConfig, w: Weights, l: number, h: string): string {
  const p = `layer${l}.`, H = mlpHidden(c);
  let a: string; // (B, S, H)
  if (c.activation === 'swiglu') {
    const gate = b.op('MatMul', [h, w.transposed(`${p}mlp_fc1`, 0, H, '.gate')]);
    const up = b.op('MatMul', [h, w.transposed(`${p}mlp_fc1`, H, 2 * H, '.up')]);
    a = b.op('Mul', [b.op('Mul', [gate, b.op('Sigmoid', [gate])]), up]);
  } else {
    a = activation(b, c.activation, b.op('MatMul', [h, w.transposed(`${p}mlp_fc1`)]));
  }
  return b.op('MatMul', [a, w.transposed(`${p}mlp_fc2`)]); // (B, S, C)
}

/**
 * The graph of a model with weights `weights` (paramLayout order): logits and the updated
 * cache from input_ids, attention_mask, position_ids and the cache so far (Optimum's layout).
 */
export function buildOnnxGraph(c: ModelConfig, weights: Float64Array): OnnxGraph {
  checkWeights(c, weights);
  const b = new GraphBuilder(), w = new Weights(b, c, weights);
  const bias = attentionBias(b);
  const rope = c.pos === 'rope' ? ropeTables(b, c) : undefined;

  b.scope = 'embed';
  let x = b.op('Gather', [w.asIs('wte'), 'input_ids'], { axis: 0 }); // (B, S, C)
  if ((c.pos ?? 'learned') === 'learned') x = b.op('Add', [x, b.op('Gather', [w.asIs('wpe'), 'position_ids'], { axis: 0 })]);
  if (c.embedNorm !== false) x = norm(b, c, w, x, 'embed_norm');

  for (let l = 0; l < c.nLayer; l++) {
    b.scope = `layer${l}/attn`;
    x = b.op('Add', [x, attention(b, c, w, l, norm(b, c, w, x, `layer${l}.attn_norm`), bias, rope)]);
    b.scope = `layer${l}/mlp`;
    x = b.op('Add', [x, mlp(b, c, w, l, norm(b, c, w, x, `layer${l}.mlp_norm`))]);
  }

  b.scope = 'head';
  if (c.finalNorm) x = norm(b, c, w, x, 'norm_f');
  const head = c.tieEmbeddings ? b.op('Transpose', ['wte'], { perm: [1, 0] }) : w.transposed('lm_head'); // (C, V)
  b.op('MatMul', [x, head], {}, 'logits'); // (B, S, V)
  return { name: 'microgpt', opset: ONNX_OPSET, nodes: b.nodes, initializers: b.initializers, ...signature(c) };
}
