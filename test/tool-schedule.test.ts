// Learning-rate schedules: the reference's linear decay is unchanged to the bit, and the
// others have the shape their names promise.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TRAIN, validateTrainConfig } from '../src/core/contract/config.js';
import { UserError } from '../src/core/errors.js';
import { cosineDecay, learningRateAt, linearDecay, scheduledLearningRate } from '../src/core/contract/schedule.js';

test('the default schedule is the reference linear decay, bit for bit', () => {
  for (let step = 0; step < 1000; step++) {
    assert.equal(learningRateAt(DEFAULT_TRAIN, step), 0.01 * (1 - step / 1000));
    assert.equal(scheduledLearningRate(0.01, step, 1000), linearDecay(0.01, step, 1000));
  }
});

test('cosine starts at the peak, halves at the middle and ends near zero', () => {
  assert.equal(cosineDecay(1, 0, 100), 1);
  assert.ok(Math.abs(cosineDecay(1, 50, 100) - 0.5) < 1e-15);
  assert.ok(cosineDecay(1, 99, 100) < 1e-3 && cosineDecay(1, 99, 100) > 0);
  for (let s = 1; s < 100; s++) assert.ok(cosineDecay(1, s, 100) < cosineDecay(1, s - 1, 100), `decreasing at ${s}`);
});

test('warmup rises linearly to the peak, then the schedule decays over the rest', () => {
  const lr = (step: number, schedule: 'linear' | 'cosine' | 'constant') => scheduledLearningRate(0.1, step, 110, schedule, 10);
  for (const schedule of ['linear', 'cosine', 'constant'] as const) {
    assert.ok(Math.abs(lr(0, schedule) - 0.01) < 1e-15, `${schedule}: first warmup step`);
    assert.ok(Math.abs(lr(4, schedule) - 0.05) < 1e-15, `${schedule}: mid warmup`);
    assert.equal(lr(9, schedule), 0.1, `${schedule}: last warmup step reaches the peak`);
    assert.equal(lr(10, schedule), 0.1, `${schedule}: first step after warmup is the peak`);
  }
  assert.ok(Math.abs(lr(60, 'linear') - 0.05) < 1e-15);
  assert.ok(Math.abs(lr(60, 'cosine') - 0.05) < 1e-15);
  assert.equal(lr(109, 'constant'), 0.1);
});

test('impossible schedule settings are clear errors', () => {
  const bad = (over: object, pattern: RegExp) =>
    assert.throws(() => validateTrainConfig({ ...DEFAULT_TRAIN, ...over }), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  bad({ schedule: 'exponential' }, /schedule must be one of linear, cosine, constant; got 'exponential'/);
  bad({ warmupSteps: 1000 }, /warmup-steps \(1000\) must be less than steps \(1000\)/);
  bad({ warmupSteps: -1 }, /warmup-steps must be an integer >= 0/);
  bad({ gradClip: -1 }, /grad-clip must be >= 0/);
  bad({ weightDecay: Number.NaN }, /weight-decay must be >= 0/);
});
