// What every CLI test holds a refusal to: exit code 2 and one line on stderr that says what
// went wrong, never a stack trace.

import assert from 'node:assert/strict';

export function assertCleanError(r: { code: number | null; err: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code, stderr: ${r.err}`);
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
}
