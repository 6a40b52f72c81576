// Atomic writes clean up after writers that died mid-write: NAME.<pid>.tmp beside the target
// goes with the next write of that target when its process is gone, and stays while it runs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeDirectoryAtomic, writeFileAtomic } from '../src/cli/atomic.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-atomic-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

/** The id of a process that has exited (as a writer killed by kill -9 would have). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  return Number(pid);
}

// a live process that is not this one: the test's parent (npm, the test runner or a shell)
const LIVE = process.ppid;

test('a file write removes the temporaries of dead writers of the same name, and nothing else', () => {
  const target = join(DIR, 'tok.model'), dead = deadPid();
  const leftovers = [`tok.model.${dead}.tmp`, `tok.model.${LIVE}.tmp`, `tok.model.v2.${dead}.tmp`, `other.model.${dead}.tmp`, `tok.model.${dead}.tmp.keep`];
  for (const name of leftovers) writeFileSync(join(DIR, name), 'half a write');
  writeFileAtomic(target, 'the whole file');
  assert.equal(readFileSync(target, 'utf8'), 'the whole file');
  assert.deepEqual(readdirSync(DIR).sort(), [`other.model.${dead}.tmp`, `tok.model.${LIVE}.tmp`, `tok.model.${dead}.tmp.keep`, `tok.model.v2.${dead}.tmp`, 'tok.model'].sort());
});

test('a directory write removes a dead writer\'s half-written directory of the same name', () => {
  const out = join(DIR, 'export-hf'), dead = deadPid();
  mkdirSync(join(out + `.${dead}.tmp`, 'nested'), { recursive: true });
  writeFileSync(join(out + `.${dead}.tmp`, 'nested', 'model.safetensors'), 'half');
  mkdirSync(out + `.${LIVE}.tmp`);
  writeDirectoryAtomic(out, new Map([['config.json', '{}']]));
  assert.equal(readFileSync(join(out, 'config.json'), 'utf8'), '{}');
  assert.ok(!existsSync(out + `.${dead}.tmp`), 'the dead writer\'s directory is gone');
  assert.ok(existsSync(out + `.${LIVE}.tmp`), 'a live writer\'s directory stays');
});

test('CLI: tokenizer train over an interrupted one leaves only its two files', () => {
  const data = join(DIR, 'text.txt'), out = join(DIR, 'cli', 'tok'), dead = deadPid();
  writeFileSync(data, 'the quick brown fox jumps over the lazy dog\n'.repeat(30));
  mkdirSync(join(DIR, 'cli'));
  writeFileSync(`${out}.model.${dead}.tmp`, 'minbpe v1\n');
  writeFileSync(`${out}.vocab.${dead}.tmp`, '');
  const r = spawnSync(process.execPath, [BIN, 'tokenizer', 'train', '--data', data, '--vocab-size', '260', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(join(DIR, 'cli')).sort(), ['tok.model', 'tok.vocab']);
});
