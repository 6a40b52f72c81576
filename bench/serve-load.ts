// The serving load test: `microgpt serve`'s server in this process on loopback, a small
// Shakespeare model, and 1, 8 and 64 clients each sending completions back to back for a fixed
// count, with requests taking turns and with continuous batching; generated tokens per second,
// latency percentiles, and the process's memory before and after.

import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCompletionServer } from '../src/cli/serve-job.js';
import { trainStep } from '../src/core/run/loop.js';
import { createTextRun } from '../src/core/run/run.js';
import { median } from './scale.js';

const TEXT = fileURLToPath(new URL('../../data/tinyshakespeare.txt', import.meta.url));
const MAX_TOKENS = 32;

function percentile(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Prints one row per client count; `quick` sends fewer requests. */
export async function serveLoadBench(quick: boolean, progress: (what: string) => void): Promise<void> {
  const run = createTextRun(readFileSync(TEXT, 'utf8'), { model: { nLayer: 2, nEmbd: 48, nHead: 4, blockSize: 64 }, train: { steps: 50, batchSize: 8 } });
  for (let s = 0; s < 50; s++) trainStep(run);
  const body = (seed: number) => JSON.stringify({ prompt: 'ROMEO:', max_tokens: MAX_TOKENS, temperature: 0.8, seed });
  console.log(`\nserving load: a ${run.numParams.toLocaleString('en-US')}-parameter Shakespeare model on the tensor engine, ${MAX_TOKENS} tokens per completion, loopback`);
  console.log('mode      clients  requests  tokens/s  latency p50 ms  p95 ms  p99 ms');
  const rssBefore = process.memoryUsage().rss;
  let total = 0;
  const perSecond = new Map<string, number>();
  for (const mode of ['in turn', 'batched'] as const) {
    const server = createCompletionServer(run, 'bench', { maxQueue: 1000, timeoutMs: 600_000, maxBatch: mode === 'batched' ? 64 : undefined });
    await new Promise<void>((ok) => server.http.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}/v1/completions`;
    for (const clients of [1, 8, 64]) {
      const perClient = quick ? Math.max(2, Math.round(64 / clients)) : Math.max(4, Math.round(320 / clients));
      progress(`serving load, ${mode}: ${clients} client${clients > 1 ? 's' : ''} x ${perClient} requests`);
      const latencies: number[] = [];
      let tokens = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: clients }, async (_, c) => {
        for (let r = 0; r < perClient; r++) {
          const t0 = performance.now();
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(c * 1000 + r) });
          const json = await res.json() as { usage: { completion_tokens: number } };
          if (res.status !== 200) throw new Error(`load test: status ${res.status}`);
          latencies.push(performance.now() - t0);
          tokens += json.usage.completion_tokens;
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      total += latencies.length;
      perSecond.set(`${mode} ${clients}`, tokens / seconds);
      console.log(`${mode.padEnd(9)} ${String(clients).padStart(7)} ${String(latencies.length).padStart(9)} ${Math.round(tokens / seconds).toLocaleString('en-US').padStart(9)} ` +
        `${median(latencies).toFixed(0).padStart(15)} ${percentile(latencies, 95).toFixed(0).padStart(7)} ${percentile(latencies, 99).toFixed(0).padStart(7)}`);
    }
    await server.close();
  }
  // memory over many requests: the heap after a full collection, at the first thousand and at the end
  const many = quick ? 2_000 : 10_000, server = createCompletionServer(run, 'bench', { maxQueue: 1000, timeoutMs: 600_000, maxBatch: 64 });
  await new Promise<void>((ok) => server.http.listen(0, '127.0.0.1', ok));
  const manyUrl = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}/v1/completions`;
  progress(`serving load: ${many.toLocaleString('en-US')} short requests, 16 clients, heap measured as they go`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap: number[] = [];
  let sent = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (sent < many) {
      const n = ++sent;
      const res = await fetch(manyUrl, { method: 'POST', body: JSON.stringify({ prompt: 'A', max_tokens: 4, seed: n }) });
      await res.json();
      if (n === 1_000 || n === many) { gc(); heap.push(process.memoryUsage().heapUsed); }
    }
  }));
  await server.close();
  gc();
  console.log(`  ${many.toLocaleString('en-US')} short requests: heap after a full collection ${(heap[0] / 2 ** 20).toFixed(1)} MB at the 1,000th, ` +
    `${(heap[heap.length - 1] / 2 ** 20).toFixed(1)} MB at the last, ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MB once the server closed`);
  const gain = perSecond.get('batched 64')! / perSecond.get('in turn 64')!;
  console.log(`  batched vs in turn at 64 clients: ${gain.toFixed(1)}x the tokens/s (target >= 4x)`);
  console.log(`  process rss: ${(rssBefore / 2 ** 20).toFixed(0)} MB before the ${(total + many).toLocaleString('en-US')} requests, ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB after`);
}
