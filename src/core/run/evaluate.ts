// The loss on data the model does not train on: which sequences are held out, and their mean
// loss per predicted token, computed in chunks (so a long evaluation can yield between them).

import { type Sequences, batchTokens, lazySequences } from '../contract/engine.js';
import { type Tokenizer, charactersIn, encodeDocument } from '../contract/tokenizer.js';
import { evalWindows } from '../data/text.js';
import { UserError, shown } from '../errors.js';
import type { Run } from './run.js';

/** Sequences per forward pass of an evaluation: bounds the scalar engine's graph. */
export const EVAL_CHUNK = 64;

/** What is held out of a run's data: documents, or the end of a text. */
export type HeldOut = Pick<Run, 'valDocs' | 'text' | 'tokenizer' | 'config'>;

/**
 * The held-out sequences: the first `limit` validation documents (framed by BOS), or `limit`
 * fixed windows spread over the held-out text. Empty when nothing is held out.
 */
export function validationSequences(run: HeldOut, limit = Infinity): Sequences {
  if (run.text) return evalWindows(run.text.val, run.config.blockSize + 1, limit);
  return documentSequences(run.tokenizer, run.valDocs, limit, run.config.blockSize + 1);
}

/** The first `limit` documents, each encoded (framed by BOS, cut to `maxLength` ids) only when its chunk is evaluated. */
export function documentSequences(tokenizer: Tokenizer, docs: string[], limit = Infinity, maxLength = Infinity): Sequences {
  return lazySequences(Math.min(docs.length, limit), (i) => encodeDocument(tokenizer, docs[i], maxLength));
}

/** The mean loss per predicted token over `sequences`, forward only; a 'pause' after each chunk but the last. */
export function* meanLossSteps(run: Run, sequences: Sequences, chunk = EVAL_CHUNK): Generator<{ type: 'pause' }, { loss: number; tokens: number }, void> {
  let total = 0, tokens = 0;
  for (let start = 0; start < sequences.length; start += chunk) {
    if (start > 0) yield { type: 'pause' };
    const batch = sequences.slice(start, start + chunk);
    total += run.engine.lossSum(batch);
    tokens += batchTokens(batch, run.config.blockSize);
  }
  return { loss: total / tokens, tokens };
}

/** meanLossSteps all at once. */
export function meanLoss(run: Run, sequences: Sequences): { loss: number; tokens: number } {
  const steps = meanLossSteps(run, sequences);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** The loss on the first `limit` held-out sequences, or undefined when nothing is held out. */
export function validationLoss(run: Run, limit = Infinity): number | undefined {
  if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 1))) throw new UserError(`limit must be an integer >= 1 (or Infinity), got ${shown(limit)}`);
  const sequences = validationSequences(run, limit);
  return sequences.length > 0 ? meanLoss(run, sequences).loss : undefined;
}

/**
 * The characters the scored tokens of `sequences` hold (a token scores if it is predicted
 * within the context; BOS counts as one character, the document's end), so that a loss per
 * token converts to bits per character, one scale for character and BPE models alike.
 */
export function predictedCharacters(tokenizer: Tokenizer, sequences: Sequences, blockSize: number): number {
  let n = 0;
  for (let start = 0; start < sequences.length; start += EVAL_CHUNK) {
    for (const seq of sequences.slice(start, start + EVAL_CHUNK)) {
      for (let i = 1; i < Math.min(seq.length, blockSize + 1); i++) n += charactersIn(tokenizer, seq[i]);
    }
  }
  return n;
}

/** Bits per character from a mean loss per token (nats) over `tokens` tokens that hold `characters` characters. */
export function bitsPerCharacter(loss: number, tokens: number, characters: number): number {
  return tokens === characters ? loss / Math.LN2 : (loss * tokens) / characters / Math.LN2;
}
