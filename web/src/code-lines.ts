// The lines of the engine's source a tour chapter shows, found by what they say (a function's
// signature, a comment), never by line numbers: an edit to the engine moves the excerpt with
// it, and an anchor that is gone is an error (tested), not the wrong lines shown quietly.

/** Where an excerpt starts (text that occurs once in the file) and ends. */
export interface Span {
  file: string;  // the path from the repository root, e.g. 'src/core/scalar/gpt.ts'
  start: string; // occurs on exactly one line of the file
  end?: string;  // the first line from the start on that holds it; absent: the block the start line opens
}

export interface Excerpt {
  file: string;
  first: number;   // 1-based line number of lines[0]
  lines: string[]; // common indentation removed
}

function count(line: string, ch: string): number {
  let n = 0;
  const code = line.replace(/\/\/.*$/, '').replace(/'(?:\\.|[^'])*'|`(?:\\.|[^`])*`/g, '');
  for (const c of code) if (c === ch) n++;
  return n;
}

/** The lines of `span` in `source` (the text of span.file); throws naming the missing anchor. */
export function findSpan(source: string, span: Span): Excerpt {
  const lines = source.split('\n');
  const hits = lines.flatMap((line, i) => (line.includes(span.start) ? [i] : []));
  if (hits.length !== 1) throw new Error(`tour anchor ${JSON.stringify(span.start)} found ${hits.length} times in ${span.file}, not once`);
  const from = hits[0];
  let to = -1;
  if (span.end !== undefined) {
    to = lines.findIndex((line, i) => i >= from && line.includes(span.end!));
    if (to < 0) throw new Error(`tour anchor ${JSON.stringify(span.end)} not found after ${JSON.stringify(span.start)} in ${span.file}`);
  } else {
    let depth = 0, opened = false;
    for (let i = from; i < lines.length && to < 0; i++) {
      depth += count(lines[i], '{') - count(lines[i], '}');
      if (depth > 0) opened = true;
      if (opened && depth <= 0) to = i;
    }
    if (to < 0) throw new Error(`the block opened by ${JSON.stringify(span.start)} in ${span.file} never closes`);
  }
  const picked = lines.slice(from, to + 1);
  const indent = Math.min(...picked.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return { file: span.file, first: from + 1, lines: picked.map((l) => l.slice(indent)) };
}
