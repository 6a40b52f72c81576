// What a run tells its user beyond the losses: documents cut to the context, a preset's
// warmup that no longer fits, a finished run extended with --steps, the time of every
// session, and how much of the held-out part a validation loss scores.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBpeTokenizer } from '../src/core/bpe/bpe-tokenizer.js';
import { trainBpe } from '../src/core/bpe/train.js';
import { buildTokenizer, encodeDocument, tokenizerFromBpe } from '../src/core/contract/tokenizer.js';
import { validationSequences } from '../src/core/run/evaluate.js';
import { createRun, documentsCut, nextBatches } from '../src/core/run/run.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/microgpt.js');
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-friendly-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const PANGRAMS = join(DIR, 'pangrams.txt');
writeFileSync(PANGRAMS, 'the quick brown fox jumps over the lazy dog\npack my box with five dozen liquor jugs\nhow vexingly quick daft zebras jump\nsphinx\n');
const NAMES = join(DIR, 'names.txt');
writeFileSync(NAMES, readFileSync(new URL('../../data/names.txt', import.meta.url), 'utf8').split('\n').slice(0, 300).join('\n'));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('documentsCut counts characters (code points) and skips only documents whose length settles it', () => {
  const pool = ['a', 'b', '\u00e9', '\u{1f600}', '\u{1f680}', '\ud800'];
  let seed = 3;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const doc = () => Array.from({ length: 1 + rand(24) }, () => pool[rand(pool.length)]).join('');
  for (let k = 0; k < 300; k++) {
    const docs = Array.from({ length: 1 + rand(12) }, doc), valDocs = Array.from({ length: rand(4) }, doc);
    const blockSize = 2 + rand(24);
    const lengths = [...docs, ...valDocs].map((d) => [...d].length);
    const expected = { count: lengths.filter((n) => n + 1 > blockSize).length, total: lengths.length, longest: Math.max(...lengths) };
    const run = { docs, valDocs, config: { blockSize } as never, tokenizer: buildTokenizer([...docs, ...valDocs]) };
    assert.deepEqual(documentsCut(run), expected, `${JSON.stringify([...docs, ...valDocs])} at block-size ${blockSize}`);
  }
});

test('documents longer than the context: one warning with the count and the block size that fits them', () => {
  const warning = '3 of 4 documents are longer than the context (block-size 16): the model sees only their first 16 characters ' +
    'and never their end; --block-size 44 fits them all';
  const main = cli('--data', PANGRAMS, '--steps', '2', '--samples', '1');
  assert.equal(main.status, 0, main.stderr);
  assert.equal(main.stderr, `microgpt: warning: ${warning}\n`, 'on stderr, so stdout stays the reference\'s');
  assert.match(main.stdout, /^num docs: 4\n/);
  const train = cli('train', '--data', PANGRAMS, '--steps', '2', '--quiet');
  assert.equal(train.status, 0, train.stderr);
  assert.ok(train.stdout.includes(`\nwarning: ${warning}\n`), train.stdout);
  const fits = cli('train', '--data', PANGRAMS, '--steps', '2', '--block-size', '44', '--quiet');
  assert.doesNotMatch(fits.stdout + fits.stderr, /warning/);
  assert.equal(cli('--data', NAMES, '--steps', '2', '--samples', '1').stderr, '', 'names fit the reference context');
});

test('a document longer than the context is encoded only as far as the model reads it, every step and every evaluation', () => {
  // one line of a million characters was encoded whole for each step: seconds a step, gigabytes
  const long = 'ab'.repeat(500_000), blockSize = 8;
  const run = createRun([long, 'abba', long, 'ba'], { valFraction: 0.5, seed: 1, model: { blockSize }, train: { batchSize: 2 } });
  const sequences = [...nextBatches(run).flat(), ...validationSequences(run).slice(0, 2)];
  const docs = [...run.docs.slice(0, 2), ...run.valDocs]; // the first step's batch, then the held-out documents
  assert.equal(sequences.length, docs.length);
  sequences.forEach((seq, i) => assert.deepEqual(seq, encodeDocument(run.tokenizer, docs[i]).slice(0, blockSize + 1), `sequence ${i}`));
  assert.ok(sequences.some((seq) => seq.length === blockSize + 1), 'the long documents are cut');
});

test('a BPE document longer than the context is cut and merged only as far as the context reads it', () => {
  const { tokenizer: bpe } = trainBpe('the quick brown fox jumps over the lazy dog. '.repeat(50), 280, 'gpt4');
  const tokenizer = tokenizerFromBpe(bpe), doc = 'jumps over the lazy fox, quickly. '.repeat(60_000); // 2 MB, one line
  let start = performance.now();
  const whole = encodeDocument(tokenizer, doc);
  const wholeMs = performance.now() - start;
  start = performance.now();
  const cut = encodeDocument(tokenizer, doc, 17);
  const cutMs = performance.now() - start;
  assert.deepEqual(cut, whole.slice(0, 17));
  assert.ok(cutMs * 10 < wholeMs, `the first 17 ids in ${cutMs.toFixed(1)} ms, all ${whole.length} in ${wholeMs.toFixed(1)} ms`);
  // with special tokens in the text, as a text run encodes them
  const special = tokenizerFromBpe(createBpeTokenizer('gpt4', bpe.merges, new Map([['<|eot|>', 280]])));
  const text = 'the dog<|eot|>the fox<|eot|> jumps'.repeat(3);
  const all = encodeDocument(special, text);
  for (let n = 1; n <= all.length + 1; n++) assert.deepEqual(encodeDocument(special, text, n), all.slice(0, n), `first ${n}`);
});

test('documents too long for any context: the warning names the limit instead of a --block-size that would be refused', () => {
  const file = join(DIR, 'one-long-line.txt');
  writeFileSync(file, `${'x'.repeat(1_100_000)}
ab
`);
  const r = cli('train', '--data', file, '--steps', '2', '--val-fraction', '0', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nwarning: 1 of 2 documents are longer than the context \(block-size 16\): the model sees only their first 16 characters and never their end; the longest \(1,100,000 characters\) is more than any --block-size \(at most 1,048,576\): --format text reads the file as one text\n/);
});

test('the commands a run suggests can be pasted into a shell as they are, for a folder with spaces or quotes too', () => {
  const out = join(DIR, "runs/Bob's names run");
  const first = cli('train', '--data', NAMES, '--steps', '4', '--stop-at', '2', '--out', out, '--quiet');
  assert.equal(first.status, 0, first.stderr);
  const quoted = `'${out.replace(/'/g, "'\\''")}'`;
  assert.ok(first.stdout.includes(`continue with: microgpt train --resume ${quoted}\n`), first.stdout);
  const again = cli('train', '--data', NAMES, '--steps', '4', '--out', out);
  assert.equal(again.stderr, `microgpt: error: ${out} already holds a checkpoint; continue it with --resume ${quoted}, or replace it with --overwrite\n`);
  // what the shell makes of the suggestion is the folder
  const pasted = first.stdout.match(/continue with: microgpt (.*)\n/)![1];
  const words = spawnSync('sh', ['-c', `printf '%s\\n' ${pasted}`], { encoding: 'utf8' }).stdout;
  assert.equal(words, `train\n--resume\n${out}\n`);
  const done = cli('train', '--resume', out, '--quiet');
  assert.ok(done.stdout.includes(`sample with: microgpt sample --from ${quoted}\n`), done.stdout);
  assert.ok(cli('train', '--resume', join(DIR, 'plain'), '--quiet').stderr.includes(`no checkpoint at ${join(DIR, 'plain')} `), 'a plain path stays unquoted');
});

test('a preset whose warmup is longer than a shorter --steps says how to fix it, and leaves nothing behind', () => {
  const out = join(DIR, 'short-shakespeare');
  const r = cli('train', '--preset', 'shakespeare', '--steps', '60', '--out', out);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'microgpt: error: the preset\'s warmup-steps (100) must be less than --steps (60): give a shorter warmup too, e.g. --warmup-steps 6\n');
  assert.ok(!existsSync(out), 'no output directory');
});

test('a finished run extends with --steps: the schedule recomputed and said, the time of every session reported', () => {
  const out = join(DIR, 'extended');
  const first = cli('train', '--data', NAMES, '--steps', '20', '--val-fraction', '0.1', '--eval-size', '8', '--out', out, '--quiet');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /step 20: val loss \d\.\d{4} \(\d\.\d{3} bits\/char\) on 8 of 30 held-out documents/);
  assert.match(first.stdout, /done: 20 steps in [\d.]+m?s \| val loss/);
  const firstMs = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).settings['elapsed-ms'];
  assert.ok(firstMs > 0);

  const again = cli('train', '--resume', out);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /is complete \(step 20 of 20\); nothing to resume \(to train it further, give a larger --steps\)/);
  const shorter = cli('train', '--resume', out, '--steps', '20');
  assert.equal(shorter.status, 2, 'the same length is still complete');

  const more = cli('train', '--resume', out, '--steps', '40', '--quiet');
  assert.equal(more.status, 0, more.stderr);
  assert.match(more.stdout, /notice: the run now has 40 steps \(it was planned for 20\): its linear learning-rate schedule is recomputed over 40, so step 21 trains at lr 0\.005000 \(it would have been 0\.000000\)/);
  assert.match(more.stdout, /done: 40 steps in [\d.]+m?s \(this session: 20 steps in [\d.]+m?s\)/);
  const saved = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
  assert.equal(saved.step, 40);
  assert.equal(saved.train.steps, 40);
  assert.ok(saved.settings['elapsed-ms'] > firstMs, 'the time adds up over sessions');
  const back = cli('train', '--resume', out, '--steps', '30');
  assert.equal(back.stderr, `microgpt: error: --steps 30 must be more than the 40 steps the run in ${out} has done\n`);
});

test('a text run says how many of the held-out windows each validation scores', () => {
  const text = join(DIR, 'text.txt');
  writeFileSync(text, readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 20000));
  const r = cli('train', '--data', text, '--format', 'text', '--steps', '2', '--eval-every', '1', '--eval-size', '16', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /step 1: val loss \d\.\d{4} \(\d\.\d{3} bits\/char\) on 16 of 124 held-out windows/);
  const all = cli('train', '--data', text, '--format', 'text', '--steps', '1', '--eval-size', '1000', '--quiet');
  assert.match(all.stdout, /on all 124 held-out windows/);
});
