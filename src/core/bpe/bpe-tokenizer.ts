// A byte-level BPE tokenizer: every text is UTF-8 bytes, each byte starts as its own token,
// and learned merges join adjacent tokens into longer ones, lowest-ranked merge first. One
// decision: a merge's rank is the id of the token it makes, so minbpe's merges (ids 256, 257,
// ...) and tiktoken's ranks (whose single bytes are not numbered 0-255) share one encoder.

import { UserError, requireString, shown } from '../errors.js';
import { type SplitPatternName, checkPatternName, eachChunk, splitChunks } from './split-patterns.js';

/** The largest vocabulary: ids must fit the 21 bits a pair key gives each side. */
export const MAX_BPE_VOCAB = 1 << 21;

/**
 * The most bytes a vocabulary's tokens may hold between them: 256 MiB, 200 times o200k's (1.3 MiB,
 * none longer than 128 bytes). Merges can build long tokens from short files (each doubling
 * the last: 41 lines ask for 2^41 bytes), so this is checked before a token is allocated.
 */
export const MAX_VOCAB_BYTES = 256 * 2 ** 20;

/** A merge: tokens `left` and `right`, side by side, become token `id`. */
export interface Merge { left: number; right: number; id: number }

export interface BpeTokenizer {
  pattern: SplitPatternName;
  byteIds: Int32Array;          // (256,) the token of each single byte
  merges: Merge[];              // in rank order (ascending id)
  mergeIds: Map<number, number>; // pairKey(left, right) -> id of the merged token
  vocab: Uint8Array[];          // vocab[id]: the token's bytes ([] for an unused id)
  special: Map<string, number>; // special token text -> id, outside the byte merges
  specialIds: Map<number, string>;
  vocabSize: number;            // largest id + 1
}

/** The key of the pair (left, right) in `mergeIds` and in training's counts. */
export function pairKey(left: number, right: number): number {
  return left * MAX_BPE_VOCAB + right;
}

const utf8 = new TextEncoder();

/** A text's UTF-8 bytes. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/**
 * A tokenizer from its merges. With `byteIds` omitted, byte b is token b (minbpe); merges
 * must build on tokens that exist, and no two tokens may share an id.
 */
export function createBpeTokenizer(pattern: SplitPatternName, merges: Merge[], special: Map<string, number> = new Map(),
                                   byteIds?: Int32Array): BpeTokenizer {
  checkPatternName(pattern);
  const bytes = byteIds ?? Int32Array.from({ length: 256 }, (_, b) => b);
  const vocab: Uint8Array[] = [];
  const taken = (id: number, what: string): void => {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_BPE_VOCAB) throw new UserError(`${what}: id ${id} is outside 0..${MAX_BPE_VOCAB - 1}`);
    if (vocab[id] !== undefined) throw new UserError(`${what}: id ${id} is already a token`);
  };
  bytes.forEach((id, b) => { taken(id, `byte ${b}`); vocab[id] = Uint8Array.of(b); });
  const mergeIds = new Map<number, number>();
  let held = 256; // bytes in all the tokens so far
  merges.forEach((m, i) => {
    // minbpe's merges are pairs; a pair here would read as ids 'undefined'
    if (typeof m !== 'object' || m === null || ![m.left, m.right, m.id].every(Number.isInteger)) {
      throw new UserError(`merge ${i + 1} must be { left, right, id } (three token ids), got ${shown(m)}`);
    }
    const what = `merge ${i + 1} (${m.left} ${m.right})`;
    if (i > 0 && m.id <= merges[i - 1].id) throw new UserError(`${what}: merges must come in increasing id order`);
    for (const part of [m.left, m.right]) {
      if (vocab[part] === undefined || part >= m.id) throw new UserError(`${what}: refers to id ${part}, which is not a token made before it`);
    }
    taken(m.id, what);
    const length = vocab[m.left].length + vocab[m.right].length;
    held += length;
    if (held > MAX_VOCAB_BYTES) {
      throw new UserError(`${what}: the tokens would hold more than ${MAX_VOCAB_BYTES / 2 ** 20} MiB between them (this one ${length} bytes); ` +
        'no vocabulary comes near that, so these merges are not a real tokenizer');
    }
    const joined = new Uint8Array(length);
    joined.set(vocab[m.left]);
    joined.set(vocab[m.right], vocab[m.left].length);
    vocab[m.id] = joined;
    mergeIds.set(pairKey(m.left, m.right), m.id);
  });
  const specialIds = new Map<number, string>();
  for (const [text, id] of special) {
    if (text.length === 0 || /\s/u.test(text)) throw new UserError(`special token ${JSON.stringify(text)}: must be non-empty, without spaces`);
    taken(id, `special token ${JSON.stringify(text)}`);
    vocab[id] = utf8Bytes(text);
    specialIds.set(id, text);
  }
  for (let id = 0; id < vocab.length; id++) vocab[id] ??= new Uint8Array(0);
  return { pattern, byteIds: bytes, merges, mergeIds, vocab, special: new Map(special), specialIds, vocabSize: vocab.length };
}

/** Which special tokens `encode` turns into their ids; 'raise' refuses a text that contains one. */
export type SpecialPolicy = 'all' | 'none' | 'raise' | ReadonlySet<string>;

/**
 * The ids of `text`. Special tokens the policy allows become their ids; every other part is cut
 * into chunks by the split pattern and merged. The default refuses text that holds a special
 * token, so user text can never smuggle one in. With `maxIds`, only the chunks that give the
 * first `maxIds` ids are cut and merged (a few of a text's million).
 */
export function encodeBpe(tok: BpeTokenizer, text: string, policy: SpecialPolicy = 'raise', maxIds = Infinity): number[] {
  requireString('the text', text);
  // a misspelt policy is a string too, and would otherwise be read as a set of one-letter names
  if (typeof policy === 'string' ? !['all', 'none', 'raise'].includes(policy) : typeof policy !== 'object' || policy === null) {
    throw new UserError(`the special-token policy must be 'all', 'none', 'raise' or a set of special tokens, got ${shown(policy)}`);
  }
  const allowed = policy === 'all' ? [...tok.special.keys()] : policy === 'none' || policy === 'raise' ? [] : [...policy];
  if (policy === 'raise') {
    for (const name of tok.special.keys()) {
      if (text.includes(name)) throw new UserError(`the text contains the special token ${name}; allow it explicitly to encode it as one`);
    }
  }
  for (const name of allowed) if (!tok.special.has(name)) throw new UserError(`${JSON.stringify(name)} is not a special token of this tokenizer`);
  const out: number[] = [];
  const cache = new Map<string, Int32Array>();
  const encodeOrdinary = (part: string): void => {
    // all at once is faster; one at a time stops early
    for (const chunk of maxIds === Infinity ? splitChunks(part, tok.pattern) : eachChunk(part, tok.pattern)) {
      if (out.length >= maxIds) return;
      let ids = cache.get(chunk);
      if (ids === undefined) {
        ids = mergeChunk(tok, utf8Bytes(chunk));
        if (cache.size < 65536) cache.set(chunk, ids);
      }
      for (const id of ids) out.push(id);
    }
  };
  const cut = (): number[] => (out.length > maxIds ? out.slice(0, maxIds) : out);
  if (allowed.length === 0) {
    encodeOrdinary(text);
    return cut();
  }
  // longest first, so a special token that begins with another is still found whole
  const alternation = allowed.slice().sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  let start = 0;
  for (const m of text.matchAll(new RegExp(alternation, 'gu'))) {
    encodeOrdinary(text.slice(start, m.index));
    if (out.length >= maxIds) return cut();
    out.push(tok.special.get(m[0])!);
    start = m.index! + m[0].length;
  }
  encodeOrdinary(text.slice(start));
  return cut();
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * One chunk's bytes merged into tokens: repeatedly join the adjacent pair whose merge ranks
 * lowest, the leftmost when one pair occurs several times, until no pair can merge. A heap of
 * candidate pairs over a linked list makes it O(n log n), so a whole unsplit text encodes fast.
 */
export function mergeChunk(tok: BpeTokenizer, bytes: Uint8Array): Int32Array {
  const n = bytes.length;
  const ids = new Int32Array(n);          // (n,) the token starting at each position
  const next = new Int32Array(n);         // (n,) the next live position, n at the end
  const prev = new Int32Array(n);         // (n,) the previous live position, -1 at the start
  for (let i = 0; i < n; i++) { ids[i] = tok.byteIds[bytes[i]]; next[i] = i + 1; prev[i] = i - 1; }
  const heap = new MinHeap();             // keys: rank * 2^32 + position, so ties go leftmost
  const offer = (i: number): void => {
    if (i < 0 || next[i] >= n) return;
    const rank = tok.mergeIds.get(pairKey(ids[i], ids[next[i]]));
    if (rank !== undefined) heap.push(rank * 2 ** 32 + i);
  };
  for (let i = 0; i + 1 < n; i++) offer(i);
  let live = n;
  while (heap.size > 0) {
    const key = heap.pop();
    const i = key % 2 ** 32, rank = (key - i) / 2 ** 32;
    // an entry is stale once either side of its pair changed
    if (ids[i] < 0 || next[i] >= n || tok.mergeIds.get(pairKey(ids[i], ids[next[i]])) !== rank) continue;
    const j = next[i];
    ids[i] = rank;
    ids[j] = -1;
    next[i] = next[j];
    if (next[j] < n) prev[next[j]] = i;
    live--;
    offer(prev[i]);
    offer(i);
  }
  const out = new Int32Array(live);
  for (let i = 0, k = 0; i < n; i = next[i]) out[k++] = ids[i];
  return out;
}

/** A binary min-heap of numbers. */
class MinHeap {
  private items: number[] = [];
  get size(): number { return this.items.length; }
  push(x: number): void {
    const a = this.items;
    let i = a.push(x) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= x) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.items, top = a[0], last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= a.length) break;
        if (child + 1 < a.length && a[child + 1] < a[child]) child++;
        if (a[child] >= last) break;
        a[i] = a[child];
        i = child;
      }
      a[i] = last;
    }
    return top;
  }
}

/** The bytes of a list of ids; an id outside the vocabulary is a UserError. */
export function decodeBpeBytes(tok: BpeTokenizer, ids: readonly number[]): Uint8Array {
  let length = 0;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= tok.vocabSize || (tok.vocab[id].length === 0)) {
      throw new UserError(`token id ${id} is not in the vocabulary (ids 0..${tok.vocabSize - 1})`);
    }
    length += tok.vocab[id].length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const id of ids) { out.set(tok.vocab[id], at); at += tok.vocab[id].length; }
  return out;
}

/** The text of a list of ids; bytes that are not valid UTF-8 read as U+FFFD, as minbpe decodes. */
export function decodeBpe(tok: BpeTokenizer, ids: readonly number[]): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(decodeBpeBytes(tok, ids));
}
