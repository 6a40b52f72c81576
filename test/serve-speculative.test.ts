// `microgpt serve --draft`: speculative decoding behind the same API, driven by OpenAI's own
// client. Greedy completions equal the server without a draft (text, logprobs, usage), past the
// context too; streams join to the whole text; stop, n, the queue, a client that leaves, the
// timeout and SIGTERM work as without; /health shows the acceptance; a draft that cannot propose is refused.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { loadCheckpoint } from '../src/cli/checkpoint-files.js';
import { createCompletionServer } from '../src/cli/serve-job.js';
import { runFromCheckpoint } from '../src/core/run/run.js';
import { sigtermDuringStream } from './serve-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-serve-spec-'));
const [target, draft, names, short] = ['target', 'draft', 'names', 'short'].map((n) => join(tmp, n));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

type Server = ReturnType<typeof createCompletionServer>;
let plain: Server, spec: Server, specBatched: Server;
let plainClient: OpenAI, client: OpenAI, batchedClient: OpenAI, specBase = '';

async function listen(s: Server): Promise<string> {
  await new Promise<void>((ok) => s.http.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(s.http.address() as AddressInfo).port}`;
}

before(async () => {
  cli('train', '--preset', 'shakespeare', '--steps', '150', '--n-layer', '2', '--n-embd', '32', '--out', target, '--quiet');
  cli('train', '--preset', 'shakespeare', '--steps', '100', '--warmup-steps', '10', '--n-layer', '1', '--n-embd', '8', '--out', draft, '--quiet');
  cli('train', '--steps', '5', '--out', names, '--quiet');
  cli('train', '--preset', 'shakespeare', '--steps', '5', '--warmup-steps', '2', '--n-layer', '1', '--n-embd', '8', '--block-size', '32', '--out', short, '--quiet');
  const tensor = (dir: string) => runFromCheckpoint(loadCheckpoint(dir), { engine: 'tensor' });
  plain = createCompletionServer(tensor(target), 'target', { maxQueue: 4, timeoutMs: 20_000, maxBatch: 4 });
  spec = createCompletionServer(tensor(target), 'target', { maxQueue: 1, timeoutMs: 20_000, draft: { engine: tensor(draft).engine, k: 3 } });
  plainClient = new OpenAI({ baseURL: `${await listen(plain)}/v1`, apiKey: 'x', maxRetries: 0 });
  specBase = await listen(spec);
  client = new OpenAI({ baseURL: `${specBase}/v1`, apiKey: 'x', maxRetries: 0 });
  // 4 sequences at a time: their proposals and checks go through each model's batch decoder together
  specBatched = createCompletionServer(tensor(target), 'target', { maxQueue: 2, timeoutMs: 20_000, maxBatch: 4, draft: { engine: tensor(draft).engine, k: 3 } });
  batchedClient = new OpenAI({ baseURL: `${await listen(specBatched)}/v1`, apiKey: 'x', maxRetries: 0 });
});

after(async () => {
  await plain.close();
  await spec.close();
  await specBatched.close();
});

type Speculative = { speculative?: { proposed: number; accepted: number; target_passes: number } };

test('greedy through the draft is the text without it, past the 64-token context too: the same logprobs and usage', async () => {
  for (const prompt of ['ROMEO:', 'First Citizen:\nWe are']) {
    const request = { model: 'target', prompt, max_tokens: 90, temperature: 0, n: 2, logprobs: 2 };
    const alone = await plainClient.completions.create(request), drafted = await client.completions.create(request);
    assert.deepEqual(drafted.choices, alone.choices);
    assert.deepEqual(drafted.usage, alone.usage);
    assert.equal(drafted.choices[0].text.length, 90);
    const s = (drafted as Speculative).speculative!;
    assert.ok(s.accepted > 0 && s.accepted <= s.proposed, `some proposals kept (${s.accepted} of ${s.proposed})`);
    assert.ok(s.target_passes < 180, `fewer target passes (${s.target_passes}) than tokens (180)`);
    assert.equal((alone as Speculative).speculative, undefined, 'no such field without a draft');
  }
});

test('streamed pieces join to the whole text, greedy and sampled with a seed; n choices each end with their reason', async () => {
  for (const settings of [{ temperature: 0 }, { temperature: 0.8, seed: 5 }]) {
    const request = { model: 'target', prompt: 'KING:', max_tokens: 40, n: 3, ...settings };
    const whole = await client.completions.create(request);
    const stream = await client.completions.create({ ...request, stream: true });
    const texts = ['', '', ''], finish: (string | null)[] = [null, null, null];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.text;
        if (c.finish_reason) finish[c.index] = c.finish_reason;
      }
    }
    assert.deepEqual(texts, whole.choices.map((c) => c.text));
    assert.deepEqual(finish, ['length', 'length', 'length']);
    if (settings.temperature > 0) assert.notEqual(texts[0], texts[1], 'sampled choices differ');
  }
});

test('a stream carries the speculative counts on its last finish, equal to the whole response\'s; with include_usage the usage follows', async () => {
  const request = { model: 'target', prompt: 'ROMEO:', max_tokens: 30, temperature: 0.8, seed: 8, n: 2 };
  const whole = await client.completions.create(request) as Speculative;
  const chunks: OpenAI.Completion[] = [];
  for await (const chunk of await client.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) chunks.push(chunk);
  const usage = chunks.pop()!;
  assert.deepEqual(usage.choices, []);
  assert.deepEqual(usage.usage, (whole as { usage?: unknown }).usage);
  const counted = chunks.filter((c) => (c as Speculative).speculative);
  assert.deepEqual(counted, [chunks.at(-1)], 'only the last chunk before the usage');
  assert.deepEqual([chunks.at(-1)!.choices[0].index, chunks.at(-1)!.choices[0].finish_reason], [1, 'length']);
  assert.deepEqual((counted[0] as Speculative).speculative, whole.speculative);
  assert.ok(whole.speculative!.proposed > 0);
});

test('batched with a draft: concurrent requests decode together, each exactly as alone; a full queue is 429', async () => {
  const settings = Array.from({ length: 12 }, (_, i) => ({ model: 'target', prompt: ['ROMEO:', 'A', 'KING HENRY:\nWhat', 'O'][i % 4],
    max_tokens: [20, 75, 9, 40][i % 4], temperature: i % 3 === 0 ? 0 : 0.9, seed: 100 + i }));
  const alone: string[] = [];
  for (const s of settings.slice(0, 6)) alone.push((await client.completions.create(s)).choices[0].text); // the one-slot server
  const greedy = await plainClient.completions.create(settings[0]);
  assert.equal(alone[0], greedy.choices[0].text);
  // 4 slots and a queue of 2: of 12 at once, some are refused, the rest equal their solo runs
  const results = await Promise.allSettled(settings.map((s) => batchedClient.completions.create(s)));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(refused.every((r) => (r as PromiseRejectedResult).reason.status === 429), 'only 429s');
  assert.ok(refused.length > 0 && refused.length < 12, `some refused (${refused.length} of 12)`);
  results.forEach((r, i) => {
    if (r.status === 'fulfilled' && i < 6) assert.equal(r.value.choices[0].text, alone[i], `request ${i}`);
  });
  const again = await Promise.all(settings.slice(0, 6).map((s) => batchedClient.completions.create(s)));
  assert.deepEqual(again.map((r) => r.choices[0].text), alone);
  assert.ok(again.some((r) => (r as Speculative).speculative!.accepted > 0));
});

test('stop sequences cut the text as without the draft; sampled choices stop at them', async () => {
  const full = (await plainClient.completions.create({ model: 'target', prompt: 'ROMEO:', max_tokens: 60, temperature: 0 })).choices[0].text;
  const stopAt = full.slice(20, 22);
  const cut = await client.completions.create({ model: 'target', prompt: 'ROMEO:', max_tokens: 60, temperature: 0, stop: [stopAt, 'zzzz'] });
  assert.equal(cut.choices[0].text, full.slice(0, full.indexOf(stopAt)));
  assert.equal(cut.choices[0].finish_reason, 'stop');
  const sampled = await client.completions.create({ model: 'target', prompt: 'ROMEO:', max_tokens: 200, temperature: 1, seed: 3, n: 4, stop: '\n' });
  for (const c of sampled.choices) {
    assert.ok(!c.text.includes('\n'), JSON.stringify(c.text));
    assert.equal(c.finish_reason, c.text.length < 200 ? 'stop' : 'length');
  }
  assert.ok(sampled.choices.some((c) => c.finish_reason === 'stop'), 'a newline comes within 200 characters');
  assert.equal(sampled.usage?.completion_tokens, sampled.choices.reduce((n, c) => n + c.text.length, 0) + sampled.choices.filter((c) => c.finish_reason === 'stop').length,
    'each stopped choice also drew the first character of its stop sequence');
});

test('/health shows the acceptance rate and tokens per target pass over every request so far', async () => {
  const h = await (await fetch(`${specBase}/health`)).json() as { speculative: Record<string, number> };
  const s = h.speculative;
  assert.ok(s.target_passes > 0 && s.proposed > 0 && s.accepted > 0 && s.tokens > s.target_passes, JSON.stringify(s));
  assert.equal(s.acceptance_rate, s.accepted / s.proposed);
  assert.equal(s.tokens_per_target_pass, s.tokens / s.target_passes);
  assert.deepEqual(await (await fetch(`${specBase}/health`)).json(), { status: 'ok', busy: false, waiting: 0, speculative: s });
});

test('with a draft, a full queue is 429 and a client that leaves frees the model at once', async () => {
  const abort = new AbortController();
  const long = await client.completions.create({ model: 'target', prompt: 'A', max_tokens: 4096, stream: true, seed: 1 }, { signal: abort.signal });
  const iterator = long[Symbol.asyncIterator]();
  await iterator.next(); // it is generating
  const queued = client.completions.create({ model: 'target', prompt: 'B', max_tokens: 5, seed: 1 });
  await new Promise((r) => setTimeout(r, 100));
  await assert.rejects(client.completions.create({ model: 'target', prompt: 'C', max_tokens: 5 }), (e: unknown) => (e as { status?: number }).status === 429);
  const started = Date.now();
  abort.abort();
  const r = await queued;
  assert.equal(r.choices[0].text.length, 5);
  assert.ok(Date.now() - started < 5000, `the queued request ran ${Date.now() - started} ms after the first client left`);
});

test('with a draft, the timeout cuts the request holding the model and gives the one waiting a 503', async () => {
  let clock = 0; // stopped: only the test moves time, so the machine's load cannot
  const tensor = (dir: string) => runFromCheckpoint(loadCheckpoint(dir), { engine: 'tensor' });
  const quick = createCompletionServer(tensor(target), 'target', { maxQueue: 4, timeoutMs: 400, now: () => clock, draft: { engine: tensor(draft).engine, k: 4 } });
  try {
    const base = await listen(quick), url = `${base}/v1/completions`;
    const post = (prompt: string, stream: boolean) => fetch(url, { method: 'POST', body: JSON.stringify({ prompt, max_tokens: 4096, seed: 1, stream }) });
    const first = await post('A', true);
    const reader = first.body!.getReader(), decoder = new TextDecoder();
    let body = decoder.decode((await reader.read()).value); // A is producing
    const second = post('B', false);
    const waiting = async () => ((await (await fetch(`${base}/health`)).json()) as { waiting: number }).waiting;
    while (await waiting() < 1) await new Promise((ok) => setTimeout(ok, 1));
    clock = 1000;
    for (let r = await reader.read(); !r.done; r = await reader.read()) body += decoder.decode(r.value, { stream: true });
    assert.match(body, /"finish_reason":"length"/);
    assert.ok(body.length < 200_000, 'A stopped long before 4,096 tokens');
    const late = await second;
    assert.equal(late.status, 503);
  } finally {
    await quick.close();
  }
});

test('with a draft on float32, close() gives both decoders back: a second server on the same engines takes no more memory', async () => {
  type Wasm = { memoryBytes: number; close?(): void };
  const t = runFromCheckpoint(loadCheckpoint(target), { engine: 'float32' }), d = runFromCheckpoint(loadCheckpoint(draft), { engine: 'float32' }).engine;
  const engines = [t.engine, d] as unknown as Wasm[], before = engines.map((e) => e.memoryBytes);
  const options = { maxQueue: 4, timeoutMs: 20_000, maxBatch: 16, draft: { engine: d, k: 3 } };
  const first = createCompletionServer(t, 'target', options);
  const grown = engines.map((e) => e.memoryBytes);
  assert.ok(grown.every((g, i) => g > before[i]), `both decoders take memory (${before} -> ${grown})`);
  const request = { model: 'target', prompt: 'ROMEO:', max_tokens: 20, temperature: 0 };
  const one = await new OpenAI({ baseURL: `${await listen(first)}/v1`, apiKey: 'x', maxRetries: 0 }).completions.create(request);
  await first.close();
  const second = createCompletionServer(t, 'target', options);
  try {
    assert.deepEqual(engines.map((e) => e.memoryBytes), grown);
    const two = await new OpenAI({ baseURL: `${await listen(second)}/v1`, apiKey: 'x', maxRetries: 0 }).completions.create(request);
    assert.equal(two.choices[0].text, one.choices[0].text);
  } finally {
    await second.close();
    for (const e of engines) e.close?.();
  }
});

test('microgpt serve --draft: says so at start; SIGTERM finishes the request in flight and prints the acceptance', async () => {
  const { out } = await sigtermDuringStream(['--from', target, '--draft', draft, '--speculate', '2'], 'target');
  assert.match(out, /batching up to 32 sequences, speculative decoding with a [\d,]+-param draft proposing 2 tokens/);
  assert.match(out, /speculative: \d+ of \d+ proposals accepted \(\d+%\), [\d.]+ tokens per pass of the target\n$/);
});

test('microgpt serve --draft: a draft that cannot propose for the model is one line naming what differs, exit code 2', () => {
  const serve = (...args: string[]) => spawnSync(process.execPath, [BIN, 'serve', '--from', target, '--port', '0', ...args], { encoding: 'utf8', timeout: 20_000 });
  const cases: [string[], RegExp][] = [
    [['--draft', names], /the draft in \S+ cannot propose tokens for this model: its tokenizer is not the model's \(the model has 66 tokens, the draft 27\)/],
    [['--draft', short], /its context is 32 tokens, the model's 64 \(a draft needs at least the model's\)/],
    [['--draft', join(tmp, 'missing')], /no checkpoint at/],
    [['--draft', draft, '--speculate', '0'], /speculate must be an integer from 1 to 16, got 0/],
    [['--speculate', '3'], /--speculate needs --draft DIR/],
  ];
  for (const [args, pattern] of cases) {
    const r = serve(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
