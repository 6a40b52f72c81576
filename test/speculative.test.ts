// Speculative decoding keeps the target's distribution: with top-k 1 its tokens are the target's
// own greedy tokens, whatever the draft; sampled, its next-token frequencies match the target's
// distribution; a draft equal to the target is always accepted.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PyRandom } from '../src/core/contract/random.js';
import { drawDistribution } from '../src/core/contract/sampling.js';
import { generate } from '../src/core/run/generate.js';
import { trainStep } from '../src/core/run/loop.js';
import { createTextRun, runCheckpoint, runFromCheckpoint } from '../src/core/run/run.js';
import { newSpeculativeStats, speculativeGenerate } from '../src/core/run/speculative.js';

const text = readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 30_000);

function trained(nLayer: number, nEmbd: number, steps: number, blockSize = 48) {
  const run = createTextRun(text, { model: { nLayer, nEmbd, blockSize }, train: { steps, batchSize: 8 } });
  for (let i = 0; i < steps; i++) trainStep(run);
  return run;
}

const target = trained(2, 32, 120), draft = trained(1, 8, 60);
const copy = (run: ReturnType<typeof trained>) => runFromCheckpoint(runCheckpoint(run, { format: 'text', valFraction: 0.1 }));

test('greedy (top-k 1): exactly the target\'s tokens, whatever the draft proposes, for every k', () => {
  const prompt = [5, 9, 12];
  for (const maxTokens of [1, 2, 20, 46, 100]) { // 100: past the 48-token context
    const alone = generate(copy(target).engine, new PyRandom(1), { prompt, maxTokens, temperature: 1, topK: 1 });
    for (const k of [1, 2, 4, 8]) {
      const stats = newSpeculativeStats();
      const spec = speculativeGenerate(copy(target).engine, copy(draft).engine, new PyRandom(1), { prompt, maxTokens, temperature: 1, topK: 1 }, k, stats);
      assert.deepEqual(spec, alone, `max ${maxTokens}, k ${k}`);
      assert.ok(stats.rounds <= alone.length, `at most one target pass per token (${stats.rounds} for ${alone.length})`);
    }
  }
});

test('a float32 target verifies through its own batch decoder: greedy, exactly its tokens alone, for every k', () => {
  const f32 = () => runFromCheckpoint(runCheckpoint(target, { format: 'text', valFraction: 0.1 }), { engine: 'float32' });
  const prompt = [5, 9, 12];
  const alone = generate(f32().engine, new PyRandom(1), { prompt, maxTokens: 40, temperature: 1, topK: 1 });
  for (const k of [1, 3, 8]) {
    const spec = speculativeGenerate(f32().engine, copy(draft).engine, new PyRandom(1), { prompt, maxTokens: 40, temperature: 1, topK: 1 }, k);
    assert.deepEqual(spec, alone, `k ${k}`);
  }
});

test('a draft that is the target itself is always accepted: k + 1 tokens per target pass', () => {
  const stats = newSpeculativeStats();
  const out = speculativeGenerate(copy(target).engine, copy(target).engine, new PyRandom(3), { prompt: [1], maxTokens: 41, temperature: 0.8 }, 4, stats);
  assert.equal(out.length, 41);
  assert.equal(stats.accepted, stats.proposed);
  assert.equal(stats.rounds, Math.ceil(41 / 5));
});

test('sampled: the first token\'s frequencies follow the target\'s distribution, not the draft\'s', () => {
  const prompt = [3, 14, 15, 9, 2], runs = 3000;
  const t = copy(target), d = copy(draft);
  const p = drawDistribution(t.engine.feed(prompt, 0).slice(), 1.0);
  const q = drawDistribution(d.engine.feed(prompt, 0).slice(), 1.0);
  const counts = new Float64Array(p.length);
  const rng = new PyRandom(7);
  for (let r = 0; r < runs; r++) counts[speculativeGenerate(t.engine, d.engine, rng, { prompt, maxTokens: 2, temperature: 1 }, 1)[0]]++;
  const tv = (a: ArrayLike<number>) => 0.5 * Array.from(a).reduce((s, v, i) => s + Math.abs(v / (a === counts ? runs : 1) - p[i]), 0);
  const toTarget = tv(counts), draftToTarget = 0.5 * Array.from(q).reduce((s, v, i) => s + Math.abs(v - p[i]), 0);
  // 3,000 draws over ~60 tokens: sampling noise gives a total variation of about 0.05
  assert.ok(toTarget < 0.08, `empirical vs target: total variation ${toTarget}`);
  assert.ok(draftToTarget > 0.15, `the draft's own distribution is far from the target's (${draftToTarget}), so the test can tell`);
});

test('sample --draft: the same greedy text with and without the draft (past the context too), the acceptance on stderr; a draft of other tokens is refused', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'microgpt-spec-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  for (const [name, layers, width] of [['target', '2', '32'], ['draft', '1', '8']]) {
    assert.equal(cli('train', '--preset', 'shakespeare', '--steps', '150', '--n-layer', layers, '--n-embd', width, '--out', join(dir, name), '--quiet').status, 0);
  }
  assert.equal(cli('train', '--steps', '5', '--out', join(dir, 'names'), '--quiet').status, 0);
  const args = ['sample', '--from', join(dir, 'target'), '--top-k', '1', '--samples', '3', '--max-tokens', '40', '--seed', '2'];
  const plain = cli(...args), spec = cli(...args, '--draft', join(dir, 'draft'), '--speculate', '3');
  assert.equal(spec.status, 0, spec.stderr);
  assert.equal(spec.stdout, plain.stdout);
  assert.match(spec.stderr, /^speculative: \d+ of \d+ proposals accepted \(\d+%\), [\d.]+ tokens per pass of the target, 120 tokens in [\d.]+ s\n$/);
  const other = cli(...args, '--draft', join(dir, 'names'));
  assert.equal(other.status, 2);
  assert.match(other.stderr, /cannot propose tokens for this model: its tokenizer is not the model's \(the model has 66 tokens, the draft 27\)/);
  // past the 64-token context the draft has no room and the model goes on alone, restarting its window as sample does
  const long = ['sample', '--from', join(dir, 'target'), '--max-tokens', '200', '--top-k', '1', '--seed', '4'];
  const longSpec = cli(...long, '--draft', join(dir, 'draft'));
  assert.equal(longSpec.status, 0, longSpec.stderr);
  assert.equal(longSpec.stdout, cli(...long).stdout);
  assert.match(longSpec.stderr, / 200 tokens in /);
});

test('a draft must have the model\'s tokenizer exactly and at least its context; the first difference is named', async () => {
  const { createBpeTokenizer } = await import('../src/core/bpe/bpe-tokenizer.js');
  const { tokenizerFromBpe, tokenizerFromChars } = await import('../src/core/contract/tokenizer.js');
  const { draftMismatch } = await import('../src/core/run/speculative.js');
  type R = Parameters<typeof draftMismatch>[0];
  const model = (tokenizer: ReturnType<typeof tokenizerFromChars>, blockSize = 16) => ({ tokenizer, config: { blockSize } }) as unknown as R;
  const bpe = (merges: [number, number][], special = new Map<string, number>(), pattern: 'gpt4' | 'gpt2' = 'gpt4') =>
    tokenizerFromBpe(createBpeTokenizer(pattern, merges.map(([left, right], i) => ({ left, right, id: 256 + i })), special));
  const chars = tokenizerFromChars(['a', 'b', 'c']);
  const ab = bpe([[97, 98], [256, 99]]);
  assert.equal(draftMismatch(model(chars), model(tokenizerFromChars(['a', 'b', 'c']), 32)), undefined);
  assert.equal(draftMismatch(model(ab), model(bpe([[97, 98], [256, 99]]))), undefined);
  const cases: [R, RegExp][] = [
    [model(tokenizerFromChars(['a', 'b', 'd'])), /token 2 is "c" in the model, "d" in the draft/],
    [model(tokenizerFromChars(['a', 'b'])), /the model has 4 tokens, the draft 3/],
    [model(chars, 8), /its context is 8 tokens, the model's 16/],
  ];
  for (const [draft, pattern] of cases) assert.match(draftMismatch(model(chars), draft) ?? '', pattern);
  const bpeCases: [R, RegExp][] = [
    [model(bpe([[97, 98], [256, 100]])), /merge 1 differs \(256\+99 in the model, 256\+100 in the draft\)/],
    [model(bpe([[97, 98], [256, 99]], new Map(), 'gpt2')), /the split pattern is gpt4 in the model, gpt2 in the draft/],
    [model(chars), /the model's is BPE, the draft's character-level/],
  ];
  for (const [draft, pattern] of bpeCases) assert.match(draftMismatch(model(ab), draft) ?? '', pattern);
  const withSpecial = bpe([[97, 98]], new Map([['<|end|>', 257]])), otherSpecial = bpe([[97, 98]], new Map([['<|eot|>', 257]]));
  assert.match(draftMismatch(model(withSpecial), model(otherSpecial)) ?? '', /the special tokens differ/);
});
