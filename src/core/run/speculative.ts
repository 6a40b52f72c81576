// Speculative decoding: a small draft model proposes k tokens one at a time; the target scores
// all of them in one forward pass (k + 1 rows of one KV-cache slot, causal within the step);
// proposal x is kept with probability min(1, p(x) / q(x)), the first refused one is replaced by
// a draw from max(0, p - q) renormalised, and when all k are kept the target's next token comes
// free. The tokens then follow the target's distribution exactly (Leviathan et al. 2023; Chen et
// al. 2023); with top-k 1 they are the target's own greedy tokens. Rejected positions need no
// undo: the caches are addressed by position and the next round writes over them.

import type { Engine } from '../contract/engine.js';
import type { PyRandom } from '../contract/random.js';
import { drawDistribution } from '../contract/sampling.js';
import { UserError } from '../errors.js';
import type { GenerateOptions } from './generate.js';

export interface SpeculativeStats {
  rounds: number;   // target forward passes
  proposed: number; // draft tokens offered
  accepted: number; // draft tokens kept
}

/**
 * New ids after the prompt, like generate() but with `draft` proposing `k` at a time. The
 * target must have a batch decoder; the whole sample must fit the context (no restarts).
 */
export function speculativeGenerate(target: Engine, draft: Engine, rng: PyRandom, options: GenerateOptions, k: number,
                                    stats: SpeculativeStats = { rounds: 0, proposed: 0, accepted: 0 }): number[] {
  const { prompt, maxTokens, temperature, topK, stopAt } = options;
  const { blockSize, vocabSize } = target.config;
  if (!target.batchDecoder) throw new UserError(`speculative decoding needs a target engine that scores several tokens at once (tensor, float32), not ${target.name}`);
  if (draft.config.vocabSize !== vocabSize) throw new UserError(`the draft model has ${draft.config.vocabSize} tokens, the target ${vocabSize}: they need the same tokenizer`);
  if (prompt.length + maxTokens - 1 > Math.min(blockSize, draft.config.blockSize)) {
    throw new UserError(`speculative decoding needs the prompt and max-tokens within both contexts (${Math.min(blockSize, draft.config.blockSize)} tokens)`);
  }
  if (!(Number.isInteger(k) && k >= 1 && k <= 16)) throw new UserError(`speculate must be an integer from 1 to 16, got ${k}`);
  const verify = target.batchDecoder(1, blockSize); // one sequence, up to a whole context a step
  try {
    const rows = new Int32Array(blockSize), tokens = new Int32Array(blockSize), positions = new Int32Array(blockSize); // (blockSize,) a step's rows
    const context = prompt.slice(), out: number[] = [];
    let targetFed = 0, draftFed = 0; // cache positions [0, fed) hold context[0, fed)
    const emit = (id: number): boolean => { // false: the sample is over
      if (id === stopAt) return false;
      out.push(id);
      context.push(id);
      return out.length < maxTokens;
    };
    for (;;) {
      // the draft proposes up to k tokens (fewer near max-tokens), each drawn from its own distribution q
      const n = Math.min(k, maxTokens - out.length - 1), start = context.length;
      const proposals: number[] = [], q: Float64Array[] = [];
      let logits = draft.feed(context.slice(draftFed), draftFed);
      draftFed = context.length;
      for (let i = 0; i < n; i++) {
        q.push(drawDistribution(logits, temperature, topK));
        proposals.push(rng.choice(q[i]));
        if (i + 1 < n) logits = draft.feed([proposals[i]], context.length + i);
      }
      // the target scores what it has not seen, then every proposal, in one pass
      const feed = [...context.slice(targetFed), ...proposals];
      feed.forEach((id, r) => { rows[r] = 0; tokens[r] = id; positions[r] = targetFed + r; });
      const all = verify.step(rows, tokens, positions, feed.length);
      const first = feed.length - proposals.length - 1; // the row whose logits follow the context
      const p = (i: number) => drawDistribution(all.subarray((first + i) * vocabSize, (first + i + 1) * vocabSize), temperature, topK);
      targetFed = context.length;
      stats.rounds++;
      stats.proposed += proposals.length;
      let i = 0, pi = p(0);
      for (; i < proposals.length; i++, pi = p(i)) {
        const x = proposals[i];
        if (rng.random() >= Math.min(1, pi[x] / q[i][x])) break; // refused
        stats.accepted++;
        if (!emit(x)) return out;
      }
      // a refused proposal is replaced from max(0, p - q); after k kept ones the target's next is free
      let next: number;
      if (i < proposals.length) {
        const residual = pi.map((v, j) => Math.max(0, v - q[i][j]));
        const total = residual.reduce((a, b) => a + b, 0);
        next = rng.choice(total > 0 ? residual.map((v) => v / total) : pi);
      } else {
        next = rng.choice(pi);
      }
      // the caches hold the kept proposals (the draft all but its last, which it never fed); what
      // lies past them is stale, and the next round writes over it
      draftFed = start + Math.min(i, Math.max(0, n - 1));
      targetFed = context.length;
      if (!emit(next)) return out;
    }
  } finally {
    verify.close?.(); // its buffers go back to the engine
  }
}
