// Durable atomic file writes: write a temporary file beside the target, flush it to the disk,
// rename it over the target, then flush the directory that records the rename. A crash, a
// Ctrl-C or a power loss at any moment leaves either the old file or the new one, whole.
// What such an interruption leaves beside the target (NAME.<pid>.tmp) is removed by the next
// write of the same target.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isAlive } from './process-alive.js';

/** The temporary name writeFileAtomic uses for `path` in this process. */
export function tempPath(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/**
 * Removes the temporaries of `path` that writers now gone left: NAME.<pid>.tmp beside it whose
 * process no longer runs here. A live writer's stays (its own write decides what lands).
 */
function removeStaleTemps(path: string, recursive: boolean): void {
  const folder = dirname(path), prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return; // no folder yet: nothing left in it
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = name.slice(prefix.length, -'.tmp'.length);
    if (/^\d+$/.test(pid) && Number(pid) !== process.pid && !isAlive(Number(pid))) removeQuietly(join(folder, name), recursive);
  }
}

/** Writes `data` to a new file at `path` and flushes it to the disk. */
function writeFileSynced(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const fd = openSync(path, 'w', 0o644);
  try {
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    fsyncSync(fd); // the data is on the disk before a name points at it
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  removeStaleTemps(path, false);
  try {
    writeFileSynced(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp, false);
    throw err;
  }
  syncDirectory(dirname(path));
}

/**
 * Creates the directory `dir` holding `files` (relative paths, '/' between folders), whole or
 * not at all: they are written under a temporary name beside it, flushed, then renamed to
 * `dir`. An existing `dir` is never replaced.
 */
export function writeDirectoryAtomic(dir: string, files: Map<string, string | Uint8Array>): void {
  const tmp = tempPath(dir);
  removeStaleTemps(dir, true);
  try {
    makeParent(dirname(dir));
    rmSync(tmp, { recursive: true, force: true }); // a crashed earlier attempt of this very process id
    mkdirSync(tmp);
    const folders = new Set<string>([tmp]);
    for (const [name, data] of files) {
      const path = join(tmp, name);
      if (!folders.has(dirname(path))) {
        mkdirSync(dirname(path), { recursive: true });
        folders.add(dirname(path));
      }
      writeFileSynced(path, data);
    }
    for (const folder of [...folders].reverse()) syncDirectory(folder);
    // rename() would replace an empty directory: the caller refused an existing one, check again
    if (existsSync(dir)) throw Object.assign(new Error(`${dir} appeared while it was being written`), { code: 'EEXIST' });
    renameSync(tmp, dir);
  } catch (err) {
    removeQuietly(tmp, true);
    throw err;
  }
  syncDirectory(dirname(dir));
}

/** mkdir -p, where a file in the folder's place is ENOTDIR (mkdir says EEXIST, which reads as if the folder were there). */
function makeParent(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${folder}'`), { code: 'ENOTDIR' });
  }
}

/** Removes what a failed write left (its temporary file, or folder: `recursive`); what cannot go stays, and the write's own error is the one reported. */
export function removeQuietly(tmp: string, recursive: boolean): void {
  try {
    rmSync(tmp, { recursive, force: true });
  } catch {
    // left for the next run in this directory, which removes what earlier attempts left
  }
}

/** Flushes a directory's entries (a rename or an unlink in it) to the disk. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    // some file systems cannot fsync a directory; there the rename is as durable as they allow
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
