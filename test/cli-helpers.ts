// What every CLI test holds a refusal to: exit code 2 and one line on stderr that says what
// went wrong, never a stack trace.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function assertCleanError(r: { code: number | null; err: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code, stderr: ${r.err}`);
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
}

/**
 * The command run without blocking this process, for a test that serves it something (a local
 * HTTP server) meanwhile: `node [nodeArgs] bin/microgpt.js ...args`.
 */
export function cliAsync(args: string[], options: { nodeArgs?: string[]; cwd?: string } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const bin = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], { cwd: options.cwd, timeout: 60_000 });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}
