// One continuous text instead of documents: the model learns from windows of blockSize + 1
// tokens cut at random offsets, with no BOS. The last part of the text is held out.
// The text equals Python's `open(path).read()`: \r\n and a lone \r read as \n.

import { UserError, requireString, shown } from '../errors.js';
import { type Batch, type Sequences, lazySequences } from '../contract/engine.js';
import type { PyRandom } from '../contract/random.js';
import { type Tokenizer, encode } from '../contract/tokenizer.js';

/** How a dataset file is read: one document per line (the reference) or one long text. */
export type DataFormat = 'lines' | 'text';

/** A text cut into a training part and a held-out tail, as ids. */
export interface TextSplit {
  train: number[]; // (trainTokens,)
  val: number[];   // (valTokens,) the last valFraction of the text's characters
}

/** Line endings as \n, as Python's universal newlines read them, so a file reads the same from any platform. */
export function normaliseText(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Where a text's held-out tail starts: its last `valFraction` of characters (code points, as the
 * character tokenizer counts them; at least 2 when any), as a UTF-16 index. Both the run and
 * `tokenizer train --val-fraction` cut here, so a tokenizer can be learned without the held-out text.
 */
export function heldOutTail(text: string, valFraction: number): { cut: number; characters: number; held: number } {
  requireString('the text', text);
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1)) throw new UserError(`val-fraction must be in [0, 1), got ${shown(valFraction)}`);
  let characters = 0;
  for (let i = 0; i < text.length; i = nextCharacter(text, i)) characters++;
  if (characters < 2) throw new UserError(`the text has ${characters} character${characters === 1 ? '' : 's'}; training needs at least 2`);
  const held = valFraction === 0 ? 0 : Math.max(2, Math.floor(characters * valFraction));
  if (characters - held < 2) {
    throw new UserError(`val-fraction ${valFraction} leaves fewer than 2 training characters out of ${characters}`);
  }
  let cut = 0;
  for (let n = 0; n < characters - held; n++) cut = nextCharacter(text, cut);
  return { cut, characters, held };
}

/**
 * Encodes `text` and holds out its last `valFraction` of characters for validation. A BPE
 * tokenizer encodes the two parts apart, so character and BPE models hold out the same text.
 */
export function splitText(tokenizer: Tokenizer, text: string, valFraction: number): TextSplit {
  const { cut, held } = heldOutTail(text, valFraction);
  if (!tokenizer.bpe) {
    const ids = encode(tokenizer, text); // one id per character
    return { train: ids.slice(0, ids.length - held), val: ids.slice(ids.length - held) };
  }
  const split = { train: encode(tokenizer, text.slice(0, cut)), val: held > 0 ? encode(tokenizer, text.slice(cut)) : [] };
  if (split.train.length < 2 || (held > 0 && split.val.length < 2)) {
    throw new UserError(`the text is too short for its tokenizer: ${split.train.length} training and ${split.val.length} held-out tokens (each part needs at least 2)`);
  }
  return split;
}

/** The UTF-16 index after the character (code point) at `i`. */
function nextCharacter(text: string, i: number): number {
  const unit = text.charCodeAt(i);
  return unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? i + 2 : i + 1;
}

/** `count` windows of `windowLen` ids at seeded-random offsets (the whole text if shorter). */
export function randomWindows(ids: number[], count: number, windowLen: number, rng: PyRandom): Batch {
  requireWindow(windowLen);
  if (!(Number.isInteger(count) && count >= 0)) throw new UserError(`count must be an integer >= 0, got ${shown(count)}`);
  const batch: Batch = [];
  for (let i = 0; i < count; i++) {
    const start = ids.length > windowLen ? rng.randbelow(ids.length - windowLen + 1) : 0;
    batch.push(ids.slice(start, start + windowLen));
  }
  return batch;
}

function requireWindow(windowLen: number): void {
  if (!(Number.isInteger(windowLen) && windowLen >= 2)) throw new UserError(`a window must be an integer >= 2 ids (a context and its next), got ${shown(windowLen)}`);
}

/**
 * Fixed windows for evaluation: the text cut into consecutive windows that overlap by one
 * id, so each id after the first is predicted once; at most `limit` of them, evenly spread.
 */
export function evalWindows(ids: number[], windowLen: number, limit = Infinity): Sequences {
  requireWindow(windowLen); // a window of 1 moves by 0: endless windows
  if (ids.length < 2) return [];
  const stride = windowLen - 1;
  const total = Math.max(1, Math.floor((ids.length - 1) / stride));
  const count = Math.min(total, limit);
  return lazySequences(count, (i) => {
    const start = Math.floor((i * total) / count) * stride;
    return ids.slice(start, start + windowLen);
  });
}
