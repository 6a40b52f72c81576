// Continuous batching decodes each sequence exactly as it would be decoded alone: the batch
// decoder's rows equal feed()'s logits bit for bit, and sequences that join and leave between
// steps (prompts of different lengths, contexts that fill and restart, stop ids) draw the same
// tokens from the same seeds as the one-at-a-time generate loop. On both engines that batch:
// tensor (float64) and float32 (WebAssembly).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PyRandom } from '../src/core/contract/random.js';
import { createBatcher } from '../src/core/run/batching.js';
import { generate, startDecoding } from '../src/core/run/generate.js';
import type { ModelConfig } from '../src/core/contract/config.js';
import type { EngineName } from '../src/core/contract/engine.js';
import { createTextRun, runFromCheckpoint, runCheckpoint } from '../src/core/run/run.js';
import { trainStep } from '../src/core/run/loop.js';

const text = readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 20_000);

function trained(engine: EngineName = 'tensor', model: Partial<ModelConfig> = {}) {
  const run = createTextRun(text, { engine, model: { nLayer: 2, nEmbd: 16, blockSize: 12, ...model }, train: { steps: 30, batchSize: 4 } });
  for (let i = 0; i < 30; i++) trainStep(run);
  return run;
}

const LLAMA: Partial<ModelConfig> = { nEmbd: 32, nHead: 4, nKvHead: 2, pos: 'rope', activation: 'swiglu', norm: 'rmsnorm', normWeight: true, finalNorm: true };
const CASES: [EngineName, string, Partial<ModelConfig>][] = [
  ['tensor', 'reference', {}], ['float32', 'reference', {}], ['float32', 'llama', LLAMA],
];

for (const [engine, name, model] of CASES) test(`${engine}, ${name} model: the batch decoder's rows equal feed() bit for bit, whatever else is in the batch`, () => {
  const run = trained(engine, model), V = run.config.vocabSize;
  const decoder = run.engine.batchDecoder!(4);
  const seqs = [[1, 5, 9, 3, 7], [2, 2, 2, 2, 2, 2, 2], [11, 4]];
  const alone = seqs.map((s) => s.map((_, i) => {
    const solo = runFromCheckpoint(runCheckpoint(run, { format: 'text', valFraction: 0.1 }));
    return Array.from(solo.engine.feed(s.slice(0, i + 1), 0));
  }));
  // interleave: at step k, every sequence with a k-th token feeds it, in slots 3, 0, 2
  const slotOf = [3, 0, 2];
  for (let k = 0; k < 7; k++) {
    const rows = seqs.map((s, i) => ({ i, tok: s[k] })).filter((r) => r.tok !== undefined);
    const logits = decoder.step(Int32Array.from(rows, (r) => slotOf[r.i]), Int32Array.from(rows, (r) => r.tok), Int32Array.from(rows, () => k), rows.length);
    rows.forEach((r, row) => assert.deepEqual(Array.from(logits.subarray(row * V, (row + 1) * V)), alone[r.i][k], `sequence ${r.i}, position ${k}`));
  }
  // several successive tokens of one sequence in one step (as speculative decoding verifies),
  // beside a row of another slot: each row as feed() gives it
  const wide = run.engine.batchDecoder!(2, 6);
  wide.step(Int32Array.of(1, 1), Int32Array.of(1, 5), Int32Array.of(0, 1), 2);
  const logits = wide.step(Int32Array.of(1, 1, 1, 0), Int32Array.of(9, 3, 7, 11), Int32Array.of(2, 3, 4, 0), 4);
  for (let t = 2; t < 5; t++) assert.deepEqual(Array.from(logits.subarray((t - 2) * V, (t - 1) * V)), alone[0][t], `several rows of one slot, position ${t}`);
  assert.deepEqual(Array.from(logits.subarray(3 * V, 4 * V)), alone[2][0], 'the other slot\'s row');
});

for (const [engine, name, model] of CASES) test(`${engine}, ${name} model: sequences joining and leaving a batch draw exactly what generate() draws alone`, () => {
  const run = trained(engine, model), { blockSize, vocabSize } = run.config;
  const plans = [
    { prompt: [1, 2, 3], maxTokens: 30, temperature: 0.9, seed: 1 },        // fills the 12-token context and restarts
    { prompt: [4], maxTokens: 5, temperature: 0.7, seed: 2 },
    { prompt: [5, 6, 7, 8, 9, 10, 11], maxTokens: 8, temperature: 1.2, topK: 5, seed: 3 },
    { prompt: [0], maxTokens: 20, temperature: 1, stopAt: 0, seed: 4 },     // may stop early at its stop id
    { prompt: [2, 3], maxTokens: 12, temperature: 0.5, seed: 5 },           // joins when a slot frees
  ];
  const expected = plans.map((p) => generate(run.engine, new PyRandom(p.seed), p));
  const decoder = run.engine.batchDecoder!(3); // fewer slots than sequences
  let rows = 0;
  const counting = { slots: decoder.slots, rows: decoder.rows, step: (s: Int32Array, t: Int32Array, p: Int32Array, n: number) => { rows += n; return decoder.step(s, t, p, n); } };
  const batcher = createBatcher(counting, blockSize, vocabSize);
  const got: number[][] = plans.map(() => []), ended = plans.map(() => false);
  plans.forEach((p, i) => batcher.add({
    decoding: startDecoding(p), rng: new PyRandom(p.seed),
    onToken: (d) => { got[i].push(d.id); return true; }, onEnd: () => { ended[i] = true; },
  }));
  let steps = 0;
  while (batcher.step()) steps++;
  assert.deepEqual(got, expected);
  assert.ok(ended.every(Boolean));
  assert.ok(rows > 1.5 * steps, `several sequences per step: ${rows} rows in ${steps} steps`);
  // a sequence can be ended by its reader and cancelled while waiting
  const short: number[] = [];
  let cancelled = false;
  batcher.add({ decoding: startDecoding(plans[0]), rng: new PyRandom(1), onToken: (d) => { short.push(d.id); return short.length < 3; }, onEnd: () => {} });
  batcher.add({ decoding: startDecoding(plans[1]), rng: new PyRandom(2), onToken: () => true, onEnd: () => { cancelled = true; }, cancelled: () => true });
  while (batcher.step());
  assert.deepEqual(short, expected[0].slice(0, 3));
  assert.ok(cancelled);
  assert.equal(batcher.active + batcher.waiting, 0);
});

test('float32: a closed batch decoder\'s WebAssembly buffers serve the next one, so speculative samples do not grow memory', () => {
  const run = trained('float32'), engine = run.engine as typeof run.engine & { memoryBytes: number };
  const first = engine.batchDecoder!(1, 12);
  first.close!();
  assert.throws(() => first.step(Int32Array.of(0), Int32Array.of(1), Int32Array.of(0), 1), /closed/);
  const before = engine.memoryBytes;
  for (let i = 0; i < 200; i++) {
    const d = engine.batchDecoder!(1, 12);
    d.step(Int32Array.of(0), Int32Array.of(1), Int32Array.of(0), 1);
    d.close!();
  }
  assert.equal(engine.memoryBytes, before);
  const a = engine.batchDecoder!(1, 12), b = engine.batchDecoder!(1, 12); // both live: their own buffers
  const la = Array.from(a.step(Int32Array.of(0), Int32Array.of(1), Int32Array.of(0), 1).subarray(0, run.config.vocabSize));
  b.step(Int32Array.of(0), Int32Array.of(2), Int32Array.of(0), 1);
  assert.deepEqual(Array.from(a.step(Int32Array.of(0), Int32Array.of(3), Int32Array.of(1), 1).subarray(0, run.config.vocabSize)),
    Array.from(engine.feed([1, 3], 0)), 'b did not write into a\'s cache');
  assert.notDeepEqual(la, Array.from(engine.feed([2], 0)));
});
