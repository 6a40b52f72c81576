// Inputs an audit found mishandled: each one, as a user meets it, must be one clear line and
// exit code 2, before any work, leaving the user's files as they were: never a stack trace, a
// wait without end, an allocation without bound, or a file of theirs overwritten.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseModelFile } from '../src/core/bpe/model-file.js';
import { DEFAULT_MODEL } from '../src/core/contract/config.js';
import { paramCount } from '../src/core/contract/params.js';
import { checkDecoderMemory, engineSpec } from '../src/core/run/engines.js';
import { batchDecodeFloats, createBatchDecodeState } from '../src/core/tensor/decode.js';
import { createTensorModel } from '../src/core/tensor/gpt.js';
import { TS_KERNELS } from '../src/core/tensor/kernels.js';
import { UserError } from '../src/core/errors.js';
import { download } from '../src/cli/download.js';
import { assertCleanError, cliAsync } from './cli-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-bad-input-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const NAMES = join(DIR, 'names.txt');
const NAMES_TEXT = 'emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\n';
writeFileSync(NAMES, NAMES_TEXT);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', BIN, ...args], { encoding: 'utf8', cwd: DIR, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

test('--metrics naming the --data file is refused, and the data is left as it was', () => {
  const data = join(DIR, 'victim.txt');
  for (const [job, metrics] of [[[], data], [['train', '--quiet'], data], [[], join(DIR, '.', 'victim.txt')]] as const) {
    writeFileSync(data, NAMES_TEXT);
    const r = cli(...job, '--data', data, '--steps', '2', '--metrics', metrics);
    assertCleanError(r, /--metrics .*victim\.txt is the file this run reads as --data/);
    assert.equal(readFileSync(data, 'utf8'), NAMES_TEXT, 'the dataset is untouched');
  }
  // through a symbolic link: the same file by another name
  const link = join(DIR, 'victim-link.jsonl');
  symlinkSync(data, link);
  assertCleanError(cli('--data', data, '--steps', '2', '--metrics', link), /is the file this run reads as --data/);
  assert.equal(readFileSync(data, 'utf8'), NAMES_TEXT);
});

test('--metrics naming the tokenizer model or the preset is refused before either is overwritten', () => {
  const model = join(DIR, 'tok');
  writeFileSync(join(DIR, 'shk.txt'), 'First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(20));
  assert.equal(cli('tokenizer', 'train', '--data', join(DIR, 'shk.txt'), '--vocab-size', '260', '--out', model).code, 0);
  const before = readFileSync(`${model}.model`, 'utf8');
  assertCleanError(cli('train', '--data', join(DIR, 'shk.txt'), '--format', 'text', '--tokenizer', `${model}.model`, '--steps', '2',
    '--metrics', `${model}.model`, '--quiet'), /is the file this run reads as --tokenizer/);
  assert.equal(readFileSync(`${model}.model`, 'utf8'), before);
  const preset = join(DIR, 'p.json');
  writeFileSync(preset, '{"steps": 2}\n');
  assertCleanError(cli('train', '--data', NAMES, '--preset', preset, '--metrics', preset, '--quiet'), /is the file this run reads as --preset/);
  assert.equal(readFileSync(preset, 'utf8'), '{"steps": 2}\n');
});

test('--metrics naming a file the checkpoint writes is refused before the checkpoint is touched; a metrics file beside it is fine', () => {
  const out = join(DIR, 'run-metrics');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', out, '--quiet').code, 0);
  const json = readFileSync(join(out, 'checkpoint.json'), 'utf8');
  for (const [flags, metrics] of [
    [['--resume', out], join(out, 'checkpoint.json')],
    [['--resume', out], join(out, '.', 'best', 'checkpoint.json')],
    [['--out', join(DIR, 'run-other')], join(DIR, 'run-other', 'model-000003-0badc0de.safetensors')],
  ] as const) {
    assertCleanError(cli('train', '--data', NAMES, '--steps', '3', ...flags, '--metrics', metrics, '--quiet'),
      /--metrics .* is a file the checkpoint in --(resume|out) .* writes or replaces: choose another name/);
  }
  assert.equal(readFileSync(join(out, 'checkpoint.json'), 'utf8'), json, 'the checkpoint as it was');
  const r = cli('train', '--data', NAMES, '--steps', '3', '--resume', out, '--metrics', join(out, 'metrics.jsonl'), '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1, 'one line for the one resumed step');
});

test('a --metrics file that cannot be written (a full disk) is one clear line, not a stack trace', { skip: !existsSync('/dev/full') && 'no /dev/full' }, () => {
  assertCleanError(cli('--data', NAMES, '--steps', '3', '--metrics', '/dev/full'), /could not write the --metrics file \/dev\/full \(ENOSPC/);
  const out = join(DIR, 'full-run');
  const r = cli('train', '--data', NAMES, '--steps', '3', '--metrics', '/dev/full', '--out', out, '--quiet');
  assertCleanError(r, /could not write the --metrics file \/dev\/full \(ENOSPC/);
});

test('a preset that is a FIFO or a device is refused at once, not waited on or read without end', { skip: process.platform === 'win32' }, () => {
  const fifo = join(DIR, 'preset-fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  assertCleanError(cli('train', '--preset', fifo), /preset is a FIFO \(named pipe\), not a regular file/);
  assertCleanError(cli('train', '--preset', '/dev/zero'), /preset is a character device, not a regular file/);
  assertCleanError(cli('bench', '--preset', fifo), /preset is a FIFO/);
});

test('an output directory where the lock cannot be created is one clear line, not a stack trace', { skip: process.platform !== 'linux' }, () => {
  // /proc exists and takes no new files, for root too (as a read-only or full file system would refuse)
  assertCleanError(cli('train', '--data', NAMES, '--steps', '2', '--out', '/proc', '--quiet'), /cannot write checkpoints to \/proc \(ENOENT/);
});

test('tokenizer train: an output it cannot write is one clear line, found before the training', () => {
  const data = join(DIR, 'tok-data.txt');
  writeFileSync(data, 'hello world, hello there\n'.repeat(50));
  mkdirSync(join(DIR, 'taken.model'));
  assertCleanError(cli('tokenizer', 'train', '--data', data, '--vocab-size', '260', '--out', join(DIR, 'taken')),
    /--out .*taken: .*taken\.model is a directory/);
  assertCleanError(cli('tokenizer', 'train', '--data', data, '--vocab-size', '260', '--out', ''), /--out needs a name/);
  assertCleanError(cli('tokenizer', 'train', '--data', data, '--vocab-size', '260', '--out', `${DIR}/`), /--out needs a name/);
  assert.ok(!existsSync(join(DIR, '.model')), 'no hidden .model written');
});

test('a .model file whose merges would build enormous tokens is refused before it allocates them', () => {
  const pattern = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";
  const file = (merges: string[]) => ['minbpe v1', pattern, '0', ...merges, ''].join('\n');
  const refused = (text: string) => assert.throws(() => parseModelFile(text, 'x.model'),
    (e: unknown) => e instanceof UserError && /x\.model: merge \d+ .*tokens would hold more than 256 MiB/.test(e.message), 'refused by name');
  // each merge doubles the last token: 41 of them, in 460 bytes, ask for 2^41 bytes
  refused(file(['97 97', ...Array.from({ length: 40 }, (_, i) => `${256 + i} ${256 + i}`)]));
  // each merge adds a byte to the last token: n merges hold n^2/2 bytes
  refused(file(Array.from({ length: 40_000 }, (_, i) => (i === 0 ? '97 97' : `${255 + i} 97`))));
  // and through the command line, as one line
  writeFileSync(join(DIR, 'doubling.model'), file(['97 97', ...Array.from({ length: 40 }, (_, i) => `${256 + i} ${256 + i}`)]));
  assertCleanError(cli('tokenizer', 'show', '--model', join(DIR, 'doubling.model')), /tokens would hold more than 256 MiB/);
});

test('--data-url: a body larger than the dataset limit, or a server that stops sending, is one clear error', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/declared') { res.writeHead(200, { 'content-length': String(2 ** 40) }); res.write('abc\n'); return; }
    if (req.url === '/silent') return; // never answers
    if (req.url === '/stalls') { res.writeHead(200); res.write('abc\n'); return; } // then nothing
    res.writeHead(200); // without end
    const chunk = Buffer.alloc(1 << 16, 'abc\n');
    const pump = () => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump); };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const declared = await cliAsync(['--data', join(DIR, 'declared.txt'), '--data-url', `${base}/declared`], { nodeArgs: ['--max-old-space-size=512'], cwd: DIR });
    assertCleanError(declared, /could not download .*\/declared: it is 1099511627776 bytes; the limit is 104857600 bytes \(100 MiB\)/);
    const expectRefusal = async (path: string, options: { idleMs?: number; maxBytes?: number }, message: RegExp) => {
      const target = join(DIR, `${path.slice(1)}.txt`);
      await assert.rejects(download(`${base}${path}`, target, options), (e: unknown) => e instanceof UserError && message.test(e.message));
      assert.ok(!existsSync(target), 'nothing saved');
    };
    await expectRefusal('/endless', { maxBytes: 1 << 20 }, /could not download .*\/endless: it is more than 1048576 bytes; the limit is 1048576 bytes/);
    await expectRefusal('/silent', { idleMs: 300 }, /could not download .*\/silent: no data for 0\.3 s/);
    await expectRefusal('/stalls', { idleMs: 300 }, /could not download .*\/stalls: no data for 0\.3 s/);
    // a folder that does not exist is said before the download (the endless body would take the limit's time first)
    const nowhere = await cliAsync(['--data', join(DIR, 'no-such-folder', 'names.txt'), '--data-url', `${base}/endless`], { nodeArgs: ['--max-old-space-size=512'], cwd: DIR });
    assertCleanError(nowhere, /cannot save a download to .*no-such-folder\/names\.txt: the folder .*no-such-folder does not exist/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

/** `train` with its stdout in a pipe: resolves once it has printed `lines` lines, with the child. */
function trainUntil(lines: number, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'train', '--data', NAMES, '--steps', '100000', '--log-every', '1', '--quiet', ...args], { cwd: DIR });
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  const started = new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => { out += d; if (out.split('\n').length > lines) resolve(); });
  });
  const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, started, ended, out: () => out, err: () => err };
}

const savedStep = (dir: string) => (JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { step: number }).step;

test('train stopped by SIGTERM (kill, docker stop) saves at the step it reached, as Ctrl-C does: exit 143', async () => {
  const out = join(DIR, 'sigterm-run');
  const t = trainUntil(12, '--out', out, '--save-every', '0');
  await t.started;
  t.child.kill('SIGTERM');
  assert.equal(await t.ended, 143, t.err());
  const step = Number(t.out().match(/interrupted at step (\d+) of 100000/)?.[1]);
  assert.ok(step > 0, t.out());
  assert.equal(savedStep(out), step, 'the checkpoint is the step it stopped at');
  assert.ok(!existsSync(join(out, '.microgpt.lock')), 'the lock is released');
});

test('train whose output reader goes away (| head) saves and says so on stderr, exit 141, not a silent 0', async () => {
  const out = join(DIR, 'closed-pipe-run');
  const t = trainUntil(12, '--out', out, '--save-every', '0');
  await t.started;
  t.child.stdout.destroy(); // as head does after its lines
  assert.equal(await t.ended, 141, t.err());
  const step = Number(t.err().match(/the output's reader went away \(a closed pipe\): interrupted at step (\d+) of 100000 .*; saved to .*continue with: microgpt train --resume/)?.[1]);
  assert.ok(step > 0, t.err());
  assert.equal(savedStep(out), step);
  assert.ok(!existsSync(join(out, '.microgpt.lock')));
});

test('serve --max-batch: the key/value caches of the batch are checked against the memory before any is allocated', () => {
  const config = { ...DEFAULT_MODEL, vocabSize: 27, nLayer: 4, nEmbd: 64, nHead: 4, blockSize: 4096 };
  // the estimate is what createBatchDecodeState allocates
  let floats = 0;
  const counting = { ...TS_KERNELS, alloc: (n: number) => { floats += n; return new Float64Array(n); } };
  const model = createTensorModel(config, new Float64Array(paramCount(config)), 1, TS_KERNELS);
  createBatchDecodeState({ ...model, kernels: counting }, 3, 5);
  assert.equal(batchDecodeFloats(config, 3, 5), floats);
  const limits = { bytes: 2 ** 30, heapBytes: 2 ** 30, where: "the test's 1 GiB" };
  const tensor = { spec: engineSpec('tensor'), config, rows: (slots: number) => slots };
  let fit = 0;
  assert.throws(() => checkDecoderMemory([tensor], 1024, limits), (e: unknown) => {
    const m = e instanceof UserError && /^decoding 1024 sequences at once needs about 25\.\d GiB for their key\/value caches, more than the test's 1 GiB; at most (\d+) fit$/.exec(e.message);
    fit = m ? Number(m[1]) : 0;
    return fit > 0;
  });
  checkDecoderMemory([tensor], fit, limits); // as many as it says fit
  assert.throws(() => checkDecoderMemory([tensor], fit + 1, limits), UserError);
  checkDecoderMemory([{ ...tensor, spec: engineSpec('scalar') }], 1024, limits); // one at a time: no batch decoder
});

test('a flag left without its value does not swallow the next flag as its value', () => {
  const r = cli('train', '--data', NAMES, '--steps', '2', '--out', '--overwrite', '--quiet');
  assertCleanError(r, /--out needs a value, but --overwrite is a flag \(to give it as the value, write --out=--overwrite\)/);
  assert.ok(!existsSync(join(DIR, '--overwrite')), 'no directory named --overwrite');
  assertCleanError(cli('train', '--data', NAMES, '--metrics', '--quiet=true'), /--metrics needs a value, but --quiet=true is a flag/);
  // text that only looks like a flag is still a value: here a prompt, refused for its characters
  const ck = join(DIR, 'flag-value-ck');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', ck, '--quiet').code, 0);
  assertCleanError(cli('sample', '--from', ck, '--prompt', '--emma'), /character "-" \(U\+002D\) is not in the model's vocabulary/);
});

test('a dataset the JavaScript heap cannot hold is refused with the heap it needs, not V8\'s out-of-memory abort', () => {
  const file = join(DIR, 'many-short-lines.txt');
  writeFileSync(file, 'ab\ncd\nef\n'.repeat(932_067)); // 8 MiB: 2.8 million documents, which abort a 128 MiB heap
  const run = (heap: number) => spawnSync(process.execPath, [`--max-old-space-size=${heap}`, BIN, '--data', file, '--steps', '2', '--samples', '1'],
    { encoding: 'utf8', timeout: 60_000 });
  const small = run(128);
  assertCleanError({ code: small.status, err: small.stderr },
    /many-short-lines\.txt: reading it as 2,796,201 documents needs about \d+ MiB of JavaScript heap, more than this Node's \d+ MiB; give Node more \(NODE_OPTIONS=--max-old-space-size=\d+\) or use a smaller file/);
  const suggested = Number(small.stderr.match(/--max-old-space-size=(\d+)/)![1]);
  assert.equal(run(suggested).status, 0, 'the heap it suggests is enough');
});

test('train with stdout and stderr in one closed pipe (2>&1 | head) still saves and exits 141, not 1', async () => {
  const out = join(DIR, 'closed-both-run');
  const t = trainUntil(12, '--out', out, '--save-every', '0');
  await t.started;
  t.child.stderr.destroy(); // stderr gone first, so the line about the closed stdout has no reader either
  t.child.stdout.destroy();
  assert.equal(await t.ended, 141);
  assert.ok(savedStep(out) > 0);
  assert.ok(!existsSync(join(out, '.microgpt.lock')));
});

test('tokenizer train on one enormous chunk (a 3 MB line of one letter) stays in a small heap, not V8\'s out-of-memory abort', () => {
  // DNA or base64 on one line is one chunk of the split pattern; each merge moves a pair's count
  // through millions of values, and a bucket kept for every value reached filled the heap
  const data = join(DIR, 'one-chunk.txt');
  writeFileSync(data, 'a'.repeat(3_000_000));
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', BIN, 'tokenizer', 'train', '--data', data, '--vocab-size', '260', '--out', join(DIR, 'one-chunk')],
    { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `exit ${r.status} (signal ${r.signal}): ${r.stderr.slice(0, 300)}`);
  assert.match(r.stdout, /trained 4 merges on 3,000,000 characters/);
  assert.equal(readFileSync(join(DIR, 'one-chunk.model'), 'utf8').trim().split('\n').slice(3).join(' '), '97 97 256 256 257 257 258 258');
});

test('tokenizer train on more text than the JavaScript heap can count is refused with the heap it needs, not V8\'s out-of-memory abort', () => {
  // many different words: every distinct chunk and its pairs are kept while merging
  const data = join(DIR, 'hex-words.txt');
  let seed = 1;
  const hex = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8).toString(16);
  writeFileSync(data, Array.from({ length: 900_000 }, hex).join(' ')); // ~6 MB, which aborts a 64 MiB old space
  const run = (heap: number) => spawnSync(process.execPath, [`--max-old-space-size=${heap}`, BIN, 'tokenizer', 'train', '--data', data, '--vocab-size', '300', '--out', join(DIR, 'hex-words')],
    { encoding: 'utf8', timeout: 60_000 });
  const small = run(64);
  assertCleanError({ code: small.status, err: small.stderr },
    /hex-words\.txt: learning merges from its [\d,]+ bytes needs about \d+ MiB of JavaScript heap, more than this Node's \d+ MiB; give Node more \(NODE_OPTIONS=--max-old-space-size=\d+\) or use a smaller file/);
  assert.ok(!existsSync(join(DIR, 'hex-words.model')), 'refused before the work');
  const suggested = Number(small.stderr.match(/--max-old-space-size=(\d+)/)![1]);
  assert.equal(run(suggested).status, 0, 'the heap it suggests is enough');
  // an ordinary text trains in a modest heap: the estimate does not refuse it
  const shakespeare = fileURLToPath(new URL('../../data/tinyshakespeare.txt', import.meta.url));
  const r = spawnSync(process.execPath, ['--max-old-space-size=128', BIN, 'tokenizer', 'train', '--data', shakespeare, '--vocab-size', '300', '--out', join(DIR, 'ts300')],
    { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
});

test('a preset that gives a key twice is refused, not run with whichever came last', () => {
  const preset = join(DIR, 'twice.json');
  for (const text of ['{"steps": 2, "lr": 0.01, "steps": 3}', '{"steps": 2, "st\\u0065ps": 3}', '{\n  "steps": 2,\n  "steps": 2\n}']) {
    writeFileSync(preset, text);
    assertCleanError(cli('train', '--data', NAMES, '--preset', preset, '--quiet'), /preset .*twice\.json: "steps" is given twice; JSON keeps only the last, so give it once/);
  }
  // the same name inside a value, or a nested object's keys, are not the preset's keys
  writeFileSync(preset, '{"data": "steps", "steps": 2}');
  assertCleanError(cli('train', '--preset', preset, '--quiet'), /dataset not found: .*steps/);
  writeFileSync(preset, '{"steps": {"a": 1, "a": 2}}');
  assertCleanError(cli('train', '--data', NAMES, '--preset', preset, '--quiet'), /"steps" must be an integer/);
});

test('an output folder whose checkpoint.json (or best/checkpoint.json) is a directory is refused before training, not after it or with a stack trace', () => {
  for (const where of ['checkpoint.json', join('best', 'checkpoint.json')]) {
    const out = join(DIR, `taken-${where.replace(/\W/g, '-')}`);
    mkdirSync(join(out, where), { recursive: true });
    const r = cli('train', '--data', NAMES, '--steps', '2', '--out', out, '--overwrite');
    assertCleanError(r, new RegExp(`cannot write checkpoints to .*taken-[\\w-]+: .*${where.replace('/', '\\/').replace('.', '\\.')} is a directory, which a checkpoint cannot replace`));
    assert.equal(r.out, '', 'refused before the first step');
    assert.ok(existsSync(join(out, where)), 'left as it was');
  }
});

test('a checkpoint whose weights file was replaced by a directory, or a --from naming a file that is not a checkpoint, says what it found', () => {
  const ck = join(DIR, 'weights-dir-ck');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', ck, '--quiet').code, 0);
  const weights = readdirSync(ck).find((n) => n.endsWith('.safetensors'))!;
  rmSync(join(ck, weights));
  mkdirSync(join(ck, weights));
  assertCleanError(cli('sample', '--from', ck), new RegExp(`checkpoint .*weights-dir-ck: ${weights.replace('.', '\\.')}, which checkpoint\\.json names, is a directory, not a file`));
  // a file given for the directory: named as given, not as its folder "."
  assertCleanError(cli('sample', '--from', 'names.txt'), /checkpoint names\.txt: .*not valid JSON.*give the checkpoint's directory/);
  writeFileSync(join(DIR, 'model.safetensors'), new Uint8Array(64));
  assertCleanError(cli('eval', '--from', join(DIR, 'model.safetensors')), /checkpoint .*\/model\.safetensors: .*give the checkpoint's directory/);
});

test('export --out given as an empty name asks for a name, not "already exists" about the current folder', () => {
  const ck = join(DIR, 'export-empty-ck');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', ck, '--quiet').code, 0);
  assertCleanError(cli('export', '--from', ck, '--format', 'onnx', '--out', ''), /^microgpt: error: --out needs a name: the folder to create$/m);
});

test('resume or eval of a checkpoint whose data file has moved says where the path came from and what to give', () => {
  const data = join(DIR, 'to-move.txt'), ck = join(DIR, 'moved-data-ck');
  writeFileSync(data, NAMES_TEXT);
  assert.equal(cli('train', '--data', data, '--steps', '4', '--stop-at', '2', '--out', ck, '--quiet').code, 0);
  rmSync(data);
  const message = /the data the checkpoint in .*moved-data-ck was trained on, .*to-move\.txt, is not there \(moved\?\); give --data FILE, the same text/;
  assertCleanError(cli('train', '--resume', ck), message);
  assertCleanError(cli('eval', '--from', ck), message);
  writeFileSync(join(DIR, 'moved-here.txt'), NAMES_TEXT);
  assert.equal(cli('train', '--resume', ck, '--data', join(DIR, 'moved-here.txt'), '--quiet').code, 0, 'the same text elsewhere resumes');
});

test('eval --data with characters the model never saw names the file and where, and says when it is the newline of a lines model', () => {
  const ck = join(DIR, 'unseen-ck');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', ck, '--quiet').code, 0);
  const data = join(DIR, 'unseen.txt');
  writeFileSync(data, 'emma\n  mia\t\nZoe\n');
  assertCleanError(cli('eval', '--from', ck, '--data', data),
    /unseen\.txt: document 3 \("Zoe"\) holds the character "Z" \(U\+005A\), which is not in the model's vocabulary \(the \d+ characters of its training data\)/);
  assertCleanError(cli('eval', '--from', ck, '--data', data, '--format', 'text'),
    /unseen\.txt: line 1 ends in a newline, which a lines model never saw: evaluate it with --format lines/);
  writeFileSync(data, 'emma\nmia é\n');
  assertCleanError(cli('eval', '--from', ck, '--data', data, '--format', 'text'), /unseen\.txt: line 1 ends in a newline/);
  writeFileSync(data, 'emmaé');
  assertCleanError(cli('eval', '--from', ck, '--data', data, '--format', 'text'), /unseen\.txt: line 1 holds the character "é" \(U\+00E9\), which is not in the model's vocabulary/);
});

test('export --out naming a dangling symbolic link is refused as existing, before the export is built', () => {
  const ck = join(DIR, 'export-link-ck');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', ck, '--quiet').code, 0);
  const link = join(DIR, 'dangling-export');
  symlinkSync(join(DIR, 'no-such-target'), link);
  assertCleanError(cli('export', '--from', ck, '--format', 'onnx', '--out', link), /dangling-export already exists \(a symbolic link\); export never overwrites/);
});

test('tokenizer train on a text of a million different words (8 MB) fits a 256 MiB heap', () => {
  // random letters, as hex dumps, identifiers or DNA give: each distinct chunk was an object of
  // its own, and 100 MB of them ended in V8's out-of-memory abort under Node's default heap
  let x = 4; // xorshift32: a million distinct words of 3 to 8 letters
  const letter = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return String.fromCharCode(97 + (x >>> 0) % 26); };
  const words = Array.from({ length: 1_300_000 }, (_, i) => Array.from({ length: 3 + (i % 6) }, letter).join(''));
  const data = join(DIR, 'many-words.txt');
  writeFileSync(data, words.join(' '));
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', BIN, 'tokenizer', 'train', '--data', data, '--vocab-size', '300', '--out', join(DIR, 'many-words')],
    { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `exit ${r.status} (signal ${r.signal}): ${r.stderr.slice(0, 300)}`);
  assert.match(r.stdout, /trained 44 merges on /);
});

test('sample --prompt longer than the context says that the model reads only its end, instead of printing the prompt back in silence', () => {
  const ck = join(DIR, 'long-prompt-ck');
  assert.equal(cli('train', '--data', NAMES, '--steps', '2', '--out', ck, '--quiet', '--block-size', '8').code, 0);
  const r = cli('sample', '--from', ck, '--prompt', 'emmaolivia', '--samples', '2');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, 'note: the prompt and the document\'s start are 11 tokens, more than the context (8): the model reads only the last 8, and writes at most 1 more (--max-tokens N writes more)\n');
  assert.equal(r.out.match(/^sample /gm)?.length, 2);
  assert.equal(cli('sample', '--from', ck, '--prompt', 'emma', '--samples', '1').err, '', 'a prompt that fits: no note');
});

test('a lines file of one document under the default validation split, and a .vocab file given as the tokenizer, say what to do', () => {
  const one = join(DIR, 'one-doc.txt');
  writeFileSync(one, 'just one document\n');
  assertCleanError(cli('train', '--data', one, '--steps', '2', '--quiet'),
    /val-fraction 0\.1 leaves no training documents out of 1 \(a val-fraction of 0 trains on all of them, with no validation loss\)/);
  assert.equal(cli('train', '--data', one, '--steps', '2', '--quiet', '--val-fraction', '0').code, 0);
  writeFileSync(join(DIR, 'shk-vocab.txt'), 'First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(20));
  assert.equal(cli('tokenizer', 'train', '--data', join(DIR, 'shk-vocab.txt'), '--vocab-size', '260', '--out', join(DIR, 'vtok')).code, 0);
  assertCleanError(cli('tokenizer', 'show', '--model', join(DIR, 'vtok.vocab')), /vtok\.vocab: .*a \.vocab file is for reading; give the \.model file beside it/);
  assertCleanError(cli('train', '--data', NAMES, '--tokenizer', join(DIR, 'vtok.vocab'), '--quiet'), /give the \.model file beside it/);
});

test('--metrics naming a FIFO that no process reads is one clear line, not a wait without end; with a reader the lines arrive', { skip: process.platform === 'win32' }, async () => {
  const fifo = join(DIR, 'metrics-fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const r = spawnSync(process.execPath, [BIN, 'train', '--data', NAMES, '--steps', '2', '--metrics', fifo, '--quiet'], { encoding: 'utf8', timeout: 10_000 });
  assertCleanError({ code: r.status, err: r.stderr }, /--metrics .*metrics-fifo is a FIFO \(named pipe\) that no process reads: start its reader first/);
  const reader = spawn('cat', [fifo]);
  let read = '';
  reader.stdout.on('data', (d) => { read += d; });
  const readerDone = new Promise((resolve) => reader.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200)); // cat has opened it
  const ok = await cliAsync(['train', '--data', NAMES, '--steps', '3', '--metrics', fifo, '--quiet'], { cwd: DIR });
  assert.equal(ok.code, 0, ok.err);
  await readerDone;
  assert.deepEqual(read.trim().split('\n').map((l) => JSON.parse(l).step), [1, 2, 3]);
});

test('an error about a path with a newline in its name is still one line', () => {
  assertCleanError(cli('train', '--data', 'no\nsuch.txt', '--quiet'), /dataset not found: no\\nsuch\.txt$/m);
});
