// The speedrun benchmark's readers of our CLI's and the twin's output (bench/speedrun.ts): the
// lines they print, as printed, read back into numbers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvalLine, parseValLine } from '../bench/speedrun.js';

test('validation lines of train (characters, BPE) and of the twin are read; other lines are not', () => {
  assert.deepEqual(parseValLine('step 8000: val loss 1.9399 (2.799 bits/char) on all 3203 held-out documents, best so far: saved'), { step: 8000, loss: 1.9399 });
  assert.deepEqual(parseValLine('step 1500: val loss 3.3512 per token = 1.5974 per character (2.305 bits/char) on all 864 held-out windows'),
    { step: 1500, loss: 3.3512, perChar: 1.5974 });
  assert.deepEqual(parseValLine('step 16: val loss 2.8587968663389156 after 0.083 s'), { step: 16, loss: 2.8587968663389156 });
  assert.equal(parseValLine('step 8000/8000 | loss 1.8409 | val 1.9399 | lr 3.24e-10 | 35731 tok/s | ETA 0s'), undefined);
  assert.equal(parseValLine('step 10/20 | loss 3.0546 | lr 0.005500 | 0.7 ms'), undefined);
});

test('microgpt eval\'s line gives the loss and its tokens and characters', () => {
  assert.deepEqual(parseEvalLine('loss 2.8254 | 4.0762 bits per char | 1415 predicted characters in 200 documents of the held-out part (200 documents) of n.txt\n'),
    { loss: 2.8254, tokens: 1415, characters: 1415 });
  assert.deepEqual(parseEvalLine('note: x\nloss 6.2666 per token | 4.5358 bits per char | 55936 predicted tokens (111493 characters) in 874 windows of the held-out part'),
    { loss: 6.2666, tokens: 55936, characters: 111493 });
  assert.throws(() => parseEvalLine('error: no checkpoint'), /no loss line/);
});
