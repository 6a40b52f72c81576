// `microgpt eval`: the loss and bits per character of a checkpoint on a file, or on the
// held-out part of the data it was trained on (the same split, rebuilt from the seed).

import type { Sequences } from '../core/contract/engine.js';
import { type Tokenizer, describeCharacter, encode } from '../core/contract/tokenizer.js';
import { evalWindows, splitText } from '../core/data/text.js';
import { UserError } from '../core/errors.js';
import { bitsPerCharacter, documentSequences, meanLoss, predictedCharacters, validationSequences } from '../core/run/evaluate.js';
import { splitDocuments } from '../core/run/run.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { formatFixed } from './format.js';
import { runFromFlags } from './checkpoint-run.js';
import { checkpointDataPath } from './checkpoint-files.js';
import { CHECKPOINT_ENGINE_FLAGS, type DataFile, readData } from './options.js';

export const EVAL_FLAGS: FlagSpec[] = [
  { name: 'from', type: 'string', help: 'checkpoint directory (required)' },
  { name: 'data', type: 'string', help: 'file to evaluate on, all of it', defaultText: "the held-out part of the checkpoint's training data" },
  { name: 'format', type: 'string', help: 'how to read --data', defaultText: "the checkpoint's", choices: ['lines', 'text'] },
  { name: 'limit', type: 'int', help: 'at most this many windows (text) or documents (lines), 0 = all', default: 0 },
  { name: 'block-size', type: 'int', help: "context length, at most the checkpoint's", defaultText: "the checkpoint's" },
  ...CHECKPOINT_ENGINE_FLAGS,
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt eval --from DIR [--data FILE] [options]

Prints the mean loss per predicted token of a checkpoint (a character, unless it was
trained with a BPE --tokenizer) and bits per character (loss x tokens / characters / ln 2,
one scale for character and BPE models). A text is cut into consecutive windows of
block-size + 1 tokens; a lines file is read one document per line, each framed by BOS.`;

export async function evalJob(argv: string[]): Promise<number> {
  const { values: v, given } = parseArgs(argv, EVAL_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, EVAL_FLAGS));
    return 0;
  }
  if (v.from === undefined) throw new UserError('eval needs --from DIR, a checkpoint directory');
  if (given.has('format') && v.data === undefined) throw new UserError('--format says how to read --data; give --data too');
  const limit = v.limit as number;
  if (limit < 0) throw new UserError(`--limit must be >= 0, got ${limit}`);
  const { run, checkpoint: c, note } = runFromFlags(v, given);
  if (note) process.stderr.write(`note: ${note}\n`);
  try {
    const format = (v.format as 'lines' | 'text' | undefined) ?? run.format;
    const max = limit === 0 ? Infinity : limit;
    let seqs: Sequences, source: string;
    if (v.data !== undefined) {
      const data = await readData(v.data as string, format);
      const unseen = run.tokenizer.bpe ? undefined : unseenCharacter(run.tokenizer, data, run.format);
      if (unseen) throw new UserError(`${data.path}: ${unseen}`);
      seqs = format === 'text'
        ? evalWindows(encode(run.tokenizer, data.text), run.config.blockSize + 1, max)
        : documentSequences(run.tokenizer, data.docs, max, run.config.blockSize + 1);
      source = data.path;
    } else {
      // the same split as training: rebuilt from the data file and the run's seed
      const data = await readData(checkpointDataPath(c, v.from as string), c.data.format);
      if (c.data.crc32 !== undefined && c.data.crc32 !== data.crc32) throw new UserError(`${data.path} has changed since training; give --data`);
      const held = c.data.format === 'text'
        ? { valDocs: [], text: splitText(run.tokenizer, data.text, c.data.valFraction), tokenizer: run.tokenizer, config: run.config }
        : { ...splitDocuments(data.docs, run.seed, c.data.valFraction, run.tokenizer.bpe), text: undefined, config: run.config };
      if (held.tokenizer.chars.join('') !== c.vocab.join('')) throw new UserError(`${data.path} has changed since training; give --data`);
      seqs = validationSequences(held, max);
      if (seqs.length === 0) throw new UserError(`the checkpoint's run held nothing out (val-fraction ${c.data.valFraction}); give --data`);
      source = `the held-out part (${held.text ? `${held.text.val.length} ${run.tokenizer.bpe ? 'tokens' : 'characters'}` : `${held.valDocs.length} documents`}) of ${data.path}`;
    }
    if (seqs.length === 0) throw new UserError(`${source} is too short to evaluate (it needs at least 2 ${run.tokenizer.bpe ? 'tokens' : 'characters'})`);
    const { loss, tokens } = meanLoss(run, seqs);
    if (!Number.isFinite(loss)) throw new UserError(`the loss on ${source} is ${loss}: the model's weights have diverged`);
    const characters = predictedCharacters(run.tokenizer, seqs, run.config.blockSize);
    const predicted = run.tokenizer.bpe ? `${tokens} predicted tokens (${characters} characters)` : `${tokens} predicted characters`;
    const what = `${predicted} in ${seqs.length} ${format === 'text' ? 'windows' : 'documents'} of ${source}`;
    const unit = run.tokenizer.bpe ? 'per token' : '';
    process.stdout.write(`loss ${formatFixed(loss, 4)}${unit ? ` ${unit}` : ''} | ${formatFixed(bitsPerCharacter(loss, tokens, characters), 4)} bits per char | ${what}\n`);
  } finally {
    run.engine.close?.();
  }
  return 0;
}

/** Where `data` first holds a character a character model's vocabulary lacks, said for its file; undefined when it has none. */
function unseenCharacter(tokenizer: Tokenizer, data: DataFile, trainedOn: 'lines' | 'text'): string | undefined {
  const lacks = (ch: string) => `the character ${describeCharacter(ch)}, which is not in the model's vocabulary (the ${tokenizer.chars.length} characters of its training data)`;
  if (data.format === 'lines') {
    for (let i = 0; i < data.docs.length; i++) {
      for (const ch of data.docs[i]) if (!tokenizer.ids.has(ch)) return `document ${i + 1} (${JSON.stringify(data.docs[i].slice(0, 40))}) holds ${lacks(ch)}`;
    }
    return undefined;
  }
  let line = 1;
  for (const ch of data.text) {
    if (!tokenizer.ids.has(ch)) {
      if (ch === '\n' && trainedOn === 'lines') return `line ${line} ends in a newline, which a lines model never saw: evaluate it with --format lines`;
      return `line ${line} holds ${lacks(ch)}`;
    }
    if (ch === '\n') line++;
  }
  return undefined;
}
