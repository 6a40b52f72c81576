// Floating-point operations of one training step, counting what dominates: the matmuls and
// the attention dot products, forward and backward (backward does twice the forward's work).

import type { ModelConfig } from '../src/core/contract/config.js';

/** 2 FLOPs per multiply-add; one step on `lengths` predicted positions per sequence. */
export function stepFlops(c: ModelConfig, lengths: number[]): number {
  const C = c.nEmbd;
  const matmulPerToken = 2 * (c.nLayer * 12 * C * C + c.vocabSize * C); // qkv 3C^2, wo C^2, fc1 4C^2, fc2 4C^2; lm_head
  let forward = 0;
  for (const T of lengths) {
    forward += T * matmulPerToken;
    forward += c.nLayer * 2 * C * T * (T + 1); // per query t: (t+1) q.k and (t+1) weighted v, hd each, over all heads
  }
  return 3 * forward;
}
