// Speculative decoding: a small draft model proposes k tokens one at a time; the target scores
// all of them in one forward pass (k + 1 rows of one KV-cache slot, causal within the step);
// proposal x is kept with probability min(1, p(x) / q(x)), the first refused one is replaced by
// a draw from max(0, p - q) renormalised, and when all k are kept the target's next token comes
// free. The tokens then follow the target's distribution exactly (Leviathan et al. 2023; Chen et
// al. 2023); with top-k 1 they are the target's own greedy tokens. Rejected positions need no
// undo: the caches are addressed by position and the next round writes over them. Past the
// context there is no room to propose, and a round is the generate loop's own restarted step.
// Many sequences go together, each in its own slot of both caches (continuous batching).

import type { Engine } from '../contract/engine.js';
import { drawDistribution } from '../contract/sampling.js';
import type { Tokenizer } from '../contract/tokenizer.js';
import { UserError } from '../errors.js';
import { type BatchedSequence, createSlots } from './batching.js';
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

/** A sequence holding a slot of both models' caches, and where this step's round stands. */
interface Active {
  seq: SpeculativeSequence;
  slot: number;
  draftFed: number;      // the draft's slot holds context[0, draftFed)
  start: number;         // context length at the round's start
  n: number;             // proposals this round
  proposals: number[];
  q: Float64Array[];     // the draft's distribution behind each proposal
  row: number;           // the verify row whose logits follow the context
}

/**
 * A scheduler with the batcher's shape (add, step, active, waiting, freeSlots) that decodes
 * up to `slots` sequences speculatively, one round per step: the draft proposes for all of
 * them at once (one pass of the draft per proposal), the target checks every proposal of every
 * sequence in one pass. Each row computes what it computes alone and each sequence draws from
 * its own stream in the order it would alone, so a sequence's tokens do not depend on the
 * others. Both engines need a batch decoder.
 */
/**
 * The rows a step of speculative decoding feeds each engine: k + 1 per sequence, or a whole
 * window for one (a prompt, a restart); a sequence that does not fit sits the step out, and
 * the first always fits.
 */
export function speculativeRows(blockSize: number, slots: number, k: number): number {
  return Math.max(blockSize, slots * (k + 1));
}

export function createSpeculativeBatcher(target: Engine, draft: Engine, k: number, stats: SpeculativeStats = newSpeculativeStats(), slots = 1) {
  const { blockSize, vocabSize } = target.config;
  if (!target.batchDecoder) throw new UserError(`speculative decoding needs a target engine that scores several tokens at once (tensor, float32), not ${target.name}`);
  if (!draft.batchDecoder) throw new UserError(`speculative decoding needs a draft engine that decodes several sequences at once (tensor, float32), not ${draft.name}`);
  if (draft.config.vocabSize !== vocabSize) throw new UserError(`the draft model has ${draft.config.vocabSize} tokens, the target ${vocabSize}: they need the same tokenizer`);
  if (!(Number.isInteger(k) && k >= 1 && k <= 16)) throw new UserError(`speculate must be an integer from 1 to 16, got ${k}`);
  const room = Math.min(blockSize, draft.config.blockSize); // proposals stop where either context ends
  const budget = speculativeRows(blockSize, slots, k);
  const verify = target.batchDecoder(slots, budget), proposer = draft.batchDecoder(slots, budget);
  const rowSlots = new Int32Array(budget), tokens = new Int32Array(budget), positions = new Int32Array(budget); // (budget,) a step's rows
  const queue = createSlots<SpeculativeSequence, Active>(slots), { waiting, active, free } = queue;
  let turn = 0; // who goes first this step, so a long prompt cannot keep the others out

  /** Rows of this step's target pass for `a`: what the target has not seen (a whole window on a restart), then the proposals. */
  function plan(a: Active): number {
    const d = a.seq.decoding, L = d.context.length;
    a.start = L;
    a.n = Math.max(0, Math.min(k, d.options.maxTokens - d.made - 1, room - L));
    return (L - d.start > blockSize ? blockSize : L - d.fed) + a.n;
  }

  /** The draft's proposals for every sequence of the round, drawn one position at a time across all of them. */
  function propose(round: Active[]): void {
    for (const a of round) { a.proposals = []; a.q = []; }
    for (let i = 0; ; i++) {
      const proposing = round.filter((a) => a.n > i);
      if (proposing.length === 0) return;
      let count = 0;
      const last: number[] = []; // each sequence's last row: the logits for its proposal i
      for (const a of proposing) {
        const ids = i === 0 ? a.seq.decoding.context.slice(a.draftFed) : [a.proposals[i - 1]];
        const pos = i === 0 ? a.draftFed : a.start + i - 1;
        ids.forEach((id, r) => { rowSlots[count] = a.slot; tokens[count] = id; positions[count] = pos + r; count++; });
        last.push(count - 1);
        if (i === 0) a.draftFed = a.start;
      }
      const logits = proposer.step(rowSlots, tokens, positions, count); // (count, vocabSize)
      proposing.forEach((a, j) => {
        const { temperature, topK } = a.seq.decoding.options;
        a.q.push(drawDistribution(logits.subarray(last[j] * vocabSize, (last[j] + 1) * vocabSize), temperature, topK));
        a.proposals.push(a.seq.rng.choice(a.q[i]));
      });
    }
  }

  /** The target's verdict on `a`'s proposals from its rows of the pass; false when the sequence is over. */
  function settle(a: Active, all: Float64Array): boolean {
    const { seq, n, proposals, q, start } = a, d = seq.decoding, { temperature, topK } = d.options, rng = seq.rng;
    const row = (i: number) => all.subarray((a.row + i) * vocabSize, (a.row + i + 1) * vocabSize); // the logits before proposal i
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
    if (n > 0) a.draftFed = start + Math.min(i, n - 1);
    // a refused proposal is replaced from max(0, p - q); after k kept ones the target's next is free
    let next: number;
    if (i < n) {
      const residual = pi.map((v, j) => Math.max(0, v - q[i][j]));
      const total = residual.reduce((x, y) => x + y, 0);
      next = rng.choice(total > 0 ? residual.map((v) => v / total) : pi);
    } else {
      next = rng.choice(pi);
    }
    return emit(next, row(i));
  }

  return {
    get active() { return active.length; },
    get waiting() { return waiting.length; },
    get freeSlots() { return free.length; },
    /** Counts over every sequence so far. */
    stats,
    /** Queues a sequence; it joins at the next step with a free slot. */
    add(seq: SpeculativeSequence): void {
      waiting.push(seq);
    },
    /** One round (one target pass) over the sequences that fit; false when there was nothing to do. */
    step(): boolean {
      queue.admit((seq, slot) => ({ seq, slot, draftFed: 0, start: 0, n: 0, proposals: [], q: [], row: 0 }));
      if (active.length === 0) return false;
      const order = [...active.slice(turn % active.length), ...active.slice(0, turn % active.length)];
      turn++;
      const round: Active[] = [];
      let used = 0;
      for (const a of order) {
        const rows = plan(a);
        if (used + rows <= budget) { round.push(a); used += rows; }
      }
      propose(round);
      // the target's pass: every sequence's unseen tokens and proposals, each in its own slot
      let count = 0;
      for (const a of round) {
        const { ids, pos } = nextFeed(a.seq.decoding, blockSize);
        [...ids, ...a.proposals].forEach((id, r) => { rowSlots[count] = a.slot; tokens[count] = id; positions[count] = pos + r; count++; });
        a.row = count - a.proposals.length - 1;
      }
      const all = verify.step(rowSlots, tokens, positions, count); // (count, vocabSize)
      for (const a of round) if (!settle(a, all)) queue.finish(a);
      return true;
    },
    /** Gives both decoders' buffers back to their engines (WebAssembly memory is never collected). */
    close(): void {
      verify.close?.();
      proposer.close?.();
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
  try {
    while (scheduler.step());
  } finally {
    scheduler.close();
  }
  return out;
}

/** Acceptance and tokens per target pass, in one line for a learner. */
export function speculativeSummary(stats: SpeculativeStats): string {
  const rate = stats.proposed > 0 ? (100 * stats.accepted) / stats.proposed : 0;
  return `${stats.accepted} of ${stats.proposed} proposals accepted (${rate.toFixed(0)}%), ` +
    `${(stats.tokens / Math.max(1, stats.rounds)).toFixed(2)} tokens per pass of the target`;
}
