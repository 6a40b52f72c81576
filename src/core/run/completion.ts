// OpenAI-style completions on a run: the request checked field by field (an error names the
// field and its HTTP status), how each choice is generated (samplePlan's start and stop), and
// its text as the tokens arrive, in pieces a server can stream: never half a UTF-8 character,
// never the start of a stop sequence that may yet complete, never past one.

import * as libm from '../libm/index.js';
import { PyRandom } from '../contract/random.js';
import { decode } from '../contract/tokenizer.js';
import { UserError } from '../errors.js';
import { type DrawnToken, type GenerateOptions, samplePlan } from './generate.js';
import type { Run } from './run.js';

/** A request the server must refuse: its HTTP status, and the field at fault. */
export class RequestError extends Error {
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null; // OpenAI's machine-readable reason ('model_not_found', ...), null where it has none
  constructor(status: number, message: string, param: string | null = null, code: string | null = null) {
    super(message);
    this.status = status;
    this.param = param;
    this.code = code;
  }
}

export interface CompletionRequest {
  prompts: string[];   // one or more; choice i * n + j is prompt i's j-th
  maxTokens: number;
  temperature: number; // 0: always the likeliest token
  topK?: number;
  seed?: number;
  stop: string[];
  n: number;
  stream: boolean;
  includeUsage: boolean; // a stream ends with a chunk holding the usage (stream_options.include_usage)
  logprobs?: number;   // how many alternatives to list per token (0-5)
}

export const COMPLETION_LIMITS = { maxTokens: 4096, n: 16, choices: 16, stops: 4, stopLength: 64, promptLength: 100_000, logprobs: 5 };

const FIELDS = new Set(['model', 'prompt', 'max_tokens', 'temperature', 'top_k', 'top_p', 'seed', 'stop', 'n', 'stream', 'stream_options', 'logprobs',
  'echo', 'user', 'best_of', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'suffix']);

// Fields this server has no use for, accepted at the value that asks for nothing (client
// libraries send them with their defaults); any other value is a 400 naming the field.
const NEUTRAL: Record<string, { ok: (v: unknown) => boolean; why: string }> = {
  top_p: { ok: (v) => v === 1, why: 'other than 1 is not supported; use top_k' },
  echo: { ok: (v) => v === false, why: 'is not supported (the prompt is not repeated in the text)' },
  best_of: { ok: (v) => v === 1, why: 'other than 1 is not supported' },
  frequency_penalty: { ok: (v) => v === 0, why: 'other than 0 is not supported' },
  presence_penalty: { ok: (v) => v === 0, why: 'other than 0 is not supported' },
  logit_bias: { ok: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0, why: 'is not supported (only {})' },
  suffix: { ok: (v) => v === '', why: 'is not supported (only "")' },
};

/** Half of a UTF-16 surrogate pair without the other half, as JSON's "\ud800" escape can send. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The request body, checked: unknown fields, wrong types and values out of range are a 400 naming the field. */
export function parseCompletionRequest(body: unknown, modelId: string): CompletionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!FIELDS.has(key)) throw new RequestError(400, `unknown field "${key}"`, key);
  const bad = (param: string, why: string): never => { throw new RequestError(400, `${param} ${why}`, param); };
  const int = (param: string, min: number, max: number, fallback?: number): number | undefined => {
    const v = b[param];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(param, `must be an integer from ${min} to ${max}`);
    return v as number;
  };
  if (b.model !== undefined && typeof b.model !== 'string') bad('model', 'must be a string');
  if (b.model !== undefined && b.model !== modelId) throw unknownModel(b.model as string, modelId);
  const given = typeof b.prompt === 'string' ? [b.prompt] : b.prompt;
  if (!Array.isArray(given) || given.length === 0 || !given.every((p) => typeof p === 'string')) {
    bad('prompt', 'must be a string or a list of strings (lists of token ids are not supported)');
  }
  const prompts = given as string[];
  if (prompts.some((p) => p.length > COMPLETION_LIMITS.promptLength)) bad('prompt', `is longer than ${COMPLETION_LIMITS.promptLength} characters`);
  const temperature = b.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) bad('temperature', 'must be a number from 0 to 2');
  for (const [param, { ok, why }] of Object.entries(NEUTRAL)) if (b[param] !== undefined && b[param] !== null && !ok(b[param])) bad(param, why);
  if (b.user !== undefined && b.user !== null && typeof b.user !== 'string') bad('user', 'must be a string');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') bad('stream', 'must be true or false');
  const includeUsage = streamOptions(b.stream_options, b.stream === true);
  const stopField = b.stop ?? [];
  const stop = typeof stopField === 'string' ? [stopField] : stopField;
  if (!Array.isArray(stop) || stop.length > COMPLETION_LIMITS.stops || !stop.every((s) => typeof s === 'string' && s.length > 0 && s.length <= COMPLETION_LIMITS.stopLength)) {
    bad('stop', `must be a string or a list of up to ${COMPLETION_LIMITS.stops} non-empty strings of at most ${COMPLETION_LIMITS.stopLength} characters`);
  }
  for (const [param, texts] of [['prompt', prompts], ['stop', stop as string[]]] as const) {
    for (const t of texts) {
      const at = t.search(LONE_SURROGATE); // UTF-8 has no bytes for it: a prompt would be changed to U+FFFD, a stop never match
      if (at >= 0) bad(param, `is not valid Unicode: a lone surrogate U+${t.charCodeAt(at).toString(16).toUpperCase()} at character ${at}`);
    }
  }
  const n = int('n', 1, COMPLETION_LIMITS.n, 1)!;
  if (prompts.length * n > COMPLETION_LIMITS.choices) bad('n', `times the number of prompts must be at most ${COMPLETION_LIMITS.choices}, got ${n} x ${prompts.length}`);
  return {
    prompts, temperature: temperature as number, stop: stop as string[], stream: b.stream === true, includeUsage,
    maxTokens: int('max_tokens', 1, COMPLETION_LIMITS.maxTokens, 16)!, topK: int('top_k', 1, 1_000_000),
    seed: int('seed', -(2 ** 53) + 1, 2 ** 53 - 1), n,
    logprobs: int('logprobs', 0, COMPLETION_LIMITS.logprobs),
  };
}

/** The 404 for a model name this server does not have. */
export function unknownModel(name: string, modelId: string): RequestError {
  return new RequestError(404, `model "${name.slice(0, 80)}" is not served here; this server has "${modelId}"`, 'model', 'model_not_found');
}

/** Whether a stream ends with a usage chunk: stream_options, checked as OpenAI checks it (only with stream). */
function streamOptions(options: unknown, stream: boolean): boolean {
  if (options === undefined || options === null) return false;
  const bad = (message: string): never => { throw new RequestError(400, message, 'stream_options'); };
  if (!stream) bad('stream_options is only allowed when stream is true');
  if (typeof options !== 'object' || Array.isArray(options)) bad('stream_options must be an object');
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'include_usage' && key !== 'include_obfuscation') bad(`unknown field "stream_options.${key}"`);
  for (const key of ['include_usage', 'include_obfuscation']) if (o[key] !== undefined && o[key] !== null && typeof o[key] !== 'boolean') bad(`stream_options.${key} must be true or false`);
  if (o.include_obfuscation === true) bad('stream_options.include_obfuscation is not supported (chunks are sent as they are)');
  return o.include_usage === true;
}

/** One token's log-probabilities, as OpenAI's completions report them. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  top: Record<string, number>;
}

/** What a choice produces: text pieces as they become safe to send, then how it ended. */
export type ChoiceEvent =
  | { type: 'text'; text: string; logprobs: TokenLogprob[] }
  | { type: 'end'; finishReason: 'stop' | 'length'; tokens: number };

/** A prompt's tokens as the model sees them (BOS first for a lines model); a character outside the vocabulary is a 400. */
export function promptTokens(run: Run, request: CompletionRequest, prompt: string): number[] {
  try {
    return samplePlan(run, { temperature: 1, prompt, maxTokens: request.maxTokens }).prompt;
  } catch (e) {
    if (e instanceof UserError) throw new RequestError(400, e.message, 'prompt');
    throw e;
  }
}

/**
 * A choice's text as its tokens arrive: pieces safe to send (whole UTF-8 characters, nothing a
 * stop sequence may yet claim), and whether a stop sequence has ended it.
 */
export function choiceText(run: Run, request: CompletionRequest) {
  const ids: number[] = [], pending: TokenLogprob[] = [];
  const holdBack = Math.max(0, ...request.stop.map((s) => s.length - 1));
  let sent = 0; // characters of the decoded text already given out
  return {
    /** The events after one more token; `stopped` when a stop sequence ends the choice here. */
    push(drawn: DrawnToken): { events: ChoiceEvent[]; stopped: boolean } {
      ids.push(drawn.id);
      if (request.logprobs !== undefined) pending.push(tokenLogprob(run, drawn, request.logprobs));
      const text = decode(run.tokenizer, ids); // whole characters only
      const hit = firstStop(text, request.stop, Math.max(0, sent - holdBack));
      if (hit >= 0) {
        const events: ChoiceEvent[] = hit > sent ? [{ type: 'text', text: text.slice(sent, hit), logprobs: pending.splice(0) }] : [];
        events.push({ type: 'end', finishReason: 'stop', tokens: ids.length });
        return { events, stopped: true };
      }
      const safe = text.length - holdBack; // a stop sequence may still begin in the last characters
      if (safe <= sent) return { events: [], stopped: false };
      const piece = text.slice(sent, safe);
      sent = safe;
      return { events: [{ type: 'text', text: piece, logprobs: pending.splice(0) }], stopped: false };
    },
    /** The rest of the text and the end, when generation stopped by itself: at the stop id ('stop') or at max_tokens ('length'). */
    end(reachedMax: boolean): ChoiceEvent[] {
      const text = decode(run.tokenizer, ids), events: ChoiceEvent[] = [];
      if (text.length > sent || pending.length > 0) events.push({ type: 'text', text: text.slice(sent), logprobs: pending.splice(0) });
      events.push({ type: 'end', finishReason: reachedMax ? 'length' : 'stop', tokens: ids.length });
      return events;
    },
  };
}

/** How a choice is generated: samplePlan with temperature 0 read as greedy (the likeliest token, i.e. top-k 1). */
export function choicePlan(run: Run, request: CompletionRequest, prompt: string): GenerateOptions {
  const greedy = request.temperature === 0;
  return samplePlan(run, { temperature: greedy ? 1 : request.temperature, topK: greedy ? 1 : request.topK, prompt, maxTokens: request.maxTokens });
}

function firstStop(text: string, stops: string[], from: number): number {
  let first = -1;
  for (const s of stops) {
    const at = text.indexOf(s, from);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** The drawn token's log-probability under the model (temperature 1) and the `top` likeliest. */
function tokenLogprob(run: Run, drawn: DrawnToken, top: number): TokenLogprob {
  const { logits, id } = drawn;
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let sum = 0;
  for (const l of logits) sum += libm.exp(l - max);
  const logZ = max + libm.log(sum);
  const name = (i: number) => (i === run.tokenizer.bos ? '<BOS>' : decode(run.tokenizer, [i]));
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, top);
  return { token: name(id), logprob: logits[id] - logZ, top: Object.fromEntries(order.map((i) => [name(i), logits[i] - logZ])) };
}

/** The generator a request's choices draw from: its own seed, or the server's stream. */
export function requestRandom(request: CompletionRequest, serverRng: PyRandom): PyRandom {
  return request.seed !== undefined ? new PyRandom(request.seed) : serverRng;
}
