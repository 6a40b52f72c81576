// `microgpt serve`, driven by OpenAI's own client: completions equal `microgpt sample` with the
// same seed, a stream joins to the whole text, stop sequences, n, logprobs; every bad request
// gets a JSON error with the right status while the server keeps serving; a full queue is 429,
// a client that leaves frees the model at once, and SIGTERM lets the request in flight finish.

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
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-serve-'));
const names = join(tmp, 'names'), text = join(tmp, 'text');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

let server: ReturnType<typeof createCompletionServer>, textServer: ReturnType<typeof createCompletionServer>;
let base = '', textBase = '', client: OpenAI;

async function listen(s: ReturnType<typeof createCompletionServer>): Promise<string> {
  await new Promise<void>((ok) => s.http.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(s.http.address() as AddressInfo).port}`;
}

before(async () => {
  cli('train', '--preset', 'names', '--steps', '200', '--out', names, '--quiet');
  cli('train', '--preset', 'shakespeare', '--steps', '20', '--warmup-steps', '2', '--out', text, '--quiet');
  // the names model decodes requests together (continuous batching); the text model takes turns
  server = createCompletionServer(runFromCheckpoint(loadCheckpoint(names)), 'names', { maxQueue: 2, timeoutMs: 20_000, maxBatch: 4 });
  textServer = createCompletionServer(runFromCheckpoint(loadCheckpoint(text)), 'text', { maxQueue: 1, timeoutMs: 20_000 });
  assert.equal(server.batching, true);
  assert.equal(textServer.batching, false);
  base = await listen(server);
  textBase = await listen(textServer);
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-needed', maxRetries: 0 });
});

after(async () => {
  await server.close();
  await textServer.close();
});

test('a completion is the text `microgpt sample` prints after the prompt, with the same seed and settings; n > 1 too', async () => {
  const r = await client.completions.create({ model: 'names', prompt: 'ka', max_tokens: 12, temperature: 0.5, seed: 7, n: 3 });
  const printed = cli('sample', '--from', names, '--seed', '7', '--samples', '3', '--prompt', 'ka', '--temperature', '0.5', '--max-tokens', '12')
    .trim().split('\n').map((l) => l.replace(/^sample +\d+: /, ''));
  assert.deepEqual(r.choices.map((c) => `ka${c.text}`), printed);
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  assert.ok(r.choices.every((c) => c.finish_reason === 'stop' || c.finish_reason === 'length'));
  assert.equal(r.usage?.prompt_tokens, 3, 'BOS, k, a');
  assert.equal(r.usage?.completion_tokens, r.choices.reduce((n, c) => n + [...c.text].length, 0), 'one token per character');
  assert.equal(r.usage?.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens, 'the prompt counted once, as OpenAI counts it');
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['names']);
});

test('a streamed completion joins to the same text as the whole one, and ends with its finish reason', async () => {
  const whole = await client.completions.create({ model: 'names', prompt: '', max_tokens: 15, temperature: 0.8, seed: 3, n: 2 });
  const stream = await client.completions.create({ model: 'names', prompt: '', max_tokens: 15, temperature: 0.8, seed: 3, n: 2, stream: true });
  const texts = ['', ''], finish: (string | null)[] = [null, null];
  let pieces = 0;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      texts[c.index] += c.text;
      if (c.finish_reason) finish[c.index] = c.finish_reason;
      pieces++;
    }
  }
  assert.deepEqual(texts, whole.choices.map((c) => c.text));
  assert.deepEqual(finish, whole.choices.map((c) => c.finish_reason));
  assert.ok(pieces > 4, `streamed in pieces (${pieces})`);
});

test('stream_options.include_usage: every chunk has usage null but the last, which has no choices and the usage of the whole response', async () => {
  const request = { model: 'names', prompt: 'a', max_tokens: 15, temperature: 0.8, seed: 4, n: 2 };
  const whole = await client.completions.create(request);
  const chunks: OpenAI.Completion[] = [];
  for await (const chunk of await client.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) chunks.push(chunk);
  const last = chunks.pop()!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, whole.usage);
  assert.ok(chunks.length > 4 && chunks.every((c) => c.usage === null && c.choices.length === 1), 'the others: usage null, one choice each');
  assert.deepEqual([0, 1].map((i) => chunks.filter((c) => c.choices[0].index === i).map((c) => c.choices[0].text).join('')), whole.choices.map((c) => c.text));
  // without it, no chunk has a usage field (as OpenAI's API); and it needs stream
  for await (const chunk of await client.completions.create({ ...request, stream: true })) assert.equal('usage' in chunk, false);
  await assert.rejects(client.completions.create({ ...request, stream_options: { include_usage: true } }),
    (e: { status?: number; message?: string }) => e.status === 400 && /stream_options is only allowed when stream is true/.test(e.message ?? ''));
});

test('the fields client libraries send with their defaults are accepted at them; GET /v1/models/ID', async () => {
  const request = { model: 'names', prompt: 'ka', max_tokens: 10, temperature: 0.5, seed: 9 };
  const plain = await client.completions.create(request);
  const defaults = await client.completions.create({ ...request, top_p: 1, best_of: 1, frequency_penalty: 0, presence_penalty: 0, logit_bias: {}, echo: false, suffix: null, logprobs: null, user: 'u' });
  assert.deepEqual(defaults.choices, plain.choices);
  assert.deepEqual(await client.models.retrieve('names'), { id: 'names', object: 'model', created: (await client.models.list()).data[0].created, owned_by: 'microgpt-ts' });
  await assert.rejects(client.models.retrieve('gpt-4'), (e: { status?: number; message?: string }) => e.status === 404 && /model "gpt-4" is not served here/.test(e.message ?? ''));
});

test('a list of prompts: prompt i\'s n choices are indices i * n to i * n + n - 1, the stream continuing from one to the next; usage counts each prompt', async () => {
  const request = { model: 'names', max_tokens: 10, temperature: 0.7, seed: 6, n: 2 };
  const alone = await Promise.all(['ka', 'mar'].map((prompt) => client.completions.create({ ...request, prompt })));
  const both = await client.completions.create({ ...request, prompt: ['ka', 'mar'] });
  assert.deepEqual(both.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.deepEqual(both.choices.slice(0, 2), alone[0].choices, 'the first prompt\'s choices, as alone');
  assert.deepEqual(both.usage, { prompt_tokens: 3 + 4, completion_tokens: both.choices.reduce((n, c) => n + c.text.length, 0), total_tokens: 7 + both.usage!.completion_tokens });
  const greedy = { ...request, temperature: 0 };
  const g = await client.completions.create({ ...greedy, prompt: ['ka', 'mar'] }), gMar = await client.completions.create({ ...greedy, prompt: 'mar' });
  assert.deepEqual(g.choices.slice(2).map((c) => c.text), gMar.choices.map((c) => c.text), 'greedy: the second prompt\'s choices, as alone');
  const streamed = ['', '', '', ''];
  for await (const chunk of await client.completions.create({ ...request, prompt: ['ka', 'mar'], stream: true })) streamed[chunk.choices[0].index] += chunk.choices[0].text;
  assert.deepEqual(streamed, both.choices.map((c) => c.text));
});

test('stop sequences cut the text before them; temperature 0 is the likeliest token every time; logprobs', async () => {
  const textClient = new OpenAI({ baseURL: `${textBase}/v1`, apiKey: 'x', maxRetries: 0 });
  const full = await textClient.completions.create({ model: 'text', prompt: 'ROMEO:', max_tokens: 60, temperature: 0.8, seed: 11 });
  const stopAt = full.choices[0].text.slice(5, 7);
  const cut = await textClient.completions.create({ model: 'text', prompt: 'ROMEO:', max_tokens: 60, temperature: 0.8, seed: 11, stop: [stopAt, 'zzzz'] });
  assert.equal(cut.choices[0].text, full.choices[0].text.slice(0, full.choices[0].text.indexOf(stopAt)));
  assert.equal(cut.choices[0].finish_reason, 'stop');
  const streamed = await textClient.completions.create({ model: 'text', prompt: 'ROMEO:', max_tokens: 60, temperature: 0.8, seed: 11, stop: stopAt, stream: true });
  let joined = '';
  for await (const chunk of streamed) joined += chunk.choices[0]?.text ?? '';
  assert.equal(joined, cut.choices[0].text, 'a stream never sends the start of a stop sequence');
  assert.equal(full.choices[0].finish_reason, 'length');

  const greedy = await Promise.all([1, 2].map((seed) => textClient.completions.create({ model: 'text', prompt: 'ROMEO:', max_tokens: 20, temperature: 0, seed })));
  assert.equal(greedy[0].choices[0].text, greedy[1].choices[0].text, 'temperature 0 does not depend on the seed');

  const lp = await textClient.completions.create({ model: 'text', prompt: 'ROMEO:', max_tokens: 8, temperature: 0.8, seed: 2, logprobs: 2 });
  const l = lp.choices[0].logprobs!;
  assert.equal(l.tokens!.join(''), lp.choices[0].text);
  assert.ok(l.token_logprobs!.every((x) => x <= 0));
  assert.ok(l.top_logprobs!.every((t) => Object.keys(t).length === 2 && Object.values(t).every((x) => x <= 0)));
});

test('bad requests get a JSON error with the right status, and the server keeps serving', async () => {
  const post = async (body: string, headers: Record<string, string> = {}, path = '/v1/completions', method = 'POST') => {
    const r = await fetch(`${base}${path}`, { method, body: method === 'POST' ? body : undefined, headers: { 'content-type': 'application/json', ...headers } });
    return { status: r.status, body: await r.json() as { error?: { message: string; param: string | null; code: string | null } } };
  };
  const cases: [string, number, RegExp, string?][] = [
    ['{bad json', 400, /not valid JSON/],
    ['[1, 2]', 400, /must be a JSON object/],
    ['{"prompt": "a", "max_tokenz": 3}', 400, /unknown field "max_tokenz"/, 'max_tokenz'],
    ['{"prompt": 3}', 400, /prompt must be a string/, 'prompt'],
    ['{"prompt": [[1, 2]]}', 400, /prompt must be a string or a list of strings \(lists of token ids are not supported\)/, 'prompt'],
    ['{"prompt": []}', 400, /prompt must be a string or a list of strings/, 'prompt'],
    ['{"prompt": ["a", "b"], "n": 9}', 400, /n times the number of prompts must be at most 16, got 9 x 2/, 'n'],
    ['{"prompt": "QX"}', 400, /character "Q" \(U\+0051\) is not in the model's vocabulary/, 'prompt'],
    ['{"prompt": "a", "max_tokens": 0}', 400, /max_tokens must be an integer from 1 to 4096/, 'max_tokens'],
    ['{"prompt": "a", "max_tokens": 1e9}', 400, /max_tokens must be an integer/, 'max_tokens'],
    ['{"prompt": "a", "max_tokens": "5"}', 400, /max_tokens must be an integer/, 'max_tokens'],
    ['{"prompt": "a", "temperature": -1}', 400, /temperature must be a number from 0 to 2/, 'temperature'],
    ['{"prompt": "a", "n": 17}', 400, /n must be an integer from 1 to 16/, 'n'],
    ['{"prompt": "a", "stop": ["", "x"]}', 400, /stop must be a string or a list/, 'stop'],
    ['{"prompt": "a", "top_p": 0.5}', 400, /top_p other than 1 is not supported/, 'top_p'],
    ['{"prompt": "a", "stream": "yes"}', 400, /stream must be true or false/, 'stream'],
    ['{"prompt": "a", "best_of": 2}', 400, /best_of other than 1 is not supported/, 'best_of'],
    ['{"prompt": "a", "frequency_penalty": 0.5}', 400, /frequency_penalty other than 0 is not supported/, 'frequency_penalty'],
    ['{"prompt": "a", "logit_bias": {"5": 10}}', 400, /logit_bias is not supported/, 'logit_bias'],
    ['{"prompt": "a", "stream": true, "stream_options": {"include_usage": 1}}', 400, /stream_options.include_usage must be true or false/, 'stream_options'],
    ['{"prompt": "a", "stream": true, "stream_options": {"usage": true}}', 400, /unknown field "stream_options.usage"/, 'stream_options'],
    ['{"prompt": "a", "model": "gpt-4"}', 404, /model "gpt-4" is not served here/, 'model'],
  ];
  for (const [body, status, message, param] of cases) {
    const r = await post(body);
    assert.equal(r.status, status, body);
    assert.match(r.body.error!.message, message, body);
    if (param) assert.equal(r.body.error!.param, param);
    assert.equal(r.body.error!.code, status === 404 ? 'model_not_found' : null, body); // OpenAI's: a string or null
  }
  // a body over 1 MiB: refused from its declared length, or, sent in chunks without one, as it arrives
  const big = await fetch(`${base}/v1/completions`, { method: 'POST', body: 'x'.repeat(100 * 2 ** 20) });
  assert.equal(big.status, 413);
  assert.match(((await big.json()) as { error: { message: string } }).error.message, /the request body is 104857600 bytes; the limit is 1048576/);
  const chunk = new TextEncoder().encode('x'.repeat(2 ** 16));
  let sent = 0;
  const body = new ReadableStream({ pull(c) { if (sent++ < 64) c.enqueue(chunk); else c.close(); } });
  const chunked = await fetch(`${base}/v1/completions`, { method: 'POST', body, duplex: 'half' } as RequestInit);
  assert.equal(chunked.status, 413);
  assert.match(((await chunked.json()) as { error: { message: string } }).error.message, /larger than the limit of 1048576 bytes/);
  assert.equal((await post('', {}, '/v1/completions', 'GET')).status, 405);
  assert.equal((await post('', {}, '/v1/chat/completions')).status, 404);
  const ok = await client.completions.create({ model: 'names', prompt: 'a', max_tokens: 5, seed: 1 });
  assert.equal(ok.choices.length, 1, 'still serving');
});

test('batched: concurrent requests decode together, each exactly as alone; a full queue of sequences is 429', async () => {
  const settings = Array.from({ length: 12 }, (_, i) => ({ model: 'names', prompt: ['', 'a', 'ka', 'mar'][i % 4], max_tokens: 14, temperature: 0.9, seed: 100 + i }));
  const alone: string[] = [];
  for (const s of settings.slice(0, 4)) alone.push((await client.completions.create(s)).choices[0].text);
  // 4 slots and a queue of 2 sequences: of 12 at once, some are refused, the rest equal their solo runs
  const results = await Promise.allSettled(settings.map((s) => client.completions.create(s)));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(refused.every((r) => (r as PromiseRejectedResult).reason.status === 429), 'only 429s');
  assert.ok(refused.every((r) => (r as PromiseRejectedResult).reason.code === 'rate_limit_exceeded'), 'with OpenAI\'s code');
  assert.ok(refused.length > 0 && refused.length < 12, `some refused (${refused.length} of 12)`);
  results.forEach((r, i) => {
    if (r.status === 'fulfilled' && i < 4) assert.equal(r.value.choices[0].text, alone[i], `request ${i}`);
  });
  const again = await Promise.all(settings.slice(0, 6).map((s) => client.completions.create(s)));
  assert.deepEqual(again.slice(0, 4).map((r) => r.choices[0].text), alone);
});

test('float32 batched: a completion is what `microgpt sample --engine float32` prints, alone or beside others; a client that leaves frees its slot', async () => {
  const f32 = createCompletionServer(runFromCheckpoint(loadCheckpoint(names), { engine: 'float32' }), 'names', { maxQueue: 8, timeoutMs: 20_000, maxBatch: 2 });
  const f32Text = createCompletionServer(runFromCheckpoint(loadCheckpoint(text), { engine: 'float32' }), 'text', { maxQueue: 8, timeoutMs: 20_000, maxBatch: 2 });
  assert.equal(f32.batching, true);
  try {
    const c = new OpenAI({ baseURL: `${await listen(f32)}/v1`, apiKey: 'x', maxRetries: 0 });
    const r = await c.completions.create({ model: 'names', prompt: 'ka', max_tokens: 12, temperature: 0.5, seed: 7, n: 3 });
    const printed = cli('sample', '--from', names, '--engine', 'float32', '--seed', '7', '--samples', '3', '--prompt', 'ka', '--temperature', '0.5', '--max-tokens', '12')
      .trim().split('\n').map((l) => l.replace(/^sample +\d+: /, ''));
    assert.deepEqual(r.choices.map((ch) => `ka${ch.text}`), printed);
    // five at once through two slots: each as it is alone
    const settings = Array.from({ length: 5 }, (_, i) => ({ model: 'names', prompt: ['', 'a', 'mar'][i % 3], max_tokens: 14, temperature: 0.9, seed: 200 + i }));
    const alone: string[] = [];
    for (const s of settings) alone.push((await c.completions.create(s)).choices[0].text);
    const together = await Promise.all(settings.map((s) => c.completions.create(s)));
    assert.deepEqual(together.map((t) => t.choices[0].text), alone);
    // two endless streams hold both slots; their clients leave; a new request runs at once
    const textUrl = await listen(f32Text), tc = new OpenAI({ baseURL: `${textUrl}/v1`, apiKey: 'x', maxRetries: 0 });
    const aborts = [new AbortController(), new AbortController()];
    for (const a of aborts) {
      const long = await tc.completions.create({ model: 'text', prompt: 'A', max_tokens: 4096, n: 16, stream: true, seed: 1 }, { signal: a.signal });
      await long[Symbol.asyncIterator]().next();
    }
    const busy = await (await fetch(`${textUrl}/health`)).json() as { busy: boolean };
    assert.equal(busy.busy, true);
    for (const a of aborts) a.abort();
    const started = Date.now();
    const after = await tc.completions.create({ model: 'text', prompt: 'B', max_tokens: 5, seed: 1 });
    assert.equal(after.choices[0].text.length, 5);
    assert.ok(Date.now() - started < 5000, `a new request ran ${Date.now() - started} ms after the clients left`);
    const health = await (await fetch(`${textUrl}/health`)).json() as { busy: boolean; waiting: number };
    assert.deepEqual(health, { status: 'ok', busy: false, waiting: 0 });
  } finally {
    await f32.close();
    await f32Text.close();
  }
});

test('close() lets the stream in flight finish, then gives the float32 decoder back: a second server on the engine reuses its memory', async () => {
  const run = runFromCheckpoint(loadCheckpoint(names), { engine: 'float32' }), engine = run.engine as typeof run.engine & { memoryBytes: number };
  const before = engine.memoryBytes;
  const first = createCompletionServer(run, 'names', { maxQueue: 8, timeoutMs: 20_000, maxBatch: 64 });
  const grown = engine.memoryBytes;
  assert.ok(grown > before, `a 64-slot decoder takes WebAssembly memory (${before} -> ${grown} bytes)`);
  try {
    const c = new OpenAI({ baseURL: `${await listen(first)}/v1`, apiKey: 'x', maxRetries: 0 });
    const request = { model: 'names', prompt: 'a', max_tokens: 12, temperature: 0.9, seed: 5, n: 16 };
    const whole = await c.completions.create(request);
    const it = (await c.completions.create({ ...request, stream: true }))[Symbol.asyncIterator]();
    let texts = Array.from({ length: 16 }, () => ''), chunk = await it.next();
    const closed = first.close(); // mid-stream: the stream goes on to its end before the decoder goes back
    for (; !chunk.done; chunk = await it.next()) texts[chunk.value.choices[0].index] += chunk.value.choices[0].text;
    assert.deepEqual(texts, whole.choices.map((ch) => ch.text));
    await closed;
    const second = createCompletionServer(run, 'names', { maxQueue: 8, timeoutMs: 20_000, maxBatch: 64 });
    assert.equal(engine.memoryBytes, grown, 'the second server decodes in the first one\'s buffers');
    const c2 = new OpenAI({ baseURL: `${await listen(second)}/v1`, apiKey: 'x', maxRetries: 0 });
    texts = (await c2.completions.create(request)).choices.map((ch) => ch.text);
    assert.deepEqual(texts, whole.choices.map((ch) => ch.text));
    await second.close();
    await second.close(); // twice is harmless
  } finally {
    await first.close();
    engine.close?.();
  }
});

test('with an API key, a request without it is a 401 in OpenAI\'s error shape, with it served; /health stays open', async () => {
  const keyed = createCompletionServer(runFromCheckpoint(loadCheckpoint(names)), 'names', { maxQueue: 2, timeoutMs: 20_000, apiKey: 'sk-test-1' });
  try {
    const base = await listen(keyed);
    const unauthorized = (e: { status?: number; message?: string }) => e.status === 401 && /needs an API key: send it as Authorization: Bearer KEY/.test(e.message ?? '');
    for (const key of ['sk-test-2', 'sk-test-12', 'sk-test-']) {
      const wrong = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
      await assert.rejects(wrong.completions.create({ model: 'names', prompt: 'a', max_tokens: 3 }), unauthorized, key);
      await assert.rejects(wrong.models.list(), unauthorized, key);
    }
    const none = await fetch(`${base}/v1/completions`, { method: 'POST', body: '{"prompt": "a"}' });
    assert.equal(none.status, 401);
    // the scheme's name is case-insensitive in HTTP; the key is not
    const models = (authorization: string) => fetch(`${base}/v1/models`, { headers: { authorization } }).then((r) => r.status);
    assert.deepEqual(await Promise.all(['bearer sk-test-1', 'BEARER sk-test-1', 'Bearer SK-TEST-1', 'Basic sk-test-1', 'Bearer  sk-test-1', 'sk-test-1'].map(models)),
      [200, 200, 401, 401, 401, 401]);
    assert.equal(((await none.json()) as { error: { param: null; code: string } }).error.code, 'invalid_api_key');
    const right = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test-1', maxRetries: 0 });
    const r = await right.completions.create({ model: 'names', prompt: 'ka', max_tokens: 12, temperature: 0.5, seed: 7 });
    assert.equal(r.choices[0].text, (await client.completions.create({ model: 'names', prompt: 'ka', max_tokens: 12, temperature: 0.5, seed: 7 })).choices[0].text);
    assert.equal((await fetch(`${base}/health`)).status, 200);
  } finally {
    await keyed.close();
  }
});

test('a full queue is 429; a client that leaves frees the model at once', async () => {
  const textClient = new OpenAI({ baseURL: `${textBase}/v1`, apiKey: 'x', maxRetries: 0 });
  // one long stream holds the model; the queue (1) takes one more; the next is refused
  const abort = new AbortController();
  const long = await textClient.completions.create({ model: 'text', prompt: 'A', max_tokens: 4096, stream: true, seed: 1 }, { signal: abort.signal });
  const iterator = long[Symbol.asyncIterator]();
  await iterator.next(); // it is generating
  const queued = textClient.completions.create({ model: 'text', prompt: 'B', max_tokens: 5, seed: 1 });
  await new Promise((r) => setTimeout(r, 100));
  await assert.rejects(textClient.completions.create({ model: 'text', prompt: 'C', max_tokens: 5 }), (e: unknown) => (e as { status?: number }).status === 429);
  const started = Date.now();
  abort.abort(); // the long request's client leaves: the queued one gets the model at once
  const r = await queued;
  assert.equal(r.choices.length, 1);
  assert.ok(Date.now() - started < 5000, `the queued request ran ${Date.now() - started} ms after the first client left`);
  const health = await (await fetch(`${textBase}/health`)).json() as { busy: boolean; waiting: number };
  assert.deepEqual(health, { status: 'ok', busy: false, waiting: 0 });
});

test('a request that waits past the timeout for its turn gets a 503; the one holding the model is cut', { timeout: 120_000 }, async () => {
  // The server's clock is stopped, so no deadline passes by itself: B is queued behind A,
  // then time jumps past both deadlines. Whatever the machine's load, A is cut with what it
  // has and B, still waiting for its turn, gets a 503.
  let clock = 0;
  const quick = createCompletionServer(runFromCheckpoint(loadCheckpoint(text)), 'text', { maxQueue: 4, timeoutMs: 400, now: () => clock });
  try {
    const base = await listen(quick), url = `${base}/v1/completions`;
    const post = (prompt: string, n: number, stream: boolean) =>
      fetch(url, { method: 'POST', body: JSON.stringify({ prompt, max_tokens: 4096, n, seed: 1, stream }) });
    const first = await post('A', 16, true);
    assert.equal(first.status, 200);
    const reader = first.body!.getReader(), decoder = new TextDecoder();
    let body = decoder.decode((await reader.read()).value); // A is producing
    const second = post('B', 1, false);
    const waiting = async () => ((await (await fetch(`${base}/health`)).json()) as { waiting: number }).waiting;
    while (await waiting() < 1) await new Promise((ok) => setTimeout(ok, 1));
    clock = 1000; // past both deadlines
    for (let r = await reader.read(); !r.done; r = await reader.read()) body += decoder.decode(r.value, { stream: true });
    const chunks = body.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as { choices: { index: number; text: string; finish_reason: string | null }[] });
    const texts = Array.from({ length: 16 }, () => ''), reasons: (string | null)[] = Array.from({ length: 16 }, () => null);
    for (const c of chunks) for (const ch of c.choices) { texts[ch.index] += ch.text; reasons[ch.index] ??= ch.finish_reason; }
    assert.ok(reasons.every((r) => r === 'length'), `A is cut at its deadline, with what it has: ${reasons.join(', ')}`);
    assert.ok(texts[0].length > 0 && texts[15] === '', 'choices after the deadline are empty, not an error');
    const late = await second;
    assert.equal(late.status, 503);
    assert.match(((await late.json()) as { error: { message: string } }).error.message, /waited longer than the server's timeout \(0\.4 s\)/);
  } finally {
    await quick.close();
  }
});

test('microgpt serve: listens on loopback, and SIGTERM lets the request in flight finish before it exits', async () => {
  const { out, url } = await sigtermDuringStream(['--from', text], 'text');
  assert.match(out, /stopping: finishing the requests in flight/);
  await assert.rejects(fetch(`${url}/models`), 'no longer listening');
});

test('microgpt serve: a closed stdout (serve | head -1) does not end the server; SIGTERM still lets the request in flight finish', async () => {
  await sigtermDuringStream(['--from', text], 'text', { closeStdout: true });
});

test('microgpt serve: settings it cannot use are one line and exit code 2', () => {
  const serve = (...args: string[]) => spawnSync(process.execPath, [BIN, 'serve', ...args], { encoding: 'utf8', timeout: 20_000 });
  const cases: [string[], RegExp][] = [
    [[], /serve needs --from DIR/],
    [['--from', join(tmp, 'missing')], /no checkpoint at/],
    [['--from', names, '--port', '70000'], /--port must be from 0 to 65535/],
    [['--from', names, '--max-batch', '0'], /--max-batch must be from 1 to 1024/],
    [['--from', names, '--timeout', '0'], /--timeout must be > 0 seconds/],
    [['--from', names, '--host', 'host.invalid', '--port', '0'], /cannot listen on host\.invalid:0: host host\.invalid was not found/],
    [['--from', names, '--host', '192.0.2.1', '--port', '0'], /cannot listen on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine/],
    [['--from', names, '--quantize', 'int4'], /--quantize must be one of none, int8/],
    [['--from', names, '--api-key', 'two words'], /--api-key must be printable ASCII without spaces, and not empty/],
  ];
  for (const [args, pattern] of cases) {
    const r = serve(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
