// Whether an output would land on one of the run's inputs: by path, or by inode through
// another name (a link, `./`), so a slip of the shell's completion cannot destroy the data.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Whether two paths name one file: the same path, or the same inode by another name. */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a), y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // one of them does not exist (yet): not the same file
  }
}
