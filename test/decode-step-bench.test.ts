// The decode benchmark's --rows (bench/decode-step.ts): one row is the one-sequence decode the
// README's serving figures quote; a count that is not a whole number >= 1 is refused.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('../bench/decode-step.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 60_000 });

test('--rows 1 times one row a step; without it, 64', () => {
  for (const [args, rows] of [[['--rows', '1'], '1 row'], [[], '64 rows']] as const) {
    const r = run(...args, '--steps', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^2x48, ${rows}, threads 1, .*: [\\d.]+ µs a token`));
  }
});

test('--rows 0 and --rows 1.5 are refused', () => {
  for (const rows of ['0', '1.5']) {
    const r = run('--rows', rows, '--steps', '1');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`--rows must be a whole number >= 1, got ${rows.replace('.', '\\.')}`));
  }
});
