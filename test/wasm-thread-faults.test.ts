// A kernel thread that traps, or never starts, is reported by the calling thread as a
// KernelThreadError naming the thread, the kernel and why; the process neither dies from the
// worker's error nor spins forever on the next hand-off.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { knownFailure } from '../src/cli/main.js';
import { KernelThreadError, UserError } from '../src/core/errors.js';
import { createArena } from '../src/core/wasm/arena.js';
import { ARENA_BASE, createKernels, wasmSupport } from '../src/core/wasm/kernels.js';
import { createThreads, type SpawnWorker } from '../src/core/wasm/threads.js';

const support = wasmSupport();
const here = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);

// Run in a child: were the trap to leave the pool waiting, this process would spin for good.
test('a trap on a kernel thread: one KernelThreadError, then every later hand-off throws it too, and the process exits',
  { skip: !support.threads && 'no shared memory' }, () => {
    const script = `
      import { spawnNodeWorker } from ${here('../src/node/kernel-thread.js')};
      import { createKernels, ARENA_BASE } from ${here('../src/core/wasm/kernels.js')};
      import { createArena } from ${here('../src/core/wasm/arena.js')};
      import { createThreads } from ${here('../src/core/wasm/threads.js')};
      const kernels = createKernels({ shared: true });
      const arena = createArena(kernels.memory, ARENA_BASE);
      const threads = createThreads(kernels, arena, { threads: 2, spawn: spawnNodeWorker, minFlops: 0, minFloats: 0 });
      await threads.ready;
      const [x, w, y] = ['x', 'w', 'y'].map((name) => arena.alloc(name, 16 * 16).ptr);
      const past = kernels.memory.buffer.byteLength; // the first byte beyond the memory
      const report = (err) => console.log(JSON.stringify({ name: err.name, thread: err.thread, op: err.op, reason: err.reason }));
      // the worker's share (steal = false: it really runs there) writes out of bounds
      try { threads.run('matmulForward', [[y, x, w, 8, 16, 16], [past, x, w, 8, 16, 16]], false); console.log('no error'); }
      catch (err) { report(err); }
      // the pool is gone: the next split call throws at once instead of waiting on a dead thread
      try { threads.matmulForward(y, x, w, 16, 16, 16); console.log('no error'); } catch (err) { report(err); }
      kernels.exports.matmulForward(y, x, w, 16, 16, 16); // the calling thread's kernels still work
      console.log('done');`;
    const file = join(mkdtempSync(join(tmpdir(), 'microgpt-trap-')), 'trap.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, `the process hung: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    for (const line of lines.slice(0, 2)) {
      assert.deepEqual(JSON.parse(line), { name: 'KernelThreadError', thread: 1, op: 'matmulForward', reason: 'memory access out of bounds' });
    }
    assert.equal(lines[2], 'done');
  });

test('a kernel thread that cannot start rejects `ready`; its shares run on the calling thread, same results',
  { skip: !support.threads && 'no shared memory' }, async () => {
    const broken: SpawnWorker = () => {
      const worker = new Worker("throw new Error('no kernels here')", { eval: true });
      return {
        postMessage: (message) => worker.postMessage(message),
        onMessage: (listener) => { worker.on('message', listener); },
        onError: (listener) => { worker.on('error', (err) => listener(err.message)); },
        terminate: () => { void worker.terminate(); },
      };
    };
    const kernels = createKernels({ shared: true });
    const arena = createArena(kernels.memory, ARENA_BASE);
    const threads = createThreads(kernels, arena, { threads: 2, spawn: broken, minFlops: 0, minFloats: 0 });
    await assert.rejects(threads.ready, (err: unknown) =>
      err instanceof KernelThreadError && err.thread === 1 && err.op === 'start-up' && err.reason === 'no kernels here');
    const [x, w, one, two] = ['x', 'w', 'one', 'two'].map((name) => arena.alloc(name, 32 * 32));
    arena.f32(x).set(Float32Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i)));
    arena.f32(w).set(Float32Array.from({ length: 32 * 32 }, (_, i) => Math.cos(i)));
    kernels.exports.matmulForward(one.ptr, x.ptr, w.ptr, 32, 32, 32);
    threads.matmulForward(two.ptr, x.ptr, w.ptr, 32, 32, 32);
    assert.deepEqual(arena.f32(two), arena.f32(one));
    threads.close();
  });

test('the CLI turns a kernel thread trap into one line and exit code 1, a user error into exit code 2, and shows any other error whole', () => {
  const trap = knownFailure(new KernelThreadError(1, 'attentionGradient', 'memory access out of bounds'));
  assert.equal(trap?.code, 1);
  assert.match(trap!.message, /^kernel thread 1 stopped in attentionGradient: memory access out of bounds\. This is a bug .*--threads 1/);
  assert.doesNotMatch(trap!.message, /\n/);
  assert.deepEqual(knownFailure(new UserError('bad flag')), { message: 'bad flag', code: 2 });
  assert.equal(knownFailure(new TypeError('a bug')), undefined);
});
