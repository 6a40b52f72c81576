// The float32 WebAssembly engine behind the common Engine interface. Weights, gradients,
// Adam's moments and every activation live in wasm memory for the whole run, laid out once,
// so a step copies in only its token ids and allocates no buffers.

import { DEFAULT_MODEL, DEFAULT_SEED, type ModelConfig, type TrainConfig } from '../contract/config.js';
import { type Batch, type BatchDecoder, type Engine, LOSS_LIMIT, batchTokens, predictedTokens } from '../contract/engine.js';
import { UserError } from '../errors.js';
import * as libm from '../libm/index.js';
import { checkWeights, paramCount } from '../contract/params.js';
import { dropoutState } from '../tensor/dropout.js';
import { ropeTable } from '../tensor/rope.js';
import { type Arena, createArena } from './arena.js';
import { type Acts, type Packed, allocActs, allocGradActs, createModel, gptBackward, gptForward, lossForward, modelDims,
  transposeLinears } from './gpt.js';
import { ARENA_BASE, type KernelTimings, createKernels, wasmSupport } from './kernels.js';
import { createThreadProbe } from './thread-probe.js';
import { DEFAULT_MIN_FLOPS, type SpawnWorker, createThreads, singleThread } from './threads.js';

export interface WasmEngineOptions {
  threads?: number;     // threads for the large matrix products, this one included (default 1)
  spawn?: SpawnWorker;  // starts a kernel worker; needed when threads > 1
  relaxed?: boolean;    // false keeps the plain SIMD build where relaxed SIMD would run
  minFlops?: number;    // products below this stay on one thread
  minFloats?: number;   // row-wise kernels over fewer floats stay on one thread
  adaptive?: boolean;   // with threads, keep checking that they pay off (thread-probe.ts); default true
  timings?: KernelTimings; // adds up each kernel call's time on this thread, and with threads its waits (benchmarks)
}

export interface WasmEngine extends Engine {
  readonly threads: number;  // as running: 1 when shared memory is unavailable
  readonly relaxed: boolean; // fused multiply-add build
  readonly notice?: string;  // why fewer threads run than asked, if so
  /** Bytes of WebAssembly memory it holds. */
  readonly memoryBytes: number;
  /** Resolves once the worker threads run; until then their share runs on this thread. */
  readonly ready: Promise<void>;
  close(): void;
}

/** Why `threads` kernel threads cannot start: nothing was given to start a worker with. */
export const spawnNeeded = (threads: number | string) =>
  `threads ${threads} needs a spawn function to start the kernel threads (in Node: spawnNodeWorker from 'microgpt-ts/node')`;

/**
 * A float32 engine over the SIMD kernels (`seed` seeds dropout, as in the float64 engine).
 * Throws a UserError with a one-line reason where the kernels cannot run.
 */
export function createWasmEngine(config: ModelConfig, weights: Float64Array, train: TrainConfig,
                                 seed = DEFAULT_SEED, options: WasmEngineOptions = {}): WasmEngine {
  const support = wasmSupport();
  if (!support.simd) throw new UserError(`the float32 engine needs WebAssembly SIMD, and ${support.notice}; use the tensor engine`);
  let threads = Math.max(1, Math.floor(options.threads ?? 1)), notice: string | undefined;
  if (threads > 1 && !support.threads) {
    notice = 'shared WebAssembly memory is unavailable here (browsers need cross-origin isolation); using 1 thread';
    threads = 1;
  }
  if (threads > 1 && !options.spawn) throw new UserError(spawnNeeded(threads));
  const { nEmbd: C, blockSize: A, vocabSize: V } = config;
  checkWeights(config, weights);
  const n = paramCount(config);

  const kernels = createKernels({ shared: threads > 1, relaxed: options.relaxed, timings: options.timings });
  const arena = createArena(kernels.memory, ARENA_BASE), k = kernels.exports;
  const { params, grads, m1, m2, accum, acts, dacts, packed, feeder, rope } = layoutBuffers(arena, config, train);
  const mm = threads > 1
    ? createThreads(kernels, arena, { threads, spawn: options.spawn!, minFlops: options.minFlops, minFloats: options.minFloats,
      timings: options.timings })
    : singleThread(kernels);
  const model = createModel(config, k, mm, params, grads, rope);
  // one probe for training steps, one for decode steps (serve, sample): their times differ
  const adaptive = mm.count > 1 && options.adaptive !== false;
  const probe = adaptive ? createThreadProbe(mm) : undefined;
  const decodeProbe = adaptive ? createThreadProbe(mm) : undefined;

  // views are made when needed: a memory that grows replaces its buffer
  const f32 = (ptr: number, length: number) => new Float32Array(kernels.memory.buffer, ptr, length);
  const i32 = (ptr: number, length: number) => new Int32Array(kernels.memory.buffer, ptr, length);
  f32(params, n).set(transposeLinears(config, weights));
  if (rope.cos) { // the float64 engine's angles, rounded once
    const table = ropeTable(config.ropeTheta ?? DEFAULT_MODEL.ropeTheta, A, C / config.nHead);
    f32(rope.cos, table.cos.length).set(table.cos);
    f32(rope.sin, table.sin.length).set(table.sin);
  }

  /** Packs sequences first, first+1, ... while they fit; returns the index after the last one. */
  function pack(batch: Batch, first: number): { next: number; N: number } {
    const rows = acts.rows;
    const tokens = i32(packed.tokens, rows), targets = i32(packed.targets, rows), positions = i32(packed.positions, rows);
    const seqs = i32(packed.seqs, 3 * rows);
    let N = 0, B = 0, b = first;
    for (; b < batch.length; b++) {
      const seq = batch[b], len = predictedTokens(seq, A);
      if (N + len > rows) break;
      if (len === 0) continue;
      packed.seqStart[B] = N;
      packed.seqLen[B] = len;
      seqs.set([N, 0, len], 3 * B);
      B++;
      for (let t = 0; t < len; t++, N++) {
        tokens[N] = seq[t];
        targets[N] = seq[t + 1];
        positions[N] = t;
      }
    }
    packed.B = B;
    return { next: b, N };
  }

  /**
   * Losses of rows 0..N-1 summed in document order, after lossForward. The kernel computes
   * -log p in the log domain, where it stays finite after p underflows; beyond LOSS_LIMIT it
   * counts as infinite, as it is in the float64 engines.
   */
  function sumLosses(N: number, acc: number, first: boolean): number {
    const losses = f32(acts.losses, N);
    let t = 0;
    if (first && N > 0) acc = losses[t++] > LOSS_LIMIT ? Infinity : losses[0];
    for (; t < N; t++) acc += losses[t] > LOSS_LIMIT ? Infinity : losses[t];
    return acc;
  }

  // Gradient accumulation: the backward kernels write grads whole (see gpt.ts), so from the
  // second micro-batch of a step on, the gradients gather in `accum` instead.
  let pending = 0;
  let masks: { p: number; state: number } | undefined, maskStep = -1;

  function backward(batch: Batch, step: number, dloss: number): number {
    if (batchTokens(batch, A) > acts.rows) throw new Error(`a micro-batch holds more than batchSize x blockSize = ${acts.rows} tokens`);
    const { N } = pack(batch, 0);
    if (N === 0) throw new Error('the batch has no token to predict');
    // the float64 engine's masks: they depend only on (seed, step), so a resumed run draws the
    // same; the generator runs on through the step's micro-batches
    if (config.dropout && step !== maskStep) { masks = { p: config.dropout, state: dropoutState(seed, step) }; maskStep = step; }
    if (pending === 1) f32(accum, n).set(f32(grads, n));
    probe?.beforeStep();
    const start = performance.now();
    gptForward(model, acts, packed, 0, N, masks);
    lossForward(model, acts, packed, N);
    f32(dacts.encoded, N * C).fill(0);
    if (config.finalNorm) f32(dacts.residual, N * C).fill(0); // the final norm's backward adds into it
    f32(model.dw.wte, V * C).fill(0); // the other gradients are written whole
    if (model.dw.wpe) f32(model.dw.wpe, A * C).fill(0);
    gptBackward(model, acts, dacts, packed, N, dloss, masks !== undefined);
    if (pending >= 1) mm.rows('residualForward', [accum, accum, grads], [1, 1, 1], n, []);
    probe?.afterStep(performance.now() - start);
    pending++;
    return sumLosses(N, 0, true);
  }

  function update(step: number, lr: number): void {
    const g = pending > 1 ? accum : grads;
    pending = 0;
    if (train.gradClip) {
      const norm = Math.sqrt(k.sumOfSquares(g, n));
      if (norm > train.gradClip) k.scale(g, train.gradClip / norm, n);
    }
    const c1 = 1 - libm.pow(train.beta1, step + 1), c2 = 1 - libm.pow(train.beta2, step + 1);
    const decay = 1 - lr * (train.weightDecay ?? 0); // AdamW; exactly 1 when off
    mm.rows('adamUpdate', [params, g, m1, m2], [1, 1, 1, 1], n,
      [lr, train.beta1, train.beta2, train.epsAdam, c1, c2, decay]);
  }

  function lossSum(batch: Batch): number {
    let total = 0, count = 0;
    for (let b = 0; b < batch.length;) {
      const { next, N } = pack(batch, b);
      if (next === b) throw new Error('a sequence does not fit the buffers'); // cannot happen: rows >= blockSize
      b = next;
      if (N === 0) continue;
      gptForward(model, acts, packed, 0, N);
      lossForward(model, acts, packed, N);
      total = sumLosses(N, total, count === 0);
      count += N;
    }
    if (count === 0) throw new Error('the batch has no token to predict');
    return total;
  }

  // decoding: each sequence keeps its q|k|v rows in a cache slot (see gptForward); a step's
  // rows are one token each of several sequences, or successive tokens of one
  function decodeStep(d: Decoder, slots: ArrayLike<number>, tokens: ArrayLike<number>, positions: ArrayLike<number>,
                      count: number): number {
    if (!(Number.isInteger(count) && count >= 1 && count <= d.rows)) throw new Error(`a decode step takes 1 to ${d.rows} rows, got ${count}`);
    const tok = i32(d.packed.tokens, count), pos = i32(d.packed.positions, count), seqs = i32(d.packed.seqs, 3 * count);
    for (let r = 0; r < count; r++) {
      const slot = slots[r], p = positions[r];
      if (!(slot >= 0 && slot < d.slots && p >= 0 && p < A)) throw new Error(`row ${r}: slot ${slot}, position ${p} is outside ${d.slots} slots of ${A} positions`);
      tok[r] = tokens[r];
      pos[r] = p;
      seqs[3 * r] = slot * A; // the slot's first cache row
      seqs[3 * r + 1] = p;
      seqs[3 * r + 2] = d.packed.seqLen[r] = p + 1; // the threads split rows by it
    }
    decodeProbe?.beforeStep();
    const start = performance.now();
    gptForward(model, d.acts, d.packed, 0, count, undefined, d.kv);
    decodeProbe?.afterStep((performance.now() - start) / count); // per row: steps hold 1 to d.rows rows
    return d.acts.logits;
  }

  // feed() is one slot taking up to a whole context a step
  const logits = new Float64Array(V); // (V,)
  const zeros = new Int32Array(A), ramp = Int32Array.from({ length: A }, (_, p) => p); // (A,) slot 0; positions 0..A-1
  function feed(ids: number[], pos: number): Float64Array {
    if (ids.length === 0 || pos + ids.length > A) throw new Error(`feed of ${ids.length} ids at position ${pos} does not fit the context of ${A}`);
    const out = decodeStep(feeder, zeros, ids, ramp.subarray(pos), ids.length);
    logits.set(f32(out + 4 * (ids.length - 1) * V, V));
    return logits;
  }

  // wasm memory is never collected, so a decoder's buffers go back to a pool for a later one
  // when it is closed, or else when it is garbage collected; a live decoder's never are
  const pool: Decoder[] = [];
  const reclaim = new FinalizationRegistry<Decoder>((d) => pool.push(d));
  let decoders = 0; // names their buffers
  function batchDecoder(slots: number, rows = slots): BatchDecoder {
    if (!(Number.isInteger(slots) && slots >= 1 && Number.isInteger(rows) && rows >= 1)) {
      throw new Error(`a batch decoder needs whole numbers of slots and rows >= 1, got ${slots} and ${rows}`);
    }
    let fit = -1;
    pool.forEach((d, i) => {
      if (d.slots >= slots && d.rows >= rows && (fit < 0 || d.slots * d.rows < pool[fit].slots * pool[fit].rows)) fit = i;
    });
    const d = fit >= 0 ? pool.splice(fit, 1)[0] : allocDecoder(arena, config, slots, rows, `decoder${decoders++}`);
    const out = new Float64Array(rows * V); // (rows, V)
    let closed = false;
    const decoder: BatchDecoder = {
      slots, rows,
      step(slotIds, tokens, positions, count) {
        if (closed) throw new Error('this batch decoder was closed');
        if (count > rows) throw new Error(`a decode step takes 1 to ${rows} rows, got ${count}`);
        out.set(f32(decodeStep(d, slotIds, tokens, positions, count), count * V));
        return out;
      },
      close() {
        if (closed) return;
        closed = true;
        reclaim.unregister(decoder);
        pool.push(d);
      },
    };
    reclaim.register(decoder, d, decoder);
    return decoder;
  }

  return {
    name: 'float32',
    config,
    threads,
    relaxed: kernels.relaxed,
    notice,
    ready: model.mm.ready,
    get memoryBytes() { return kernels.memory.buffer.byteLength; },
    backward,
    update,
    lossSum,
    feed,
    batchDecoder,
    // in the layout's order: the linear weights (and their moments) back from transposed
    weights: () => transposeLinears(config, f32(params, n), true),
    gradients: () => transposeLinears(config, f32(pending > 1 ? accum : grads, n), true),
    optimizerState: () => ({ m: transposeLinears(config, f32(m1, n), true), v: transposeLinears(config, f32(m2, n), true) }),
    load(weights, optimizer) {
      checkWeights(config, weights, optimizer);
      f32(params, n).set(transposeLinears(config, weights));
      f32(grads, n).fill(0);
      pending = 0;
      if (optimizer) {
        f32(m1, n).set(transposeLinears(config, optimizer.m));
        f32(m2, n).set(transposeLinears(config, optimizer.v));
      }
    },
    close: () => model.mm.close(),
  };
}

function packedFor(arena: Arena, rows: number, prefix: string): Packed {
  return {
    B: 0, seqStart: new Int32Array(rows), seqLen: new Int32Array(rows), seqs: arena.alloc(`${prefix}.seqs`, 3 * rows).ptr,
    tokens: arena.alloc(`${prefix}.tokens`, rows).ptr, targets: arena.alloc(`${prefix}.targets`, rows).ptr,
    positions: arena.alloc(`${prefix}.positions`, rows).ptr,
  };
}

/** A KV-cache decoder's buffers: `slots` sequences, up to `rows` tokens a step. */
interface Decoder {
  slots: number;
  rows: number;
  acts: Acts;     // (rows) a step's activations
  packed: Packed; // (rows) its tokens, positions and attention table (the slot's first cache row, position, position + 1)
  kv: number[];   // per layer (slots x blockSize, 3C): the q|k|v rows of every cached position (every query head's)
}

function allocDecoder(arena: Arena, config: ModelConfig, slots: number, rows: number, prefix: string): Decoder {
  const width = 3 * config.nEmbd, cacheRows = slots * config.blockSize;
  return {
    slots, rows, acts: allocActs(arena, config, rows, prefix), packed: packedFor(arena, rows, prefix),
    kv: Array.from({ length: config.nLayer }, (_, l) => arena.alloc(`${prefix}.layer${l}.kv`, cacheRows * width).ptr),
  };
}

/**
 * Every buffer the engine keeps in wasm memory, laid out once: weights, gradients (and their
 * accumulator when a step has several micro-batches), Adam's moments, a pass over a step's
 * batchSize x blockSize rows with its gradients, and feed()'s decoder (one sequence, up to
 * blockSize tokens a step). Pointers are byte offsets.
 */
function layoutBuffers(arena: Arena, config: ModelConfig, train: TrainConfig) {
  const n = paramCount(config), A = config.blockSize, rows = train.batchSize * A, half = config.nEmbd / config.nHead / 2;
  const rope = config.pos === 'rope';
  return {
    params: arena.alloc('params', n).ptr, // (n,) linear weights transposed, see transposeLinears
    grads: arena.alloc('grads', n).ptr,   // (n,)
    m1: arena.alloc('adam.m', n).ptr,     // (n,)
    m2: arena.alloc('adam.v', n).ptr,     // (n,)
    accum: (train.gradAccum ?? 1) > 1 ? arena.alloc('grads.accum', n).ptr : 0, // (n,)
    acts: allocActs(arena, config, rows, 'acts'),
    dacts: allocGradActs(arena, config, rows, 'grad'),
    packed: packedFor(arena, rows, 'batch'),
    feeder: allocDecoder(arena, config, 1, A, 'feed'),
    rope: { // (blockSize, hd/2) each, see tensor/rope.ts
      cos: rope ? arena.alloc('rope.cos', A * half).ptr : 0,
      sin: rope ? arena.alloc('rope.sin', A * half).ptr : 0,
    },
  };
}

/** About how many bytes a float32 engine holds: its wasm memory, and the float64 copies that cross into it. */
export function float32MemoryBytes(config: ModelConfig, train: TrainConfig): number {
  const measure = createArena(undefined, ARENA_BASE);
  layoutBuffers(measure, config, train);
  return measure.end + 2 * 8 * paramCount(config);
}

/**
 * The thread count that pays off for a model on a machine with `cores` cores: two when a
 * step's first MLP product (rows x C x F, F = 4C in the reference) is large enough to split,
 * else one, since small products stay on one thread anyway and an idle worker costs a start-up.
 * Measured on a 2-core machine: two threads gain 1.9x at the nanoGPT CPU recipe's size; more
 * were not measured.
 */
export function autoThreads(config: ModelConfig, train: TrainConfig, cores: number): number {
  const rows = train.batchSize * config.blockSize;
  const { C, F } = modelDims(config);
  return cores >= 2 && 2 * rows * C * F >= DEFAULT_MIN_FLOPS ? 2 : 1;
}
