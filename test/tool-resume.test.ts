// A run saved halfway and resumed from the checkpoint's bytes equals the run done in one
// go: the same loss at every step and the same final weights, bit for bit, per engine.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeCheckpoint, encodeCheckpoint, parseCheckpointJson } from '../src/core/checkpoint/checkpoint.js';
import { parseDocuments } from '../src/core/data/documents.js';
import { ENGINES } from '../src/core/run/engines.js';
import { enableRelaxedSimd, spawnNodeWorker } from '../src/node/kernel-thread.js';
import { UserError } from '../src/core/errors.js';
import { type Run, type RunOptions, createRun, createTextRun, resumeRun, runCheckpoint, runFromCheckpoint } from '../src/core/run/run.js';
import { trainStep } from '../src/core/run/loop.js';
import { sampleText } from '../src/core/run/generate.js';
import { validationLoss } from '../src/core/run/evaluate.js';
import { evalWindows, randomWindows, splitText } from '../src/core/data/text.js';
import { buildTokenizer } from '../src/core/contract/tokenizer.js';
import { PyRandom } from '../src/core/contract/random.js';

const root = new URL('../../', import.meta.url);
const names = parseDocuments(readFileSync(new URL('data/names.txt', root), 'utf8'));
const shakespeare = readFileSync(new URL('data/tinyshakespeare.txt', root), 'utf8').slice(0, 20000);

function trainTo(run: Run, step: number): number[] {
  const losses: number[] = [];
  while (run.step < step) losses.push(trainStep(run).loss);
  return losses;
}

/** Through the bytes a file would hold, so the format is part of what is tested. */
function throughBytes(run: Run) {
  const { weights, json } = encodeCheckpoint(runCheckpoint(run, { format: run.format ?? 'lines', valFraction: 0.1 }));
  return decodeCheckpoint(parseCheckpointJson(json).json, weights);
}

function assertResumeExact(make: () => Run, total: number, half: number): void {
  const whole = make();
  const wholeLosses = trainTo(whole, total);

  const first = make();
  const firstLosses = trainTo(first, half);
  const checkpoint = throughBytes(first);
  const second = make();
  resumeRun(second, checkpoint);
  assert.equal(second.step, half);
  const secondLosses = trainTo(second, total);

  const losses = [...firstLosses, ...secondLosses];
  const i = losses.findIndex((l, k) => l !== wholeLosses[k]);
  assert.equal(i, -1, i < 0 ? '' : `step ${i + 1}: resumed ${losses[i]}, uninterrupted ${wholeLosses[i]}`);
  assert.deepEqual(second.engine.weights(), whole.engine.weights(), 'final weights');
  assert.deepEqual(second.rng.getState(), whole.rng.getState(), 'random stream');
  for (const run of [whole, first, second]) run.engine.close?.();
}

test('scalar, names (lines): 500 steps + resume 500 = 1000 in one go', () => {
  assertResumeExact(() => createRun(names, { engine: 'scalar', valFraction: 0.1 }), 1000, 500);
});

for (const engine of [...ENGINES.keys()].filter((e) => e !== 'scalar')) {
  test(`${engine}, names (lines), batch 4, cosine with warmup: 500 + 500 = 1000`, () => {
    const options: RunOptions = { engine, valFraction: 0.1,
      train: { steps: 1000, batchSize: 4, schedule: 'cosine', warmupSteps: 50 } };
    assertResumeExact(() => createRun(names, options), 1000, 500);
  });
  test(`${engine}, Shakespeare (text windows): 500 + 500 = 1000`, () => {
    const options: RunOptions = { engine, model: { blockSize: 32 }, train: { steps: 1000, batchSize: 4 } };
    assertResumeExact(() => createTextRun(shakespeare, options), 1000, 500);
  });
}

// float32 weights and moments travel through the float64 checkpoint exactly, and dropout
// masks depend only on (seed, step): so the float32 engine resumes bit for bit too, also
// with its workers (which compute exactly what one thread does)
for (const [label, threads] of [['one thread', 1], ['two threads', 2]] as const) {
  test(`float32 (${label}), Shakespeare, gelu + layernorm + dropout 0.1: 150 + 150 = 300`, () => {
    enableRelaxedSimd();
    const options: RunOptions = { engine: 'float32', threads, spawn: spawnNodeWorker, tuning: { minFlops: 0, minFloats: 0 }, model: { blockSize: 32, nEmbd: 32, activation: 'gelu', norm: 'layernorm', dropout: 0.1 },
      train: { steps: 300, batchSize: 4, schedule: 'cosine', warmupSteps: 20 } };
    assertResumeExact(() => createTextRun(shakespeare, options), 300, 150);
  });
}

test('scalar, Shakespeare (text windows), cosine with warmup: 20 + 20 = 40', () => {
  const options: RunOptions = { engine: 'scalar', model: { blockSize: 8 }, train: { steps: 40, batchSize: 2, schedule: 'cosine', warmupSteps: 5 } };
  assertResumeExact(() => createTextRun(shakespeare, options), 40, 20);
});

test('a text run learns: the validation loss falls', () => {
  const run = createTextRun(shakespeare, { engine: 'tensor', model: { blockSize: 16 }, train: { steps: 200, batchSize: 4 } });
  const before = validationLoss(run, 16)!;
  trainTo(run, 200);
  const after = validationLoss(run, 16)!;
  assert.ok(after < before - 0.5, `validation loss ${before} -> ${after}`);
});

test('a loaded checkpoint samples like the run it came from', () => {
  const run = createRun(names.slice(0, 200), { train: { steps: 20 } });
  trainTo(run, 20);
  const loaded = runFromCheckpoint(throughBytes(run), { engine: 'scalar' });
  const a = Array.from({ length: 5 }, () => sampleText(run, { temperature: 0.5 }));
  const b = Array.from({ length: 5 }, () => sampleText(loaded, { temperature: 0.5 }));
  assert.deepEqual(b, a);
  assert.match(sampleText(loaded, { temperature: 0.5, prompt: 'jo' }), /^jo/);
  assert.throws(() => sampleText(loaded, { temperature: 0.5, prompt: 'J' }), /character "J" \(U\+004A\) is not in the model's vocabulary/);
});

test('non-reference settings are refused by an engine that does not implement them', () => {
  const refuse = (options: RunOptions, pattern: RegExp) =>
    assert.throws(() => createRun(['abc'], { ...options, engine: 'scalar' }), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  refuse({ model: { activation: 'gelu' } }, /activation gelu is not supported by the scalar engine yet/);
  refuse({ model: { norm: 'layernorm' } }, /norm layernorm is not supported by the scalar engine yet/);
  refuse({ model: { dropout: 0.1 } }, /dropout 0.1 is not supported by the scalar engine yet/);
  refuse({ train: { gradClip: 1 } }, /grad-clip 1 is not supported by the scalar engine yet/);
  refuse({ train: { weightDecay: 0.1 } }, /weight-decay 0.1 is not supported by the scalar engine yet/);
  refuse({ model: { activation: 'swish' as never } }, /activation must be one of relu, relu2, gelu/);
  refuse({ model: { dropout: 1 } }, /dropout must be in \[0, 1\)/);
});

test('text windows: a held-out tail, seeded offsets, evaluation windows that cover the text once', () => {
  const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(4); // 104 chars
  const tok = buildTokenizer([text]);
  const split = splitText(tok, text, 0.1);
  assert.equal(split.val.length, 10);
  assert.deepEqual([...split.train, ...split.val].map((i) => tok.chars[i]).join(''), text);
  const a = randomWindows(split.train, 3, 9, new PyRandom(1)), b = randomWindows(split.train, 3, 9, new PyRandom(1));
  assert.deepEqual(a, b);
  assert.ok(a.every((w) => w.length === 9));
  const windows = evalWindows(split.train, 9).slice(0, Infinity); // stride 8: every id after the first predicted once
  assert.equal(windows.length, Math.floor((94 - 1) / 8));
  windows.forEach((w, i) => assert.deepEqual(w, split.train.slice(i * 8, i * 8 + 9)));
  assert.equal(evalWindows(split.train, 9, 3).length, 3);
  assert.deepEqual(evalWindows([1, 2, 3], 9).slice(0, Infinity), [[1, 2, 3]], 'a text shorter than a window is one window');
  assert.throws(() => splitText(tok, 'a', 0), /the text has 1 character; training needs at least 2/);
  assert.throws(() => splitText(tok, 'abc', 0.5), /leaves fewer than 2 training characters/);
});
