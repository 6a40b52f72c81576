// Speculative decoding behind `microgpt serve`, measured: the server in this process on
// loopback, a target checkpoint alone and with a draft at k = 2 and 4, clients sending
// completions back to back; tokens per second of wall time and of this process's CPU time (the
// medians over rounds that alternate the servers, so a busy machine slows them alike), the
// acceptance rate and tokens per target pass.
// node dist/bench/serve-speculative.js --from T --draft D [--requests 16] [--rounds 3] [--max-tokens 60]

import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../src/cli/checkpoint-files.js';
import { createCompletionServer } from '../src/cli/serve-job.js';
import { runFromCheckpoint } from '../src/core/run/run.js';
import { median } from './scale.js';

const { values } = parseArgs({ options: {
  from: { type: 'string' }, draft: { type: 'string' }, requests: { type: 'string', default: '16' }, rounds: { type: 'string', default: '3' },
  'max-tokens': { type: 'string', default: '60' },
} });
if (!values.from || !values.draft) throw new Error('usage: serve-speculative --from TARGET --draft DRAFT');
const requests = Number(values.requests), rounds = Number(values.rounds), maxTokens = Number(values['max-tokens']);
const tensor = (dir: string) => runFromCheckpoint(loadCheckpoint(dir), { engine: 'tensor' });
const target = tensor(values.from), draft = tensor(values.draft);

type Response = { usage: { completion_tokens: number }; speculative?: { proposed: number; accepted: number; target_passes: number } };
const servers = await Promise.all([undefined, 2, 4].map(async (k) => {
  const server = createCompletionServer(target, 'bench', { maxQueue: 1000, timeoutMs: 600_000, maxBatch: 32, draft: k ? { engine: draft.engine, k } : undefined });
  await new Promise<void>((ok) => server.http.listen(0, '127.0.0.1', ok));
  return { name: k ? `draft, k = ${k}` : 'alone', server, url: `http://127.0.0.1:${(server.http.address() as AddressInfo).port}/v1/completions` };
}));

console.log(`target ${target.numParams.toLocaleString('en-US')} params, draft ${draft.numParams.toLocaleString('en-US')} (tensor engine); ` +
  `${requests} requests of ${maxTokens} tokens per cell, prompt "ROMEO:", median of ${rounds} alternating rounds`);
console.log('temperature  clients  server        tokens/s  tokens/CPU s  accepted  tokens/target pass');
for (const temperature of [0, 0.8]) {
  for (const clients of [1, 8]) {
    const rates = new Map<string, number[]>(), cpuRates = new Map<string, number[]>(), counts = new Map<string, { proposed: number; accepted: number; passes: number; tokens: number }>();
    for (let round = 0; round < rounds; round++) {
      for (const s of servers) {
        let tokens = 0;
        const c = counts.get(s.name) ?? { proposed: 0, accepted: 0, passes: 0, tokens: 0 };
        const started = performance.now(), cpu = process.cpuUsage();
        await Promise.all(Array.from({ length: clients }, async (_, client) => {
          for (let r = client; r < requests; r += clients) {
            const body = JSON.stringify({ prompt: 'ROMEO:', max_tokens: maxTokens, temperature, seed: round * 1000 + r });
            const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
            const json = await res.json() as Response;
            tokens += json.usage.completion_tokens;
            if (json.speculative) {
              c.proposed += json.speculative.proposed;
              c.accepted += json.speculative.accepted;
              c.passes += json.speculative.target_passes;
              c.tokens += json.usage.completion_tokens;
            }
          }
        }));
        const used = process.cpuUsage(cpu);
        rates.set(s.name, [...(rates.get(s.name) ?? []), tokens / ((performance.now() - started) / 1000)]);
        cpuRates.set(s.name, [...(cpuRates.get(s.name) ?? []), tokens / ((used.user + used.system) / 1e6)]);
        counts.set(s.name, c);
      }
    }
    for (const s of servers) {
      const c = counts.get(s.name)!;
      const accepted = c.proposed > 0 ? `${((100 * c.accepted) / c.proposed).toFixed(0)}%` : '';
      const perPass = c.passes > 0 ? (c.tokens / c.passes).toFixed(2) : '1';
      console.log(`${String(temperature).padStart(11)}  ${String(clients).padStart(7)}  ${s.name.padEnd(12)} ${Math.round(median(rates.get(s.name)!)).toLocaleString('en-US').padStart(9)}  ${Math.round(median(cpuRates.get(s.name)!)).toLocaleString('en-US').padStart(12)}  ${accepted.padStart(8)}  ${perPass.padStart(18)}`);
    }
  }
}
for (const s of servers) await s.server.close();

// what a checking pass costs: one pass of the model over 1, 3 and 5 rows of one sequence
const decoder = target.engine.batchDecoder!(1, 8), slots = new Int32Array(8), ids = new Int32Array(8).fill(1), positions = new Int32Array(8);
const passCost = (rows: number) => {
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < 200; i++) {
      for (let r = 0; r < rows; r++) positions[r] = 20 + r;
      decoder.step(slots, ids, positions, rows);
    }
    const used = process.cpuUsage(cpu);
    times.push((used.user + used.system) / 200);
  }
  return median(times);
};
passCost(5); // warm
const single = passCost(1);
console.log(`one pass of the model, CPU µs: ${[1, 3, 5].map((rows) => { const t = rows === 1 ? single : passCost(rows); return `${rows} row${rows > 1 ? 's' : ''} ${t.toFixed(0)} (${(t / single).toFixed(2)}x)`; }).join(', ')}`);
