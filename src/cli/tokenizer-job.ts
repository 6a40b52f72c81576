// `microgpt tokenizer train|encode|decode|show`: byte-level BPE on the command line, with
// minbpe's `.model` and `.vocab` files. Text and ids travel through stdin and stdout, so the
// commands chain: `... | microgpt tokenizer encode --model m.model | microgpt tokenizer decode --model m.model`.

import { readSync } from 'node:fs';
import { sep } from 'node:path';
import { type BpeTokenizer, type SpecialPolicy, createBpeTokenizer, decodeBpeBytes, encodeBpe } from '../core/bpe/bpe-tokenizer.js';
import { formatModelFile, formatVocabFile, parseModelFile, renderToken } from '../core/bpe/model-file.js';
import { SPLIT_PATTERN_NAMES, type SplitPatternName } from '../core/bpe/split-patterns.js';
import { trainBpe } from '../core/bpe/train.js';
import { heldOutTail, normaliseText } from '../core/data/text.js';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';
import { MAX_DATASET_BYTES, readDataset, readRegularFile } from './dataset.js';
import { fileErrorReason } from './file-error.js';
import { type FlagSpec, type FlagValues, formatHelp, parseFlags } from './flags.js';
import { requireHeap } from './heap-limit.js';
import { outputFolderProblem, unreplaceable } from './output-folder.js';
import { sameFile } from './same-file.js';

const HELP: FlagSpec = { name: 'help', type: 'boolean', help: 'show this help' };
const MODEL: FlagSpec = { name: 'model', type: 'string', help: 'tokenizer file written by `tokenizer train` or minbpe (NAME.model; required)' };

const SUBCOMMANDS: Record<string, { usage: string; flags: FlagSpec[]; run: (v: FlagValues) => Promise<void> }> = {
  train: {
    usage: `Usage: microgpt tokenizer train --data FILE --vocab-size N --out NAME [options]

Learns byte-pair merges from a text, as minbpe does (same merges, same tie-breaks), and writes
NAME.model (what encoding needs; minbpe reads it) and NAME.vocab (every token, for reading).
Line endings read as \\n, as Python reads a text file.`,
    flags: [
      { name: 'data', type: 'string', help: 'training text file (required)' },
      { name: 'vocab-size', type: 'int', help: 'tokens in all: 256 single bytes plus vocab-size - 256 merges (required)' },
      { name: 'pattern', type: 'string', help: "how the text is cut before merging: GPT-2's or GPT-4's split pattern, or none", default: 'gpt4', choices: SPLIT_PATTERN_NAMES },
      { name: 'special', type: 'string', help: 'special tokens, comma-separated (e.g. "<|endoftext|>"), numbered after the merges', defaultText: 'none' },
      { name: 'val-fraction', type: 'number', help: 'learn from all but the last fraction of the text: what `train --format text --val-fraction` holds out, so the tokenizer never sees it', default: 0 },
      { name: 'out', type: 'string', help: 'output name: writes NAME.model and NAME.vocab (required)' },
      HELP,
    ],
    run: trainTokenizer,
  },
  encode: {
    usage: `Usage: microgpt tokenizer encode --model NAME.model [options] < text

Prints the token ids of the text on stdin, separated by spaces. Line endings are kept as
they are, so decode gives the bytes back: \\r\\n stays \\r\\n, where tokenizer train reads it
as \\n; convert a CRLF text to \\n first to encode it as training saw it.`,
    flags: [
      MODEL,
      { name: 'special', type: 'string', help: 'special tokens in the text: all = encode them as themselves, none = as plain text, raise = refuse the text', default: 'raise', choices: ['all', 'none', 'raise'] },
      HELP,
    ],
    run: encodeCommand,
  },
  decode: {
    usage: `Usage: microgpt tokenizer decode --model NAME.model < ids

Writes the bytes of the token ids on stdin (integers separated by spaces or newlines).`,
    flags: [MODEL, HELP],
    run: decodeCommand,
  },
  show: {
    usage: `Usage: microgpt tokenizer show --model NAME.model [--limit N]

Prints the merges in the order they were learned, which is most frequent first: each was the
most frequent pair of the text when it was chosen, and no count ever grows.`,
    flags: [MODEL, { name: 'limit', type: 'int', help: 'show the first N merges only', defaultText: 'all' }, HELP],
    run: showCommand,
  },
};

const USAGE = `Usage: microgpt tokenizer <command> [options]

Commands:
  train    learn a byte-level BPE vocabulary from a text (writes NAME.model and NAME.vocab)
  encode   text on stdin to token ids on stdout
  decode   token ids on stdin to text on stdout
  show     the learned merges, most frequent first

See microgpt tokenizer <command> --help.`;

export async function tokenizerJob(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!sub) throw new UserError(`unknown tokenizer command '${name}' (commands: ${Object.keys(SUBCOMMANDS).join(', ')})`);
  const v = parseFlags(argv.slice(1), sub.flags);
  if (v.help) {
    process.stdout.write(formatHelp(sub.usage, sub.flags));
    return 0;
  }
  await sub.run(v);
  return 0;
}

function required(v: FlagValues, name: string, command: string): string | number {
  const value = v[name];
  if (value === undefined) throw new UserError(`tokenizer ${command} needs --${name} (see microgpt tokenizer ${command} --help)`);
  return value as string | number;
}

/**
 * The JavaScript heap `tokenizer train` takes, measured on Node 20 (the smallest
 * --max-old-space-size that learns 256 merges, plus the 48 MiB young generation that
 * heap_size_limit includes): 73, 151 and 414 MiB for 1, 5 and 20 MB of random hex words, the
 * worst input found (every distinct chunk and its pairs are kept; 159 MiB for 5 MB with the GPT-2
 * pattern), 366 MiB for 20 MB of random letter words, 127 MiB for 5.2 MB of random CJK words,
 * 70 MiB for Tiny Shakespeare. Rounded up, by UTF-8 byte, as the chunks are stored: 64 MiB and
 * 22 bytes a byte.
 */
const TRAIN_HEAP_BASE = 64 * 2 ** 20, TRAIN_HEAP_PER_BYTE = 22;

async function trainTokenizer(v: FlagValues): Promise<void> {
  const data = required(v, 'data', 'train') as string;
  const vocabSize = required(v, 'vocab-size', 'train') as number;
  const out = (required(v, 'out', 'train') as string).replace(/\.(model|vocab)$/, '');
  const special = v.special === undefined ? [] : (v.special as string).split(',').filter((s) => s !== '');
  // checked before the work: the sizes, the names, and that the output can be written
  if (!Number.isInteger(vocabSize) || vocabSize < 256) throw new UserError(`--vocab-size must be at least 256 (the single bytes), got ${vocabSize}`);
  const fraction = v['val-fraction'] as number;
  if (!(fraction >= 0 && fraction < 1)) throw new UserError(`--val-fraction must be in [0, 1), got ${fraction}`);
  for (const s of special) if (/\s/u.test(s)) throw new UserError(`--special: a special token cannot contain spaces: ${JSON.stringify(s)}`);
  if (new Set(special).size !== special.length) throw new UserError('--special names a token twice');
  checkOutput(out, data);
  const raw = await readDataset(data);
  const bytes = Buffer.byteLength(raw, 'utf8');
  requireHeap(data, `learning merges from its ${bytes.toLocaleString('en-US')} bytes`, TRAIN_HEAP_BASE + TRAIN_HEAP_PER_BYTE * bytes);
  const whole = normaliseText(raw);
  const tail = heldOutTail(whole, fraction), text = whole.slice(0, tail.cut);
  // on a terminal a status line rewritten in place; in a pipe a line every 5 s of a long run
  const started = performance.now(), live = Boolean(process.stderr.isTTY);
  let shown = started;
  const progress = (done: number, total: number): void => {
    const now = performance.now();
    if (now - shown < (live ? 200 : 5000) && done < total) return;
    shown = now;
    const line = `merges ${done} / ${total} | ${((now - started) / 1000).toFixed(1)} s`;
    if (live) process.stderr.write(`\r\x1b[K${line}${done === total ? '\n' : ''}`);
    else if (done < total) process.stderr.write(`${line}\n`);
  };
  const { tokenizer, counts } = trainBpe(text, vocabSize, v.pattern as SplitPatternName, { onProgress: progress, progressEvery: 10 });
  const seconds = (performance.now() - started) / 1000;
  const withSpecial = createBpeTokenizer(tokenizer.pattern, tokenizer.merges, new Map(special.map((s, i) => [s, vocabSize + i])));
  for (const [path, text] of [[`${out}.model`, formatModelFile(withSpecial)], [`${out}.vocab`, formatVocabFile(withSpecial)]]) {
    try {
      writeFileAtomic(path, text);
    } catch (err) { // a full disk, or the file system changed since checkOutput
      throw new UserError(`cannot write ${path} (${fileErrorReason(err)})`);
    }
  }
  const merges = tokenizer.merges.length;
  const rate = merges > 0 ? `, ${Math.round(merges / Math.max(seconds, 1e-6)).toLocaleString('en-US')} merges/s` : '';
  const ids = encodeBpe(withSpecial, text, 'none').length;
  const held = tail.held > 0 ? ` (the last ${tail.held.toLocaleString('en-US')} left out)` : '';
  process.stdout.write(`trained ${merges} merges on ${(tail.characters - tail.held).toLocaleString('en-US')} characters${held} in ${seconds.toFixed(2)} s${rate}\n` +
    `the text is ${ids.toLocaleString('en-US')} tokens (${((tail.characters - tail.held) / Math.max(ids, 1)).toFixed(2)} characters per token)` +
    `${merges > 0 ? `; the last merge occurred ${counts[merges - 1]} times` : ''}\n` +
    `wrote ${out}.model and ${out}.vocab\n`);
}

/** Fails before any work if NAME.model and NAME.vocab cannot be written: no name, a missing or read-only folder, a directory in their place, the --data file itself. */
function checkOutput(out: string, data: string): void {
  if (out === '' || out.endsWith('/') || out.endsWith(sep)) throw new UserError(`--out needs a name: NAME writes NAME.model and NAME.vocab, got '${out}'`);
  const problem = outputFolderProblem(out);
  if (problem) throw new UserError(`--out ${out}: ${problem}`);
  for (const path of [`${out}.model`, `${out}.vocab`]) {
    if (sameFile(path, data)) throw new UserError(`--out ${out} would write ${path}, the --data file it learns from: choose another name`);
    const there = unreplaceable(path);
    if (there) throw new UserError(`--out ${out}: ${path} is ${there}, which a file cannot replace`);
  }
}

/** The tokenizer in a `.model` file; a missing, oversized or malformed file is a UserError. */
export function loadTokenizerModel(path: string): BpeTokenizer {
  const bytes = readRegularFile(path, 'tokenizer model');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`tokenizer model is not UTF-8 text: ${path}`);
  }
  return parseModelFile(text, path);
}

/** All of stdin, up to the dataset size limit. */
function readStdin(): Uint8Array {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 16);
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; } // a non-blocking pipe not yet written
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    parts.push(buf.subarray(0, n));
    total += n;
    if (total > MAX_DATASET_BYTES) throw new UserError(`stdin holds more than ${MAX_DATASET_BYTES} bytes, the limit`);
  }
  return Buffer.concat(parts, total);
}

async function encodeCommand(v: FlagValues): Promise<void> {
  const tok = loadTokenizerModel(required(v, 'model', 'encode') as string);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readStdin());
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError('stdin is not valid UTF-8 text');
  }
  const ids = encodeBpe(tok, text, v.special as SpecialPolicy);
  process.stdout.write(ids.length > 0 ? `${ids.join(' ')}\n` : '');
}

async function decodeCommand(v: FlagValues): Promise<void> {
  const tok = loadTokenizerModel(required(v, 'model', 'decode') as string);
  const input = new TextDecoder('utf-8').decode(readStdin());
  const words = input.split(/\s+/).filter((w) => w !== '');
  const ids = words.map((w, i) => {
    if (!/^\d+$/.test(w)) throw new UserError(`stdin item ${i + 1} is not a token id: ${JSON.stringify(w.slice(0, 20))}`);
    return Number(w);
  });
  // the bytes as they are: a token may hold part of a UTF-8 character, which the next completes
  process.stdout.write(decodeBpeBytes(tok, ids));
}

async function showCommand(v: FlagValues): Promise<void> {
  const tok = loadTokenizerModel(required(v, 'model', 'show') as string);
  const limit = v.limit as number | undefined;
  if (limit !== undefined && limit < 0) throw new UserError(`--limit must be at least 0, got ${limit}`);
  const merges = tok.merges.slice(0, limit ?? tok.merges.length);
  const width = String(tok.vocabSize - 1).length;
  const lines = merges.map((m) =>
    `${String(m.id).padStart(width)}  [${renderToken(tok.vocab[m.left])}] + [${renderToken(tok.vocab[m.right])}] -> [${renderToken(tok.vocab[m.id])}]`);
  process.stdout.write(`${tok.merges.length} merges, split pattern ${tok.pattern}, ${tok.special.size} special tokens` +
    `${tok.special.size > 0 ? ` (${[...tok.special].map(([s, id]) => `${s} = ${id}`).join(', ')})` : ''}\n${lines.join('\n')}${lines.length ? '\n' : ''}`);
}
