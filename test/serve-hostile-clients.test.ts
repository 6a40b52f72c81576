// `microgpt serve` against careless and hostile clients: wrong JSON types, clients that hang
// up halfway, HTTP the parser refuses, flags that would listen somewhere else than asked.
// Each gets an OpenAI-shaped error or a clean refusal, the log stays quiet, the server serves on.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { assertCleanError } from './cli-helpers.js';
import { loadCheckpoint } from '../src/cli/checkpoint-files.js';
import { createCompletionServer } from '../src/cli/serve-job.js';
import { runFromCheckpoint } from '../src/core/run/run.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const names = join(mkdtempSync(join(tmpdir(), 'microgpt-serve-hostile-')), 'names');

let server: ReturnType<typeof createCompletionServer>, base = '', port = 0;

before(async () => {
  const r = spawnSync(process.execPath, [BIN, 'train', '--preset', 'names', '--steps', '20', '--out', names, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  server = createCompletionServer(runFromCheckpoint(loadCheckpoint(names)), 'names', { maxQueue: 4, timeoutMs: 20_000, maxBatch: 2 });
  await new Promise<void>((ok) => server.http.listen(0, '127.0.0.1', ok));
  port = (server.http.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  await server.close();
});

/** What the server writes to console.error while `work` runs (a stack there means a bug). */
async function errorsLogged(work: () => Promise<void>): Promise<string[]> {
  const logged: string[] = [], original = console.error;
  console.error = (...args: unknown[]) => { logged.push(args.map(String).join(' ')); };
  try {
    await work();
  } finally {
    console.error = original;
  }
  return logged;
}

async function post(body: string): Promise<{ status: number; error: { message: string; type: string; param: string | null; code: string | null } }> {
  const r = await fetch(`${base}/v1/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: r.status, error: ((await r.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }).error };
}

async function stillServing(): Promise<void> {
  const r = await fetch(`${base}/v1/completions`, { method: 'POST', body: '{"prompt": "a", "max_tokens": 3, "seed": 1}' });
  assert.equal(r.status, 200, 'still serving');
}

test('a model that is not a string is a 400 naming the field, not a 500 with a stack in the log', async () => {
  const logged = await errorsLogged(async () => {
    for (const model of ['{"toString": 1}', '{}', '[1]', '5', 'null', 'true']) {
      const r = await post(`{"prompt": "a", "model": ${model}}`);
      assert.equal(r.status, 400, model);
      assert.deepEqual(r.error, { message: 'model must be a string', type: 'invalid_request_error', param: 'model', code: null }, model);
    }
  });
  assert.deepEqual(logged, []);
  await stillServing();
});

test('a client that hangs up halfway through its body leaves no stack in the log, and the server serves on', async () => {
  const logged = await errorsLogged(async () => {
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((ok) => socket.on('connect', ok));
      socket.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt": "a"');
      await new Promise((ok) => setTimeout(ok, 50)); // the server is reading the body
      socket.destroy();
    }
    await new Promise((ok) => setTimeout(ok, 200));
    await stillServing();
  });
  assert.deepEqual(logged, []);
});

test('serve --host "" (an unset variable) is refused, not a server listening on every address', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--from', names, '--host', '', '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
  assertCleanError({ code: r.status, err: r.stderr }, /--host must not be empty; use 127\.0\.0\.1, or 0\.0\.0\.0 for every address/);
});

test('serve --host ::1 prints a URL a client can use: the IPv6 address in brackets', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--from', names, '--host', '::1', '--port', '0'], { timeout: 20_000 });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  await Promise.race([new Promise<void>((ok) => child.stdout.on('data', () => { if (out.includes('\n')) ok(); })), exited]);
  try {
    const url = / on (\S+)\n/.exec(out)?.[1] ?? '';
    assert.match(url, /^http:\/\/\[::1\]:\d+\/v1$/, out);
    assert.equal((await fetch(`${url}/models`)).status, 200);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

/** What the server answers to `request` sent as it is on a fresh connection, read to the close. */
async function rawExchange(request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => { answer += d; });
  socket.on('error', () => {}); // a reset after the answer
  socket.write(request);
  await new Promise((ok) => socket.on('close', ok));
  return answer;
}

test('a request node\'s HTTP parser refuses gets the same JSON error as every other, with its status', async () => {
  const cases: [string, number, RegExp][] = [
    ['POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, /^the request is not valid HTTP/],
    ['HELLO\r\n\r\n', 400, /^the request is not valid HTTP/],
    [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /^the request's headers are larger than the limit of \d+ bytes$/],
    ['GET /health HTTP/1.1\r\n\r\n', 400, /^an HTTP\/1\.1 request needs a Host header$/],
  ];
  const logged = await errorsLogged(async () => {
    for (const [request, status, message] of cases) {
      const answer = await rawExchange(request), [head, body] = answer.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), answer);
      assert.match(head, /\r\ncontent-type: application\/json\r\n/i, answer);
      const { error } = JSON.parse(body) as { error: { message: string; type: string; param: null; code: null } };
      assert.match(error.message, message);
      assert.deepEqual({ ...error, message: '' }, { message: '', type: 'invalid_request_error', param: null, code: null });
    }
  });
  assert.deepEqual(logged, []);
  await stillServing();
});

test('a known route with the wrong method is a 405 saying which method it takes (Allow); HEAD is answered as GET without the body', async () => {
  const cases: [string, string, string][] = [
    ['POST', '/v1/models', 'GET, HEAD'], ['DELETE', '/v1/models/names', 'GET, HEAD'], ['POST', '/health', 'GET, HEAD'],
    ['GET', '/v1/completions', 'POST'], ['PUT', '/v1/completions', 'POST'],
  ];
  for (const [method, path, allow] of cases) {
    const r = await fetch(`${base}${path}`, { method });
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
    const { error } = (await r.json()) as { error: { message: string; type: string } };
    assert.equal(error.message, `use ${allow.split(',')[0]} for ${path}`);
  }
  for (const path of ['/health', '/v1/models', '/v1/models/names']) {
    const head = await fetch(`${base}${path}`, { method: 'HEAD' }), get = await fetch(`${base}${path}`);
    assert.equal(head.status, 200, path);
    assert.equal(head.headers.get('content-length'), get.headers.get('content-length'), path);
    assert.equal(await head.text(), '');
  }
  assert.equal((await fetch(`${base}/v1/nothing`, { method: 'POST' })).status, 404);
});

test('bodies arriving at once are held to a budget: past 64 MiB a new one is a 429 before it is read, not memory without end', async () => {
  // each stalled client has sent all but the last bytes of a 1 MiB body, which the server holds
  const mib = 2 ** 20, stalled = [];
  for (let i = 0; i < 64; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${mib}\r\n\r\n`);
    socket.write(Buffer.alloc(mib - 16, 0x20));
    stalled.push(socket);
  }
  const busy = async () => ((await (await fetch(`${base}/health`)).json()) as { status: string }).status;
  for (let waited = 0; waited < 100; waited++) {
    await new Promise((ok) => setTimeout(ok, 50));
    const r = await fetch(`${base}/v1/completions`, { method: 'POST', body: ' '.repeat(mib - 100) });
    if (r.status === 429) {
      const { error } = (await r.json()) as { error: { message: string; code: string } };
      assert.match(error.message, /^the server is busy \(64 MiB of request bodies arriving\); try again shortly$/);
      assert.equal(error.code, 'rate_limit_exceeded');
      break;
    }
    assert.equal(r.status, 400, 'read while there was room (and not JSON)');
    assert.ok(waited < 99, 'the 65th large body was refused');
  }
  assert.equal(await busy(), 'ok');
  for (const socket of stalled) socket.destroy();
  await new Promise((ok) => setTimeout(ok, 200));
  const r = await fetch(`${base}/v1/completions`, { method: 'POST', body: `{"prompt": "a", "max_tokens": 2, "user": "${'u'.repeat(mib - 100)}"}` });
  assert.equal(r.status, 200, 'the budget is given back when the clients leave');
});

test('a lone surrogate (JSON "\\ud800") in a prompt or a stop sequence is a 400, not silently U+FFFD or a stop that never matches', async () => {
  const bpe = join(names, '..', 'bpe');
  const r = spawnSync(process.execPath, [BIN, 'train', '--preset', 'shakespeare', '--tokenizer', fileURLToPath(new URL('../../data/tinyshakespeare-512.model', import.meta.url)),
    '--steps', '2', '--warmup-steps', '1', '--out', bpe, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const bpeServer = createCompletionServer(runFromCheckpoint(loadCheckpoint(bpe)), 'bpe', { maxQueue: 4, timeoutMs: 20_000 });
  try {
    await new Promise<void>((ok) => bpeServer.http.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(bpeServer.http.address() as AddressInfo).port}/v1/completions`;
    const cases: [string, string, RegExp][] = [
      ['{"prompt": "a\\ud800b"}', 'prompt', /^prompt is not valid Unicode: a lone surrogate U\+D800 at character 1$/],
      ['{"prompt": ["ok", "\\udc00"]}', 'prompt', /^prompt is not valid Unicode: a lone surrogate U\+DC00 at character 0$/],
      ['{"prompt": "a", "stop": ["x\\ud83d"]}', 'stop', /^stop is not valid Unicode: a lone surrogate U\+D83D at character 1$/],
    ];
    for (const [body, param, message] of cases) {
      const res = await fetch(url, { method: 'POST', body });
      assert.equal(res.status, 400, body);
      const { error } = (await res.json()) as { error: { message: string; param: string } };
      assert.match(error.message, message, body);
      assert.equal(error.param, param, body);
    }
    const pair = await fetch(url, { method: 'POST', body: '{"prompt": "\\ud83d\\ude00", "max_tokens": 1, "stop": "\\ud83d\\ude00"}' });
    assert.equal(pair.status, 200, 'a surrogate pair is a character like any other');
  } finally {
    await bpeServer.close();
  }
});

test('user: null is no user, as null is for every other optional field', async () => {
  const r = await fetch(`${base}/v1/completions`, { method: 'POST', body: '{"prompt": "a", "max_tokens": 2, "seed": 1, "user": null, "n": null, "stop": null, "stream": null}' });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal((await post('{"prompt": "a", "user": 5}')).error.message, 'user must be a string');
});

test('close() (SIGTERM) does not wait for a client that stalls while sending its request: it gets a 503 and close() returns', { timeout: 10_000 }, async () => {
  const s = createCompletionServer(runFromCheckpoint(loadCheckpoint(names)), 'names', { maxQueue: 4, timeoutMs: 20_000 });
  await new Promise<void>((ok) => s.http.listen(0, '127.0.0.1', ok));
  // one stalls in its body, one in its headers (an open connection keeps `microgpt serve` from exiting)
  const stalled = ['POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"prompt": "a"', 'POST /v1/completions HTTP/1.1\r\nHost: x\r\n'];
  const sockets = stalled.map((request) => {
    const socket = connect((s.http.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(request);
    return socket;
  });
  let answer = '';
  sockets[0].on('data', (d) => { answer += d; });
  const answered = Promise.all(sockets.map((socket) => new Promise((ok) => socket.on('close', ok))));
  await new Promise((ok) => setTimeout(ok, 200)); // both are being read
  let took = 0;
  const logged = await errorsLogged(async () => {
    const started = Date.now();
    await s.close();
    took = Date.now() - started;
    await answered;
  });
  assert.ok(took < 2000, `close() took ${took} ms`);
  assert.match(answer, /^HTTP\/1.1 503 /);
  assert.match(answer, /"message":"the server is shutting down"/);
  assert.deepEqual(logged, []);
});
