// The float32 WebAssembly engine behind the common Engine interface. Weights, gradients,
// Adam's moments and every activation live in wasm memory for the whole run, laid out once,
// so a step copies in only its token ids and allocates no buffers.

import { DEFAULT_SEED, type ModelConfig, type TrainConfig } from '../contract/config.js';
import type { Batch, Engine, EngineFactory, GenerateOptions } from '../contract/engine.js';
import { UserError } from '../errors.js';
import * as libm from '../libm/index.js';
import { paramCount } from '../contract/params.js';
import { dropoutState } from '../tensor/dropout.js';
import type { PyRandom } from '../contract/random.js';
import { drawToken } from '../contract/sampling.js';
import { createArena } from './arena.js';
import { type Acts, type GradActs, type Packed, allocActs, allocGradActs, createModel, gptBackward, gptForward, lossForward,
  transposeLinears } from './gpt.js';
import { ARENA_BASE, createKernels, wasmSupport } from './kernels.js';
import { createThreadProbe } from './thread-probe.js';
import { DEFAULT_MIN_FLOPS, type SpawnWorker, createThreads, singleThread } from './threads.js';

export interface WasmEngineOptions {
  threads?: number;     // threads for the large matrix products, this one included (default 1)
  spawn?: SpawnWorker;  // starts a kernel worker; needed when threads > 1
  relaxed?: boolean;    // false keeps the plain SIMD build where relaxed SIMD would run
  minFlops?: number;    // products below this stay on one thread
  minFloats?: number;   // row-wise kernels over fewer floats stay on one thread
  adaptive?: boolean;   // with threads, keep checking that they pay off (thread-probe.ts); default true
}

export interface WasmEngine extends Engine {
  readonly threads: number;  // as running: 1 when shared memory is unavailable
  readonly relaxed: boolean; // fused multiply-add build
  readonly notice?: string;  // why fewer threads run than asked, if so
  /** Resolves once the worker threads run; until then their share runs on this thread. */
  readonly ready: Promise<void>;
  close(): void;
}

/** Predicted positions of a sequence: it is cut to the context. */
function predictions(tokens: number[], blockSize: number): number {
  return Math.max(0, Math.min(blockSize, tokens.length - 1));
}

/**
 * A float32 engine over the SIMD kernels, in the EngineFactory shape (`seed` seeds dropout,
 * as in the float64 engine) with thread options after it. Throws a UserError with a one-line
 * reason where the kernels cannot run, so the caller can fall back to the float64 engine.
 */
export function createWasmEngine(config: ModelConfig, weights: Float64Array, train: TrainConfig,
                                 seed = DEFAULT_SEED, options: WasmEngineOptions = {}): WasmEngine {
  const support = wasmSupport();
  if (!support.simd) throw new UserError(`${support.notice}: use the float64 tensor engine`);
  let threads = Math.max(1, Math.floor(options.threads ?? 1)), notice: string | undefined;
  if (threads > 1 && !support.threads) {
    notice = 'shared WebAssembly memory is unavailable here (browsers need cross-origin isolation); using 1 thread';
    threads = 1;
  }
  if (threads > 1 && !options.spawn) throw new Error('threads > 1 needs a spawn function for the workers');
  const { nEmbd: C, blockSize: A, vocabSize: V } = config;
  const n = paramCount(config);
  if (weights.length !== n) throw new Error(`expected ${n} weights, got ${weights.length}`);

  const kernels = createKernels({ shared: threads > 1, relaxed: options.relaxed });
  const arena = createArena(kernels.memory, ARENA_BASE), k = kernels.exports;
  const params = arena.alloc('params', n), grads = arena.alloc('grads', n);
  const m1 = arena.alloc('adam.m', n), m2 = arena.alloc('adam.v', n);
  const mm = threads > 1
    ? createThreads(kernels, arena, { threads, spawn: options.spawn!, minFlops: options.minFlops, minFloats: options.minFloats })
    : singleThread(kernels);
  const model = createModel(config, k, mm, params.ptr, grads.ptr);
  const probe = mm.count > 1 && options.adaptive !== false ? createThreadProbe(mm) : undefined;

  const packedFor = (rows: number, prefix: string): Packed => ({
    B: 0, seqStart: new Int32Array(rows), seqLen: new Int32Array(rows), seqs: arena.alloc(`${prefix}.seqs`, 3 * rows).ptr,
    tokens: arena.alloc(`${prefix}.tokens`, rows).ptr, targets: arena.alloc(`${prefix}.targets`, rows).ptr,
    positions: arena.alloc(`${prefix}.positions`, rows).ptr,
  });
  // generation: one sequence of up to A positions, position p in row p, so earlier rows are the KV cache
  const dec = allocActs(arena, config, A, 'decode'), decPacked = packedFor(A, 'decode');
  let acts!: Acts, dacts!: GradActs, packed!: Packed;
  const ensureRows = (rows: number) => {
    if (acts && rows <= acts.rows) return;
    rows = Math.max(rows, A);
    acts = allocActs(arena, config, rows, 'acts');
    dacts = allocGradActs(arena, config, rows, 'grad');
    packed = packedFor(rows, 'batch');
  };
  ensureRows(train.batchSize * A);

  // views are made when needed: a memory that grows replaces its buffer
  const f32 = (ptr: number, length: number) => new Float32Array(kernels.memory.buffer, ptr, length);
  const i32 = (ptr: number, length: number) => new Int32Array(kernels.memory.buffer, ptr, length);
  f32(params.ptr, n).set(transposeLinears(config, weights));
  const decPositions = i32(decPacked.positions, A);
  for (let p = 0; p < A; p++) decPositions[p] = p;

  /** Packs sequences first, first+1, ... while they fit; returns the index after the last one. */
  function pack(batch: Batch, first: number): { next: number; N: number } {
    const rows = acts.rows;
    const tokens = i32(packed.tokens, rows), targets = i32(packed.targets, rows), positions = i32(packed.positions, rows);
    const seqs = i32(packed.seqs, 3 * rows);
    let N = 0, B = 0, b = first;
    for (; b < batch.length; b++) {
      const seq = batch[b], len = predictions(seq, A);
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

  /** Losses of rows 0..N-1 summed in document order, after lossForward. */
  function sumLosses(N: number, acc: number, first: boolean): number {
    const losses = f32(acts.losses, N);
    let t = 0;
    if (first && N > 0) acc = losses[t++];
    for (; t < N; t++) acc += losses[t];
    return acc;
  }

  function trainStep(batch: Batch, step: number, lr: number): number {
    probe?.beforeStep();
    const start = performance.now();
    let count = 0;
    for (const seq of batch) count += predictions(seq, A);
    if (count === 0) throw new Error('the batch has no token to predict');
    ensureRows(count);
    const { N } = pack(batch, 0);
    // the float64 engine's masks: they depend only on (seed, step), so a resumed run draws the same
    const dropout = config.dropout ? { p: config.dropout, state: dropoutState(seed, step) } : undefined;
    gptForward(model, acts, packed, 0, N, dropout);
    lossForward(model, acts, packed, N);
    f32(dacts.encoded, N * C).fill(0);
    f32(model.dw.wte, V * C).fill(0); // the other gradients are written whole
    f32(model.dw.wpe, A * C).fill(0);
    const dloss = 1 / count;
    gptBackward(model, acts, dacts, packed, N, dloss, dropout !== undefined);
    if (train.gradClip) {
      const norm = Math.sqrt(k.sumOfSquares(grads.ptr, n));
      if (norm > train.gradClip) k.scale(grads.ptr, train.gradClip / norm, n);
    }
    const c1 = 1 - libm.pow(train.beta1, step + 1), c2 = 1 - libm.pow(train.beta2, step + 1);
    const decay = 1 - lr * (train.weightDecay ?? 0); // AdamW; exactly 1 when off
    mm.rows('adamUpdate', [params.ptr, grads.ptr, m1.ptr, m2.ptr], [1, 1, 1, 1], n,
      [lr, train.beta1, train.beta2, train.epsAdam, c1, c2, decay]);
    probe?.afterStep(performance.now() - start);
    return sumLosses(N, 0, true) * dloss;
  }

  function loss(batch: Batch): number {
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
    return total * (1 / count);
  }

  function generate(rng: PyRandom, options: GenerateOptions): number[] {
    const { prompt, maxTokens, temperature, topK, stopAt } = options;
    if (prompt.length === 0) throw new Error('generate needs a prompt of at least one id');
    const context = prompt.slice(), out: number[] = [];
    const tokens = i32(decPacked.tokens, A), seqs = i32(decPacked.seqs, 3), logits = new Float64Array(V);
    let start = 0; // context[start] sits at position 0 of the cache
    let fed = 0;   // context[start..fed) is in the cache
    decPacked.B = 1;
    while (out.length < maxTokens) {
      if (context.length - start > A) start = fed = context.length - A; // full: restart on the last A ids
      const r0 = fed - start, r1 = context.length - start;
      for (let r = r0; r < r1; r++) tokens[r] = context[start + r];
      decPacked.seqLen[0] = r1;
      seqs.set([0, r0, r1]); // attention for the new rows only
      gptForward(model, dec, decPacked, r0, r1);
      fed = context.length;
      logits.set(f32(dec.logits + 4 * (r1 - 1) * V, V));
      const id = drawToken(logits, temperature, rng, topK);
      if (id === stopAt) break;
      out.push(id);
      context.push(id);
    }
    return out;
  }

  return {
    name: 'wasm',
    config,
    features: ['relu2', 'gelu', 'layernorm', 'dropout', 'grad-clip', 'weight-decay'],
    threads,
    relaxed: kernels.relaxed,
    notice,
    ready: model.mm.ready,
    trainStep,
    loss,
    generate,
    // in the layout's order: the linear weights (and their moments) back from transposed
    weights: () => transposeLinears(config, f32(params.ptr, n), true),
    optimizerState: () => ({ m: transposeLinears(config, f32(m1.ptr, n), true), v: transposeLinears(config, f32(m2.ptr, n), true) }),
    load(weights, optimizer) {
      if (weights.length !== n) throw new Error(`expected ${n} weights, got ${weights.length}`);
      f32(params.ptr, n).set(transposeLinears(config, weights));
      f32(grads.ptr, n).fill(0);
      if (optimizer) {
        f32(m1.ptr, n).set(transposeLinears(config, optimizer.m));
        f32(m2.ptr, n).set(transposeLinears(config, optimizer.v));
      }
    },
    close: () => model.mm.close(),
  };
}

/**
 * The thread count that pays off for a model on a machine with `cores` cores: two when a
 * step's MLP product (rows x C x 4C) is large enough to split, else one, since small products
 * stay on one thread anyway and an idle worker costs a start-up. Measured on a 2-core
 * machine: two threads gain 1.9x at the nanoGPT CPU recipe's size; more were not measured.
 */
export function autoThreads(config: ModelConfig, train: TrainConfig, cores: number): number {
  const rows = train.batchSize * config.blockSize;
  return cores >= 2 && 2 * rows * config.nEmbd * 4 * config.nEmbd >= DEFAULT_MIN_FLOPS ? 2 : 1;
}

/** An EngineFactory for the float32 engine with these options; threads 'auto' picks by autoThreads. */
export function wasmEngineFactory(options: Omit<WasmEngineOptions, 'threads'> & { threads?: number | 'auto'; cores?: number }): EngineFactory {
  return (config, weights, train, seed) => {
    const threads = options.threads === 'auto' ? autoThreads(config, train, options.cores ?? 1) : options.threads;
    return createWasmEngine(config, weights, train, seed, { ...options, threads });
  };
}
