// Durable atomic file writes: write a temporary file beside the target, flush it to the disk,
// rename it over the target, then flush the directory that records the rename. A crash, a
// Ctrl-C or a power loss at any moment leaves either the old file or the new one, whole.

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The temporary name writeFileAtomic uses for `path` in this process. */
export function tempPath(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    fsyncSync(fd); // the data is on the disk before the name points at it
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dirname(path));
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
