// The serving load test: `microgpt serve`'s server in this process on loopback, a small
// Shakespeare model, and 1, 8 and 64 clients (in another process, see load-clients.ts) each
// sending completions back to back for a fixed count, with requests taking turns and with
// continuous batching, on the same engine in both modes; generated tokens per second, latency
// percentiles, the server's CPU time per token (what a server with a core of its own would
// reach, steadier than wall time on a shared machine), every batched text checked against the
// same seed's text in turn, and the server's heap over many requests.

import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fork } from 'node:child_process';
import { createCompletionServer } from '../src/cli/serve-job.js';
import type { EngineName } from '../src/core/contract/engine.js';
import { trainStep } from '../src/core/run/loop.js';
import { type Run, createTextRun, runCheckpoint, runFromCheckpoint } from '../src/core/run/run.js';
import type { LoadJob, LoadResult } from './load-clients.js';
import { median } from './scale.js';

const TEXT = fileURLToPath(new URL('../../data/tinyshakespeare.txt', import.meta.url));
const MAX_TOKENS = 32;
const MAX_BATCH = 64;

function percentile(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** The clients' process: one job at a time; `onMark` hears its marks as they pass. */
function clientProcess() {
  const child = fork(fileURLToPath(new URL('./load-clients.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onMark: (n: number) => void = () => {};
  let pending: { ok: (r: LoadResult) => void; fail: (e: Error) => void } | undefined;
  child.on('message', (m: { mark?: number; result?: LoadResult; error?: string }) => {
    if (m.mark !== undefined) onMark(m.mark);
    else if (m.error !== undefined) pending?.fail(new Error(m.error));
    else pending?.ok(m.result!);
  });
  child.on('exit', (code) => pending?.fail(new Error(`the load clients exited (${code})`)));
  return {
    run(job: LoadJob, mark: (n: number) => void = () => {}): Promise<LoadResult> {
      onMark = mark;
      return new Promise((ok, fail) => { pending = { ok, fail }; child.send(job); });
    },
    close: () => { child.removeAllListeners('exit'); child.kill(); },
  };
}

async function listen(run: Run, maxBatch: number | undefined) {
  const server = createCompletionServer(run, 'bench', { maxQueue: 1000, timeoutMs: 600_000, maxBatch });
  await new Promise<void>((ok) => server.http.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.http.address() as AddressInfo).port}/v1/completions` };
}

/** Prints one row per mode and client count for each engine; `quick` sends fewer requests. */
export async function serveLoadBench(quick: boolean, progress: (what: string) => void): Promise<void> {
  const trained = createTextRun(readFileSync(TEXT, 'utf8'), { model: { nLayer: 2, nEmbd: 48, nHead: 4, blockSize: 64 }, train: { steps: 50, batchSize: 8 } });
  for (let s = 0; s < 50; s++) trainStep(trained);
  const checkpoint = runCheckpoint(trained, { format: 'text', valFraction: 0.1 });
  const clients = clientProcess();
  const body = { prompt: 'ROMEO:', max_tokens: MAX_TOKENS, temperature: 0.8 };
  console.log(`\nserving load: a ${trained.numParams.toLocaleString('en-US')}-parameter Shakespeare model, ${MAX_TOKENS} tokens per completion, loopback, ` +
    `clients in another process, the server on one thread (batched: up to ${MAX_BATCH} sequences a step)`);
  console.log('engine   mode      clients  requests  tokens/s  latency p50 ms  p95 ms  p99 ms  server CPU us/token');
  const rssBefore = process.memoryUsage().rss;
  let total = 0;
  const gains: string[] = [];
  const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
  let float32: Run | undefined;
  for (const engine of ['float32', 'tensor'] as EngineName[]) {
    const run = runFromCheckpoint(checkpoint, { engine });
    if (engine === 'float32') float32 = run;
    const perSecond = new Map<string, number>(), perCpu = new Map<string, number>(), texts = new Map<number, string>();
    let checked = 0;
    for (const mode of ['in turn', 'batched'] as const) {
      const { server, url } = await listen(run, mode === 'batched' ? MAX_BATCH : undefined);
      await clients.run({ url, clients: 8, perClient: 8, seed0: 0, body }); // warms up the server's code
      for (const count of [1, 8, 64]) {
        const perClient = quick ? Math.max(2, Math.round(64 / count)) : Math.max(4, Math.round(320 / count));
        progress(`serving load, ${engine} ${mode}: ${count} client${count > 1 ? 's' : ''} x ${perClient} requests`);
        const cpu0 = cpuUs();
        const r = await clients.run({ url, clients: count, perClient, seed0: count * 100_000, body });
        const cpu = (cpuUs() - cpu0) / r.tokens;
        // the same seeds in both modes: every batched text must be the one taken in turn
        for (const [seed, text] of r.texts) {
          if (mode === 'in turn') { texts.set(seed, text); continue; }
          if (texts.get(seed) !== text) throw new Error(`load test: ${engine}, seed ${seed}: batched '${text}' but in turn '${texts.get(seed)}'`);
          checked++;
        }
        total += r.latencies.length;
        perSecond.set(`${mode} ${count}`, r.tokens / r.seconds);
        perCpu.set(`${mode} ${count}`, cpu);
        console.log(`${engine.padEnd(8)} ${mode.padEnd(9)} ${String(count).padStart(7)} ${String(r.latencies.length).padStart(9)} ${Math.round(r.tokens / r.seconds).toLocaleString('en-US').padStart(9)} ` +
          `${median(r.latencies).toFixed(0).padStart(15)} ${percentile(r.latencies, 95).toFixed(0).padStart(7)} ${percentile(r.latencies, 99).toFixed(0).padStart(7)} ${cpu.toFixed(1).padStart(20)}`);
      }
      await server.close();
    }
    const at = (c: number) => (perSecond.get(`batched ${c}`)! / perSecond.get(`in turn ${c}`)!).toFixed(1);
    const cpuAt = (c: number) => (perCpu.get(`in turn ${c}`)! / perCpu.get(`batched ${c}`)!).toFixed(1);
    gains.push(`  ${engine}: batched vs in turn ${at(1)}x / ${at(8)}x / ${at(64)}x the tokens/s at 1 / 8 / 64 clients (target >= 4x at 64), ` +
      `${cpuAt(1)}x / ${cpuAt(8)}x / ${cpuAt(64)}x the tokens per second of server CPU; all ${checked} batched texts equal the same seeds' in turn`);
    if (engine !== 'float32') run.engine.close?.();
  }
  for (const g of gains) console.log(g);

  // memory over many requests on the float32 server: the heap after a full collection at the
  // first thousand and at the end, and the engine's WebAssembly memory
  const many = quick ? 2_000 : 10_000, { server, url } = await listen(float32!, MAX_BATCH);
  progress(`serving load: ${many.toLocaleString('en-US')} short requests, 16 clients, heap measured as they go`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap: number[] = [];
  const wasmBytes = () => (float32!.engine as { memoryBytes?: number }).memoryBytes ?? 0;
  const wasmBefore = wasmBytes();
  await clients.run({ url, clients: 16, perClient: many / 16, seed0: 1, body: { prompt: 'A', max_tokens: 4 }, marks: [1_000, many] },
    () => { gc(); heap.push(process.memoryUsage().heapUsed); });
  await server.close();
  await clients.close();
  float32!.engine.close?.();
  gc();
  console.log(`  ${many.toLocaleString('en-US')} short requests (float32, batched): the server's heap after a full collection ${(heap[0] / 2 ** 20).toFixed(1)} MB at the 1,000th, ` +
    `${(heap[heap.length - 1] / 2 ** 20).toFixed(1)} MB at the last, ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MB once the server closed; ` +
    `WebAssembly memory ${(wasmBefore / 2 ** 20).toFixed(1)} MB before, ${(wasmBytes() / 2 ** 20).toFixed(1)} MB after`);
  console.log(`  process rss: ${(rssBefore / 2 ** 20).toFixed(0)} MB before the ${(total + many).toLocaleString('en-US')} requests, ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB after`);
}
