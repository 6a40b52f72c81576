// How a text is cut into chunks before byte-pair merging, so no token crosses a chunk's edge
// (a word never merges with the space or punctuation after it). Each pattern is kept twice: as
// minbpe and tiktoken write it (Python `regex` / Rust syntax, the form a `.model` file stores)
// and as a JavaScript RegExp that cuts every text the same way.
//
// What the translation changes, and why the chunks stay identical (test/bpe-patterns.test.ts):
// - `\s` becomes `\p{White_Space}`: JavaScript's `\s` also matches U+FEFF and misses U+0085,
//   where Python's `regex` and Rust's `regex` follow Unicode's White_Space property.
// - `(?i:[sdmt]|ll|ve|re)` is spelled out case by case (Node 20 has no inline flags); case
//   folding also maps the long s "ſ" (U+017F) to s, so it is in the class too.
// - The possessive `?+` and `++` (which never give back what they matched) become plain `?`
//   and `+`: after `[^\r\n\p{L}\p{N}]?` the next item needs a letter, which the optional
//   character is not, and after `[^\s\p{L}\p{N}]+` comes `[\r\n]*`, which cannot fail, so
//   backtracking into them never finds a match the possessive form would not.
// Letters and digits follow the Unicode tables of the runtime (Node 20: Unicode 15.1).

import { UserError } from '../errors.js';

export type SplitPatternName = 'none' | 'gpt2' | 'gpt4';
export const SPLIT_PATTERN_NAMES: readonly SplitPatternName[] = ['none', 'gpt2', 'gpt4'];

interface SplitPattern {
  python: string; // as minbpe's RegexTokenizer and tiktoken write it ('' = no splitting)
  js: string;     // the same cuts as a JavaScript pattern, used with the 'gu' flags
}

const WS = '\\p{White_Space}', NOT_WS = '\\P{White_Space}';

const PATTERNS: Record<SplitPatternName, SplitPattern> = {
  none: { python: '', js: '' },
  gpt2: {
    python: "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
    js: `'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${WS}+(?!${NOT_WS})|${WS}+`,
  },
  gpt4: {
    python: "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    js: `'(?:[sdmtSDMT\\u017f]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|${WS}*[\\r\\n]|${WS}+(?!${NOT_WS})|${WS}+`,
  },
};

/** Throws a UserError unless `name` is a pattern this version knows (from JavaScript, any string can arrive). */
export function checkPatternName(name: string): asserts name is SplitPatternName {
  if (!(SPLIT_PATTERN_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`unknown split pattern ${JSON.stringify(name)}; the split patterns are ${SPLIT_PATTERN_NAMES.join(', ')}`);
  }
}

/** The pattern as a `.model` file writes it. */
export function patternSource(name: SplitPatternName): string {
  return PATTERNS[name].python;
}

/** The name of a pattern read from a `.model` file; an unknown one is a UserError. */
export function patternNamed(source: string): SplitPatternName {
  for (const name of SPLIT_PATTERN_NAMES) if (PATTERNS[name].python === source) return name;
  throw new UserError(`unknown split pattern ${JSON.stringify(source.slice(0, 80))}: this version knows ` +
    `no splitting, GPT-2's and GPT-4's (as minbpe writes them)`);
}

/** The chunks of `text` under a pattern, in order; 'none' keeps the text whole. */
export function splitChunks(text: string, name: SplitPatternName): string[] {
  checkPatternName(name);
  if (name === 'none') return text.length > 0 ? [text] : [];
  return text.match(new RegExp(PATTERNS[name].js, 'gu')) ?? [];
}

/** splitChunks one at a time, so that a reader who needs only the first few cuts no more. */
export function* eachChunk(text: string, name: SplitPatternName): Generator<string, void, void> {
  checkPatternName(name);
  if (name === 'none') {
    if (text.length > 0) yield text;
    return;
  }
  for (const m of text.matchAll(new RegExp(PATTERNS[name].js, 'gu'))) yield m[0];
}
