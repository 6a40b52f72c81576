// The model's tokenizer. By default character-level, as the reference: every distinct
// character of the dataset, sorted by code point as Python sorts strings, gets an id. Or a
// byte-level BPE tokenizer (core/bpe), whose token ids the model uses as they are. Either way
// one extra id after the others, BOS, marks a document's edges.

import { type BpeTokenizer, decodeBpeBytes, encodeBpe } from '../bpe/bpe-tokenizer.js';
import { UserError, shown } from '../errors.js';

/** The vocabulary: ids below `bos` are characters (`chars[id]`) or BPE tokens; `bos` is the last id. */
export interface Tokenizer {
  chars: string[];          // a character tokenizer's characters; [] for BPE
  bos: number;
  vocabSize: number;
  ids: Map<string, number>; // character -> id; empty for BPE
  bpe?: BpeTokenizer;       // set for a BPE tokenizer
}

/** The model's tokenizer over a BPE vocabulary: its ids, then BOS. */
export function tokenizerFromBpe(bpe: BpeTokenizer): Tokenizer {
  // from JavaScript, trainBpe's whole result (not its .tokenizer) is the likely mistake
  const b = bpe as Partial<BpeTokenizer> | null;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.vocab) || !(b.special instanceof Map) || !(b.mergeIds instanceof Map)
    || !(b.byteIds instanceof Int32Array) || !Number.isInteger(b.vocabSize)) {
    throw new UserError(`bpe must be a BPE tokenizer (trainBpe(...).tokenizer, parseModelFile or createBpeTokenizer), got ${shown(bpe)}`);
  }
  return { chars: [], bos: bpe.vocabSize, vocabSize: bpe.vocabSize + 1, ids: new Map(), bpe };
}

/** A tokenizer from a list of characters (already sorted and unique, as saved in a checkpoint). */
export function tokenizerFromChars(chars: string[]): Tokenizer {
  const ids = new Map<string, number>();
  chars.forEach((ch, i) => {
    // a repeat would leave an id no text encodes to; a longer string, one no character finds
    if (typeof ch !== 'string' || ids.has(ch) || ch.length === 0 || ch.length > 2 || [...ch].length !== 1) {
      throw new UserError(`the characters of a tokenizer must be unique single characters; ${JSON.stringify(ch)} is not`);
    }
    ids.set(ch, i);
  });
  return { chars, bos: chars.length, vocabSize: chars.length + 1, ids };
}

/** Any UTF-16 surrogate: with none, every code point of a string is one UTF-16 unit. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** The tokenizer of a dataset: its unique characters in code-point order. */
export function buildTokenizer(docs: string[]): Tokenizer {
  const all = docs.join('');
  let chars: string[];
  if (SURROGATE.test(all)) {
    const unique = new Set<string>();
    for (const doc of docs) for (const ch of doc) unique.add(ch);
    chars = [...unique];
  } else chars = fewCharacters(all) ?? everyCharacter(all); // every character is one UTF-16 unit
  // default JS sort compares UTF-16 units; Python compares code points
  return tokenizerFromChars(chars.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
}

/** Up to this many distinct characters, fewCharacters finds them; a larger alphabet takes the loop. */
const FEW = 128;

/**
 * The distinct characters of `text` (no surrogates) if there are at most FEW, else undefined:
 * each search is a native scan for a character not found yet, from where the last one was,
 * so the text is read once without a JavaScript loop over it (a cold start's ms).
 */
function fewCharacters(text: string): string[] | undefined {
  const found: string[] = [];
  for (let at = 0; found.length <= FEW;) {
    const unseen = new RegExp(`[^${found.map((ch) => `\\u{${ch.charCodeAt(0).toString(16)}}`).join('')}]`, 'gu');
    unseen.lastIndex = at;
    const match = unseen.exec(text);
    if (match === null) return found;
    found.push(match[0]);
    at = unseen.lastIndex;
  }
  return undefined;
}

/** The distinct characters of `text` (no surrogates): each marked in a table, then the table read. */
function everyCharacter(text: string): string[] {
  const seen = new Uint8Array(0x10000);
  for (let i = 0; i < text.length; i++) seen[text.charCodeAt(i)] = 1;
  const chars: string[] = [];
  for (let c = seen.indexOf(1); c >= 0; c = seen.indexOf(1, c + 1)) chars.push(String.fromCharCode(c));
  return chars;
}

/**
 * The ids of a text. A character tokenizer refuses a character outside its vocabulary, naming
 * it; BPE encodes any text, its special tokens included (the model was trained with them).
 * With `maxIds`, only the first `maxIds` ids, and only as much of the text as they need.
 */
export function encode(tokenizer: Tokenizer, text: string, maxIds = Infinity): number[] {
  if (tokenizer.bpe) return encodeBpe(tokenizer.bpe, text, 'all', maxIds);
  const out: number[] = [];
  for (const ch of text) {
    if (out.length >= maxIds) break;
    const id = tokenizer.ids.get(ch);
    if (id === undefined) throw new UserError(`character ${describeCharacter(ch)} is not in the model's vocabulary`);
    out.push(id);
  }
  return out;
}

/** A character as a message shows it: `"Z" (U+005A)`, an invisible one escaped. */
export function describeCharacter(ch: string): string {
  return `${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * A document as the model trains on it: BOS, its characters, BOS; only its first `maxLength`
 * ids when given, as the context reads no more: a line of a million characters then costs a
 * step what the context costs.
 */
export function encodeDocument(tokenizer: Tokenizer, doc: string, maxLength = Infinity): number[] {
  const ids = [tokenizer.bos, ...encode(tokenizer, doc, maxLength - 1), tokenizer.bos];
  return ids.length > maxLength ? ids.slice(0, maxLength) : ids;
}

/**
 * The text of a list of ids, with BOS dropped. BPE tokens are bytes: a character cut off at the
 * end (a sample that stopped inside it) is left out rather than shown as U+FFFD.
 */
export function decode(tokenizer: Tokenizer, ids: number[]): string {
  if (tokenizer.bpe) return decodeWholeCharacters(decodeBpeBytes(tokenizer.bpe, ids.filter((id) => id !== tokenizer.bos)));
  let s = '';
  for (const id of ids) {
    if (id === tokenizer.bos) continue;
    if (!(Number.isInteger(id) && id >= 0 && id < tokenizer.chars.length)) {
      throw new UserError(`token id ${id} is not in the vocabulary (ids 0..${tokenizer.vocabSize - 1})`);
    }
    s += tokenizer.chars[id];
  }
  return s;
}

/** UTF-8 to text without an incomplete character at the end. */
function decodeWholeCharacters(bytes: Uint8Array): string {
  let end = bytes.length, back = 0;
  while (end > 0 && back < 3 && (bytes[end - 1] & 0xc0) === 0x80) { end--; back++; } // continuation bytes
  if (end > 0 && bytes[end - 1] >= 0xc0) {
    const lead = bytes[end - 1], need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    end = back + 1 >= need ? bytes.length : end - 1;
  } else {
    end = bytes.length;
  }
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, end));
}

/** How many characters begin in token `id` (its UTF-8 lead bytes); 1 for a character and for BOS. */
export function charactersIn(tokenizer: Tokenizer, id: number): number {
  if (!tokenizer.bpe || id === tokenizer.bos) return 1;
  let n = 0;
  for (const b of tokenizer.bpe.vocab[id]) if ((b & 0xc0) !== 0x80) n++;
  return n;
}
