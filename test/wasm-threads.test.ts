// Two threads over one shared memory compute exactly what one thread does: each output row,
// row of dW or attention head is computed whole by one thread, in the same order.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnNodeWorker } from '../src/cli/wasm-worker-node.js';
import { PyRandom } from '../src/core/random.js';
import { createArena } from '../src/core/wasm/arena.js';
import { ARENA_BASE, createKernels, wasmSupport } from '../src/core/wasm/kernels.js';
import { createThreads, shares } from '../src/core/wasm/threads.js';

const support = wasmSupport();

test('shares cut a range into near-equal multiples of a unit', () => {
  assert.deepEqual(shares(768, 2, 2), [0, 384, 768]);
  assert.deepEqual(shares(7, 2, 2), [0, 4, 7]);
  assert.deepEqual(shares(1, 2, 2), [0, 0, 1]);
  assert.deepEqual(shares(100, 3, 4), [0, 32, 68, 100]);
});

test('two-thread matrix products equal the one-thread ones', { skip: !support.threads && 'no shared memory' }, async () => {
  const kernels = createKernels({ shared: true });
  const arena = createArena(kernels.memory, ARENA_BASE);
  const threads = createThreads(kernels, arena, { threads: 2, spawn: spawnNodeWorker, minFlops: 0 });
  after(() => threads.close());
  await threads.ready;
  const rng = new PyRandom(3);
  const k = kernels.exports;
  for (const [BT, C, OC] of [[768, 128, 512], [37, 20, 9], [3, 8, 5], [1, 16, 16]]) {
    const alloc = (name: string, n: number, fill = true) => {
      const t = arena.alloc(name, n);
      if (fill) arena.f32(t).set(Float32Array.from({ length: n }, () => rng.random() - 0.5));
      return t;
    };
    const x = alloc('x', BT * C), w = alloc('w', OC * C), dy = alloc('dy', BT * OC);
    const pairs = [['y', BT * OC], ['dx', BT * C], ['dw', OC * C]] as const;
    const one = pairs.map(([name, n]) => alloc(`${name}1`, n));
    const two = pairs.map(([name, n]) => alloc(`${name}2`, n));
    for (let i = 0; i < 3; i++) arena.f32(two[i]).set(arena.f32(one[i])); // backward accumulates
    k.matmulForward(one[0].ptr, x.ptr, w.ptr, BT, C, OC);
    k.matmulBackwardInput(one[1].ptr, dy.ptr, w.ptr, BT, C, OC);
    k.matmulBackwardWeight(one[2].ptr, dy.ptr, x.ptr, BT, C, OC, 0, OC);
    threads.matmulForward(two[0].ptr, x.ptr, w.ptr, BT, C, OC);
    threads.matmulBackwardInput(two[1].ptr, dy.ptr, w.ptr, BT, C, OC);
    threads.matmulBackwardWeight(two[2].ptr, dy.ptr, x.ptr, BT, C, OC);
    for (let i = 0; i < 3; i++) expectSame(`${pairs[i][0]} BT=${BT} C=${C} OC=${OC}`, arena.f32(one[i]), arena.f32(two[i]));
    // the worker's share really runs on the worker (no taking it back)
    const y3 = alloc('y3', BT * OC, false), half = shares(BT, 2, 2)[1];
    threads.run('matmulForward', [[y3.ptr, x.ptr, w.ptr, half, C, OC], [y3.ptr + 4 * half * OC, x.ptr + 4 * half * C, w.ptr, BT - half, C, OC]], false);
    expectSame(`y on the worker BT=${BT} C=${C} OC=${OC}`, arena.f32(one[0]), arena.f32(y3));
  }
  for (const [T, C, NH] of [[256, 128, 4], [9, 12, 3]]) {
    const alloc = (name: string, n: number) => {
      const t = arena.alloc(name, n);
      arena.f32(t).set(Float32Array.from({ length: n }, () => rng.random() - 0.5));
      return t.ptr;
    };
    const qkv = alloc('qkv', T * 3 * C), dout = alloc('dout', T * C), datt = alloc('datt', T * NH * T);
    const [y1, y2] = [alloc('y1', T * C), alloc('y2', T * C)], [a1, a2] = [alloc('a1', T * NH * T), alloc('a2', T * NH * T)];
    const [d1, d2] = [alloc('d1', T * 3 * C), alloc('d2', T * 3 * C)];
    new Float32Array(kernels.memory.buffer, d2, T * 3 * C).set(new Float32Array(kernels.memory.buffer, d1, T * 3 * C));
    k.attentionForward(y1, a1, qkv, 0, T, C, NH, T, 0, NH);
    k.attentionBackward(d1, datt, dout, qkv, a1, T, C, NH, T, 0, NH);
    threads.attentionForward(y2, a2, qkv, 0, T, C, NH, T);
    threads.attentionBackward(d2, datt, dout, qkv, a2, T, C, NH, T);
    const view = (p: number, n: number) => new Float32Array(kernels.memory.buffer, p, n);
    expectSame(`attention out T=${T}`, view(y1, T * C), view(y2, T * C));
    expectSame(`attention dqkv T=${T}`, view(d1, T * 3 * C), view(d2, T * 3 * C));
  }
});

test('enableRelaxedSimd switches on the fused multiply-add build at run time', () => {
  const script = `import { enableRelaxedSimd } from ${JSON.stringify(new URL('../src/cli/wasm-worker-node.js', import.meta.url).href)};
    enableRelaxedSimd();
    const { createKernels } = await import(${JSON.stringify(new URL('../src/core/wasm/kernels.js', import.meta.url).href)});
    console.log(createKernels().relaxed);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'true', r.stderr);
});

// A worker asleep in Atomics.wait cannot be terminated, which once kept `train --threads 2`
// from ever exiting: the process must end both when the engine is closed and when it is not.
test('a process with kernel threads exits, closed or not', { skip: !support.threads && 'no shared memory' }, () => {
  const bin = new URL('../../bin/microgpt.js', import.meta.url);
  const out = mkdtempSync(join(tmpdir(), 'microgpt-threads-'));
  const train = spawnSync(process.execPath, [bin.pathname, 'train', '--data', new URL('../../data/names.txt', import.meta.url).pathname,
    '--steps', '3', '--dtype', 'float32', '--threads', '2', '--out', join(out, 'ckpt')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(train.signal, null, 'train --threads 2 did not exit by itself');
  assert.equal(train.status, 0, train.stderr);
  const unclosed = `import { spawnNodeWorker } from ${JSON.stringify(new URL('../src/cli/wasm-worker-node.js', import.meta.url).href)};
    import { createKernels, ARENA_BASE } from ${JSON.stringify(new URL('../src/core/wasm/kernels.js', import.meta.url).href)};
    import { createArena } from ${JSON.stringify(new URL('../src/core/wasm/arena.js', import.meta.url).href)};
    import { createThreads } from ${JSON.stringify(new URL('../src/core/wasm/threads.js', import.meta.url).href)};
    const kernels = createKernels({ shared: true });
    await createThreads(kernels, createArena(kernels.memory, ARENA_BASE), { threads: 2, spawn: spawnNodeWorker, spinMs: 0 }).ready;
    await new Promise((r) => setTimeout(r, 100)); // long enough for the worker to fall asleep
    console.log('left without close');`;
  const script = join(out, 'unclosed.mjs'); // a file: workers inherit --input-type, which they refuse
  writeFileSync(script, unclosed);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, 'a process with an unclosed kernel thread did not exit');
  assert.equal(r.stdout.trim(), 'left without close', r.stderr);
});

function expectSame(name: string, a: Float32Array, b: Float32Array): void {
  const bad = a.findIndex((v, j) => !Object.is(v, b[j]));
  assert.equal(bad, -1, `${name}: at [${bad}] one thread ${a[bad]}, two ${b[bad]}`);
}
