// Reading a dataset file (Node only): the bundled names by default, a user's file, or a
// URL fetched once to the given path. Every failure is one clear UserError.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import { download } from './download.js';

/** The bundled datasets, shipped in the package's data/ folder. */
export const BUNDLED_DATA = {
  names: fileURLToPath(new URL('../../../data/names.txt', import.meta.url)),
  shakespeare: fileURLToPath(new URL('../../../data/tinyshakespeare.txt', import.meta.url)),
};

/** The text of a dataset; with `url`, a missing `path` is downloaded there first. */
export async function readDataset(path: string, url?: string): Promise<string> {
  if (!existsSync(path)) {
    if (!url) throw new UserError(`dataset not found: ${path}`);
    await download(url, path);
  }
  if (statSync(path).isDirectory()) throw new UserError(`dataset is a directory, not a file: ${path}`);
  const bytes = readFileSync(path);
  if (bytes.length === 0) throw new UserError(`dataset is empty: ${path}`);
  if (bytes.includes(0)) throw new UserError(`dataset looks binary (it contains NUL bytes): ${path}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`dataset is not valid UTF-8 text: ${path}`);
  }
}
