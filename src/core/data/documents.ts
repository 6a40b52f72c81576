// Documents are the non-empty, stripped lines of a text, split the way Python's text-mode
// file iteration splits them (\n, \r\n and \r all end a line).

import { UserError } from '../errors.js';

// the characters Python's str.strip() removes (str.isspace), which differ from JS trim()
const PY_SPACE = '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';
const STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(STRIP, '');
}

/** The documents of a text: one per non-blank line, surrounding whitespace removed. */
export function parseDocuments(text: string): string[] {
  const docs: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    const doc = pyStrip(line);
    if (doc.length > 0) docs.push(doc);
  }
  return docs;
}

/** Throws a clear error when a dataset cannot train anything. */
export function checkDocuments(docs: string[], source: string): void {
  if (docs.length === 0) throw new UserError(`${source}: the dataset has no documents (every line is empty)`);
}
