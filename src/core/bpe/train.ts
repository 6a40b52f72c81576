// Learning BPE merges from a text: count every adjacent pair of tokens, merge the most frequent
// pair into a new token, repeat. minbpe recounts the whole text after each merge; here each
// distinct chunk is stored once with its frequency, and a merge updates only the counts of the
// pairs around the places it changed, so 1,000 merges take seconds, not hours.
//
// The result is minbpe's, merge for merge, ties included: among pairs of equal count minbpe
// takes the one its dict saw first, which is the one occurring earliest in the text.

import { requireKnownKeys } from '../contract/config.js';
import { UserError, requireString, shown } from '../errors.js';
import { type BpeTokenizer, type Merge, MAX_BPE_VOCAB, createBpeTokenizer, pairKey, utf8Bytes } from './bpe-tokenizer.js';
import { type SplitPatternName, eachChunk } from './split-patterns.js';

export interface BpeTraining {
  tokenizer: BpeTokenizer;
  counts: number[]; // counts[i]: how often merge i's pair occurred when it was chosen
}

export interface TrainBpeOptions {
  /** Called every `progressEvery` merges and at the end, with merges done so far and in all. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/**
 * The chunks of a text, each distinct chunk once, numbered in order of first appearance, all in
 * one buffer: a million distinct words as a million arrays of their own took a gigabyte of heap.
 */
interface Chunks {
  ids: Int32Array;   // (total bytes,) chunk c's current tokens at start[c], in its first length[c] places
  start: number[];
  length: number[];
  freq: number[];    // how many times chunk c occurs in the text
}

function distinctChunks(text: string, pattern: SplitPatternName): Chunks {
  const index = new Map<string, number>();
  const chunks: Chunks = { ids: new Int32Array(1024), start: [], length: [], freq: [] };
  let used = 0;
  for (const chunk of eachChunk(text, pattern)) {
    const c = index.get(chunk);
    if (c !== undefined) { chunks.freq[c]++; continue; }
    index.set(chunk, chunks.start.length);
    const bytes = utf8Bytes(chunk);
    if (used + bytes.length > chunks.ids.length) {
      const grown = new Int32Array(Math.max(2 * chunks.ids.length, used + bytes.length));
      grown.set(chunks.ids.subarray(0, used));
      chunks.ids = grown;
    }
    chunks.ids.set(bytes, used);
    chunks.start.push(used);
    chunks.length.push(bytes.length);
    chunks.freq.push(1);
    used += bytes.length;
  }
  return chunks;
}

/**
 * Trains `vocabSize - 256` merges on `text`, cut into chunks by `pattern`. A text too small
 * to give that many merges is a UserError that says how many it can give.
 */
export function trainBpe(text: string, vocabSize: number, pattern: SplitPatternName, options: TrainBpeOptions = {}): BpeTraining {
  if (!Number.isInteger(vocabSize) || vocabSize < 256 || vocabSize > MAX_BPE_VOCAB) {
    throw new UserError(`vocab-size must be an integer from 256 (the single bytes) to ${MAX_BPE_VOCAB}, got ${vocabSize}`);
  }
  requireString('the text', text);
  requireKnownKeys('BPE training option', options, ['onProgress', 'progressEvery']);
  if (options.progressEvery !== undefined && !(Number.isInteger(options.progressEvery) && options.progressEvery >= 1)) {
    throw new UserError(`progressEvery must be an integer >= 1, got ${shown(options.progressEvery)}`);
  }
  const total = vocabSize - 256, every = options.progressEvery ?? 100;
  const chunks = distinctChunks(text, pattern);
  const tokenBytes: number[] = Array.from({ length: 256 }, () => 1); // each token's length in bytes

  // count[pair] and, for finding a pair's occurrences, the chunks that hold (or once held) it,
  // in increasing order; byCount[n] is the set of pairs that occur n times
  const count = new Map<number, number>();
  const where = new Map<number, number[]>();
  const byCount = new Map<number, Set<number>>();
  const firstSeen = new Map<number, [number, number]>(); // cached (chunk, byte offset) of a pair's first occurrence
  let top = 0;

  const setCount = (key: number, n: number): void => {
    const old = count.get(key) ?? 0;
    if (old === n) return;
    const from = byCount.get(old);
    if (from !== undefined) {
      from.delete(key);
      if (from.size === 0) byCount.delete(old); // one chunk of a million letters passes through a million counts
    }
    firstSeen.delete(key); // its occurrences changed
    if (n === 0) { count.delete(key); where.delete(key); return; }
    count.set(key, n);
    let bucket = byCount.get(n);
    if (bucket === undefined) byCount.set(n, bucket = new Set());
    bucket.add(key);
    if (n > top) top = n;
  };
  const seenIn = (key: number, c: number): void => {
    const list = where.get(key);
    if (list === undefined) where.set(key, [c]);
    else if (list[list.length - 1] !== c) list.push(c);
  };
  const initial = new Map<number, number>();
  const ids = chunks.ids;
  for (let c = 0; c < chunks.start.length; c++) {
    for (let i = chunks.start[c], end = i + chunks.length[c]; i + 1 < end; i++) {
      const key = pairKey(ids[i], ids[i + 1]);
      initial.set(key, (initial.get(key) ?? 0) + chunks.freq[c]);
      seenIn(key, c);
    }
  }
  for (const [key, n] of initial) setCount(key, n);

  const merges: Merge[] = [], counts: number[] = [];
  for (let m = 0; m < total; m++) {
    while (top > 0 && (byCount.get(top)?.size ?? 0) === 0) top--;
    if (top === 0) {
      throw new UserError(`the text gives only ${m} merges (every chunk is a single token by then); ` +
        `use a vocab-size of at most ${256 + m}, or more text`);
    }
    const key = firstOccurring(byCount.get(top)!, (k) => firstOccurrence(k, chunks, where, tokenBytes, firstSeen));
    const left = Math.floor(key / MAX_BPE_VOCAB), right = key % MAX_BPE_VOCAB, id = 256 + m;
    merges.push({ left, right, id });
    counts.push(top);
    tokenBytes.push(tokenBytes[left] + tokenBytes[right]);
    // the changes summed first: a count is set once per merge, not once per occurrence
    const changes = new Map<number, number>();
    applyMerge(chunks, where.get(key)!, left, right, id, (k, delta, c) => {
      changes.set(k, (changes.get(k) ?? 0) + delta);
      if (delta > 0) seenIn(k, c);
    });
    for (const [k, delta] of changes) setCount(k, (count.get(k) ?? 0) + delta);
    setCount(key, 0);
    if ((m + 1) % every === 0 && m + 1 < total) options.onProgress?.(m + 1, total);
  }
  options.onProgress?.(total, total);
  return { tokenizer: createBpeTokenizer(pattern, merges), counts };
}

/** Of pairs with equal counts, the one whose first occurrence comes first (minbpe's tie-break). */
function firstOccurring(tied: Set<number>, positionOf: (key: number) => [number, number]): number {
  let best = -1, bestChunk = Infinity, bestOffset = Infinity;
  for (const key of tied) {
    const [chunk, offset] = positionOf(key);
    if (chunk < bestChunk || (chunk === bestChunk && offset < bestOffset)) { best = key; bestChunk = chunk; bestOffset = offset; }
  }
  return best;
}

/**
 * Where a pair first occurs: the first chunk in its list that still holds it, and the byte
 * offset of its left token there (byte offsets keep their order as tokens merge). Chunks that
 * no longer hold it are dropped from the list on the way.
 */
function firstOccurrence(key: number, chunks: Chunks, where: Map<number, number[]>, tokenBytes: number[],
                         cache: Map<number, [number, number]>): [number, number] {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const left = Math.floor(key / MAX_BPE_VOCAB), right = key % MAX_BPE_VOCAB;
  const list = where.get(key)!;
  for (let k = 0; k < list.length; k++) {
    const c = list[k], ids = chunks.ids.subarray(chunks.start[c], chunks.start[c] + chunks.length[c]);
    for (let i = 0, offset = 0; i + 1 < ids.length; offset += tokenBytes[ids[i]], i++) {
      if (ids[i] === left && ids[i + 1] === right) {
        list.splice(0, k);
        const found: [number, number] = [c, offset];
        cache.set(key, found);
        return found;
      }
    }
  }
  throw new Error(`pair ${left} ${right} is counted but occurs nowhere`);
}

/**
 * Replaces (left, right) by `id` in the listed chunks, left to right as minbpe does, and reports
 * each pair count change as `change(pair, delta, chunk)`. Around a merge at i, the pair with the
 * token before becomes a pair with the new token, and so does the pair with the token after;
 * the token before is read from the already-merged output, so back-to-back merges come out right.
 */
function applyMerge(chunks: Chunks, chunkList: readonly number[], left: number, right: number, id: number,
                    change: (pair: number, delta: number, chunk: number) => void): void {
  for (const c of chunkList.slice()) {
    const ids = chunks.ids.subarray(chunks.start[c], chunks.start[c] + chunks.length[c]), n = ids.length, f = chunks.freq[c];
    let w = 0;
    for (let i = 0; i < n;) {
      if (i + 1 < n && ids[i] === left && ids[i + 1] === right) {
        if (w > 0) {
          change(pairKey(ids[w - 1], left), -f, c);
          change(pairKey(ids[w - 1], id), f, c);
        }
        if (i + 2 < n) {
          change(pairKey(right, ids[i + 2]), -f, c);
          change(pairKey(id, ids[i + 2]), f, c);
        }
        ids[w++] = id;
        i += 2;
      } else {
        ids[w++] = ids[i++];
      }
    }
    chunks.length[c] = w;
  }
}
