// A checkpoint on disk: DIR/checkpoint.json names DIR/model-<step>-<crc>.safetensors. The
// weights are written first, under a name no earlier checkpoint used, and the JSON last,
// each durably and atomically (atomic.ts), so the JSON is the commit point: a crash or a
// power loss at any moment leaves the previous checkpoint or the new one, whole. Weights the
// JSON no longer names are removed only after it is on the disk; what an interrupted save
// left behind (temporary files, unreferenced weights) is cleaned when the next run takes the
// directory (dir-lock.ts keeps it to one writer).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, parseCheckpointJson } from '../core/checkpoint/checkpoint.js';
import { UserError } from '../core/errors.js';
import { removeQuietly, syncDirectory, tempPath, writeFileAtomic } from './atomic.js';
import { LOCK_FILE, lockDirectory } from './dir-lock.js';
import { fileErrorReason } from './file-error.js';
import { unreplaceable } from './output-folder.js';

export const CHECKPOINT_JSON = 'checkpoint.json';
const WEIGHTS_FILE = /^model-\d+(-[0-9a-f]{8})?\.safetensors$/;
const LEFTOVER = /^(checkpoint\.json|model-[\w-]+\.safetensors|\.write-test)\.\d+\.tmp$/;
const MAX_JSON_BYTES = 512 * 2 ** 20; // about V8's longest string; the moments take ~21 bytes a parameter

/** Whether `path` is a file a checkpoint in `dir` writes, replaces or removes (its JSON, weights, lock, temporary files, best/). */
export function isCheckpointFile(dir: string, path: string): boolean {
  const folder = resolve(dirname(path)), name = basename(path);
  if (folder === resolve(dir, 'best') || folder.startsWith(resolve(dir, 'best') + sep)) return true;
  return folder === resolve(dir) && (name === CHECKPOINT_JSON || name === LOCK_FILE || WEIGHTS_FILE.test(name) || LEFTOVER.test(name));
}

/**
 * Creates `dir` (and parents), takes its lock (one writer at a time), checks a file can be
 * written there and cleans what an interrupted save left; returns the lock's release.
 */
export function prepareOutputDir(dir: string): () => void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot write checkpoints to ${dir} (${fileErrorReason(err)})`);
  }
  let release: () => void;
  try {
    release = lockDirectory(dir);
  } catch (err) {
    // a read-only or full file system refuses the lock file itself
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot write checkpoints to ${dir} (${fileErrorReason(err)})`);
  }
  try {
    const probe = join(dir, '.write-test');
    writeFileAtomic(probe, '');
    rmSync(probe, { force: true });
    for (const d of [dir, join(dir, 'best')]) removeLeftovers(d);
  } catch (err) {
    release();
    throw new UserError(`cannot write checkpoints to ${dir} (${fileErrorReason(err)})`);
  }
  // found now, not when the first save fails after the training
  for (const json of [join(dir, CHECKPOINT_JSON), join(dir, 'best', CHECKPOINT_JSON)]) {
    const there = unreplaceable(json);
    if (there) {
      release();
      throw new UserError(`cannot write checkpoints to ${dir}: ${json} is ${there}, which a checkpoint cannot replace`);
    }
  }
  return release;
}

/** Temporary files of an interrupted save, and weights files the checkpoint does not name. */
function removeLeftovers(dir: string): void {
  if (!existsSync(dir)) return;
  const names = readdirSync(dir);
  for (const name of names) if (LEFTOVER.test(name)) rmSync(join(dir, name), { force: true });
  const named = referencedWeights(dir);
  if (named === undefined) return; // no readable checkpoint: leave the files to the person
  for (const name of names) if (WEIGHTS_FILE.test(name) && name !== named) rmSync(join(dir, name), { force: true });
}

/** The weights file DIR/checkpoint.json names, if it is there and names one. */
function referencedWeights(dir: string): string | undefined {
  try {
    const file = (JSON.parse(readFileSync(join(dir, CHECKPOINT_JSON), 'utf8')) as { weights?: { file?: unknown } }).weights?.file;
    return typeof file === 'string' ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the checkpoint into `dir`, then removes the weights files no longer referenced. */
export function saveCheckpoint(dir: string, c: Checkpoint): void {
  // named by step and CRC: a new save never overwrites the weights the current JSON names, unless with the same bytes
  let weightsFile = '';
  const { weights, json } = encodeCheckpoint(c, (crc) => (weightsFile = `model-${String(c.step).padStart(6, '0')}-${crc}.safetensors`));
  const weightsPath = join(dir, weightsFile);
  let existed = false;
  const hadCheckpoint = referencedWeights(dir) !== undefined; // what the message may call intact
  try {
    mkdirSync(dir, { recursive: true });
    existed = existsSync(weightsPath); // then it holds these very bytes, and the JSON may name it
    writeFileAtomic(weightsPath, weights);
    writeFileAtomic(join(dir, CHECKPOINT_JSON), json);
  } catch (err) {
    if (!existed) removeQuietly(weightsPath, false); // no orphan: the old JSON still names the old weights
    removeQuietly(tempPath(weightsPath), false);
    const before = hadCheckpoint ? '; the previous checkpoint there is intact' : '';
    throw new UserError(`could not save the checkpoint to ${dir} (${fileErrorReason(err)})${before}`);
  }
  try {
    for (const name of readdirSync(dir)) {
      if (WEIGHTS_FILE.test(name) && name !== weightsFile) rmSync(join(dir, name), { force: true });
    }
    syncDirectory(dir);
  } catch {
    // the new checkpoint is saved; an old weights file left here is cleaned by the next run
  }
}

/** Removes the checkpoint in `dir` (its JSON first, so it is never half there), leaving anything else. */
export function removeCheckpoint(dir: string): void {
  if (!existsSync(dir)) return;
  rmSync(join(dir, CHECKPOINT_JSON), { force: true });
  for (const name of readdirSync(dir)) if (WEIGHTS_FILE.test(name)) rmSync(join(dir, name), { force: true });
  syncDirectory(dir);
}

/** True when `dir` already holds a checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_JSON));
}

/**
 * The data file the checkpoint's run read, for a job given no --data. The path came from the
 * checkpoint, not from the user, so a file no longer there is said as such.
 */
export function checkpointDataPath(c: Checkpoint, dir: string): string {
  if (!c.data.path) throw new UserError(`the checkpoint in ${dir} does not say where its data is; give --data`);
  if (!existsSync(c.data.path)) {
    throw new UserError(`the data the checkpoint in ${dir} was trained on, ${c.data.path}, is not there (moved?); give --data FILE, the same text`);
  }
  return c.data.path;
}

/** Reads and verifies the checkpoint in `dir` (or the checkpoint.json given as `path`). */
export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new UserError(`no checkpoint at ${path} (it does not exist)`);
  const isDir = statSync(path).isDirectory();
  const dir = isDir ? path : join(path, '..');
  const jsonPath = isDir ? join(path, CHECKPOINT_JSON) : path;
  if (!existsSync(jsonPath)) throw new UserError(`no checkpoint in ${dir} (${CHECKPOINT_JSON} not found)`);
  try {
    // a run saving meanwhile replaces the JSON, then removes the weights it named: read again once
    for (let attempt = 0; ; attempt++) {
      const jsonStat = statSync(jsonPath);
      if (!jsonStat.isFile()) throw new UserError(`${jsonPath} is not a regular file`);
      if (jsonStat.size > MAX_JSON_BYTES) throw new UserError(`${jsonPath} is ${jsonStat.size} bytes, more than a checkpoint JSON can be`);
      const { weightsFile, weightsBytes, json } = parseCheckpointJson(readFileSync(jsonPath, 'utf8'));
      const weightsPath = join(dir, weightsFile);
      if (!existsSync(weightsPath)) {
        if (attempt === 0) continue;
        throw new UserError(`${weightsFile}, which ${CHECKPOINT_JSON} names, is missing`);
      }
      // the size first: nothing is read or allocated for a file that cannot be the one named
      const weightsStat = statSync(weightsPath);
      if (weightsStat.isDirectory()) throw new UserError(`${weightsFile}, which ${CHECKPOINT_JSON} names, is a directory, not a file`);
      const size = weightsStat.size;
      if (!weightsStat.isFile() || size !== weightsBytes) {
        throw new UserError(`${weightsFile} is ${size} bytes but the checkpoint says ${weightsBytes} (truncated or replaced?)`);
      }
      return decodeCheckpoint(json, readFileSync(weightsPath));
    }
  } catch (err) {
    // a file given for the directory is named as given; unless it is the JSON, it is likely the wrong file
    const hint = !isDir && basename(path) !== CHECKPOINT_JSON ? `; give the checkpoint's directory` : '';
    if (err instanceof UserError) throw new UserError(`checkpoint ${isDir ? dir : path}: ${err.message}${hint}`);
    throw new UserError(`cannot read the checkpoint in ${dir} (${fileErrorReason(err)})`);
  }
}
