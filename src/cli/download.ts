// Fetches a URL to a file once, atomically, with a clear error for every way it can fail. The
// body is held to the dataset size limit and a server that stops sending is given up on, so a
// wrong URL can neither fill the memory nor wait forever.

import { UserError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';
import { MAX_DATASET_BYTES } from './dataset.js';
import { outputFolderProblem } from './output-folder.js';

/** How long a download may go without receiving a byte (or its headers) before it is given up. */
export const DOWNLOAD_IDLE_MS = 30_000;

export interface DownloadLimits {
  idleMs?: number;   // default DOWNLOAD_IDLE_MS
  maxBytes?: number; // default MAX_DATASET_BYTES, the most a dataset may hold
}

export async function download(url: string, path: string, { idleMs = DOWNLOAD_IDLE_MS, maxBytes = MAX_DATASET_BYTES }: DownloadLimits = {}): Promise<void> {
  const fail = (why: string) => new UserError(`could not download ${url}: ${why}`);
  const problem = outputFolderProblem(path); // before a byte is fetched, not after the whole body
  if (problem) throw new UserError(`cannot save a download to ${path}: ${problem}`);
  const tooLarge = (size: string) => fail(`it is ${size} bytes; the limit is ${maxBytes} bytes (${+(maxBytes / 2 ** 20).toFixed(1)} MiB)`);
  const stalled = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const alive = () => { // restarted by the headers and by every piece of the body
    clearTimeout(timer);
    timer = setTimeout(() => stalled.abort(), idleMs);
  };
  let body: Uint8Array;
  try {
    alive();
    const response = await fetch(url, { redirect: 'follow', signal: stalled.signal });
    if (!response.ok) throw fail(`HTTP ${response.status} ${response.statusText}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw tooLarge(String(declared)); // before a byte of it is read
    const parts: Uint8Array[] = [];
    let total = 0;
    if (response.body) {
      for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
        alive();
        total += part.length;
        if (total > maxBytes) throw tooLarge(`more than ${maxBytes}`);
        parts.push(part);
      }
    }
    body = Buffer.concat(parts, total);
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (stalled.signal.aborted) throw fail(`no data for ${idleMs / 1000} s`);
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw fail(cause);
  } finally {
    clearTimeout(timer);
    stalled.abort(); // a body left unread (an error, a refusal) closes its connection
  }
  try {
    writeFileAtomic(path, body);
  } catch (err) {
    throw new UserError(`could not save the download to ${path}: ${(err as Error).message}`);
  }
  process.stderr.write(`downloaded ${url} to ${path} (${body.length} bytes)\n`);
}
