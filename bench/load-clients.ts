// The load test's clients, in a process of their own (forked, jobs by IPC): a real load test
// does not share the server's thread, and the server's process then counts only its own CPU time.
// Each job is a number of clients sending completions back to back over kept-alive
// connections; the answer carries every latency and every text by seed, so the server's
// thread can check them. node:http, not fetch: fetch costs the client ~3x the CPU per request
// (measured: ~1,000 vs ~3,000 requests/s against a server that answers at once), which on a
// 2-core machine is taken from the server.

import { Agent, request } from 'node:http';

/** `clients` clients each sending `perClient` requests, seeds seed0 + c * 1000 + r. */
export interface LoadJob {
  url: string;
  clients: number;
  perClient: number;
  seed0: number;
  body: { prompt: string; max_tokens: number; temperature?: number };
  /** After the n-th response (counted over all clients) for each n here, a 'mark' message. */
  marks?: number[];
}

export interface LoadResult {
  latencies: number[]; // ms per request
  tokens: number;      // completion tokens over all
  seconds: number;
  texts: [number, string][]; // seed, text
}

/** POSTs `body` to `url`; resolves to the status and the parsed JSON answer. */
function post(url: URL, agent: Agent, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => { try { ok({ status: res.statusCode ?? 0, json: JSON.parse(text) }); } catch (e) { fail(e); } });
    });
    req.on('error', fail);
    req.end(body);
  });
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [], texts: [number, string][] = [];
  const url = new URL(job.url), agent = new Agent({ keepAlive: true, maxSockets: job.clients });
  let tokens = 0, done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: job.clients }, async (_, c) => {
    for (let r = 0; r < job.perClient; r++) {
      const seed = job.seed0 + c * 1000 + r, t0 = performance.now();
      const res = await post(url, agent, JSON.stringify({ ...job.body, seed }));
      const json = res.json as { usage: { completion_tokens: number }; choices: { text: string }[] };
      if (res.status !== 200) throw new Error(`load test: status ${res.status}: ${JSON.stringify(json)}`);
      latencies.push(performance.now() - t0);
      tokens += json.usage.completion_tokens;
      texts.push([seed, json.choices[0].text]);
      if (job.marks?.includes(++done)) process.send!({ mark: done });
    }
  }));
  agent.destroy();
  return { latencies, tokens, seconds: (performance.now() - started) / 1000, texts };
}

process.on('message', (job: LoadJob) => {
  runJob(job).then((result) => process.send!({ result }), (e: unknown) => process.send!({ error: String(e) }));
});
