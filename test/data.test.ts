// Dataset reading equals Python's (fixtures from scripts/gen-data-fixtures.py), and readDataset
// refuses anything that is not a regular file of bounded size, with one clear line and no hang.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, ftruncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_DATASET_BYTES, readDataset } from '../src/cli/dataset.js';
import { buildTokenizer, encode } from '../src/core/contract/tokenizer.js';
import { decodeDataset } from '../src/core/data/decode.js';
import { parseDocuments, pyStrip } from '../src/core/data/documents.js';
import { normaliseText } from '../src/core/data/text.js';
import { UserError } from '../src/core/errors.js';

interface Case {
  name: string;
  bytes: string; // base64
  docs?: string[]; vocab?: string[]; text?: string; textVocab?: string[]; // what Python read
  error?: string; reason?: string; start?: number; // or how it refused
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/data.json', import.meta.url), 'utf8')) as
  { python: string; unicode: string; spaces: number[]; cases: Case[] };
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-data-'));

/** The UserError `fn` throws; fails unless its message is one line. */
function refusal(fn: () => unknown, pattern: RegExp): string {
  let message = '';
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `a UserError, got ${String(err)}`);
    message = err.message;
    return true;
  });
  assert.match(message, pattern);
  assert.doesNotMatch(message, /\n/, 'one line');
  return message;
}

test(`the fixture covers the cases (Python ${fixture.python}, Unicode ${fixture.unicode})`, () => {
  assert.ok(fixture.cases.length >= 60, `${fixture.cases.length} cases`);
  assert.ok(fixture.cases.filter((c) => c.error).length >= 10, 'cases Python refuses');
  assert.equal(fixture.spaces.length, 29, 'Python 3 has 29 whitespace code points since Unicode 6.3');
});

for (const c of fixture.cases) {
  test(`reads like Python: ${c.name}`, () => {
    const bytes = Buffer.from(c.bytes, 'base64');
    const utf16or32Bom = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    if (c.error) {
      assert.equal(c.error, 'UnicodeDecodeError');
      if (utf16or32Bom) refusal(() => decodeDataset(bytes, 'f.txt'), /is UTF-16 or UTF-32 text, not UTF-8 \(it starts with the byte-order mark F[EF] F[EF]\); save it as UTF-8: f\.txt$/);
      else if (bytes.includes(0)) refusal(() => decodeDataset(bytes, 'f.txt'), /looks binary .*: f\.txt$/);
      else {
        const byte = bytes[c.start!].toString(16).toUpperCase().padStart(2, '0');
        refusal(() => decodeDataset(bytes, 'f.txt'), new RegExp(`not valid UTF-8 text \\(byte 0x${byte} at offset ${c.start}\\): f\\.txt$`));
      }
      return;
    }
    // Python reads these: an empty file (the reference then fails at its first step) and NUL
    // bytes, our one deviation: we refuse them as binary
    if (bytes.length === 0) return void refusal(() => decodeDataset(bytes, 'f.txt'), /dataset is empty: f\.txt/);
    if (bytes.includes(0)) return void refusal(() => decodeDataset(bytes, 'f.txt'), /looks binary \(NUL byte at offset \d+;/);

    const raw = decodeDataset(bytes, 'f.txt');
    const docs = parseDocuments(raw);
    assert.deepEqual(docs, c.docs, 'docs');
    const tokenizer = buildTokenizer(docs);
    assert.deepEqual(tokenizer.chars, c.vocab, 'vocabulary of the documents');
    for (const doc of docs) assert.equal(encode(tokenizer, doc).length, [...doc].length, `one id per code point of ${JSON.stringify(doc)}`);
    const text = normaliseText(raw);
    assert.equal(text, c.text, 'open(path).read()');
    assert.deepEqual(buildTokenizer([text]).chars, c.textVocab, 'vocabulary of the text');
  });
}

test('pyStrip strips exactly the code points Python calls whitespace, all 0x110000 of them checked', () => {
  const spaces = new Set(fixture.spaces);
  const wrong: string[] = [];
  for (let c = 0; c <= 0x10ffff; c++) {
    const ch = String.fromCodePoint(c);
    const ok = spaces.has(c)
      ? pyStrip(ch) === '' && pyStrip(`${ch}${ch}x${ch}y${ch}`) === `x${ch}y`
      : pyStrip(ch) === ch && pyStrip(`${ch}x${ch}`) === `${ch}x${ch}`;
    if (!ok) wrong.push(`U+${c.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} code points stripped unlike Python`);
});

test('parseDocuments and buildTokenizer: their native fast paths equal the per-line and per-character loops', () => {
  // the loops, as written before the fast paths: strip every line, add every code point
  const slowDocs = (raw: string) => normaliseText(raw).split('\n').map(pyStrip).filter((d) => d.length > 0);
  const slowChars = (docs: string[]) => [...new Set(docs.flatMap((d) => [...d]))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const spaces = fixture.spaces.map((c) => String.fromCodePoint(c));
  const plain = ['a', 'b', 'Z', '\u00e9', '\ufeff', '\uffff', '\n', '\n', '\r\n', '\r'];
  const astral = ['\u{1f600}', '\ud800', '\udc00'];
  for (const ch of spaces) {
    for (const raw of [`${ch}a\nb`, `a\n${ch}b`, `a${ch}\nb`, `a\nb${ch}`, `a\n${ch}\nb`]) {
      assert.deepEqual(parseDocuments(raw), slowDocs(raw), `documents of ${JSON.stringify(raw)}`);
    }
  }
  let seed = 1;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let k = 0; k < 600; k++) {
    // a third without spaces (the fast path of parseDocuments), a third without surrogates (buildTokenizer's)
    const pool = k % 3 === 0 ? plain : k % 3 === 1 ? [...plain, ...spaces] : [...plain, ...spaces, ...astral];
    let raw = '';
    for (let i = rand(40); i > 0; i--) raw += pool[rand(pool.length)];
    const docs = parseDocuments(raw);
    assert.deepEqual(docs, slowDocs(raw), `documents of ${JSON.stringify(raw)}`);
    assert.deepEqual(buildTokenizer(docs).chars, slowChars(docs), `vocabulary of ${JSON.stringify(docs)}`);
  }
  // the few-characters search builds a regex class of the characters found: ] \\ ^ - [ among
  // them; past 128 distinct characters the table loop takes over
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String.fromCharCode(from + i));
  for (const chars of [range(0x20, 0x7f), range(0x20, 0x7f).reverse(), range(0x20, 0xa0), range(0x5b, 0x5f), range(0x100, 0x181)]) {
    const docs = [chars.join(''), chars.slice(3, 9).join('')];
    assert.deepEqual(buildTokenizer(docs).chars, slowChars(docs), `vocabulary of ${chars.length} characters from ${JSON.stringify(chars[0])}`);
  }
});

test('pyStrip takes linear time on a long run of inner spaces', () => {
  // a regex like /\s+$/ is quadratic here: 50k spaces took 3.5 s, and 1M would take 20 minutes
  const line = `x${' '.repeat(50_000)}y`;
  const t0 = performance.now();
  assert.equal(pyStrip(` ${line}\u3000`), line);
  const ms = performance.now() - t0;
  assert.ok(ms < 50, `${ms.toFixed(1)} ms (measured 0.1 ms)`);
});

test('a UTF-8 byte-order mark is read as the character U+FEFF, as Python reads it', async () => {
  const path = join(tmp, 'bom.txt');
  writeFileSync(path, '\ufeffemma\nolivia\n');
  const docs = parseDocuments(await readDataset(path));
  assert.deepEqual(docs, ['\ufeffemma', 'olivia']);
  assert.ok(buildTokenizer(docs).chars.includes('\ufeff'), 'U+FEFF is in the vocabulary');
});

test('readDataset reads regular files and symlinks to them, even /proc files that report size 0', async () => {
  const path = join(tmp, 'names.txt');
  writeFileSync(path, 'emma\r\nolivia\r\n');
  symlinkSync(path, join(tmp, 'link.txt'));
  assert.equal(await readDataset(join(tmp, 'link.txt')), 'emma\r\nolivia\r\n');
  if (existsSync('/proc/self/status')) assert.match(await readDataset('/proc/self/status'), /^Name:/);
});

test('readDataset refuses what is not a regular file, with one line naming it', async () => {
  const refused = async (path: string, pattern: RegExp) => {
    await assert.rejects(readDataset(path), (err: unknown) => {
      assert.ok(err instanceof UserError, String(err));
      assert.match(err.message, pattern);
      assert.ok(err.message.endsWith(`: ${path}`), err.message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  };
  const dir = join(tmp, 'a-directory');
  mkdirSync(dir);
  await refused(dir, /dataset is a directory, not a regular file/);
  await refused('/dev/zero', /dataset is a character device, not a regular file/); // reads forever if read
  await refused('/dev/null', /dataset is a character device, not a regular file/);
  await refused(join(tmp, 'missing.txt'), /dataset not found/);
  symlinkSync(join(tmp, 'nowhere.txt'), join(tmp, 'dangling.txt'));
  await refused(join(tmp, 'dangling.txt'), /dataset not found/);
  writeFileSync(join(tmp, 'empty.txt'), '');
  await refused(join(tmp, 'empty.txt'), /dataset is empty/);

  const socket = join(tmp, 'a-socket');
  const server = createServer().listen(socket);
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await refused(socket, /dataset is a socket, not a regular file/);
  } finally {
    server.close();
  }
});

test('readDataset refuses a FIFO without waiting for a writer', () => {
  const fifo = join(tmp, 'a-fifo');
  execFileSync('mkfifo', [fifo]);
  // in a child, so a blocking open fails this test by its timeout instead of hanging the suite
  const module = new URL('../src/cli/dataset.js', import.meta.url).href;
  const script = `import(${JSON.stringify(module)}).then((m) => m.readDataset(${JSON.stringify(fifo)}))`
    + '.then(() => process.exit(0), (e) => { process.stderr.write(e.message); process.exit(2); })';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.signal, null, 'finished without a writer (no hang)');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `dataset is a FIFO (named pipe), not a regular file: ${fifo}`);
});

test('readDataset refuses a file over the size cap before reading it, naming its size and the cap', async () => {
  const big = join(tmp, 'big.txt');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 4 * 2 ** 30); // sparse: 4 GiB that take no disk and, if read, would exhaust memory
  closeSync(fd);
  const t0 = performance.now();
  await assert.rejects(readDataset(big), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.equal(err.message, `dataset is too large (4294967296 bytes; the limit is ${MAX_DATASET_BYTES} bytes, 100 MiB): ${big}`);
    return true;
  });
  assert.ok(performance.now() - t0 < 1000, 'refused without reading');

  // the cap itself is admitted: this file is read, then refused as binary for its zeros
  const edge = join(tmp, 'edge.txt');
  const fd2 = openSync(edge, 'w');
  ftruncateSync(fd2, MAX_DATASET_BYTES);
  closeSync(fd2);
  await assert.rejects(readDataset(edge), /looks binary \(NUL byte at offset 0;/);
});
