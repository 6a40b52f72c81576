// One continuous text instead of documents: the model learns from windows of blockSize + 1
// characters cut at random offsets, with no BOS. The last part of the text is held out.
// The text equals Python's `open(path).read()`: \r\n and a lone \r read as \n.

import { UserError } from '../errors.js';
import { type Batch, type Sequences, lazySequences } from '../contract/engine.js';
import type { PyRandom } from '../contract/random.js';
import { type Tokenizer, encode } from '../contract/tokenizer.js';

/** How a dataset file is read: one document per line (the reference) or one long text. */
export type DataFormat = 'lines' | 'text';

/** A text cut into a training part and a held-out tail, as ids. */
export interface TextSplit {
  train: number[]; // (trainChars,)
  val: number[];   // (valChars,) the last valFraction of the text
}

/** Line endings as \n, as Python's universal newlines read them, so a file reads the same from any platform. */
export function normaliseText(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Encodes `text` and holds out its last `valFraction` (by characters) for validation. */
export function splitText(tokenizer: Tokenizer, text: string, valFraction: number): TextSplit {
  if (!(valFraction >= 0 && valFraction < 1)) throw new UserError(`val-fraction must be in [0, 1), got ${valFraction}`);
  const ids = encode(tokenizer, text);
  if (ids.length < 2) throw new UserError(`the text has ${ids.length} character${ids.length === 1 ? '' : 's'}; training needs at least 2`);
  const valCount = valFraction === 0 ? 0 : Math.max(2, Math.floor(ids.length * valFraction));
  if (ids.length - valCount < 2) {
    throw new UserError(`val-fraction ${valFraction} leaves fewer than 2 training characters out of ${ids.length}`);
  }
  return { train: ids.slice(0, ids.length - valCount), val: ids.slice(ids.length - valCount) };
}

/** `count` windows of `windowLen` ids at seeded-random offsets (the whole text if shorter). */
export function randomWindows(ids: number[], count: number, windowLen: number, rng: PyRandom): Batch {
  const batch: Batch = [];
  for (let i = 0; i < count; i++) {
    const start = ids.length > windowLen ? rng.randbelow(ids.length - windowLen + 1) : 0;
    batch.push(ids.slice(start, start + windowLen));
  }
  return batch;
}

/**
 * Fixed windows for evaluation: the text cut into consecutive windows that overlap by one
 * id, so each id after the first is predicted once; at most `limit` of them, evenly spread.
 */
export function evalWindows(ids: number[], windowLen: number, limit = Infinity): Sequences {
  if (ids.length < 2) return [];
  const stride = windowLen - 1;
  const total = Math.max(1, Math.floor((ids.length - 1) / stride));
  const count = Math.min(total, limit);
  return lazySequences(count, (i) => {
    const start = Math.floor((i * total) / count) * stride;
    return ids.slice(start, start + windowLen);
  });
}
