// The llama preset end to end on the tensor engine, as a user runs it: train with validation,
// sample (also from int8 weights), eval, a resumed run that equals an uninterrupted one, and
// one clear refusal from an engine without the settings.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { assertCleanError } from './cli-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-llama-'));
const TEXT = join(tmp, 'text.txt');
writeFileSync(TEXT, readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 6000));
// the preset's model at a shorter context and batch, so a step takes milliseconds
const LLAMA = ['--preset', 'llama', '--data', TEXT, '--block-size', '32', '--batch-size', '4', '--warmup-steps', '2', '--eval-size', '8', '--quiet'];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertOk(r: { code: number | null; out: string; err: string }) {
  assert.equal(r.code, 0, `exit code, stderr: ${r.err}\nstdout: ${r.out}`);
}

const checkpoint = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));

test('train --preset llama learns and saves its settings; sample, sample --quantize int8 and eval read the checkpoint', () => {
  const out = join(tmp, 'llama');
  const r = cli('train', ...LLAMA, '--steps', '20', '--eval-every', '10', '--out', out);
  assertOk(r);
  assert.match(r.out, /tensor engine \(float64\)/);
  const val = [...r.out.matchAll(/step (\d+): val loss (\d+\.\d+)/g)].map((m) => Number(m[2]));
  assert.equal(val.length, 2, r.out);
  assert.ok(val[1] < val[0], `validation loss ${val[0]} -> ${val[1]}`);
  const { config } = checkpoint(out);
  for (const [key, value] of Object.entries({ pos: 'rope', ropeTheta: 10000, nKvHead: 2, activation: 'swiglu', mlpHidden: 152, normWeight: true, finalNorm: true, embedNorm: false })) {
    assert.equal(config[key], value, key);
  }

  const sample = cli('sample', '--from', out, '--max-tokens', '40', '--seed', '1');
  assertOk(sample);
  assert.ok(sample.out.trim().length > 0, 'some text');
  assert.equal(cli('sample', '--from', out, '--max-tokens', '40', '--seed', '1').out, sample.out, 'the same seed, the same text');
  const int8 = cli('sample', '--from', out, '--max-tokens', '40', '--seed', '1', '--quantize', 'int8');
  assertOk(int8);
  assert.match(int8.err, /weights rounded to int8 per row/);
  assert.ok(int8.out.trim().length > 0, 'some text');

  const e = cli('eval', '--from', out, '--limit', '8');
  assertOk(e);
  assert.match(e.out, /^loss \d\.\d{4} \| \d\.\d{4} bits per char \| 256 predicted characters in 8 windows of the held-out part/);
});

test('train --preset llama --tie-embeddings --stop-at 7, then --resume: the same losses and weights as 15 steps in one go', () => {
  const whole = join(tmp, 'whole'), parts = join(tmp, 'parts');
  const run = [...LLAMA, '--tie-embeddings', '--steps', '15', '--eval-every', '5', '--save-every', '5'];
  assertOk(cli('train', ...run, '--out', whole, '--metrics', `${whole}.jsonl`));
  assertOk(cli('train', ...run, '--out', parts, '--metrics', `${parts}.jsonl`, '--stop-at', '7'));
  const r = cli('train', '--resume', parts, '--metrics', `${parts}.jsonl`, '--quiet');
  assertOk(r);
  assert.match(r.out, /resuming from .* at step 7/);
  const strip = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => {
    const { tokens_per_s: _, elapsed_ms: __, ...rest } = JSON.parse(l); // timings differ
    return rest;
  });
  assert.deepEqual(strip(`${parts}.jsonl`), strip(`${whole}.jsonl`), 'the same loss, lr and val loss at every step');
  const weights = (dir: string) => readFileSync(join(dir, checkpoint(dir).weights.file));
  assert.deepEqual(weights(parts), weights(whole), 'the same final weights');
  assert.equal(checkpoint(whole).config.tieEmbeddings, true);
});

test('an engine without the settings refuses them in one line, naming each', () => {
  assertCleanError(cli('train', '--data', TEXT, '--steps', '2', '--engine', 'scalar', '--pos', 'rope'),
    /^microgpt: error: pos rope is not supported by the scalar engine yet \(the tensor and float32 engines do\)$/m);
  assertCleanError(cli('train', ...LLAMA, '--steps', '5', '--engine', 'scalar'),
    /activation swiglu, pos rope, n-kv-head 2, mlp-hidden 152, norm-weight, final-norm, embed-norm false are not supported by the scalar engine yet/);
});
