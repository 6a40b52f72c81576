// The library's entry points called the way a careless caller would (from JavaScript, with no
// type checker): every impossible value is a UserError naming it, thrown before any work, never
// a hang, a NaN, a draw from garbage or a setting silently dropped.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../src/core/errors.js';
import { generate, sample, sampleText } from '../src/core/run/generate.js';
import { trainingLoop } from '../src/core/run/loop.js';
import { type RunOptions, createRun, createTextRun } from '../src/core/run/run.js';
import { ENGINES } from '../src/core/run/engines.js';

const docs = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia'];
const small = { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 };
const engines = [...ENGINES.keys()].filter((name) => ENGINES.get(name)!.unavailable() === undefined);
const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);
// what a JavaScript caller can pass where the types say otherwise
const loose = <T>(value: unknown) => value as T;

test('sample refuses a count that is not a whole number of samples, before drawing any', () => {
  const run = createRun(docs, { model: small });
  for (const count of [-1, 1.5, Number.NaN, Infinity, 1e7, '3']) {
    assert.throws(() => sample(run, loose<number>(count), 0.5), userError(/samples must be an integer from 0 to 100,000, got/), String(count));
  }
  assert.deepEqual(sample(run, 0, 0.5), []);
});
