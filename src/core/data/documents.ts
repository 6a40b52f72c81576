// Documents are the non-empty, stripped lines of a text, as the reference builds them:
// `[line.strip() for line in open(path) if line.strip()]`. Lines end at \n, \r\n or a lone \r
// (Python's universal newlines; \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029 stay inside a line).

import { UserError, shown } from '../errors.js';
import { normaliseText } from './text.js';

// Python 3's str.isspace() (unchanged since Unicode 6.3), which differs from JS's \s and trim():
// \x1c-\x1f and \x85 are spaces, U+FEFF is not. test/data.test.ts checks every code point.
function isPySpace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680
    || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  // a scan, not a regex: /\s+$/-style patterns take quadratic time on a long run of inner spaces
  let start = 0, end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

// isPySpace's set as a regex class, and a line that starts or ends with one of them (\n
// excepted: it ends lines), so that one native scan can rule them all out
const PY_SPACE = '[\\t\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const EDGE_SPACE = new RegExp(`(?:^|\\n)${PY_SPACE}|${PY_SPACE}(?:\\n|$)`);

/** The documents of a text: one per non-blank line, surrounding whitespace removed. */
export function parseDocuments(text: string): string[] {
  // as Python iterates a text file: newlines translated to \n first, then split at \n
  const lines = normaliseText(text);
  // when no line has a space at either end, stripping changes nothing and the documents are
  // the non-empty lines: two native scans instead of a loop over every line (a cold start's 10 ms)
  if (!EDGE_SPACE.test(lines)) return lines.match(/[^\n]+/g) ?? [];
  const docs: string[] = [];
  for (const line of lines.split('\n')) {
    const doc = pyStrip(line);
    if (doc.length > 0) docs.push(doc);
  }
  return docs;
}

/** Throws a clear error when a dataset cannot train anything. */
export function checkDocuments(docs: string[], source: string): void {
  // from JavaScript, a text given where documents go would otherwise be read a character a document
  if (!Array.isArray(docs)) {
    throw new UserError(`the documents must be an array of strings, got ${shown(docs)}; for one text use parseDocuments(text) or createTextRun`);
  }
  const i = docs.findIndex((doc) => typeof doc !== 'string');
  if (i >= 0) throw new UserError(`document ${i} must be a string, got ${shown(docs[i])}`);
  if (docs.length === 0) throw new UserError(`${source}: the dataset has no documents (every line is empty)`);
}
