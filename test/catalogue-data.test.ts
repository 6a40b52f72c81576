// The catalogue's data files, through the CLI as a user meets them: each bad file is one line
// on stderr and exit code 2 before any training output; each valid oddity (a byte-order mark,
// CRLF, a lone CR, emoji) trains, with the vocabulary and losses Python's reading implies.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, closeSync, ftruncateSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/microgpt.js');
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-data-catalogue-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

/** The main job on `file` for a few steps: deterministic output, and fast. */
function trainOn(file: string, ...extra: string[]) {
  return spawnSync(process.execPath, ['--max-old-space-size=512', BIN, '--data', file, '--steps', '3', '--samples', '2', ...extra], {
    encoding: 'utf8', timeout: 20_000,
  });
}

function fileOf(name: string, bytes: Uint8Array | string): string {
  const path = join(DIR, name);
  writeFileSync(path, bytes);
  return path;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: (number[] | string)[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...utf8(p)] : p)));

// name, how to make the file, what the one error line must say
const REFUSED: [string, () => string, RegExp][] = [
  ['a missing file', () => join(DIR, 'no-such-file.txt'), /no-such-file\.txt/],
  ['a directory', () => { const d = join(DIR, 'a-directory'); mkdirSync(d, { recursive: true }); return d; }, /directory/],
  ['a device that never ends (/dev/zero)', () => '/dev/zero', /\/dev\/zero/],
  ['an empty file', () => fileOf('empty.txt', ''), /empty/],
  ['only blank lines', () => fileOf('blank.txt', ' \n\t\n\r\n  \n'), /no documents/],
  ['a NUL byte (binary)', () => fileOf('binary.bin', bytes('ab', [0], 'cd\n')), /binary|NUL/i],
  ['Latin-1 (an invalid UTF-8 byte)', () => fileOf('latin1.txt', bytes('caf', [0xe9], '\nbob\n')), /UTF-8.*0xE9 at offset 3/],
  ['UTF-8 cut off in a character', () => fileOf('cut.txt', bytes('ab\n', [0xe2, 0x82])), /UTF-8/],
  ['an overlong encoding', () => fileOf('overlong.txt', bytes('a', [0xc0, 0x80], '\n')), /UTF-8/],
  ['a UTF-8-encoded surrogate', () => fileOf('surrogate.txt', bytes('a', [0xed, 0xa0, 0x80], '\n')), /UTF-8/],
  ['UTF-16 LE with its byte-order mark', () => fileOf('utf16le.txt', bytes([0xff, 0xfe, 0x61, 0, 0x0a, 0])), /UTF-16/],
  ['UTF-16 BE with its byte-order mark', () => fileOf('utf16be.txt', bytes([0xfe, 0xff, 0, 0x61, 0, 0x0a])), /UTF-16/],
  ['UTF-32 LE with its byte-order mark', () => fileOf('utf32le.txt', bytes([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0])), /UTF-32/],
  ['a 4 GiB sparse file, over the cap', () => {
    const path = join(DIR, 'huge.txt');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 4 * 2 ** 30);
    closeSync(fd);
    return path;
  }, /MiB/],
];

for (const [name, make, message] of REFUSED) {
  test(`data: ${name} is one clear line and exit 2`, () => {
    const r = trainOn(make());
    assert.equal(r.status, 2, `exit ${r.status} (signal ${r.signal}); stderr: ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing printed before the error');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
    assert.match(lines[0], /^microgpt: error: /);
    assert.match(lines[0], message);
  });
}

test('data: a FIFO is refused at once, without waiting for a writer', () => {
  const fifo = join(DIR, 'a-fifo');
  spawnSync('mkfifo', [fifo]);
  const r = trainOn(fifo);
  assert.equal(r.status, 2, `exit ${r.status} (signal ${r.signal}); stderr: ${r.stderr}`);
  assert.match(r.stderr, /^microgpt: error: .*a-fifo.*\n$/);
});

/** The output of a valid run, which must equal the run on the plain-LF file. */
function sameRunAs(plain: string, odd: string): void {
  const a = trainOn(fileOf('plain.txt', plain)), b = trainOn(fileOf('odd.txt', odd));
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.stdout, a.stdout);
}

const NAMES = 'emma\nolivia\nava\nisabella\nsophia\n';

test('data: CRLF line ends give exactly the run of LF line ends', () => sameRunAs(NAMES, NAMES.replace(/\n/g, '\r\n')));

test('data: lone CR line ends (old Mac) give exactly the run of LF line ends', () => sameRunAs(NAMES, NAMES.replace(/\n/g, '\r')));

test('data: surrounding whitespace Python strips (tabs, \\x1c-\\x1f, NBSP, U+3000) gives the run of the stripped lines', () => {
  const padded = NAMES.split('\n').map((l) => (l ? `\t\x1c ${l}\u00a0\u3000\x1f` : l)).join('\n');
  sameRunAs(NAMES, padded);
});

test('data: a UTF-8 byte-order mark is kept as U+FEFF, one more vocabulary entry, as Python reads it', () => {
  const plain = trainOn(fileOf('nobom.txt', NAMES));
  const bom = trainOn(fileOf('bom.txt', `\ufeff${NAMES}`));
  assert.equal(bom.status, 0, bom.stderr);
  const vocab = (out: string) => Number(/vocab size: (\d+)/.exec(out)![1]);
  assert.equal(vocab(bom.stdout), vocab(plain.stdout) + 1);
  assert.notEqual(bom.stdout, plain.stdout, 'a different vocabulary is a different run');
});

test('data: emoji and other astral characters are one token each (code points, as Python)', () => {
  const r = trainOn(fileOf('emoji.txt', 'a😀b\n😀😀\nab👍\n'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /vocab size: 5\n/, 'a, b, 😀, 👍 and BOS');
});

test('data: a symlink to a regular file reads the file', () => {
  const target = fileOf('target.txt', NAMES);
  const link = join(DIR, 'link.txt');
  rmSync(link, { force: true });
  symlinkSync(target, link);
  const viaLink = trainOn(link);
  assert.equal(viaLink.status, 0, viaLink.stderr);
  assert.equal(viaLink.stdout, trainOn(target).stdout);
});

test('data: a single one-character document trains (the shortest valid lines file)', () => {
  const r = trainOn(fileOf('one-char.txt', 'x'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /num docs: 1\nvocab size: 2\n/);
});

test('data: train --format text on a one-character text is one clear line', () => {
  const r = spawnSync(process.execPath, [BIN, 'train', '--data', fileOf('x.txt', 'x'), '--format', 'text', '--steps', '1'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^microgpt: error: .*1 character.*at least 2\n$/);
});
