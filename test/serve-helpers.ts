// A `microgpt serve` process driven the way both serve test files need: started on a free
// port, a streamed completion begun, SIGTERM sent mid-stream, the stream read to its end.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));

/**
 * Runs `microgpt serve ...args --port 0`, streams 300 tokens of `model`, sends SIGTERM after the
 * first piece and asserts the stream still went on to its end and the process exited 0.
 * `closeStdout` closes the server's stdout once it has said where it listens.
 * Returns what the server printed and its URL.
 */
export async function sigtermDuringStream(args: string[], model: string, { closeStdout = false } = {}): Promise<{ out: string; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--port', '0']);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await new Promise<void>((ok) => child.stdout.on('data', () => { if (/on http:\/\/127\.0\.0\.1:\d+\/v1/.test(out)) ok(); }));
  const url = /on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out)![1];
  if (closeStdout) child.stdout.destroy(); // as `serve | head -1` does: the next line the server writes meets a closed pipe
  const c = new OpenAI({ baseURL: url, apiKey: 'x', maxRetries: 0 });
  const stream = await c.completions.create({ model, prompt: 'A', max_tokens: 300, stream: true, seed: 1 });
  const it = stream[Symbol.asyncIterator]();
  await it.next();
  child.kill('SIGTERM');
  let rest = 0;
  for (let n = await it.next(); !n.done; n = await it.next()) rest++;
  assert.ok(rest > 10, `the stream went on to its end after SIGTERM (${rest} more pieces)`);
  assert.equal(await new Promise<number | null>((ok) => child.on('exit', ok)), 0);
  return { out, url };
}
