// Continuous batching: many sequences decoded together, one token of each per step through the
// engine's batch decoder, each in its own KV cache slot. Sequences join between steps when a
// slot is free and leave when they end, so a long completion never holds up a short one. Each
// sequence runs the generate loop's own steps (nextFeed, drawNext) on its own random stream, so
// its tokens are the ones it would draw alone.

import type { BatchDecoder } from '../contract/engine.js';
import type { PyRandom } from '../contract/random.js';
import { type Decoding, type DrawnToken, drawNext, nextFeed } from './generate.js';

export interface BatchedSequence {
  decoding: Decoding;
  rng: PyRandom;
  /** A new token (its logits valid until the next step); return false to end the sequence here. */
  onToken(drawn: DrawnToken): boolean;
  /** The sequence ended: at its stop id or max tokens, by onToken's wish, or cancelled. */
  onEnd(): void;
  /** Checked before every step: true drops the sequence (its client went away). */
  cancelled?(): boolean;
}

interface Active {
  seq: BatchedSequence;
  slot: number;
  feed: number[]; // ids still to feed before the next draw
  pos: number;    // the cache position of feed[0]
}

/** What a scheduler's queue needs of a sequence: whether it is over, and how to end it. */
interface Queued {
  decoding: Decoding;
  onEnd(): void;
  cancelled?(): boolean;
}

/**
 * The waiting queue and the cache slots both schedulers share (this batcher and speculative
 * decoding's): sequences wait in arrival order, take a free slot between steps, and give it
 * back when they end or their client goes away.
 */
export function createSlots<S extends Queued, A extends { seq: S; slot: number }>(count: number) {
  const waiting: S[] = [];
  const active: A[] = [];
  const free = Array.from({ length: count }, (_, i) => count - 1 - i); // a stack of slot numbers
  function finish(a: A): void {
    active.splice(active.indexOf(a), 1);
    free.push(a.slot);
    a.seq.onEnd();
  }
  return {
    waiting, active, free,
    /** Ends an active sequence and frees its slot. */
    finish,
    /** Drops the cancelled, then moves waiting sequences into free slots (`start` makes each one's state). */
    admit(start: (seq: S, slot: number) => A): void {
      for (const a of active.slice()) if (a.seq.cancelled?.()) finish(a);
      for (let i = 0; i < waiting.length;) {
        if (waiting[i].cancelled?.()) { waiting.splice(i, 1)[0].onEnd(); continue; }
        i++;
      }
      while (free.length > 0 && waiting.length > 0) {
        const seq = waiting.shift()!;
        if (seq.decoding.done) seq.onEnd();
        else active.push(start(seq, free.pop()!));
      }
    },
  };
}

export function createBatcher(decoder: BatchDecoder, blockSize: number, vocabSize: number) {
  const queue = createSlots<BatchedSequence, Active>(decoder.slots), { waiting, active, free } = queue;
  const slots = new Int32Array(decoder.slots), tokens = new Int32Array(decoder.slots), positions = new Int32Array(decoder.slots); // (slots,)

  return {
    get active() { return active.length; },
    get waiting() { return waiting.length; },
    /** Slots no sequence holds: the waiting sequences that will join at the next step. */
    get freeSlots() { return free.length; },
    /** Queues a sequence; it joins at the next step with a free slot. */
    add(seq: BatchedSequence): void {
      waiting.push(seq);
    },
    /** One decoding step over every active sequence; false when there was nothing to do. */
    step(): boolean {
      queue.admit((seq, slot) => {
        const { ids, pos } = nextFeed(seq.decoding, blockSize);
        return { seq, slot, feed: ids, pos };
      });
      if (active.length === 0) return false;
      const rows = active.slice(); // one token of each: the first still to feed
      rows.forEach((a, r) => { slots[r] = a.slot; tokens[r] = a.feed.shift()!; positions[r] = a.pos++; });
      const logits = decoder.step(slots, tokens, positions, rows.length); // (rows, vocabSize)
      rows.forEach((a, r) => {
        if (a.feed.length > 0) return; // still feeding its prompt: no draw yet
        const d = a.seq.decoding;
        const drawn = drawNext(d, logits.subarray(r * vocabSize, (r + 1) * vocabSize), a.seq.rng);
        if (!drawn || !a.seq.onToken(drawn) || d.done) { queue.finish(a); return; }
        const next = nextFeed(d, blockSize); // the drawn id, or a restart on the last blockSize ids
        a.feed = next.ids;
        a.pos = next.pos;
      });
      return true;
    },
    /** Gives the decoder's buffers back to its engine (WebAssembly memory is never collected). */
    close(): void {
      decoder.close?.();
    },
  };
}
