// The page's word on documents longer than the context, which the model only ever sees the
// start of (as the reference cuts them, without a word): how many, and the Context length
// that fits them. The CLI says the same on stderr in its flags' words.

import { byId } from './dom.js';
import { fieldLabel } from './form-check.js';
import type { RunInfo } from './protocol.js';

/** A sentence on the run's cut documents, or '' when none is cut. */
export function cutNote(i: RunInfo): string {
  const { count, total, longest } = i.cut;
  if (count === 0) return '';
  const b = i.config.blockSize, unit = i.bpeModel !== undefined ? 'tokens' : 'characters';
  const label = `“${fieldLabel('block-size')}”`, most = Number(byId<HTMLInputElement>('block-size').max);
  const fix = longest + 1 <= most ? `a ${label} of ${longest + 1} fits them all`
    : `the longest (${longest.toLocaleString('en')} ${unit}) is more than any ${label} (at most ${most}): split long lines into shorter documents`;
  return `${count.toLocaleString('en')} of ${total.toLocaleString('en')} documents are longer than the context (${label} ${b}): `
    + `the model sees only their first ${b} ${unit} and never their end; ${fix}.`;
}
