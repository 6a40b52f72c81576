// A dataset's bytes to text, as Python's `open(path)` decodes them in a UTF-8 locale: strict
// UTF-8 that keeps a leading byte-order mark as the character U+FEFF (not whitespace, so it
// enters the vocabulary). One deviation: a NUL byte, which Python would read, is refused as binary.

import { UserError, shown } from '../errors.js';

/**
 * The text of a dataset file's bytes. An empty file, a NUL byte, a UTF-16/32 byte-order mark
 * and invalid UTF-8 are each a UserError that names `source`.
 */
export function decodeDataset(bytes: Uint8Array, source: string): string {
  if (!(bytes instanceof Uint8Array)) throw new UserError(`${source}: a dataset's bytes must be a Uint8Array, got ${shown(bytes)}`);
  if (bytes.length === 0) throw new UserError(`dataset is empty: ${source}`);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const bom = `${hex(bytes[0])} ${hex(bytes[1])}`;
    throw new UserError(`dataset is UTF-16 or UTF-32 text, not UTF-8 (it starts with the byte-order mark ${bom}); save it as UTF-8: ${source}`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new UserError(`dataset looks binary (NUL byte at offset ${nul}; UTF-16 text must be saved as UTF-8 first): ${source}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new UserError(`dataset is not valid UTF-8 text (byte 0x${hex(bytes[at])} at offset ${at}): ${source}`);
  }
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * The offset where the first ill-formed UTF-8 sequence starts (where Python's decoder reports
 * it), or -1. Well-formed sequences as in the Unicode Standard's table 3-7: no overlong forms,
 * no surrogates, nothing above U+10FFFF.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let len: number, lo = 0x80, hi = 0xbf; // the allowed range of the second byte
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) { len = 3; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    else return i;
    if (i + len > bytes.length) return i;
    if (len > 1 && (bytes[i + 1] < lo || bytes[i + 1] > hi)) return i;
    for (let k = 2; k < len; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += len;
  }
  return -1;
}
