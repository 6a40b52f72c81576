// A character-level tokenizer: every distinct character of the dataset, sorted by code
// point as Python sorts strings, gets an id; one extra id, BOS, marks a document's edges.

import { UserError } from '../errors.js';

/** The vocabulary: `chars[id]` for ids below `bos`; `bos` is the last id. */
export interface Tokenizer {
  chars: string[];
  bos: number;
  vocabSize: number;
  ids: Map<string, number>;
}

/** A tokenizer from a list of characters (already sorted and unique, as saved in a checkpoint). */
export function tokenizerFromChars(chars: string[]): Tokenizer {
  const ids = new Map<string, number>();
  chars.forEach((ch, i) => ids.set(ch, i));
  return { chars, bos: chars.length, vocabSize: chars.length + 1, ids };
}

/** The tokenizer of a dataset: its unique characters in code-point order. */
export function buildTokenizer(docs: string[]): Tokenizer {
  const unique = new Set<string>();
  for (const doc of docs) for (const ch of doc) unique.add(ch);
  // default JS sort compares UTF-16 units; Python compares code points
  const chars = [...unique].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  return tokenizerFromChars(chars);
}

/** Character ids of a text; a character outside the vocabulary is an error that names it. */
export function encode(tokenizer: Tokenizer, text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const id = tokenizer.ids.get(ch);
    if (id === undefined) {
      throw new UserError(`character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the model's vocabulary`);
    }
    out.push(id);
  }
  return out;
}

/** A document as the model trains on it: BOS, its characters, BOS. */
export function encodeDocument(tokenizer: Tokenizer, doc: string): number[] {
  return [tokenizer.bos, ...encode(tokenizer, doc), tokenizer.bos];
}

/** The text of a list of ids, with BOS dropped. */
export function decode(tokenizer: Tokenizer, ids: number[]): string {
  let s = '';
  for (const id of ids) if (id !== tokenizer.bos) s += tokenizer.chars[id];
  return s;
}
