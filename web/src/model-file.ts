// Saving and loading a run as the CLI's checkpoint (src/core/checkpoint/): a .json file
// with config, vocabulary, step, random state and Adam's moments beside a .safetensors
// file with the weights. A loaded run continues exactly when given the same dataset.

import { type Checkpoint, type Run, buildTokenizer, crc32, createRun, createTextRun, decodeCheckpoint, encodeCheckpoint,
  normaliseText, parseCheckpointJson, parseDocuments, resumeOptions, resumeRun, runCheckpoint, runFromCheckpoint } from '../../src/core/index.js';
import { WEB_ENGINES, webEngineOptions } from './engines.js';

/** Where the run's text came from, as the checkpoint records it. */
export interface DataSource {
  path: string; // a bundled file's name, or a label for pasted text
  text: string;
}

export function textCrc(text: string): string {
  return crc32(new TextEncoder().encode(text)).toString(16).padStart(8, '0');
}

/** The two files of a checkpoint of `run`: `json` names `<base>.safetensors`, which holds `weights`. */
export function saveRun(run: Run, valFraction: number, source: DataSource, base: string): { json: string; weights: Uint8Array } {
  const data = { format: run.format ?? 'lines', valFraction, path: source.path, crc32: textCrc(source.text) };
  return encodeCheckpoint(runCheckpoint(run, data), `${base}.safetensors`);
}

/** Parses both files; a mismatch or a damaged file is a UserError that says so. */
export function readCheckpoint(json: string, weights: Uint8Array): Checkpoint {
  return decodeCheckpoint(parseCheckpointJson(json).json, weights);
}

/**
 * A run at the checkpoint's step, on the engine it was trained on. With a dataset of the same
 * characters it trains on as the CLI would: the same documents in the same order, or for a
 * model of one continuous text (--format text) the same text's windows; otherwise (or where
 * this browser lacks that engine) it has nothing to train on and can only sample and be inspected.
 */
export function restoreRun(c: Checkpoint, text: string): { run: Run; note: string } {
  if (!WEB_ENGINES.includes(c.engine)) {
    const note = `This model was trained on the ${c.engine} engine, which this browser cannot run, so it samples on the tensor engine `
      + 'and cannot continue training here.';
    return { run: runFromCheckpoint(c, { engine: 'tensor' }), note };
  }
  const isText = c.data.format === 'text';
  const body = isText ? normaliseText(text) : '', docs = isText ? [] : parseDocuments(text);
  // a BPE model encodes any text; a character model needs exactly its characters
  const fits = c.optimizer !== undefined && (isText ? body.length > 0 : docs.length > 0)
    && (c.bpeModel !== undefined || buildTokenizer(isText ? [body] : docs).chars.join('') === c.vocab.join(''));
  if (!fits) {
    const note = 'The selected dataset does not have this model\'s characters, so it can only sample and be inspected; '
      + 'choose the dataset it was trained on and load it again to continue training.';
    return { run: runFromCheckpoint(c, webEngineOptions(c.engine)), note };
  }
  // a fresh run redoes the seeded shuffle and split (or the text's held-out tail), so training goes on as the CLI's would
  const options = resumeOptions(c, webEngineOptions(c.engine));
  const run = isText ? createTextRun(body, options) : createRun(docs, options);
  resumeRun(run, c);
  const differs = c.data.crc32 !== undefined && c.data.crc32 !== textCrc(text);
  const same = c.bpeModel !== undefined ? 'it has the model\'s tokenizer' : 'it has the same characters';
  return { run, note: differs ? `This dataset is not the one the model was trained on (${same}), so training continues on other documents.` : '' };
}
