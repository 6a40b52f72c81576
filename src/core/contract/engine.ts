// What a run needs from an engine, and nothing more: gradients of a batch, an optimizer
// update, the loss of held-out data, and a KV-cached forward for decoding. The training loop
// (run/loop.ts) and the generate loop (run/generate.ts) are written once over this contract;
// each engine (scalar Values, float64 kernels, float32 WebAssembly) implements it over the
// same parameter layout, so a checkpoint moves between them.

import * as libm from '../libm/index.js';
import type { ModelConfig } from './config.js';

/** The engines, by the name checkpoints record and every front end's --engine takes. */
export const ENGINE_NAMES = ['scalar', 'tensor', 'float32'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** True when `name` is one of ENGINE_NAMES (an own entry, never something up a prototype chain). */
export function isEngineName(name: unknown): name is EngineName {
  return typeof name === 'string' && (ENGINE_NAMES as readonly string[]).includes(name);
}

/** Kernel threads at most: far more than any machine here gains from. */
export const MAX_THREADS = 64;

/** A batch of token sequences; the model predicts each token from the ones before it. */
export type Batch = number[][];

/**
 * Sequences read a chunk at a time: a Batch is one, and lazySequences builds the rest on
 * demand, so evaluating a large file never holds every encoded sequence at once.
 */
export interface Sequences {
  readonly length: number;
  slice(start: number, end: number): Batch;
}

/** `count` sequences, the i-th built by `at(i)` only when a slice asks for it. */
export function lazySequences(count: number, at: (i: number) => number[]): Sequences {
  return {
    length: count,
    slice(start, end) {
      const batch: Batch = [];
      for (let i = Math.max(0, start); i < Math.min(count, end); i++) batch.push(at(i));
      return batch;
    },
  };
}

/** Adam's moment buffers, flat in layout order, for checkpoints. */
export interface OptimizerState {
  m: Float64Array; // (numParams,)
  v: Float64Array; // (numParams,)
}

/**
 * Decoding many sequences at once (continuous batching, for serving): each sequence keeps its
 * own KV cache in a slot, and one step feeds one token for each of several sequences through
 * one forward pass. Every row computes exactly what `feed` computes for it alone.
 */
export interface BatchDecoder {
  readonly slots: number;
  readonly rows: number; // tokens one step takes at most (a slot may take several, at successive positions)
  /**
   * Row r feeds tokens[r] at positions[r] into cache slot slots[r] (that slot must hold
   * positions 0..positions[r]-1 from earlier steps or from earlier rows of this one; position 0
   * starts it afresh). Returns the logits (count, vocabSize), row by row, valid until the next step.
   */
  step(slots: Int32Array, tokens: Int32Array, positions: Int32Array, count: number): Float64Array;
  /** Done with it: its buffers may serve a later decoder (the float32 engine's sit in WebAssembly memory, which is never collected). */
  close?(): void;
}

export interface Engine {
  readonly name: EngineName;
  readonly config: ModelConfig;
  /** Threads it computes on (1 but for the float32 engine's kernel threads). */
  readonly threads: number;
  /**
   * Forward and backward on a batch: adds dloss * d(sum of losses)/d(weights) into the
   * gradients and returns the sum of the losses, -log p of every predicted token (each
   * sequence cut to the context). Called once per micro-batch of an optimizer step;
   * `step` (0-based) seeds the dropout masks, which continue across its micro-batches.
   */
  backward(batch: Batch, step: number, dloss: number): number;
  /** One optimizer update (clipping, Adam) from the gradients gathered since the last, then clears them. */
  update(step: number, lr: number): void;
  /** The sum of the losses of a batch, forward only (held-out data). */
  lossSum(batch: Batch): number;
  /**
   * Decoding with a KV cache: feeds `ids` at positions pos, pos+1, ... (the cache must hold
   * positions 0..pos-1 from earlier calls; pos 0 starts a new sequence) and returns the
   * logits (vocabSize,) after the last one. The array may be reused by the next call.
   */
  feed(ids: number[], pos: number): Float64Array;
  /** A decoder of `slots` sequences and up to `rows` tokens a step (default: one per slot); engines without one serve requests in turn. */
  batchDecoder?(slots: number, rows?: number): BatchDecoder;
  /** The current weights, flat, in layout order (a copy). */
  weights(): Float64Array;
  /** The gradients gathered since the last update (what it will use, before clipping), flat in layout order (a copy). */
  gradients(): Float64Array;
  /** Adam's moments (copies). */
  optimizerState(): OptimizerState;
  /** Replaces weights and moments, e.g. from a checkpoint. */
  load(weights: Float64Array, optimizer?: OptimizerState): void;
  /** Stops any worker threads it started; it goes on working on the calling thread alone. */
  close?(): void;
}

/**
 * A per-token loss above this many nats counts as infinite on every engine. The float64
 * engines compute p and then -log p, which is +Infinity once p underflows (below the smallest
 * float64, 4.9e-324); the float32 engine works in the log domain, where such a loss stays
 * finite, so it reports it as infinite too: a diverging run stops at the same rule everywhere.
 */
export const LOSS_LIMIT = -libm.log(Number.MIN_VALUE); // 744.44 nats; libm's, as every number a run uses

/** Predicted positions of one sequence: every token but the first, cut to the context. */
export function predictedTokens(sequence: ArrayLike<number>, blockSize: number): number {
  return Math.max(0, Math.min(blockSize, sequence.length - 1));
}

/** Predicted positions of a whole batch. */
export function batchTokens(batch: Batch, blockSize: number): number {
  let n = 0;
  for (const seq of batch) n += predictedTokens(seq, blockSize);
  return n;
}
