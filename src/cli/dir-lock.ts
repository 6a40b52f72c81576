// One writer per output directory: `train --out DIR` holds DIR/.microgpt.lock while it runs,
// so a second run (or a second --resume of the same run) is refused with a clear message
// instead of the two deleting each other's checkpoints. A lock left by a process that no
// longer exists (kill -9, a power loss) is taken over.

import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { isAlive } from './process-alive.js';

export const LOCK_FILE = '.microgpt.lock';

interface LockHolder {
  pid: number;
  host: string;
  since: string; // ISO time it was taken
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isSafeInteger(h.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock at `path` was left by a process that is gone. */
function isStale(path: string): boolean {
  const holder = readHolder(path);
  if (!holder) {
    // being written this very moment, or garbage: give a new lock a few seconds to fill in
    try { return Date.now() - statSync(path).mtimeMs > 5000; } catch { return true; }
  }
  return holder.host === hostname() && holder.pid !== process.pid && !isAlive(holder.pid);
}

/**
 * Moves a stale lock aside. The rename is atomic, so of two processes taking over at once
 * only one moves it; if what it moved turns out to be a live lock just taken by another
 * process, it is linked back (link fails rather than replace whatever is there now).
 */
function takeOver(path: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  if (!isStale(aside)) {
    try { linkSync(aside, path); } catch { /* a newer lock is already there */ }
  }
  rmSync(aside, { force: true });
}

/**
 * Takes the lock on `dir` (which must exist) for this process and returns its release;
 * it is also released when the process exits. Another live holder is a UserError.
 */
export function lockDirectory(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine) + '\n', { flag: 'wx' }); // fails if it exists
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (attempt === 0 && isStale(path)) { takeOver(path); continue; }
      const h = readHolder(path);
      const who = h ? `process ${h.pid} on ${h.host}, since ${h.since}` : 'another process';
      throw new UserError(`${dir} is in use by another microgpt run (${who}); wait for it to finish, ` +
        `or, if no run is using it, remove ${path}`);
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return release;
}
