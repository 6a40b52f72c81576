// int8 weights: every weight within half a step of its row's scale, zero rows stay zero, and a
// trained model loses little: `eval --quantize int8` against the same checkpoint unrounded.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_MODEL } from '../src/core/contract/config.js';
import { initParams, paramLayout } from '../src/core/contract/params.js';
import { dequantizeInt8, int8Bytes, quantizeInt8 } from '../src/core/contract/quantize.js';
import { PyRandom } from '../src/core/contract/random.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));

test('int8 rounding: each weight within half its row\'s step, values in [-127, 127], zero rows zero, an eighth of the bytes', () => {
  const config = { ...DEFAULT_MODEL, vocabSize: 27, nEmbd: 16 };
  const weights = initParams(config, new PyRandom(1));
  const wte = paramLayout(config)[0];
  weights.fill(0, wte.offset, wte.offset + wte.cols); // a row of zeros
  weights[wte.offset + wte.cols] = -3.5;              // a row with one large weight
  const q = quantizeInt8(config, weights), back = dequantizeInt8(config, q);
  let row = 0, worst = 0;
  for (const p of paramLayout(config)) {
    for (let r = 0; r < p.rows; r++, row++) {
      for (let i = 0; i < p.cols; i++) {
        const k = p.offset + r * p.cols + i;
        assert.ok(Math.abs(q.values[k]) <= 127);
        const err = Math.abs(back[k] - weights[k]);
        assert.ok(err <= q.scales[row] / 2 * (1 + 1e-12), `${p.name}[${r}][${i}]: error ${err}, half step ${q.scales[row] / 2}`);
        if (q.scales[row] > 0) worst = Math.max(worst, err / q.scales[row]);
      }
    }
  }
  assert.ok(worst > 0.4, `rounding to nearest uses the whole half step (${worst})`);
  assert.deepEqual(Array.from(back.subarray(wte.offset, wte.offset + wte.cols)), new Array(wte.cols).fill(0));
  assert.equal(back[wte.offset + wte.cols], -3.5, 'a row\'s largest weight is exact (it is 127 steps)');
  assert.equal(int8Bytes(q), weights.length + 4 * row);
});

test('eval and sample take --quantize int8; the held-out loss moves by little', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'microgpt-int8-')), 'run');
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.equal(run('train', '--preset', 'shakespeare', '--steps', '300', '--out', dir, '--quiet').status, 0);
  const bits = (out: string) => Number(/\| (\d\.\d{4}) bits per char/.exec(out)![1]);
  const plain = run('eval', '--from', dir), int8 = run('eval', '--from', dir, '--quantize', 'int8');
  assert.equal(int8.status, 0, int8.stderr);
  assert.match(int8.stderr, /^note: weights rounded to int8 per row: [\d.]+ KB int8 instead of [\d.]+ KB float64\n$/);
  const moved = Math.abs(bits(int8.stdout) - bits(plain.stdout));
  assert.ok(moved < 0.01, `int8 moves the held-out bits per character by ${moved}`);
  const sample = run('sample', '--from', dir, '--quantize', 'int8', '--max-tokens', '20', '--seed', '1');
  assert.equal(sample.status, 0, sample.stderr);
  assert.match(run('sample', '--from', dir, '--quantize', 'int4').stderr, /--quantize must be one of none, int8/);
});
