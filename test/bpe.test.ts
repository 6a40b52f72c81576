// The BPE tokenizer equals minbpe's algorithm (fixtures from scripts/gen-bpe-fixtures.py: chunks,
// merges with their counts, ties included, and encodings) and tiktoken's cl100k_base encoder
// (js-tiktoken's ranks); it round-trips any text, and its files read back equal.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getEncoding } from 'js-tiktoken';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { type BpeTokenizer, createBpeTokenizer, decodeBpe, encodeBpe } from '../src/core/bpe/bpe-tokenizer.js';
import { formatModelFile, formatVocabFile, parseModelFile } from '../src/core/bpe/model-file.js';
import { type SplitPatternName, splitChunks } from '../src/core/bpe/split-patterns.js';
import { tokenizerFromRanks } from '../src/core/bpe/tiktoken-ranks.js';
import { trainBpe } from '../src/core/bpe/train.js';
import { UserError } from '../src/core/errors.js';

const FIXTURES = new URL('../../test/fixtures/bpe/', import.meta.url);
const corpus = new TextDecoder('utf-8', { ignoreBOM: true }).decode(readFileSync(new URL('corpus.txt', FIXTURES)));
interface PatternFixture { chunks: string[]; merges: [number, number][]; counts: number[]; probes: { text: string; ids: number[] }[] }
const fixture = JSON.parse(readFileSync(new URL('merges.json', FIXTURES), 'utf8')) as {
  merges_per_pattern: number; patterns: Record<SplitPatternName, PatternFixture>;
  split_probes: Record<'gpt2' | 'gpt4', { text: string; chunks: string[] }[]>; wikipedia: { text: string; merges: [number, number][]; ids: number[] };
};
const shakespeare = readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8');

function trained(pattern: SplitPatternName): BpeTokenizer {
  return trainBpe(corpus, 256 + fixture.merges_per_pattern, pattern).tokenizer;
}

test("minbpe's Wikipedia example: aaabdaaabac with 3 merges encodes to [258, 100, 258, 97, 99]", () => {
  const { tokenizer } = trainBpe('aaabdaaabac', 259, 'none');
  assert.deepEqual(tokenizer.merges.map((m) => [m.left, m.right]), fixture.wikipedia.merges);
  assert.deepEqual(encodeBpe(tokenizer, 'aaabdaaabac'), [258, 100, 258, 97, 99]);
  assert.equal(decodeBpe(tokenizer, [258, 100, 258, 97, 99]), 'aaabdaaabac');
});

for (const pattern of ['none', 'gpt2', 'gpt4'] as const) {
  test(`pattern ${pattern}: the corpus splits into the chunks Python's regex module finds`, () => {
    assert.deepEqual(splitChunks(corpus, pattern), fixture.patterns[pattern].chunks);
  });

  test(`pattern ${pattern}: ${fixture.merges_per_pattern} merges and their counts equal minbpe's, ties included`, () => {
    const { tokenizer, counts } = trainBpe(corpus, 256 + fixture.merges_per_pattern, pattern);
    const ours = tokenizer.merges.map((m) => [m.left, m.right]);
    const want = fixture.patterns[pattern].merges;
    const first = want.findIndex((m, i) => ours[i]?.[0] !== m[0] || ours[i]?.[1] !== m[1]);
    assert.equal(first, -1, `merge ${first} differs: ours ${JSON.stringify(ours[first])}, minbpe ${JSON.stringify(want[first])} (count ${fixture.patterns[pattern].counts[first]})`);
    assert.deepEqual(counts, fixture.patterns[pattern].counts);
  });

  test(`pattern ${pattern}: encodings equal minbpe's, and every text round-trips`, () => {
    const tok = trained(pattern);
    for (const probe of fixture.patterns[pattern].probes) assert.deepEqual(encodeBpe(tok, probe.text), probe.ids, JSON.stringify(probe.text));
    const texts = ['', 'a', '\n', '\u00e9', '\u{1F642}', '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}', 'Mixed: \u0395\u03bb\u03bb \u0440\u0443\u0441 \u65e5\u672c \uD55C\uAD6D \u05e2\u05d1 \u0627\u0644',
      '\ufeffleading mark', '\r\n\r\n', ' '.repeat(100), corpus, shakespeare.slice(0, 50_000)];
    for (const text of texts) assert.equal(decodeBpe(tok, encodeBpe(tok, text)), text, JSON.stringify(text.slice(0, 40)));
  });
}

test("tricky strings (possessives, odd spaces, case-folded contractions) split as Python's regex module splits them", () => {
  for (const pattern of ['gpt2', 'gpt4'] as const) {
    for (const { text, chunks } of fixture.split_probes[pattern]) assert.deepEqual(splitChunks(text, pattern), chunks, `${pattern}: ${JSON.stringify(text)}`);
  }
});

test('the .model file reads back to the same tokenizer, and minbpe reads its layout', () => {
  const tok = createBpeTokenizer('gpt4', trained('gpt4').merges, new Map([['<|endoftext|>', 956], ['<|fim|>', 957]]));
  const text = formatModelFile(tok);
  assert.match(text, /^minbpe v1\n'\(\?i:\[sdmt\]\|ll\|ve\|re\)\|.*\n2\n<\|endoftext\|> 956\n<\|fim\|> 957\n\d+ \d+\n/);
  const back = parseModelFile(text, 'x.model');
  assert.deepEqual(back.merges, tok.merges);
  assert.deepEqual([...back.special], [...tok.special]);
  assert.equal(back.pattern, 'gpt4');
  assert.equal(formatModelFile(back), text);
  // minbpe's BasicTokenizer writes an empty pattern line
  assert.equal(parseModelFile(formatModelFile(trained('none')), 'x.model').pattern, 'none');
  const vocab = formatVocabFile(tok).split('\n');
  assert.equal(vocab[10], '[\\u000a] 10');
  assert.match(vocab[256], /^\[.*\]\[.*\] -> \[.*\] 256$/);
});

test('a malformed .model file is one clear UserError naming the line', () => {
  const good = formatModelFile(trained('gpt2'));
  const cases: [string, RegExp][] = [
    ['', /line 1: the file ends early/],
    ['minbpe v1\n', /line 2: the file ends early/],
    ['minbpe v2\n\n0\n', /line 1: unknown version "minbpe v2"/],
    ['minbpe v1\n(?x)\n0\n', /line 2: unknown split pattern/],
    ['minbpe v1\n\nthree\n', /line 3: expected the number of special tokens/],
    ['minbpe v1\n\n2\n<|a|> 300\n', /the file ends early: it announces 2 special tokens but has 1/],
    ['minbpe v1\n\n0\n97 97\n256 999\n', /line 5: merge 256 999 makes token 257 but refers to an id not made before it/],
    ['minbpe v1\n\n0\n97 -1\n', /line 4: expected a merge as two token ids/],
    ['minbpe v1\n\n0\n97\n', /line 4: expected a merge as two token ids/],
    ['minbpe v1\n\n1\n<|a|> 97\n', /special token "<\|a\|>": id 97 is already a token/],
    [good.slice(0, good.length - 3), /line \d+: the file ends inside a line .* it looks truncated/],
    ['minbpe v1\n\n0', /line 3: the file ends inside a line/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseModelFile(text, 'bad.model'), (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'),
      `${JSON.stringify(text.slice(0, 40))} should fail with ${pattern}`);
  }
});

test('a vocabulary below 256, too many merges for the text, and unknown ids are clear errors', () => {
  assert.throws(() => trainBpe('abc', 255, 'none'), /vocab-size must be an integer from 256/);
  assert.throws(() => trainBpe('abc', 300.5, 'none'), /vocab-size must be an integer from 256/);
  assert.throws(() => trainBpe('abcd', 300, 'none'), /the text gives only 3 merges .* at most 259/);
  const tok = trainBpe('aaabdaaabac', 259, 'none').tokenizer;
  assert.throws(() => decodeBpe(tok, [97, 259]), /token id 259 is not in the vocabulary \(ids 0..258\)/);
  assert.throws(() => decodeBpe(tok, [-1]), /token id -1 is not in the vocabulary/);
});

test('special tokens: refused by default, encoded when allowed, plain text when not', () => {
  const tok = createBpeTokenizer('gpt4', trained('gpt4').merges, new Map([['<|end|>', 1000], ['<|end|>x', 1001]]));
  const text = 'First<|end|>x Second<|end|>';
  assert.throws(() => encodeBpe(tok, text), /contains the special token <\|end\|>; allow it explicitly/);
  assert.deepEqual(encodeBpe(tok, text, 'all').filter((id) => id >= 1000), [1001, 1000]);
  assert.deepEqual(encodeBpe(tok, text, new Set(['<|end|>'])).filter((id) => id >= 1000), [1000, 1000]);
  assert.ok(encodeBpe(tok, text, 'none').every((id) => id < 1000));
  for (const policy of ['all', 'none'] as const) assert.equal(decodeBpe(tok, encodeBpe(tok, text, policy)), text);
  assert.throws(() => encodeBpe(tok, text, new Set(['<|nope|>'])), /"<\|nope\|>" is not a special token/);
});

// js-tiktoken ships cl100k_base as "! offset token token ..." lines; tiktoken's own file has "token rank" lines
function cl100kRankFile(): string {
  const lines: string[] = [];
  for (const group of cl100k.bpe_ranks.split('\n').filter(Boolean)) {
    const [, offset, ...tokens] = group.split(' ');
    tokens.forEach((t, i) => lines.push(`${t} ${Number(offset) + i}`));
  }
  return lines.join('\n');
}

test("cl100k_base from tiktoken's ranks encodes as tiktoken does, special tokens included", () => {
  const special = new Map(Object.entries(cl100k.special_tokens));
  const tok = tokenizerFromRanks(cl100kRankFile(), 'gpt4', special, 'cl100k_base');
  const reference = getEncoding('cl100k_base');
  // js-tiktoken's JavaScript pattern reads U+FEFF as a space and U+0085 and "'ſ" otherwise than
  // tiktoken's own (Rust) pattern, which ours follows; the corpus leaves those three out
  const common = corpus.replace(/[\ufeff\u0085\u017f]/gu, '');
  const text = shakespeare.slice(0, 200_000) + '<|endoftext|>' + common + '<|fim_prefix|>x<|fim_suffix|>\n<|endofprompt|>';
  const ours = encodeBpe(tok, text, 'all'), theirs = reference.encode(text, 'all');
  const first = ours.findIndex((id, i) => id !== theirs[i]);
  assert.equal(first, -1, `first difference at ${first}: ours ${ours.slice(first, first + 5)} theirs ${theirs.slice(first, first + 5)}`);
  assert.equal(ours.length, theirs.length);
  assert.equal(decodeBpe(tok, ours), text);
  assert.throws(() => encodeBpe(tok, 'a<|endoftext|>'), /special token <\|endoftext\|>/);
});

test('tiktoken rank files that cannot be merges are refused', () => {
  assert.throws(() => tokenizerFromRanks('YQ== 0\n', 'none', new Map(), 'r.tiktoken'), /byte 0 has no token/);
  const bytes = Array.from({ length: 256 }, (_, b) => `${btoa(String.fromCharCode(b))} ${b}`);
  assert.throws(() => tokenizerFromRanks([...bytes, `${btoa('abc')} 256`].join('\n'), 'none', new Map(), 'r.tiktoken'),
    /rank 256 cannot be made by merging two lower-ranked tokens/);
  assert.throws(() => tokenizerFromRanks('not base64!\n', 'none', new Map(), 'r.tiktoken'), /line 1: expected a base64 token and its rank/);
});
