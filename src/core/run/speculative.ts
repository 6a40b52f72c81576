// Speculative decoding: a small draft model proposes k tokens one at a time; the target scores
// all of them in one forward pass (k + 1 rows of one KV-cache slot, causal within the step);
// proposal x is kept with probability min(1, p(x) / q(x)), the first refused one is replaced by
// a draw from max(0, p - q) renormalised, and when all k are kept the target's next token comes
// free. The tokens then follow the target's distribution exactly (Leviathan et al. 2023; Chen et
// al. 2023); with top-k 1 they are the target's own greedy tokens. Rejected positions need no
// undo: the caches are addressed by position and the next round writes over them. Past the
// context there is no room to propose, and a round is the generate loop's own restarted step.
// Sequences take turns, one whole sequence at a time (one slot of each model's cache).

import type { Engine } from '../contract/engine.js';
import { drawDistribution } from '../contract/sampling.js';
import type { Tokenizer } from '../contract/tokenizer.js';
import { UserError } from '../errors.js';
import type { BatchedSequence } from './batching.js';
import { type GenerateOptions, nextFeed, startDecoding, takeToken } from './generate.js';
import type { PyRandom } from '../contract/random.js';
import type { Run } from './run.js';

export interface SpeculativeStats {
  rounds: number;   // target forward passes
  proposed: number; // draft tokens offered
  accepted: number; // draft tokens kept
  tokens: number;   // tokens given out (kept proposals and the target's own)
}

export function newSpeculativeStats(): SpeculativeStats {
  return { rounds: 0, proposed: 0, accepted: 0, tokens: 0 };
}

/** A sequence of the speculative scheduler: a batcher's sequence, with its own counts if it wants them. */
export interface SpeculativeSequence extends BatchedSequence {
  stats?: SpeculativeStats;
}

/**
 * Why `draft` cannot propose tokens for `target`, in one sentence, or undefined when it can:
 * the same tokenizer (characters, or BPE pattern, bytes, merges and special tokens; the same
 * BOS) and a context at least the target's, so it can propose wherever the target can take them.
 */
export function draftMismatch(target: Run, draft: Run): string | undefined {
  const why = tokenizerDifference(target.tokenizer, draft.tokenizer);
  if (why) return `its tokenizer is not the model's (${why})`;
  if (draft.config.blockSize < target.config.blockSize) {
    return `its context is ${draft.config.blockSize} tokens, the model's ${target.config.blockSize} (a draft needs at least the model's)`;
  }
  return undefined;
}

function tokenizerDifference(t: Tokenizer, d: Tokenizer): string | undefined {
  if (!t.bpe !== !d.bpe) return `the model's is ${t.bpe ? 'BPE' : 'character-level'}, the draft's ${d.bpe ? 'BPE' : 'character-level'}`;
  if (t.vocabSize !== d.vocabSize) return `the model has ${t.vocabSize} tokens, the draft ${d.vocabSize}`;
  if (t.bos !== d.bos) return `BOS is id ${t.bos} in the model, ${d.bos} in the draft`;
  if (!t.bpe || !d.bpe) {
    const i = t.chars.findIndex((ch, j) => ch !== d.chars[j]);
    return i < 0 ? undefined : `token ${i} is ${JSON.stringify(t.chars[i])} in the model, ${JSON.stringify(d.chars[i])} in the draft`;
  }
  const a = t.bpe, b = d.bpe;
  if (a.pattern !== b.pattern) return `the split pattern is ${a.pattern} in the model, ${b.pattern} in the draft`;
  const byte = a.byteIds.findIndex((id, j) => id !== b.byteIds[j]);
  if (byte >= 0) return `byte ${byte} is token ${a.byteIds[byte]} in the model, ${b.byteIds[byte]} in the draft`;
  if (a.merges.length !== b.merges.length) return `the model has ${a.merges.length} merges, the draft ${b.merges.length}`;
  const merge = a.merges.findIndex((m, j) => m.left !== b.merges[j].left || m.right !== b.merges[j].right || m.id !== b.merges[j].id);
  if (merge >= 0) return `merge ${merge} differs (${a.merges[merge].left}+${a.merges[merge].right} in the model, ${b.merges[merge].left}+${b.merges[merge].right} in the draft)`;
  const special = (m: Map<string, number>) => JSON.stringify([...m].sort());
  if (special(a.special) !== special(b.special)) return `the special tokens differ (${special(a.special)} in the model, ${special(b.special)} in the draft)`;
  return undefined;
}

/**
 * A scheduler with the batcher's shape (add, step, active, waiting, freeSlots) that decodes
 * each sequence speculatively, one sequence at a time, one round (a target pass) per step.
 * The target must have a batch decoder; the draft decodes with feed().
 */
export function createSpeculativeBatcher(target: Engine, draft: Engine, k: number, stats: SpeculativeStats = newSpeculativeStats()) {
  const { blockSize, vocabSize } = target.config;
  if (!target.batchDecoder) throw new UserError(`speculative decoding needs a target engine that scores several tokens at once (tensor), not ${target.name}`);
  if (draft.config.vocabSize !== vocabSize) throw new UserError(`the draft model has ${draft.config.vocabSize} tokens, the target ${vocabSize}: they need the same tokenizer`);
  if (!(Number.isInteger(k) && k >= 1 && k <= 16)) throw new UserError(`speculate must be an integer from 1 to 16, got ${k}`);
  const room = Math.min(blockSize, draft.config.blockSize); // proposals stop where either context ends
  const verify = target.batchDecoder(1, blockSize); // one sequence, up to a whole context a step
  const rows = new Int32Array(blockSize), tokens = new Int32Array(blockSize), positions = new Int32Array(blockSize); // (blockSize,) a step's rows
  const waiting: SpeculativeSequence[] = [];
  let current: { seq: SpeculativeSequence; draftFed: number } | undefined; // draft cache positions [0, draftFed) hold context[0, draftFed)

  /** One target pass for the current sequence; false when the sequence is over. */
  function round(seq: SpeculativeSequence, s: { draftFed: number }): boolean {
    const d = seq.decoding, { maxTokens, temperature, topK } = d.options, rng = seq.rng, start = d.context.length;
    // the draft proposes up to k tokens (fewer near max-tokens or the context's end), each drawn from its own q
    const n = Math.max(0, Math.min(k, maxTokens - d.made - 1, room - start));
    const proposals: number[] = [], q: Float64Array[] = [];
    if (n > 0) {
      let logits = draft.feed(d.context.slice(s.draftFed), s.draftFed);
      s.draftFed = start;
      for (let i = 0; i < n; i++) {
        q.push(drawDistribution(logits, temperature, topK));
        proposals.push(rng.choice(q[i]));
        if (i + 1 < n) logits = draft.feed([proposals[i]], start + i);
      }
    }
    // the target scores what it has not seen (all of a restarted window), then every proposal, in one pass
    const { ids, pos } = nextFeed(d, blockSize);
    const feed = [...ids, ...proposals];
    feed.forEach((id, r) => { rows[r] = 0; tokens[r] = id; positions[r] = pos + r; });
    const all = verify.step(rows, tokens, positions, feed.length); // (feed.length, vocabSize)
    const row = (i: number) => all.subarray((ids.length - 1 + i) * vocabSize, (ids.length + i) * vocabSize); // the logits before proposal i
    const p = (i: number) => drawDistribution(row(i), temperature, topK);
    const counts = [stats, seq.stats];
    for (const c of counts) if (c) { c.rounds++; c.proposed += n; }
    const emit = (id: number, logits: Float64Array): boolean => { // false: the sequence is over
      if (!takeToken(d, id)) return false;
      for (const c of counts) if (c) c.tokens++;
      return seq.onToken({ id, logits }) && !d.done;
    };
    let i = 0, pi = p(0);
    for (; i < n; i++, pi = p(i)) {
      const x = proposals[i];
      if (rng.random() >= Math.min(1, pi[x] / q[i][x])) break; // refused
      for (const c of counts) if (c) c.accepted++;
      d.fed++; // its row is in the target's cache
      if (!emit(x, row(i))) return false;
    }
    // the draft's cache holds the kept proposals but its last, which it never fed; what lies past
    // either cache's kept tokens is stale, and the next round writes over it
    if (n > 0) s.draftFed = start + Math.min(i, n - 1);
    // a refused proposal is replaced from max(0, p - q); after k kept ones the target's next is free
    let next: number;
    if (i < n) {
      const residual = pi.map((v, j) => Math.max(0, v - q[i][j]));
      const total = residual.reduce((a, b) => a + b, 0);
      next = rng.choice(total > 0 ? residual.map((v) => v / total) : pi);
    } else {
      next = rng.choice(pi);
    }
    return emit(next, row(i));
  }

  function finish(): void {
    const seq = current!.seq;
    current = undefined;
    seq.onEnd();
  }

  return {
    get active() { return current ? 1 : 0; },
    get waiting() { return waiting.length; },
    get freeSlots() { return current ? 0 : 1; },
    /** Counts over every sequence so far. */
    stats,
    /** Queues a sequence; it starts when the ones before it are done. */
    add(seq: SpeculativeSequence): void {
      waiting.push(seq);
    },
    /** One round of the current sequence (a target pass); false when there was nothing to do. */
    step(): boolean {
      if (current?.seq.cancelled?.()) finish();
      for (let i = 0; i < waiting.length;) {
        if (waiting[i].cancelled?.()) { waiting.splice(i, 1)[0].onEnd(); continue; }
        i++;
      }
      while (!current && waiting.length > 0) {
        const seq = waiting.shift()!;
        if (seq.decoding.done) seq.onEnd();
        else current = { seq, draftFed: 0 };
      }
      if (!current) return false;
      if (!round(current.seq, current)) finish();
      return true;
    },
  };
}

/**
 * New ids after the prompt, like generate() but with `draft` proposing `k` at a time (the
 * scheduler above with one sequence). The target must have a batch decoder.
 */
export function speculativeGenerate(target: Engine, draft: Engine, rng: PyRandom, options: GenerateOptions, k: number,
                                    stats: SpeculativeStats = newSpeculativeStats()): number[] {
  const out: number[] = [];
  const scheduler = createSpeculativeBatcher(target, draft, k, stats);
  scheduler.add({ decoding: startDecoding(options), rng, onToken: ({ id }) => { out.push(id); return true; }, onEnd() {} });
  while (scheduler.step());
  return out;
}

/** Acceptance and tokens per target pass, in one line for a learner. */
export function speculativeSummary(stats: SpeculativeStats): string {
  const rate = stats.proposed > 0 ? (100 * stats.accepted) / stats.proposed : 0;
  return `${stats.accepted} of ${stats.proposed} proposals accepted (${rate.toFixed(0)}%), ` +
    `${(stats.tokens / Math.max(1, stats.rounds)).toFixed(2)} tokens per pass of the target`;
}
