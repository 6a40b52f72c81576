// minbpe's files: `.model` holds what encoding needs (a version line, the split pattern, the
// special tokens, then one merge per line as two ids, the merge's own id implied by its line),
// so minbpe reads ours and we read its; `.vocab` is a rendering for people, never read back.

import { UserError } from '../errors.js';
import { type BpeTokenizer, type Merge, createBpeTokenizer } from './bpe-tokenizer.js';
import { patternNamed, patternSource } from './split-patterns.js';

const VERSION = 'minbpe v1';

/** Whether a tokenizer has minbpe's layout (byte b is id b, merges numbered from 256), which `.model` assumes. */
export function isMinbpeLayout(tok: BpeTokenizer): boolean {
  return tok.byteIds.every((id, b) => id === b) && tok.merges.every((m, i) => m.id === 256 + i);
}

/** The `.model` text of a tokenizer in minbpe's layout. */
export function formatModelFile(tok: BpeTokenizer): string {
  if (!isMinbpeLayout(tok)) throw new UserError('this tokenizer does not number its tokens as minbpe does (bytes 0-255, then merges), so it has no .model form');
  const lines = [VERSION, patternSource(tok.pattern), String(tok.special.size)];
  for (const [text, id] of tok.special) lines.push(`${text} ${id}`);
  for (const m of tok.merges) lines.push(`${m.left} ${m.right}`);
  return lines.join('\n') + '\n';
}

/** A tokenizer from `.model` text; anything malformed is a UserError naming `source` and the line. */
export function parseModelFile(text: string, source: string): BpeTokenizer {
  const lines = text.split('\n');
  const fail = (line: number, why: string): never => { throw new UserError(`${source}: line ${line}: ${why}`); };
  // every line ends with a newline, so a file cut inside its last line is seen as cut
  if (lines.pop() !== '') fail(lines.length + 1, 'the file ends inside a line (every line of a .model file ends with a newline): it looks truncated');
  if (lines.length < 3) fail(lines.length + 1, `the file ends early: a .model file starts with "${VERSION}", the split pattern and the number of special tokens`);
  const version = lines[0].trim();
  if (version !== VERSION) {
    const vocab = source.endsWith('.vocab') ? ': a .vocab file is for reading; give the .model file beside it' : '';
    fail(1, `unknown version ${JSON.stringify(version.slice(0, 40))}; this reads "${VERSION}" files${vocab}`);
  }
  let pattern;
  try { pattern = patternNamed(lines[1].trim()); } catch (e) { fail(2, (e as Error).message); }
  const specialCount = lines[2].trim();
  if (!/^\d+$/.test(specialCount)) fail(3, `expected the number of special tokens, got ${JSON.stringify(specialCount.slice(0, 40))}`);
  const nSpecial = Number(specialCount);
  if (lines.length < 3 + nSpecial) fail(lines.length + 1, `the file ends early: it announces ${nSpecial} special tokens but has ${lines.length - 3}`);
  const special = new Map<string, number>();
  for (let k = 0; k < nSpecial; k++) {
    const parts = lines[3 + k].trim().split(/\s+/);
    if (parts.length !== 2 || !/^\d+$/.test(parts[1])) fail(4 + k, 'expected a special token and its id, separated by a space');
    if (special.has(parts[0])) fail(4 + k, `special token ${parts[0]} appears twice`);
    special.set(parts[0], Number(parts[1]));
  }
  const merges: Merge[] = [];
  for (let k = 3 + nSpecial; k < lines.length; k++) {
    const parts = lines[k].trim().split(/\s+/);
    if (parts.length !== 2 || !parts.every((p) => /^\d+$/.test(p))) fail(k + 1, `expected a merge as two token ids, got ${JSON.stringify(lines[k].slice(0, 40))}`);
    const id = 256 + merges.length;
    const [left, right] = parts.map(Number);
    if (left >= id || right >= id) fail(k + 1, `merge ${left} ${right} makes token ${id} but refers to an id not made before it`);
    merges.push({ left, right, id });
  }
  try {
    return createBpeTokenizer(pattern!, merges, special);
  } catch (e) {
    throw new UserError(`${source}: ${(e as Error).message}`);
  }
}

/** A token's bytes for reading: invalid UTF-8 as U+FFFD and control characters as \uXXXX, as minbpe renders them. */
export function renderToken(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  return text.replace(/\p{C}/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** The `.vocab` text: one line per token, a merged token shown with the two it was made of. */
export function formatVocabFile(tok: BpeTokenizer): string {
  const madeOf = new Map<number, Merge>(tok.merges.map((m) => [m.id, m]));
  const lines: string[] = [];
  for (let id = 0; id < tok.vocabSize; id++) {
    if (tok.vocab[id].length === 0) continue;
    const m = madeOf.get(id);
    const shown = renderToken(tok.vocab[id]);
    lines.push(m ? `[${renderToken(tok.vocab[m.left])}][${renderToken(tok.vocab[m.right])}] -> [${shown}] ${id}` : `[${shown}] ${id}`);
  }
  return lines.join('\n') + '\n';
}
