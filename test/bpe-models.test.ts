// Models on BPE tokens: every engine trains on them (lines and text), the checkpoint carries the
// tokenizer so sampling, evaluation and resume need nothing else, losses convert to bits per
// character on the same held-out text as a character model, and no sample ends inside a character.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createBpeTokenizer } from '../src/core/bpe/bpe-tokenizer.js';
import { formatModelFile } from '../src/core/bpe/model-file.js';
import { trainBpe } from '../src/core/bpe/train.js';
import { decodeCheckpoint, encodeCheckpoint, fieldsChecksum, parseCheckpointJson } from '../src/core/checkpoint/checkpoint.js';
import { buildTokenizer, charactersIn, decode, encode, tokenizerFromBpe } from '../src/core/contract/tokenizer.js';
import { parseDocuments } from '../src/core/data/documents.js';
import { splitText } from '../src/core/data/text.js';
import { bitsPerCharacter, predictedCharacters, validationSequences } from '../src/core/run/evaluate.js';
import { sampleText } from '../src/core/run/generate.js';
import { trainStep } from '../src/core/run/loop.js';
import { type Run, type RunOptions, createRun, createTextRun, resumeRun, runCheckpoint, runFromCheckpoint } from '../src/core/run/run.js';
import { enableRelaxedSimd, spawnNodeWorker } from '../src/node/kernel-thread.js';

const root = new URL('../../', import.meta.url);
const shakespeare = readFileSync(new URL('data/tinyshakespeare.txt', root), 'utf8').slice(0, 30_000);
const names = parseDocuments(readFileSync(new URL('data/names.txt', root), 'utf8')).slice(0, 2000);
const bpe = trainBpe(shakespeare, 300, 'gpt4').tokenizer;
const namesBpe = trainBpe(names.join('\n'), 280, 'gpt4').tokenizer;
const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-bpe-models-'));

function throughBytes(run: Run) {
  const { weights, json } = encodeCheckpoint(runCheckpoint(run, { format: run.format, valFraction: 0.1 }));
  return decodeCheckpoint(parseCheckpointJson(json).json, weights);
}

const ENGINE_OPTIONS: Record<string, RunOptions> = {
  scalar: { engine: 'scalar' },
  tensor: { engine: 'tensor' },
  float32: { engine: 'float32', threads: 1 },
};

for (const [engine, options] of Object.entries(ENGINE_OPTIONS)) {
  const steps = engine === 'scalar' ? 3 : 40;
  test(`${engine}: trains on BPE tokens (text and lines), resumes exactly, and its checkpoint samples alone`, () => {
    enableRelaxedSimd();
    const text = (): Run => createTextRun(shakespeare, { ...options, bpe, model: { blockSize: 16, nEmbd: 16 }, train: { steps: 2 * steps, batchSize: 4 } });
    const whole = text(), half = text();
    assert.equal(whole.config.vocabSize, 301);
    const losses = Array.from({ length: 2 * steps }, () => trainStep(whole).loss);
    for (let i = 0; i < steps; i++) trainStep(half);
    const resumed = text();
    resumeRun(resumed, throughBytes(half));
    const rest = Array.from({ length: steps }, () => trainStep(resumed).loss);
    assert.deepEqual(rest, losses.slice(steps), 'resumed losses equal the uninterrupted run\'s');
    assert.ok(losses.every(Number.isFinite));
    if (engine !== 'scalar') assert.ok(losses.at(-1)! < losses[0] - 0.3, `loss falls: ${losses[0]} -> ${losses.at(-1)}`);

    const loaded = runFromCheckpoint(throughBytes(whole));
    assert.equal(loaded.tokenizer.bpe?.merges.length, 44);
    assert.deepEqual(loaded.tokenizer.bpe?.merges, bpe.merges);
    const sample = sampleText(loaded, { temperature: 0.8, maxTokens: 30, prompt: 'ROMEO: \u00e9\u{1F642}' });
    assert.match(sample, /^ROMEO: \u00e9\u{1F642}/u);

    const lines = createRun(names, { ...options, bpe: namesBpe, valFraction: 0.1, train: { steps: 3 } });
    for (let i = 0; i < 3; i++) assert.ok(Number.isFinite(trainStep(lines).loss));
    const lineSample = sampleText(runFromCheckpoint(throughBytes(lines)), { temperature: 0.5 });
    assert.equal(typeof lineSample, 'string');
    for (const r of [whole, half, resumed, loaded, lines]) r.engine.close?.();
  });
}

test('float32 with two kernel threads trains on BPE tokens as one thread does', () => {
  enableRelaxedSimd();
  const make = (threads: number) => createTextRun(shakespeare, { engine: 'float32', threads, spawn: spawnNodeWorker, tuning: { minFlops: 0, minFloats: 0 },
    bpe, model: { blockSize: 16, nEmbd: 32 }, train: { steps: 10, batchSize: 4 } });
  const one = make(1), two = make(2);
  const a = Array.from({ length: 10 }, () => trainStep(one).loss), b = Array.from({ length: 10 }, () => trainStep(two).loss);
  assert.deepEqual(b, a);
  one.engine.close?.();
  two.engine.close?.();
});

test('bits per character: character and BPE models are scored on the same held-out text', () => {
  const chars = buildTokenizer([shakespeare]), tokens = tokenizerFromBpe(bpe);
  const a = splitText(chars, shakespeare, 0.1), b = splitText(tokens, shakespeare, 0.1);
  assert.equal(decode(tokens, b.val), a.val.map((id) => chars.chars[id]).join(''), 'the same held-out characters');
  assert.equal(decode(tokens, b.train) + decode(tokens, b.val), shakespeare);
  assert.ok(b.val.length < a.val.length * 0.8, `BPE needs fewer tokens: ${b.val.length} vs ${a.val.length}`);
  // a character model: one character per token, so bits per character is loss / ln 2 exactly
  const charRun = createTextRun(shakespeare, { model: { blockSize: 16 } });
  const charSeqs = validationSequences(charRun);
  assert.equal(predictedCharacters(charRun.tokenizer, charSeqs, 16), charSeqs.slice(0, Infinity).reduce((n, s) => n + s.length - 1, 0));
  assert.equal(bitsPerCharacter(2, 10, 10), 2 / Math.LN2);
  // BPE: every character of the held-out text counted once, in the token where it starts
  const run = createTextRun(shakespeare, { bpe, model: { blockSize: 16 } });
  const seqs = validationSequences(run);
  const expected = seqs.slice(0, Infinity).reduce((n, s) => n + [...decode(run.tokenizer, s.slice(1))].length, 0);
  assert.equal(predictedCharacters(run.tokenizer, seqs, 16), expected);
  assert.equal(bitsPerCharacter(2, 10, 25), (2 * 10) / 25 / Math.LN2);
  const emoji = encode(run.tokenizer, '\u{1F642}');
  assert.deepEqual(emoji.map((id) => charactersIn(run.tokenizer, id)), [1, 0, 0, 0], 'a 4-byte character counts in its first byte');
  assert.equal(charactersIn(run.tokenizer, run.tokenizer.bos), 1, 'BOS is the end of a document, one character');
});

test('a sample never ends inside a UTF-8 character', () => {
  const tok = tokenizerFromBpe(bpe);
  const ids = encode(tok, 'ab\u{1F642}');
  for (let cut = 0; cut <= ids.length; cut++) {
    const text = decode(tok, ids.slice(0, cut));
    assert.ok(!text.includes('\ufffd'), `cut ${cut}: ${JSON.stringify(text)}`);
    assert.ok('ab\u{1F642}'.startsWith(text));
  }
  assert.equal(decode(tok, [...encode(tok, '\u00e9'), tok.bos, 0x61]), '\u00e9a', 'BOS is dropped');
  assert.equal(decode(tok, [0x80, 0x61]), '\ufffda', 'a stray byte inside is shown as U+FFFD');
});

test('a checkpoint\'s tokenizer is checked like the rest of it', () => {
  const run = createTextRun(shakespeare, { bpe, model: { blockSize: 8 }, train: { steps: 1 } });
  const { weights, json } = encodeCheckpoint(runCheckpoint(run, { format: 'text', valFraction: 0.1 }));
  const fields = JSON.parse(json) as Record<string, unknown>;
  assert.equal(fields.bpe_model, formatModelFile(bpe));
  assert.deepEqual(fields.vocab, []);
  const resealed = (change: Record<string, unknown>) => {
    const f = { ...fields, ...change };
    return JSON.stringify({ ...f, checksum: fieldsChecksum(f) });
  };
  const truncated = (fields.bpe_model as string).slice(0, -5);
  assert.throws(() => parseCheckpointJson(resealed({ bpe_model: truncated })), /the checkpoint's tokenizer is not valid: .*truncated/);
  const fewer = formatModelFile(createBpeTokenizer('gpt4', bpe.merges.slice(0, 10)));
  assert.throws(() => parseCheckpointJson(resealed({ bpe_model: fewer })), /"bpe_model" has 266 tokens but the config's vocabSize is 301/);
  assert.throws(() => parseCheckpointJson(resealed({ bpe_model: 42 })), /"bpe_model" must be the text of a \.model file/);
  assert.throws(() => parseCheckpointJson(resealed({ vocab: ['a'] })), /"vocab" must be empty when the checkpoint has a BPE tokenizer/);
  assert.equal(decodeCheckpoint(parseCheckpointJson(json).json, weights).bpeModel, formatModelFile(bpe));
  // a character run cannot resume a BPE checkpoint, nor the reverse
  const charRun = createTextRun(shakespeare, { model: { blockSize: 8 }, train: { steps: 1 } });
  assert.throws(() => resumeRun(charRun, decodeCheckpoint(parseCheckpointJson(json).json, weights)), /the run's tokenizer differs from the checkpoint's/);
});

test('the CLI trains, samples, evaluates and resumes a BPE model with nothing but the checkpoint', () => {
  const data = join(tmp, 'shakespeare.txt');
  writeFileSync(data, shakespeare);
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const tokenizer = join(tmp, 'tok');
  assert.equal(cli('tokenizer', 'train', '--data', data, '--vocab-size', '300', '--out', tokenizer).code, 0);
  const out = join(tmp, 'run');
  const train = cli('train', '--data', data, '--format', 'text', '--tokenizer', `${tokenizer}.model`, '--block-size', '16', '--n-embd', '16',
    '--steps', '40', '--stop-at', '20', '--eval-every', '20', '--out', out, '--quiet');
  assert.equal(train.code, 0, train.err);
  assert.match(train.out, /vocab 301 \(BPE: 44 merges, split gpt4, \+ BOS\)/);
  assert.match(train.out, /train \+ \d+ val tokens \(text\)/);
  const [, perToken, perChar, bits] = /step 20: val loss (\d\.\d{4}) per token = (\d\.\d{4}) per character \((\d\.\d{3}) bits\/char\)/.exec(train.out) ?? [];
  assert.ok(perToken && Math.abs(Number(perChar) / Math.LN2 - Number(bits)) < 1e-3, train.out);
  const resumed = cli('train', '--resume', out, '--quiet');
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /done: 40 steps/);
  assert.match(cli('train', '--resume', out, '--steps', '60', '--tokenizer', 'char').err, /--tokenizer cannot be set with --resume/);
  const sample = cli('sample', '--from', out, '--max-tokens', '20', '--prompt', 'ROMEO \u00e9');
  assert.equal(sample.code, 0, sample.err);
  assert.match(sample.out, /^ROMEO \u00e9/);
  const evaluated = cli('eval', '--from', out);
  assert.equal(evaluated.code, 0, evaluated.err);
  assert.match(evaluated.out, /^loss \d\.\d{4} per token \| \d\.\d{4} bits per char \| \d+ predicted tokens \(\d+ characters\) in \d+ windows of the held-out part \(\d+ tokens\)/);
  const missing = cli('train', '--data', data, '--tokenizer', join(tmp, 'nope.model'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /tokenizer model not found/);
});
