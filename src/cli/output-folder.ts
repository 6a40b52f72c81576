// Whether a file can be written at a path, asked before the work that produces it (a
// download, a tokenizer's training, a run's checkpoints), so a typo in a folder name costs nothing.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Why a file cannot be written at `path` (its folder is missing or read-only), or undefined if it can. */
export function outputFolderProblem(path: string): string | undefined {
  const folder = dirname(resolve(path));
  let isFolder = false;
  try { isFolder = statSync(folder).isDirectory(); } catch { /* missing: said below */ }
  if (!isFolder) return `the folder ${folder} does not exist`;
  try { accessSync(folder, constants.W_OK); } catch { return `the folder ${folder} is not writable`; }
  return undefined;
}

/** What stands at `path` that a file written there cannot replace ('a directory', 'not a regular file'), or undefined. */
export function unreplaceable(path: string): string | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats || stats.isFile()) return undefined;
  return stats.isDirectory() ? 'a directory' : 'not a regular file';
}
