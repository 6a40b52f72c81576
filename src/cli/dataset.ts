// Reading a dataset file (Node only): the bundled names by default, a user's file, or a URL
// fetched once to the given path. Only a regular file up to a size cap is read, checked on the
// open descriptor so nothing can swap the file between the check and the read.

import { type Stats, closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeDataset } from '../core/data/decode.js';
import { UserError } from '../core/errors.js';

/** The bundled datasets, shipped in the package's data/ folder. */
export const BUNDLED_DATA = {
  names: fileURLToPath(new URL('../../../data/names.txt', import.meta.url)),
  shakespeare: fileURLToPath(new URL('../../../data/tinyshakespeare.txt', import.meta.url)),
};

/**
 * The largest dataset file read: 100 MiB, which admits enwik8. Measured on Node 20: a text's ids
 * (a number[] grown by push) abort V8 past 112,813,858 elements, and 100 MiB of text takes
 * 2.8 GB of the default 4 GB heap through encoding and evaluation windows.
 */
export const MAX_DATASET_BYTES = 100 * 2 ** 20;

/**
 * The text of a dataset, decoded as Python's `open(path)` decodes it (see core/data/decode.ts);
 * with `url`, a missing `path` is downloaded there first. Every failure is one clear UserError.
 */
export async function readDataset(path: string, url?: string): Promise<string> {
  if (!existsSync(path)) {
    if (!url) throw new UserError(`dataset not found: ${path}`);
    const { download } = await import('./download.js'); // only a run that downloads loads it
    await download(url, path);
  }
  return decodeDataset(readRegularFile(path), path);
}

/** The bytes of a regular file of at most MAX_DATASET_BYTES; `what` names it in errors ("dataset", "tokenizer model"). */
export function readRegularFile(path: string, what = 'dataset'): Uint8Array {
  let fd: number;
  try {
    // non-blocking, so opening a FIFO does not wait for a writer before fstat refuses it
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw openError(path, err as NodeJS.ErrnoException, what);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(path, stats, what);
    if (stats.size > MAX_DATASET_BYTES) throw tooLarge(path, `${stats.size} bytes`, what);
    return readCapped(fd, stats.size, path, what);
  } finally {
    closeSync(fd);
  }
}

/** Reads to the end, not trusting `size`: a file may grow while read, and /proc files say 0. */
function readCapped(fd: number, size: number, path: string, what: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    // one read of the whole file when `size` is right, then one more to see the end
    const buf = Buffer.allocUnsafe(Math.min(Math.max(size - total, 65536), MAX_DATASET_BYTES + 1 - total));
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    parts.push(buf.subarray(0, n));
    total += n;
    if (total > MAX_DATASET_BYTES) throw tooLarge(path, `over ${MAX_DATASET_BYTES} bytes after growing while read`, what);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

function tooLarge(path: string, size: string, what: string): UserError {
  return new UserError(`${what} is too large (${size}; the limit is ${MAX_DATASET_BYTES} bytes, ${MAX_DATASET_BYTES / 2 ** 20} MiB): ${path}`);
}

function notRegular(path: string, stats: Stats | undefined, what: string): UserError {
  const kind = !stats ? undefined : stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a FIFO (named pipe)'
    : stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device'
    : stats.isSocket() ? 'a socket' : undefined;
  return new UserError(`${what} is ${kind ? `${kind}, ` : ''}not a regular file: ${path}`);
}

function openError(path: string, err: NodeJS.ErrnoException, what: string): UserError {
  if (err.code === 'ENOENT') return new UserError(`${what} not found: ${path}`);
  if (err.code === 'EACCES' || err.code === 'EPERM') return new UserError(`${what} cannot be read (permission denied): ${path}`);
  if (err.code === 'ENXIO' || err.code === 'EISDIR') {
    // a socket (ENXIO) or, on some systems, a directory (EISDIR) cannot be opened at all;
    // stat only names the kind for the message
    let stats: Stats | undefined;
    try { stats = statSync(path); } catch { /* gone meanwhile */ }
    return notRegular(path, stats, what);
  }
  return new UserError(`${what} cannot be opened (${err.code ?? err.message}): ${path}`);
}
