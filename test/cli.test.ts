// The command a user types: its output, its flags, and one clear message for bad input.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadFixture } from './reference-helpers.js';
import { assertCleanError, cliAsync } from './cli-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--max-semi-space-size=64', BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('with no flags the output equals the Python reference, line for line', () => {
  const r = cli();
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, loadFixture('default').output);
});

test('--help lists every flag with its default', () => {
  const r = cli('--help');
  assert.equal(r.code, 0);
  for (const flag of ['--data', '--seed', '--n-layer', '--n-embd', '--n-head', '--block-size', '--steps', '--lr',
    '--beta1', '--beta2', '--temperature', '--samples', '--metrics']) assert.match(r.out, new RegExp(`${flag}\\b`));
  assert.match(r.out, /--n-embd <int>\s+embedding width \(default: 16\)/);
});

test('bad flags get one clear message and exit 2', () => {
  assertCleanError(cli('--n-emb', '8'), /unknown flag --n-emb \(did you mean --n-embd\?\)/);
  assertCleanError(cli('--n-embd', '10', '--n-head', '4'), /n-embd \(10\) must be divisible by n-head \(4\)/);
  assertCleanError(cli('--steps', '-5'), /steps must be an integer >= 0, got -5/);
  assertCleanError(cli('--lr', 'fast'), /--lr expects a number, got 'fast'/);
  assertCleanError(cli('--temperature', '0', '--steps', '1'), /temperature must be > 0/);
  assertCleanError(cli('--steps'), /--steps needs a value/);
});

test('a flag given twice runs with the last value and says so on stderr, the output unchanged', () => {
  const once = cli('--steps', '3', '--samples', '2');
  const twice = cli('--steps', '50', '--samples', '2', '--steps', '3');
  assert.equal(twice.code, 0, twice.err);
  assert.equal(twice.out, once.out);
  assert.equal(twice.err, 'microgpt: warning: --steps is given twice (50, then 3); the last one counts\n');
  assert.equal(once.err, '');
});

test('a missing, empty, blank or binary dataset is a clear error', () => {
  assertCleanError(cli('--data', join(tmp, 'nope.txt')), /dataset not found/);
  writeFileSync(join(tmp, 'empty.txt'), '');
  assertCleanError(cli('--data', join(tmp, 'empty.txt')), /dataset is empty/);
  writeFileSync(join(tmp, 'blank.txt'), '\n  \n\t\n');
  assertCleanError(cli('--data', join(tmp, 'blank.txt')), /no documents/);
  writeFileSync(join(tmp, 'bin.txt'), Buffer.from([1, 2, 0, 3]));
  assertCleanError(cli('--data', join(tmp, 'bin.txt')), /binary/);
  writeFileSync(join(tmp, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  assertCleanError(cli('--data', join(tmp, 'latin1.txt')), /not valid UTF-8/);
});

test('a custom dataset trains, --metrics writes one JSON line per step', () => {
  writeFileSync(join(tmp, 'tiny.txt'), 'abc\nbca\ncab\n');
  const metrics = join(tmp, 'metrics.jsonl');
  const r = cli('--data', join(tmp, 'tiny.txt'), '--steps', '5', '--samples', '3', '--metrics', metrics);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^num docs: 3\nvocab size: 4\n/);
  assert.equal(r.out.match(/^sample /gm)?.length, 3);
  const lines = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4, 5]);
  assert.ok(lines.every((l) => Number.isFinite(l.loss)));
});

test('a missing dataset with --data-url is downloaded first (local server)', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/names.txt') res.end('anna\nbob\n');
    else { res.statusCode = 404; res.end(); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const path = join(tmp, 'downloaded.txt');
    const ok = await cliAsync(['--data', path, '--data-url', `${base}/names.txt`, '--steps', '2', '--samples', '1']);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(readFileSync(path, 'utf8'), 'anna\nbob\n');
    assert.match(ok.out, /num docs: 2/);
    const missing = await cliAsync(['--data', join(tmp, 'x.txt'), '--data-url', `${base}/missing.txt`]);
    assertCleanError(missing, /could not download .*HTTP 404/);
    assert.ok(!existsSync(join(tmp, 'x.txt')), 'no partial file left behind');
  } finally {
    server.close();
  }
});
