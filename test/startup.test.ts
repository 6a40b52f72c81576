// What `microgpt` loads before it prints anything: only the job it runs, from the bundle that
// scripts/build.mjs writes, so that a start-up gain cannot silently come undone (a static
// import of a job, a package or the float32 engine's files on the default path).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/microgpt.js');
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-startup-'));

/** Every module (file, package or node: builtin) that `microgpt ...args` loads, in load order. */
function modulesLoaded(...args: string[]): string[] {
  const list = join(tmp, `modules-${args.join('_')}.txt`), hooks = join(tmp, 'hooks.mjs'), register = join(tmp, 'register.mjs');
  const preload = join(tmp, 'preload.cjs');
  writeFileSync(list, '');
  // the bundle is CommonJS: every require (a file, a package or a builtin), by what it resolves to,
  // and the command's own file, which Node runs without a require (the hooks' thread preloads
  // this file too: it is not the command)
  writeFileSync(preload, `const Module = require('node:module'), { appendFileSync } = require('node:fs'), { pathToFileURL } = require('node:url');
    if (require('node:worker_threads').isMainThread) {
      const log = (url) => appendFileSync(${JSON.stringify(list)}, url + '\\n');
      log(pathToFileURL(process.argv[1]).href);
      const original = Module.prototype.require;
      Module.prototype.require = function (id) {
        log(Module.isBuiltin(id) ? (id.startsWith('node:') ? id : 'node:' + id) : pathToFileURL(Module.createRequire(this.filename).resolve(id)).href);
        return original.call(this, id);
      };
    }`);
  // and a loader hook sees every import, should anything load an ES module (builtins and packages too)
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      appendFileSync(${JSON.stringify(list)}, r.url + '\\n');
      return r;
    }`);
  writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`);
  const r = spawnSync(process.execPath, ['--require', preload, '--import', pathToFileURL(register).href, BIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return [...new Set(readFileSync(list, 'utf8').trim().split('\n'))];
}

const project = (urls: string[]) => urls.filter((u) => u.startsWith(pathToFileURL(ROOT).href)).map((u) => u.slice(pathToFileURL(ROOT).href.length));

test('the default job loads the bundle and its own chunks, no other job, no package and no network code', () => {
  const urls = modulesLoaded('--steps', '2', '--samples', '1');
  const mine = project(urls);
  assert.ok(mine.includes('dist/src/cli-bundle/main-job.cjs'), `the main job's chunk is among ${mine.join(', ')}`);
  const others = ['train-job', 'sample-job', 'eval-job', 'bench-job', 'tokenizer-job', 'serve-job', 'export-job', 'checkpoint-files', 'download'];
  assert.deepEqual(mine.filter((m) => others.some((o) => m.endsWith(`/${o}.cjs`))), [], 'modules of other jobs');
  assert.deepEqual(mine.filter((m) => m.startsWith('dist/src/') && !m.startsWith('dist/src/cli-bundle/')), [],
    'modules outside the bundle (the kernel thread\'s file, src/node, loads only in a kernel thread)');
  // bin, the bundle's entry, the main job and the one chunk it shares with the other jobs: each
  // file more costs ~0.5 ms before the first step
  assert.ok(mine.length <= 4, `${mine.length} project modules: ${mine.join(', ')}`);
  assert.deepEqual(urls.filter((u) => !u.startsWith('file:') && !u.startsWith('node:')), [], 'packages or other URLs');
  assert.deepEqual(urls.filter((u) => ['node:http', 'node:https', 'node:net', 'node:zlib', 'node:child_process'].includes(u)), [], 'network and process builtins');
});

test('a job loads its chunk when it runs: train --help loads the train job, the default job does not', () => {
  const mine = project(modulesLoaded('train', '--help'));
  assert.ok(mine.includes('dist/src/cli-bundle/train-job.cjs'), mine.join(', '));
  assert.ok(!mine.includes('dist/src/cli-bundle/main-job.cjs'), mine.join(', '));
});

test('the bundle is newer than every compiled module it holds', () => {
  // scripts/build.mjs bundles after each compile; a bundle older than dist/src/cli/main.js would run stale code
  const bundle = statSync(join(ROOT, 'dist/src/cli-bundle/main.cjs')).mtimeMs;
  assert.ok(bundle >= statSync(join(ROOT, 'dist/src/cli/main.js')).mtimeMs, 'dist/src/cli-bundle/main.cjs is older than dist/src/cli/main.js');
});
