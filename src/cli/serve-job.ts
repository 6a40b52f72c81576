// `microgpt serve`: a checkpoint behind an HTTP API that OpenAI's clients speak
// (POST /v1/completions, streamed as server-sent events or whole; GET /v1/models; GET /health).
// node:http, not a framework: four routes, and every limit (body size, queue, time, slow
// clients) is easier to see and test in it. Every request's sequences go through one batcher
// (core/run/batching.ts): on an engine with a batch decoder (tensor, float32) they decode
// together, continuous batching, one forward pass per step over all of them; on the scalar
// engine one at a time.
// Either way a sequence waits in a bounded queue (429 when full), the event loop turns after
// every step (streams flow, new requests are queued or refused), a client that goes away frees
// its place at once, and one that waits past the timeout gets a 503. SIGTERM stops accepting
// and finishes what is in flight. With --draft the scheduler is speculative decoding's
// (core/run/speculative.ts), which has the batcher's shape: the same queue, limits and events.

import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES, type ServerResponse, createServer, maxHeaderSize } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { basename, resolve } from 'node:path';
import { PyRandom } from '../core/contract/random.js';
import { UserError } from '../core/errors.js';
import { createBatcher } from '../core/run/batching.js';
import type { BatchDecoder, Engine } from '../core/contract/engine.js';
import { type ChoiceEvent, type CompletionRequest, RequestError, type TokenLogprob, choicePlan, choiceText, parseCompletionRequest,
  promptTokens, requestRandom, unknownModel } from '../core/run/completion.js';
import { startDecoding } from '../core/run/generate.js';
import type { Run } from '../core/run/run.js';
import { checkDecoderMemory, engineSpec } from '../core/run/engines.js';
import { type SpeculativeSequence, type SpeculativeStats, createSpeculativeBatcher, newSpeculativeStats, speculativeRows, speculativeSummary } from '../core/run/speculative.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { DRAFT_FLAGS, draftRun, runFromFlags } from './checkpoint-run.js';
import { whenStdoutCloses } from './closed-pipe.js';
import { CHECKPOINT_ENGINE_FLAGS, machineMemory } from './options.js';

export const SERVE_FLAGS: FlagSpec[] = [
  { name: 'from', type: 'string', help: 'checkpoint directory (required)' },
  { name: 'host', type: 'string', help: 'address to listen on (0.0.0.0 to accept other machines)', default: '127.0.0.1' },
  { name: 'port', type: 'int', help: 'port to listen on (0: any free port, printed)', default: 8080 },
  { name: 'max-queue', type: 'int', help: 'requests that may wait for the model; more get 429', default: 64 },
  { name: 'max-batch', type: 'int', help: 'sequences decoded together in one forward pass (continuous batching; tensor and float32 engines)', default: 32 },
  { name: 'timeout', type: 'number', help: 'seconds a request may take, waiting included; then 503 (or the stream ends)', default: 60 },
  { name: 'api-key', type: 'string', help: 'a key every request but GET /health must send (Authorization: Bearer KEY; else 401); default: none asked' },
  ...DRAFT_FLAGS,
  ...CHECKPOINT_ENGINE_FLAGS,
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt serve --from DIR [--host 127.0.0.1] [--port 8080]

Serves a checkpoint over HTTP with OpenAI's completions API, so OpenAI's client libraries
(or curl) can call it: POST /v1/completions (prompt, max_tokens, temperature, top_k, seed,
stop, n, stream, stream_options, logprobs), GET /v1/models[/ID], GET /health. With the same
seed and settings a completion is the text \`microgpt sample\` prints after the prompt.
Concurrent requests decode together (continuous batching), fastest on --engine float32. With
--draft DIR2 a smaller checkpoint proposes tokens that this one checks (speculative
decoding): the same distribution, the same greedy text.`;

const MAX_BODY = 1 << 20; // bytes of JSON a request may send
const MAX_BODIES = 64 * MAX_BODY; // bytes of bodies held at once, all requests together: slow senders cannot fill the memory

export async function serveJob(argv: string[]): Promise<number> {
  const { values: v, given } = parseArgs(argv, SERVE_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, SERVE_FLAGS));
    return 0;
  }
  if (v.from === undefined) throw new UserError('serve needs --from DIR, a checkpoint directory');
  const port = v.port as number, maxQueue = v['max-queue'] as number, timeoutMs = (v.timeout as number) * 1000, maxBatch = v['max-batch'] as number;
  if (!(maxBatch >= 1 && maxBatch <= 1024)) throw new UserError(`--max-batch must be from 1 to 1024, got ${maxBatch}`);
  if (v.host === '') throw new UserError('--host must not be empty; use 127.0.0.1, or 0.0.0.0 for every address'); // node would listen on every address
  if (!(port >= 0 && port <= 65535)) throw new UserError(`--port must be from 0 to 65535, got ${port}`);
  if (!(maxQueue >= 0)) throw new UserError(`--max-queue must be >= 0, got ${maxQueue}`);
  if (!(timeoutMs > 0)) throw new UserError(`--timeout must be > 0 seconds, got ${v.timeout}`);
  const apiKey = v['api-key'] as string | undefined;
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) throw new UserError('--api-key must be printable ASCII without spaces, and not empty');
  const { run, note } = runFromFlags(v, given);
  if (note) process.stdout.write(`note: ${note}\n`);
  const draft = draftRun(v, given, run);
  // the batch's key/value caches, before any is allocated: --max-batch 1024 of a long context is many GiB
  const k = v.speculate as number;
  checkDecoderMemory((draft ? [run, draft] : [run]).map((r) => ({
    spec: engineSpec(r.engine.name), config: r.config, rows: (slots: number) => (draft ? speculativeRows(run.config.blockSize, slots, k) : slots),
  })), maxBatch, machineMemory());
  const modelId = basename(resolve(v.from as string));
  const server = createCompletionServer(run, modelId, { maxQueue, timeoutMs, maxBatch, apiKey, draft: draft && { engine: draft.engine, k: v.speculate as number } });
  await new Promise<void>((ok, fail) => {
    server.http.once('error', (e: NodeJS.ErrnoException) => fail(listenError(e, v.host as string, port)));
    server.http.listen(port, v.host as string, () => ok());
  });
  const address = server.http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address; // a URL writes an IPv6 address in brackets
  const batching = `${server.batching ? `batching up to ${maxBatch} sequences` : 'one request at a time'}` +
    `${draft ? `, speculative decoding with a ${draft.numParams.toLocaleString('en-US')}-param draft proposing ${v.speculate} tokens` : ''}`;
  process.stdout.write(`serving ${modelId} (${run.numParams.toLocaleString('en-US')} params, ${run.engine.name} engine, ${batching}) on http://${host}:${address.port}/v1\n`);
  // the log's reader going away (`serve | head -1`) is no reason to drop requests: serving goes on
  whenStdoutCloses(() => {});
  await new Promise<void>((done) => {
    const stop = () => {
      process.stdout.write('stopping: finishing the requests in flight\n');
      server.close().then(() => {
        if (server.speculative) process.stdout.write(`speculative: ${speculativeSummary(server.speculative)}\n`);
        done();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  run.engine.close?.();
  draft?.engine.close?.();
  return 0;
}

/** Why the server could not listen, in one line. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): UserError {
  const why: Record<string, string> = {
    EADDRINUSE: `port ${port} is in use; choose another with --port`,
    EACCES: `port ${port} needs privileges this user lacks; choose one above 1023`,
    EADDRNOTAVAIL: `${host} is not an address of this machine; use 127.0.0.1, or 0.0.0.0 for every address`,
    ENOTFOUND: `host ${host} was not found; give an address such as 127.0.0.1`,
  };
  return new UserError(`cannot listen on ${host}:${port}: ${why[e.code ?? ''] ?? e.message}`);
}

interface ServerOptions {
  maxQueue: number;
  timeoutMs: number;
  maxBatch?: number;
  apiKey?: string; // requests but GET /health must send it as a bearer token
  draft?: { engine: Engine; k: number }; // speculative decoding: this engine proposes k tokens per target pass
  now?: () => number; // the clock deadlines are kept by, in ms (tests stop it; default Date.now)
}

/** The server (not yet listening) and a close() that stops accepting and waits for the requests in flight. */
export function createCompletionServer(run: Run, modelId: string, options: ServerOptions) {
  const serverRng = new PyRandom(run.seed);
  serverRng.setState(run.rng.getState()); // without a seed, requests continue the checkpoint's stream
  const created = Math.floor(Date.now() / 1000);
  const now = options.now ?? Date.now;
  let closing = false, inFlight = 0;
  const arriving = { bytes: 0 }; // of the bodies being read now
  const reading = new Set<() => void>(); // refusals of the requests whose bodies are still arriving, for close()
  let drained: (() => void) | undefined, stopped: Promise<void> | undefined;
  const { batcher, batching, speculative } = scheduler(run, options);
  let driving = false, idle: (() => void) | undefined;
  function drive(): void {
    if (batcher.step() || batcher.waiting > 0) setImmediate(drive); // one step per turn of the event loop: I/O flows between
    else { driving = false; idle?.(); }
  }

  async function completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deadline = now() + options.timeoutMs;
    const refuse = () => { sendJson(res, 503, errorBody(503, 'the server is shutting down')); req.destroy(); };
    reading.add(refuse);
    const body = await readJson(req, arriving).finally(() => reading.delete(refuse));
    const request = parseCompletionRequest(body, modelId);
    const promptLength = request.prompts.reduce((sum, p) => sum + promptTokens(run, request, p).length, 0); // a prompt the model cannot read fails before waiting
    let gone = false;
    res.on('close', () => { if (!res.writableFinished) gone = true; }); // the client went away
    const queued = batcher.waiting - batcher.freeSlots; // the first waiting ones join at the next step
    if (queued >= options.maxQueue) throw new RequestError(429, `the server is busy (${queued} sequences waiting for a slot); try again shortly`, null, 'rate_limit_exceeded');
    return generateAll(request, promptLength, res, deadline, () => gone);
  }

  async function generateAll(request: CompletionRequest, promptLength: number, res: ServerResponse, deadline: number, gone: () => boolean): Promise<void> {
    const id = `cmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const rng = requestRandom(request, serverRng);
    const head = { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: modelId };
    // a stream's headers go out with its first piece, so a request that times out waiting still gets a 503
    // with stream_options.include_usage every chunk has usage, null until the last
    const stream = (body: object) => {
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      sse(res, request.includeUsage ? { usage: null, ...body } : body);
    };
    const choices: { index: number; text: string; logprobs: unknown; finish_reason: string }[] = [];
    let completionTokens = 0;
    const drafted = speculative && newSpeculativeStats(); // this request's share, in its response
    const count = request.prompts.length * request.n;
    for (let index = 0; index < count; index++) {
      const prompt = request.prompts[Math.floor(index / request.n)];
      let text = '';
      const lp: TokenLogprob[] = [];
      const emit = (e: ChoiceEvent) => {
        if (e.type === 'end') return;
        text += e.text;
        lp.push(...e.logprobs);
        if (request.stream && !gone()) stream({ ...head, choices: [{ index, text: e.text, logprobs: logprobsOf(request, e.logprobs), finish_reason: null }] });
      };
      const result = await choice(request, prompt, rng, deadline, gone, emit, drafted);
      if (gone()) return;
      if (result === 'waited too long' && index === 0 && !res.headersSent) {
        throw new RequestError(503, `the request waited longer than the server's timeout (${options.timeoutMs / 1000} s)`);
      }
      // a later choice out of time before its first token: empty, cut
      const end: End = result === 'waited too long' ? { finishReason: 'length', tokens: 0 } : result;
      completionTokens += end.tokens;
      // a stream's last finish carries the request's speculative counts, as the whole response does
      if (request.stream) stream({ ...head, choices: [{ index, text: '', logprobs: null, finish_reason: end.finishReason }], ...(index === count - 1 && speculativeCounts(drafted)) });
      choices.push({ index, text, logprobs: logprobsOf(request, lp), finish_reason: end.finishReason });
    }
    const usage = { prompt_tokens: promptLength, completion_tokens: completionTokens, total_tokens: promptLength + completionTokens }; // as OpenAI counts: the prompt once, whatever n
    if (request.stream) {
      if (request.includeUsage) stream({ ...head, choices: [], usage });
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(res, 200, { ...head, choices, usage, ...speculativeCounts(drafted) });
  }

  type End = { finishReason: 'stop' | 'length'; tokens: number };

  /** One choice (of one prompt) as a sequence of the batcher: its tokens arrive a step at a time, beside everyone else's. */
  function choice(request: CompletionRequest, prompt: string, rng: PyRandom, deadline: number, gone: () => boolean,
                  emit: (e: ChoiceEvent) => void, stats?: SpeculativeStats): Promise<End | 'waited too long'> {
    const plan = choicePlan(run, request, prompt), text = choiceText(run, request);
    let made = 0, end: End | undefined;
    const finishWith = (events: ChoiceEvent[]) => {
      for (const e of events) if (e.type === 'end') end = e; else emit(e);
    };
    return new Promise((resolve) => {
      const seq: SpeculativeSequence = {
        decoding: startDecoding(plan), rng, stats,
        onToken(drawn) {
          made++;
          const { events, stopped } = text.push(drawn);
          finishWith(events);
          return !stopped && now() <= deadline; // out of time: what there is, cut
        },
        onEnd() {
          if (made === 0 && now() > deadline && !gone()) { resolve('waited too long'); return; }
          if (!end) finishWith(text.end(made >= plan.maxTokens || now() > deadline));
          resolve(end!);
        },
        // a client gone, or the time up before the first token (a sequence still waiting for its slot)
        cancelled: () => gone() || (made === 0 && now() > deadline),
      };
      batcher.add(seq);
      if (!driving) { driving = true; setImmediate(drive); }
    });
  }

  const responses = new WeakMap<Duplex, ServerResponse>(); // each connection's response under way
  // a missing Host header is checked in handle(), so it gets the JSON error too (node's own 400 has no body)
  const http = createServer({ requireHostHeader: false }, (req, res) => {
    inFlight++;
    responses.set(req.socket, res);
    res.on('close', () => {
      inFlight--;
      if (responses.get(req.socket) === res) responses.delete(req.socket);
      if (closing && inFlight === 0) drained?.();
    });
    handle(req, res).catch((e: unknown) => {
      // the connection closed mid-body (the client hung up, or close() refused it): no one to answer, no bug to log
      if (['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes((e as NodeJS.ErrnoException | undefined)?.code ?? '')) return;
      const error = e instanceof RequestError ? e : e instanceof UserError ? new RequestError(400, e.message) : undefined;
      if (!error) console.error(e); // a bug: its stack for whoever runs the server
      if (res.headersSent) { res.end(); return; }
      const status = error?.status ?? 500;
      sendJson(res, status, errorBody(status, error?.message ?? 'internal error', error?.param, error?.code));
      if (!req.complete) req.destroy(); // a body refused unread (too large, no room for it): stop reading it
    });
  });
  // what node's parser refuses before any handler runs gets the same JSON error (node's own has no body)
  http.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable && !responses.get(socket)?.headersSent) { // else the answer would land inside another response
      const [status, message] = e.code === 'HPE_HEADER_OVERFLOW' ? [431, `the request's headers are larger than the limit of ${maxHeaderSize} bytes`]
        : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request was sent too slowly; the server stopped waiting for it']
        : [400, `the request is not valid HTTP (${e.code ?? e.message})`];
      const text = JSON.stringify(errorBody(status, message));
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
    }
    socket.destroy();
  });
  http.requestTimeout = options.timeoutMs + 5000; // a client that sends its request too slowly is cut off
  http.headersTimeout = 10_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method === 'HEAD' ? 'GET' : req.method; // HEAD is a GET whose body node leaves out
    if (closing) throw new RequestError(503, 'the server is shutting down');
    if (req.httpVersion === '1.1' && req.headers.host === undefined) throw new RequestError(400, 'an HTTP/1.1 request needs a Host header');
    const open = path === '/health' && method === 'GET'; // for load balancers and probes
    if (options.apiKey !== undefined && !open && !bearerIs(req.headers.authorization, options.apiKey)) {
      throw new RequestError(401, 'this server needs an API key: send it as Authorization: Bearer KEY', null, 'invalid_api_key');
    }
    const allowed = path === '/v1/completions' ? 'POST' : path === '/health' || path === '/v1/models' || path.startsWith('/v1/models/') ? 'GET, HEAD' : undefined;
    if (allowed === undefined) {
      throw new RequestError(404, `no route ${req.method} ${path.slice(0, 100)} (routes: POST /v1/completions, GET /v1/models, GET /v1/models/ID, GET /health)`);
    }
    if (!allowed.split(', ').includes(req.method ?? '')) {
      res.setHeader('allow', allowed);
      throw new RequestError(405, `use ${allowed.split(',')[0]} for ${path.slice(0, 100)}`);
    }
    if (path === '/health') {
      return sendJson(res, 200, { status: 'ok', busy: batcher.active > 0, waiting: batcher.waiting, ...(speculative && { speculative: speculativeReport(speculative) }) });
    }
    const model = { id: modelId, object: 'model', created, owned_by: 'microgpt-ts' };
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [model] });
    if (path.startsWith('/v1/models/')) {
      const id = decodedPath(path.slice('/v1/models/'.length));
      if (id !== modelId) throw unknownModel(id, modelId);
      return sendJson(res, 200, model);
    }
    return completions(req, res);
  }

  return {
    http,
    /** Whether requests are decoded together (the engine has a batch decoder). */
    batching,
    /** Speculative decoding's counts over every request so far (undefined without a draft). */
    speculative,
    /**
     * Stops accepting connections, lets the requests in flight finish, then gives the decoders
     * it made back to their engines (the engines are the caller's to close) and resolves.
     */
    close(): Promise<void> {
      stopped ??= (async () => {
        closing = true;
        http.close();
        http.closeIdleConnections();
        for (const refuse of reading) refuse(); // a client still sending its request is not work in flight: shutdown does not wait for it
        if (inFlight > 0) await new Promise<void>((done) => { drained = done; });
        http.closeAllConnections(); // what is left has sent no whole request (a stalled header): nothing to finish
        if (driving) await new Promise<void>((done) => { idle = done; }); // a client that left is dropped at the next step
        batcher.close();
      })();
      return stopped;
    },
  };
}

/**
 * The one scheduler every request's sequences go through: on an engine with a batch decoder
 * they decode together; on the others feed() is a decoder of one sequence, so they take turns;
 * with a draft, speculative decoding's scheduler, which batches the same way.
 */
function scheduler(run: Run, options: ServerOptions) {
  if (options.draft) {
    const speculative = newSpeculativeStats();
    const slots = options.maxBatch ?? 1;
    return { batcher: createSpeculativeBatcher(run.engine, options.draft.engine, options.draft.k, speculative, slots), batching: slots > 1, speculative };
  }
  const decoder = (options.maxBatch !== undefined ? run.engine.batchDecoder?.(options.maxBatch) : undefined) ?? oneAtATime(run.engine);
  return { batcher: createBatcher(decoder, run.config.blockSize, run.config.vocabSize), batching: decoder.slots > 1 || decoder.rows > 1, speculative: undefined };
}

/** A request's share of speculative decoding, as a field of its response OpenAI's API does not have (clients pass it through). */
function speculativeCounts(s: SpeculativeStats | undefined) {
  return s && { speculative: { proposed: s.proposed, accepted: s.accepted, target_passes: s.rounds } };
}

/** Speculative decoding's counts as /health shows them. */
function speculativeReport(s: SpeculativeStats) {
  return { target_passes: s.rounds, proposed: s.proposed, accepted: s.accepted, tokens: s.tokens,
    acceptance_rate: s.proposed > 0 ? s.accepted / s.proposed : null, tokens_per_target_pass: s.rounds > 0 ? s.tokens / s.rounds : null };
}

/** An engine's feed() as a decoder of one sequence at a time (slot 0, one token a step). */
function oneAtATime(engine: Engine): BatchDecoder {
  return { slots: 1, rows: 1, step: (_slots, tokens, positions) => engine.feed([tokens[0]], positions[0]) };
}

/** Whether an Authorization header carries this key, compared in constant time. */
function bearerIs(header: string | undefined, key: string): boolean {
  // HTTP's scheme name is case-insensitive (RFC 9110 11.1): "bearer KEY" is the same credential
  const scheme = /^bearer /i.exec(header ?? '');
  const given = Buffer.from(scheme ? header!.slice(scheme[0].length) : ''), want = Buffer.from(key);
  return scheme !== null && given.length === want.length && timingSafeEqual(given, want);
}

/** A path segment's percent-escapes decoded (left as they are when malformed: no such model either way). */
function decodedPath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function logprobsOf(request: CompletionRequest, lp: TokenLogprob[]): unknown {
  if (request.logprobs === undefined) return null;
  return { tokens: lp.map((t) => t.token), token_logprobs: lp.map((t) => t.logprob), top_logprobs: lp.map((t) => t.top) };
}

/**
 * The request body as JSON: at most MAX_BODY bytes (413), valid UTF-8 JSON (400); while the
 * bodies being read (`arriving`) hold MAX_BODIES, a new one is refused as the full queue is (429).
 */
async function readJson(req: IncomingMessage, arriving: { bytes: number }): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY) throw new RequestError(413, `the request body is ${declared} bytes; the limit is ${MAX_BODY}`);
  const parts: Buffer[] = [];
  let size = 0;
  const room = (more: number) => {
    if (arriving.bytes + more > MAX_BODIES) {
      throw new RequestError(429, `the server is busy (${MAX_BODIES / MAX_BODY} MiB of request bodies arriving); try again shortly`, null, 'rate_limit_exceeded');
    }
  };
  room(declared || 0);
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new RequestError(413, `the request body is larger than the limit of ${MAX_BODY} bytes`);
      room((chunk as Buffer).length);
      arriving.bytes += (chunk as Buffer).length;
      parts.push(chunk as Buffer);
    }
  } finally {
    arriving.bytes -= parts.reduce((sum, p) => sum + p.length, 0);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts)));
  } catch {
    throw new RequestError(400, 'the request body is not valid JSON');
  }
}

/** An error as OpenAI's API sends it. */
function errorBody(status: number, message: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param, code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sse(res: ServerResponse, body: object): void {
  res.write(`data: ${JSON.stringify(body)}\n\n`);
}
