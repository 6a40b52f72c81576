// The serving load test: `microgpt serve`'s server in this process on loopback, and 1, 8 and 64
// clients (in another process, see load-clients.ts) each sending completions back to back for a
// fixed count, with requests taking turns and with continuous batching, on the same engine in
// both modes; generated tokens per second, latency percentiles, the server's CPU time per token
// (what a server with a core of its own would reach, steadier than wall time on a shared
// machine), every batched text checked against the same seed's text in turn. Two models: a small
// trained one, whose decode is bound by per-token overheads (HTTP, the exact draw), so batching
// gains little, and a served-size one, whose float32 weights do not fit the last-level cache, so
// a one-row decode waits on memory and batching pays; then the server's heap over many requests.

import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fork } from 'node:child_process';
import { createCompletionServer } from '../src/cli/serve-job.js';
import type { EngineName } from '../src/core/contract/engine.js';
import type { ModelConfig } from '../src/core/contract/config.js';
import { trainStep } from '../src/core/run/loop.js';
import { type Run, createTextRun, runCheckpoint, runFromCheckpoint } from '../src/core/run/run.js';
import type { LoadJob, LoadResult } from './load-clients.js';
import { median } from './scale.js';

const TEXT = fileURLToPath(new URL('../../data/tinyshakespeare.txt', import.meta.url));
const MAX_TOKENS = 32;
const MAX_BATCH = 64;
const COUNTS = [1, 8, 64];
const BODY = { prompt: 'ROMEO:', max_tokens: MAX_TOKENS, temperature: 0.8 };
const SMALL: Partial<ModelConfig> = { nLayer: 2, nEmbd: 48, nHead: 4, blockSize: 64 };
// ~10.7M parameters, 43 MB of float32 weights: more than the 32 MB last-level cache of the
// development machine, as a model worth serving is; its text is not the point, so it is untrained
const SERVED: Partial<ModelConfig> = { nLayer: 6, nEmbd: 384, nHead: 6, blockSize: 64 };

type Clients = ReturnType<typeof clientProcess>;

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

/** The highest cache level's size in bytes, as Linux reports it (undefined elsewhere). */
function lastLevelCache(): { level: number; bytes: number } | undefined {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  try {
    const caches = readdirSync(dir).filter((d) => d.startsWith('index')).map((d) => ({
      level: Number(readFileSync(`${dir}/${d}/level`, 'utf8')),
      bytes: parseInt(readFileSync(`${dir}/${d}/size`, 'utf8'), 10) * 1024, // "32768K"
    }));
    return caches.sort((a, b) => b.level - a.level)[0];
  } catch {
    return undefined;
  }
}

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * One engine in turn, then batched, at each client count (`perClient(count)` requests each):
 * a row per mode and count; returns the gains line. Every batched text is checked against the
 * same seed's text in turn.
 */
async function compareModes(clients: Clients, run: Run, label: string, perClient: (count: number) => number, warmup: number,
                            progress: (what: string) => void): Promise<string> {
  const perSecond = new Map<string, number>(), perCpu = new Map<string, number>(), texts = new Map<number, string>();
  let checked = 0;
  for (const mode of ['in turn', 'batched'] as const) {
    const { server, url } = await listen(run, mode === 'batched' ? MAX_BATCH : undefined);
    await clients.run({ url, clients: 8, perClient: warmup, seed0: 0, body: BODY }); // warms up the server's code
    for (const count of COUNTS) {
      const requests = perClient(count);
      progress(`serving load, ${label} ${mode}: ${count} client${count > 1 ? 's' : ''} x ${requests} requests`);
      const cpu0 = cpuUs();
      const r = await clients.run({ url, clients: count, perClient: requests, seed0: count * 100_000, body: BODY });
      const cpu = (cpuUs() - cpu0) / r.tokens;
      // the same seeds in both modes: every batched text must be the one taken in turn
      for (const [seed, text] of r.texts) {
        if (mode === 'in turn') { texts.set(seed, text); continue; }
        if (texts.get(seed) !== text) throw new Error(`load test: ${label}, seed ${seed}: batched '${text}' but in turn '${texts.get(seed)}'`);
        checked++;
      }
      perSecond.set(`${mode} ${count}`, r.tokens / r.seconds);
      perCpu.set(`${mode} ${count}`, cpu);
      console.log(`${label.padEnd(16)} ${mode.padEnd(9)} ${String(count).padStart(7)} ${String(r.latencies.length).padStart(9)} ${Math.round(r.tokens / r.seconds).toLocaleString('en-US').padStart(9)} ` +
        `${median(r.latencies).toFixed(0).padStart(15)} ${percentile(r.latencies, 95).toFixed(0).padStart(7)} ${percentile(r.latencies, 99).toFixed(0).padStart(7)} ${cpu.toFixed(1).padStart(20)}`);
    }
    await server.close();
  }
  const wall = (c: number) => perSecond.get(`batched ${c}`)! / perSecond.get(`in turn ${c}`)!;
  const cpu = (c: number) => perCpu.get(`in turn ${c}`)! / perCpu.get(`batched ${c}`)!;
  const verdict = (x: number) => (x >= 4 ? 'meets' : 'below');
  return `  ${label}: batched vs in turn ${COUNTS.map((c) => `${wall(c).toFixed(1)}x`).join(' / ')} the tokens/s at ${COUNTS.join(' / ')} clients, ` +
    `${COUNTS.map((c) => `${cpu(c).toFixed(1)}x`).join(' / ')} the tokens per second of server CPU ` +
    `(target >= 4x at 64: wall ${verdict(wall(64))}, CPU ${verdict(cpu(64))}); all ${checked} batched texts equal the same seeds' in turn`;
}

const SETUP = `${MAX_TOKENS} tokens per completion, loopback, clients in another process, the server on one thread (batched: up to ${MAX_BATCH} sequences a step)`;
const HEADER = 'model, engine     mode      clients  requests  tokens/s  latency p50 ms  p95 ms  p99 ms  server CPU us/token';

/**
 * Prints one row per mode and client count for each engine on the small model, then for the
 * float32 engine on the served-size model; `quick` sends fewer requests, `only` picks one model.
 */
export async function serveLoadBench(quick: boolean, progress: (what: string) => void, only?: 'small' | 'served'): Promise<void> {
  const text = readFileSync(TEXT, 'utf8');
  const clients = clientProcess();
  const rssBefore = process.memoryUsage().rss;
  if (only !== 'served') await smallModel(clients, text, quick, progress);
  if (only !== 'small') await servedSize(clients, text, quick, progress);
  await clients.close();
  console.log(`  process rss: ${(rssBefore / 2 ** 20).toFixed(0)} MB before the serving load, ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB after`);
}

/** The small model (trained 50 steps) on float32 and tensor, then the heap over many requests. */
async function smallModel(clients: Clients, text: string, quick: boolean, progress: (what: string) => void): Promise<void> {
  const trained = createTextRun(text, { model: SMALL, train: { steps: 50, batchSize: 8 } });
  for (let s = 0; s < 50; s++) trainStep(trained);
  const checkpoint = runCheckpoint(trained, { format: 'text', valFraction: 0.1 });
  console.log(`\nserving load: a ${trained.numParams.toLocaleString('en-US')}-parameter Shakespeare model (2 layers x 48, trained 50 steps), ${SETUP}`);
  console.log(HEADER);
  const gains: string[] = [];
  let float32: Run | undefined;
  for (const engine of ['float32', 'tensor'] as EngineName[]) {
    const run = runFromCheckpoint(checkpoint, { engine });
    if (engine === 'float32') float32 = run;
    const perClient = (count: number) => quick ? Math.max(2, Math.round(64 / count)) : Math.max(4, Math.round(320 / count));
    gains.push(await compareModes(clients, run, `small, ${engine}`, perClient, 8, progress));
    if (engine !== 'float32') run.engine.close?.();
  }
  for (const g of gains) console.log(g);
  console.log('  (at this size a token\'s decode is a small part of the server\'s work per token: the HTTP request, the exact float64 draw and GC cost the same in both modes)');

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
  float32!.engine.close?.();
  gc();
  console.log(`  ${many.toLocaleString('en-US')} short requests (float32, batched): the server's heap after a full collection ${MB(heap[0])} at the 1,000th, ` +
    `${MB(heap[heap.length - 1])} at the last, ${MB(process.memoryUsage().heapUsed)} once the server closed; ` +
    `WebAssembly memory ${MB(wasmBefore)} before, ${MB(wasmBytes())} after`);
}

/** The served-size model (untrained: throughput does not depend on what the weights say) on float32. */
async function servedSize(clients: Clients, text: string, quick: boolean, progress: (what: string) => void): Promise<void> {
  progress('serving load: the served-size model, its weights drawn');
  const run = createTextRun(text, { engine: 'float32', model: SERVED });
  const { nLayer, nEmbd } = run.config, weightBytes = 4 * run.numParams, cache = lastLevelCache();
  const weights = `${MB(weightBytes)} of float32 weights`, bound = 'so one sequence\'s decode waits on reading the weights and a batch reads them once for all its rows';
  const why = !cache ? `${weights} (this system does not report its cache sizes)`
    : weightBytes > cache.bytes ? `${weights}, more than this CPU's ${MB(cache.bytes)} L${cache.level} cache, ${bound}`
    : `${weights}, which fit this CPU's ${MB(cache.bytes)} L${cache.level} cache: here one sequence's decode need not wait on memory, and batching gains less`;
  console.log(`\nserving load, served size: a ${run.numParams.toLocaleString('en-US')}-parameter model (${nLayer} layers x ${nEmbd}, untrained: ` +
    `throughput does not depend on the weights' values), ${why}; float32 engine, ${SETUP}`);
  console.log(HEADER);
  // in turn a request costs ~0.1 s here, so fewer requests than the small model's
  const perClient = (count: number) => quick ? Math.max(1, Math.round(8 / count)) : Math.max(2, Math.round(64 / count));
  console.log(await compareModes(clients, run, 'served, float32', perClient, 1, progress));
  run.engine.close?.();
}

// `npm run bench:serve [-- --quick] [-- --only small|served]`: this section alone
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2), known = ['--quick', '--only'], models = ['small', 'served'];
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  for (const a of args) if (!known.includes(a) && a !== only) throw new Error(`unknown flag ${a} (${known.join(', ')})`);
  if (args.includes('--only') && !models.includes(only!)) throw new Error(`--only takes one of ${models.join(', ')}`);
  const start = performance.now();
  await serveLoadBench(args.includes('--quick'), (what) => process.stderr.write(`[serve ${((performance.now() - start) / 1000).toFixed(0).padStart(4)} s] ${what}\n`),
    only as 'small' | 'served' | undefined);
}
