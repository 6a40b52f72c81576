// A checkpoint on disk: DIR/checkpoint.json names DIR/model-<step>.safetensors. The weights
// are written first under a new name and the JSON last, each atomically, so the JSON is the
// commit point: a crash at any moment leaves the previous checkpoint or the new one, whole.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, parseCheckpointJson } from '../core/checkpoint/checkpoint.js';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';

export const CHECKPOINT_JSON = 'checkpoint.json';
const WEIGHTS_FILE = /^model-\d+\.safetensors$/;

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^\w+: /, '')}` : String(e.message ?? err);
}

/** Creates `dir` (and parents) and checks a file can be written there; a clear error if not. */
export function prepareOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.write-test.${process.pid}`);
    writeFileAtomic(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new UserError(`cannot write checkpoints to ${dir} (${describe(err)})`);
  }
}

/** Writes the checkpoint into `dir`, then removes the weights files no longer referenced. */
export function saveCheckpoint(dir: string, c: Checkpoint): void {
  const weightsFile = `model-${String(c.step).padStart(6, '0')}.safetensors`;
  const { weights, json } = encodeCheckpoint(c, weightsFile);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, weightsFile), weights);
    writeFileAtomic(join(dir, CHECKPOINT_JSON), json);
    for (const name of readdirSync(dir)) {
      if (WEIGHTS_FILE.test(name) && name !== weightsFile) rmSync(join(dir, name), { force: true });
    }
  } catch (err) {
    throw new UserError(`could not save the checkpoint to ${dir} (${describe(err)})`);
  }
}

/** Removes the checkpoint in `dir` (its JSON first, so it is never half there), leaving anything else. */
export function removeCheckpoint(dir: string): void {
  if (!existsSync(dir)) return;
  rmSync(join(dir, CHECKPOINT_JSON), { force: true });
  for (const name of readdirSync(dir)) if (WEIGHTS_FILE.test(name)) rmSync(join(dir, name), { force: true });
}

/** True when `dir` already holds a checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_JSON));
}

/** Reads and verifies the checkpoint in `dir` (or the checkpoint.json given as `path`). */
export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new UserError(`no checkpoint at ${path} (it does not exist)`);
  const dir = statSync(path).isDirectory() ? path : join(path, '..');
  const jsonPath = statSync(path).isDirectory() ? join(path, CHECKPOINT_JSON) : path;
  if (!existsSync(jsonPath)) throw new UserError(`no checkpoint in ${dir} (${CHECKPOINT_JSON} not found)`);
  const where = (err: unknown): never => {
    if (err instanceof UserError) throw new UserError(`checkpoint ${dir}: ${err.message}`);
    throw new UserError(`cannot read the checkpoint in ${dir} (${describe(err)})`);
  };
  try {
    const { weightsFile, json } = parseCheckpointJson(readFileSync(jsonPath, 'utf8'));
    const weightsPath = join(dir, weightsFile);
    if (!existsSync(weightsPath)) throw new UserError(`${weightsFile}, which ${CHECKPOINT_JSON} names, is missing`);
    return decodeCheckpoint(json, readFileSync(weightsPath));
  } catch (err) {
    return where(err);
  }
}
