// What a training run needs from an engine. The scalar engine (Values) and the tensor
// engine (typed arrays) implement it over the same parameter layout and random stream.

import type { ModelConfig, TrainConfig } from './config.js';
import type { PyRandom } from './random.js';

/** The engines, by the name checkpoints record and every front end's --engine takes. */
export const ENGINE_NAMES = ['scalar', 'tensor', 'float32'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** True when `name` is one of ENGINE_NAMES (an own entry, never something up a prototype chain). */
export function isEngineName(name: unknown): name is EngineName {
  return typeof name === 'string' && (ENGINE_NAMES as readonly string[]).includes(name);
}

/** A batch of token sequences; the model predicts each token from the ones before it. */
export type Batch = number[][];

/** Adam's moment buffers, flat in layout order, for checkpoints. */
export interface OptimizerState {
  m: Float64Array; // (numParams,)
  v: Float64Array; // (numParams,)
}

export interface GenerateOptions {
  prompt: number[];     // ids to start from (at least one, e.g. [BOS])
  maxTokens: number;    // how many new ids to draw at most
  temperature: number;  // > 0; logits are divided by it
  topK?: number;        // keep only the k most likely ids before drawing
  stopAt?: number;      // stop when this id is drawn (it is not returned)
}

export interface Engine {
  readonly name: string;
  readonly config: ModelConfig;
  /** Settings beyond the reference that it implements ('gelu', 'dropout', ...; see run.ts EngineFeature). */
  readonly features?: readonly string[];
  /** Threads it computes on; absent means one. */
  readonly threads?: number;
  /**
   * Forward, backward and one Adam update (0-based `step`, learning rate `lr`) on a batch.
   * The loss is the mean over every predicted token of every sequence (each cut to the
   * context), which for one document is exactly the reference's loss.
   */
  trainStep(batch: Batch, step: number, lr: number): number;
  /** The same loss without touching the weights (for held-out data). */
  loss(batch: Batch): number;
  /**
   * New ids after the prompt, one draw of `rng.choice` per id. Past the context the
   * oldest tokens are dropped. With prompt [BOS], maxTokens = blockSize and stopAt = BOS
   * this is exactly the reference's sampling loop.
   */
  generate(rng: PyRandom, options: GenerateOptions): number[];
  /** The current weights, flat, in layout order (a copy). */
  weights(): Float64Array;
  /** Adam's moments (copies). */
  optimizerState(): OptimizerState;
  /** Replaces weights and moments, e.g. from a checkpoint. */
  load(weights: Float64Array, optimizer?: OptimizerState): void;
  /** Stops any worker threads it started; it goes on working on the calling thread alone. */
  close?(): void;
}

/** How to build an engine from a config and initial weights; `seed` (the run's) seeds its dropout masks. */
export type EngineFactory = (config: ModelConfig, weights: Float64Array, train: TrainConfig, seed?: number) => Engine;
