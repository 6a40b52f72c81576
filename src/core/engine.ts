// What a training run needs from an engine. The scalar engine (Values) and the tensor
// engine (typed arrays) implement it over the same parameter layout and random stream.

import type { ModelConfig, TrainConfig } from './config.js';
import type { PyRandom } from './random.js';

/** A batch: each document as its token ids, BOS first and last. */
export type Batch = number[][];

export interface Engine {
  readonly name: string;
  readonly config: ModelConfig;
  /**
   * Forward, backward and one Adam update (0-based `step`, learning rate `lr`) on a batch.
   * The loss is the mean over every predicted token of every document (each document cut
   * to the context), which for one document is exactly the reference's loss.
   */
  trainStep(batch: Batch, step: number, lr: number): number;
  /** The same loss without touching the weights (for held-out data). */
  loss(batch: Batch): number;
  /** Ids of one generated document, drawn from `rng` (BOS marks excluded). */
  sample(rng: PyRandom, bos: number, temperature: number): number[];
  /** The current weights, flat, in layout order (a copy). */
  weights(): Float64Array;
}

/** How to build an engine from a config and initial weights. */
export type EngineFactory = (config: ModelConfig, weights: Float64Array, train: TrainConfig) => Engine;
