// Durable atomic file writes: write a temporary file beside the target, flush it to the disk,
// rename it over the target, then flush the directory that records the rename. A crash, a
// Ctrl-C or a power loss at any moment leaves either the old file or the new one, whole.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The temporary name writeFileAtomic uses for `path` in this process. */
export function tempPath(path: string): string {
  return `${path}.${process.pid}.tmp`;
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
