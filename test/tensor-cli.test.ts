// The main job on the tensor engine (now the default): the scalar engine stays one flag
// away with the same printed losses, and --val-fraction adds one held-out line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('--engine scalar prints the same steps and samples as the default tensor engine', () => {
  const args = ['--steps', '8', '--samples', '3'];
  assert.equal(cli(...args, '--engine', 'scalar'), cli(...args));
});

test('--val-fraction prints the held-out loss before the samples; 0 prints nothing new', () => {
  const lines = cli('--steps', '20', '--samples', '2', '--val-fraction', '0.1').split('\n');
  const header = lines.indexOf('--- inference (new, hallucinated names) ---');
  assert.match(lines[header - 2], /^held-out loss: \d+\.\d{4} \(last 3203 of 32033 shuffled documents\)$/);
  assert.equal(lines[header - 1], '');
  assert.doesNotMatch(cli('--steps', '20', '--samples', '2', '--val-fraction', '0'), /held-out/);
});
