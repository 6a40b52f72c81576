// Work the JavaScript heap cannot hold is refused before it starts: past heap_size_limit V8 ends
// the process with its out-of-memory abort (exit 134, a native stack), which no catch can turn
// into a clear error.

import { getHeapStatistics } from 'node:v8';
import { UserError } from '../core/errors.js';

/** Whether `need` bytes of heap fit in this Node's limit (which includes the young generation). */
export function fitsHeap(need: number): boolean {
  return need <= getHeapStatistics().heap_size_limit;
}

/** A UserError when `need` bytes do not fit: `${path}: ${what} needs about N MiB ...`, naming the Node option that gives it. */
export function requireHeap(path: string, what: string, need: number): void {
  if (fitsHeap(need)) return;
  const mib = (b: number) => Math.ceil(b / 2 ** 20);
  throw new UserError(`${path}: ${what} needs about ${mib(need)} MiB of JavaScript heap, more than this Node's ` +
    `${mib(getHeapStatistics().heap_size_limit)} MiB; give Node more ` +
    `(NODE_OPTIONS=--max-old-space-size=${Math.ceil((mib(need) * 1.25) / 256) * 256}) or use a smaller file`);
}
