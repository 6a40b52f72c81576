// An excerpt of TypeScript as the tour shows it: line numbers from the real file and a light
// syntax colouring (comments, strings, numbers, keywords), enough to read, with no library.

import type { Excerpt } from './code-lines.js';
import { h } from './dom.js';

const KEYWORDS = new Set(['const', 'let', 'for', 'if', 'else', 'return', 'function', 'export', 'new', 'of', 'in', 'this',
  'type', 'import', 'interface', 'void', 'number', 'undefined', 'null', 'true', 'false', 'throw', 'while', 'class']);
const TOKEN = /(\/\/.*$)|('(?:\\.|[^'])*'|`(?:\\.|[^`])*`)|(\b\d+(?:\.\d+)?(?:e-?\d+)?\b)|([A-Za-z_$][\w$]*)/g;

function colour(line: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  let last = 0;
  for (const m of line.matchAll(TOKEN)) {
    const [text, comment, str, num, word] = m;
    const cls = comment ? 'tk-comment' : str ? 'tk-string' : num ? 'tk-number' : word && KEYWORDS.has(word) ? 'tk-keyword' : '';
    if (!cls) continue;
    out.push(line.slice(last, m.index), h('span', { class: cls }, text));
    last = m.index + text.length;
  }
  out.push(line.slice(last));
  return out;
}

/** A <figure> with the excerpt's file and line range as its caption. */
export function renderExcerpt(ex: Excerpt): HTMLElement {
  const rows = ex.lines.map((line, i) =>
    h('span', { class: 'code-line' }, h('span', { class: 'line-no', 'aria-hidden': 'true' }, String(ex.first + i)), ...colour(line), '\n'));
  const last = ex.first + ex.lines.length - 1;
  return h('figure', { class: 'code-excerpt', 'data-file': ex.file, 'data-first': ex.first },
    h('figcaption', {}, h('code', {}, ex.file), last === ex.first ? ` line ${last}` : ` lines ${ex.first}–${last}`),
    h('pre', {}, h('code', {}, ...rows)));
}
