// `microgpt tokenizer`: train writes minbpe's two files, encode | decode gives the text back
// byte for byte, show lists the merges, and every bad input is one line and exit code 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseModelFile } from '../src/core/bpe/model-file.js';
import { trainBpe } from '../src/core/bpe/train.js';
import { heldOutTail, normaliseText } from '../src/core/data/text.js';
import { assertCleanError } from './cli-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../test/fixtures/bpe/corpus.txt', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-tokenizer-'));

function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [BIN, 'tokenizer', ...args], { input: typeof input === 'string' ? Buffer.from(input) : input });
  return { code: r.status, out: r.stdout, text: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

const model = join(tmp, 'corpus.model');

test('train writes NAME.model and NAME.vocab with the merges the library learns', () => {
  const r = cli(['train', '--data', CORPUS, '--vocab-size', '400', '--pattern', 'gpt2', '--special', '<|endoftext|>,<|pad|>', '--out', join(tmp, 'corpus')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.text, /^trained 144 merges on [\d,]+ characters in [\d.]+ s, [\d,]+ merges\/s\n/);
  assert.match(r.text, /wrote .*corpus\.model and .*corpus\.vocab\n$/);
  const written = parseModelFile(readFileSync(model, 'utf8'), model);
  // Python reads the file with \r\n as \n; so does train
  const text = normaliseText(readFileSync(CORPUS, 'utf8'));
  assert.deepEqual(written.merges, trainBpe(text, 400, 'gpt2').tokenizer.merges);
  assert.deepEqual([...written.special], [['<|endoftext|>', 400], ['<|pad|>', 401]]);
  assert.match(readFileSync(join(tmp, 'corpus.vocab'), 'utf8'), /^\[\\u0000\] 0\n/);
});

test('train --val-fraction learns from the part a text run trains on, never the held-out tail', () => {
  const r = cli(['train', '--data', CORPUS, '--vocab-size', '300', '--val-fraction', '0.25', '--out', join(tmp, 'head')]);
  assert.equal(r.code, 0, r.err);
  const text = normaliseText(readFileSync(CORPUS, 'utf8'));
  const { cut, held } = heldOutTail(text, 0.25);
  assert.match(r.text, new RegExp(`^trained 44 merges on [\\d,]+ characters \\(the last ${held.toLocaleString('en-US')} left out\\)`));
  const written = parseModelFile(readFileSync(join(tmp, 'head.model'), 'utf8'), 'head.model');
  assert.deepEqual(written.merges, trainBpe(text.slice(0, cut), 300, 'gpt4').tokenizer.merges);
  assert.notDeepEqual(written.merges, trainBpe(text, 300, 'gpt4').tokenizer.merges);
});

test('encode | decode returns the bytes of any text, special tokens by policy', () => {
  const text = 'First Citizen:\r\nWe are accounted poor citizens \u{1F642} caf\u00e9 \u65e5\u672c\n<|endoftext|>tail';
  const refused = cli(['encode', '--model', model], text);
  assertCleanError(refused, /contains the special token <\|endoftext\|>; allow it explicitly/);
  for (const policy of ['all', 'none']) {
    const encoded = cli(['encode', '--model', model, '--special', policy], text);
    assert.equal(encoded.code, 0, encoded.err);
    assert.match(encoded.text, /^\d+( \d+)*\n$/);
    assert.equal(encoded.text.split(' ').includes('400'), policy === 'all');
    const decoded = cli(['decode', '--model', model], encoded.out);
    assert.equal(decoded.code, 0, decoded.err);
    assert.equal(decoded.text, text);
  }
  assert.equal(cli(['encode', '--model', model], '').text, '');
  // a token may hold half a character: decode writes the bytes, not replacement characters
  const half = cli(['decode', '--model', model], '240 159');
  assert.deepEqual([...half.out], [240, 159]);
});

test('encode keeps \\r\\n as it is, unlike train, which reads it as \\n; both --help texts say so', () => {
  // encode | decode gives back the bytes, so encode cannot normalise; train reads a text file as Python does
  const crlf = cli(['encode', '--model', model], 'ab\r\ncd');
  assert.equal(crlf.code, 0, crlf.err);
  assert.deepEqual(cli(['decode', '--model', model], crlf.out).out, Buffer.from('ab\r\ncd'));
  assert.notEqual(crlf.text, cli(['encode', '--model', model], 'ab\ncd').text);
  assert.match(cli(['encode', '--help']).text, /[Ll]ine endings are kept as\s+they are.*\\r\\n.*tokenizer train reads it\s+as \\n/s);
  assert.match(cli(['train', '--help']).text, /Line endings read as \\n, as Python reads a text file/);
});

test('show lists the merges in the order they were learned', () => {
  const r = cli(['show', '--model', model, '--limit', '3']);
  assert.equal(r.code, 0, r.err);
  const lines = r.text.trim().split('\n');
  assert.match(lines[0], /^144 merges, split pattern gpt2, 2 special tokens \(<\|endoftext\|> = 400, <\|pad\|> = 401\)$/);
  assert.equal(lines.length, 4);
  assert.match(lines[1], /^256 {2}\[.+\] \+ \[.+\] -> \[.+\]$/);
});

test('bad input to the tokenizer commands is one line and exit code 2', () => {
  const bad = join(tmp, 'bad.model');
  writeFileSync(bad, 'minbpe v1\n\n0\n97 97\n256 999\n');
  const truncated = join(tmp, 'truncated.model');
  writeFileSync(truncated, readFileSync(model, 'utf8').slice(0, -2));
  const version = join(tmp, 'version.model');
  writeFileSync(version, 'minbpe v9\n\n0\n');
  const ownInput = join(tmp, 'own.model');
  writeFileSync(ownInput, readFileSync(CORPUS, 'utf8'));
  mkdirSync(join(tmp, 'folder.vocab'), { recursive: true }); // where one of the two files would go
  const cases: [string[], string | undefined, RegExp][] = [
    [['train', '--data', CORPUS, '--vocab-size', '255', '--out', join(tmp, 'x')], undefined, /--vocab-size must be at least 256/],
    [['train', '--data', CORPUS, '--vocab-size', '100000', '--out', join(tmp, 'x')], undefined, /the text gives only \d+ merges/],
    [['train', '--data', CORPUS, '--vocab-size', '300', '--out', join(tmp, 'no', 'x')], undefined, /the folder .* does not exist/],
    [['train', '--data', join(tmp, 'missing.txt'), '--vocab-size', '300', '--out', join(tmp, 'x')], undefined, /dataset not found/],
    [['train', '--vocab-size', '300', '--out', join(tmp, 'x')], undefined, /tokenizer train needs --data/],
    [['train', '--data', CORPUS, '--vocab-size', '300', '--special', 'a b', '--out', join(tmp, 'x')], undefined, /cannot contain spaces/],
    [['train', '--data', CORPUS, '--vocab-size', '300', '--pattern', 'gpt5', '--out', join(tmp, 'x')], undefined, /--pattern must be one of none, gpt2, gpt4/],
    [['train', '--data', CORPUS, '--vocab-size', '300', '--val-fraction', '1', '--out', join(tmp, 'x')], undefined, /--val-fraction must be in \[0, 1\), got 1/],
    // the output named after its own text (NAME.model learnt from NAME.model) would overwrite it
    [['train', '--data', ownInput, '--vocab-size', '300', '--out', join(tmp, 'own')], undefined, /--out .*own would write .*own\.model, the --data file it learns from/],
    [['train', '--data', CORPUS, '--vocab-size', '300', '--out', join(tmp, 'folder')], undefined, /--out .*folder: .*folder\.vocab is a directory, which a file cannot replace/],
    [['encode', '--model', bad], 'x', /bad\.model: line 5: merge 256 999 makes token 257 but refers to an id not made before it/],
    [['encode', '--model', truncated], 'x', /truncated\.model: line \d+: the file ends inside a line/],
    [['encode', '--model', version], 'x', /line 1: unknown version "minbpe v9"/],
    [['encode', '--model', join(tmp, 'none.model')], 'x', /tokenizer model not found/],
    [['encode', '--model', tmp], 'x', /tokenizer model is a directory, not a regular file/],
    [['encode'], 'x', /tokenizer encode needs --model/],
    [['decode', '--model', model], '1 2 402', /token id 402 is not in the vocabulary \(ids 0..401\)/],
    [['decode', '--model', model], '1 -2', /stdin item 2 is not a token id: "-2"/],
    [['decode', '--model', model], '1 2.5', /stdin item 2 is not a token id/],
    [['frobnicate'], undefined, /unknown tokenizer command 'frobnicate'/],
  ];
  for (const [args, input, pattern] of cases) assertCleanError(cli(args, input), pattern);
  const notUtf8 = cli(['encode', '--model', model], Buffer.from([0x61, 0xff, 0x62]));
  assertCleanError(notUtf8, /stdin is not valid UTF-8 text/);
  assert.ok(!existsSync(join(tmp, 'x.model')), 'a refused training writes nothing');
  assert.equal(readFileSync(ownInput, 'utf8'), readFileSync(CORPUS, 'utf8'), 'the --data file named like the output is untouched');
});
