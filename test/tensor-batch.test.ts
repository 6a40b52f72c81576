// Batches on the tensor engine: batch size 1 is the reference algorithm (same losses as the
// scalar engine), larger batches agree with the scalar engine's batch mean and train better.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseDocuments } from '../src/core/data/documents.js';
import { validationLoss } from '../src/core/run/evaluate.js';
import { train } from '../src/core/run/loop.js';
import { type RunOptions, createRun } from '../src/core/run/run.js';
import { assertTensorClose } from './tensor-helpers.js';

const names = parseDocuments(readFileSync(new URL('../../data/names.txt', import.meta.url), 'utf8'));

function losses(options: RunOptions, steps: number): number[] {
  const run = createRun(names, options);
  const out: number[] = [];
  train(run, (s) => { out.push(s.loss); return out.length < steps; });
  return out;
}

for (const batchSize of [1, 4]) {
  test(`batch size ${batchSize}: the tensor engine trains the same losses as the scalar engine`, () => {
    const train = { batchSize };
    const scalar = losses({ engine: 'scalar', train }, 4);
    const tensor = losses({ engine: 'tensor', train }, 4);
    assert.equal(tensor[0], scalar[0], 'the first loss, to the bit');
    assertTensorClose('losses', tensor, scalar, 1e-15); // measured 1.6e-16
  });
}

test('batch size 16 reaches a lower held-out loss than batch size 1 in 1000 steps', () => {
  const heldOut = (batchSize: number): number => {
    const run = createRun(names, { engine: 'tensor', valFraction: 0.1, train: { steps: 1000, batchSize } });
    train(run);
    return validationLoss(run)!;
  };
  const one = heldOut(1), sixteen = heldOut(16);
  assert.ok(sixteen < one - 0.05, `held-out loss: batch 16 ${sixteen}, batch 1 ${one}`);
});
