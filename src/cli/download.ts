// Fetches a URL to a file once, atomically, with a clear error for every way it can fail.

import { UserError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';

export async function download(url: string, path: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new UserError(`could not download ${url}: ${cause}`);
  }
  if (!response.ok) throw new UserError(`could not download ${url}: HTTP ${response.status} ${response.statusText}`);
  const body = new Uint8Array(await response.arrayBuffer());
  try {
    writeFileAtomic(path, body);
  } catch (err) {
    throw new UserError(`could not save the download to ${path}: ${(err as Error).message}`);
  }
  process.stderr.write(`downloaded ${url} to ${path} (${body.length} bytes)\n`);
}
