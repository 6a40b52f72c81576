// Two threads over one shared memory compute exactly what one thread does: each output row,
// row of dW or attention head is computed whole by one thread, in the same order. On the
// relaxed-SIMD (fused multiply-add) build where it runs: the one training uses.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { enableRelaxedSimd, spawnNodeWorker } from '../src/node/kernel-thread.js';
import { PyRandom } from '../src/core/contract/random.js';
import { createArena } from '../src/core/wasm/arena.js';
import { ARENA_BASE, createKernels, wasmSupport } from '../src/core/wasm/kernels.js';
import { costShares, createThreads, shares } from '../src/core/wasm/threads.js';

enableRelaxedSimd();
const support = wasmSupport();

test('shares cut a range into near-equal multiples of a unit', () => {
  assert.deepEqual(shares(768, 2, 2), [0, 384, 768]);
  assert.deepEqual(shares(7, 2, 2), [0, 4, 7]);
  assert.deepEqual(shares(1, 2, 2), [0, 0, 1]);
  assert.deepEqual(shares(100, 3, 4), [0, 32, 68, 100]);
});

test('costShares balances the total cost, not the count', () => {
  assert.deepEqual(costShares([1, 1, 1, 1], 2), [0, 2, 4]);
  assert.deepEqual(costShares([9, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2), [0, 1, 10]);
  assert.deepEqual(costShares([4], 2), [0, 1, 1]);
  assert.deepEqual(costShares([], 2), [0, 0, 0]);
});

test('two threads compute exactly what one does: products, attention, row-wise kernels', { skip: !support.threads && 'no shared memory' }, async () => {
  const kernels = createKernels({ shared: true });
  const arena = createArena(kernels.memory, ARENA_BASE);
  const threads = createThreads(kernels, arena, { threads: 2, spawn: spawnNodeWorker, minFlops: 0, minFloats: 0 });
  after(() => threads.close());
  await threads.ready;
  const rng = new PyRandom(3);
  const k = kernels.exports;
  // the last two leave columns to the 4- and 1-wide tiles
  for (const [BT, C, OC] of [[768, 128, 512], [37, 20, 9], [3, 8, 5], [1, 16, 16], [300, 24, 150], [5, 3, 40]]) {
    const alloc = (name: string, n: number, fill = true) => {
      const t = arena.alloc(name, n);
      if (fill) arena.f32(t).set(Float32Array.from({ length: n }, () => rng.random() - 0.5));
      return t;
    };
    const x = alloc('x', BT * C), w = alloc('w', OC * C), dy = alloc('dy', BT * OC);
    const pairs = [['y', BT * OC], ['dx', BT * C], ['dw', OC * C]] as const;
    const one = pairs.map(([name, n]) => alloc(`${name}1`, n));
    const two = pairs.map(([name, n]) => alloc(`${name}2`, n));
    for (let i = 0; i < 3; i++) arena.f32(two[i]).set(arena.f32(one[i])); // the same garbage to overwrite
    k.matmulForward(one[0].ptr, x.ptr, w.ptr, BT, C, OC);
    k.matmulInputGradient(one[1].ptr, dy.ptr, w.ptr, BT, C, OC);
    k.matmulWeightGradient(one[2].ptr, dy.ptr, x.ptr, BT, C, OC, 0, C); // all C rows of the transposed gradient
    threads.matmulForward(two[0].ptr, x.ptr, w.ptr, BT, C, OC);
    threads.matmulInputGradient(two[1].ptr, dy.ptr, w.ptr, BT, C, OC);
    threads.matmulWeightGradient(two[2].ptr, dy.ptr, x.ptr, BT, C, OC);
    for (let i = 0; i < 3; i++) expectSame(`${pairs[i][0]} BT=${BT} C=${C} OC=${OC}`, arena.f32(one[i]), arena.f32(two[i]));
    // the worker's share really runs on the worker (no taking it back)
    const y3 = alloc('y3', BT * OC, false), half = shares(BT, 2, 2)[1];
    threads.run('matmulForward', [[y3.ptr, x.ptr, w.ptr, half, C, OC], [y3.ptr + 4 * half * OC, x.ptr + 4 * half * C, w.ptr, BT - half, C, OC]], false);
    expectSame(`y on the worker BT=${BT} C=${C} OC=${OC}`, arena.f32(one[0]), arena.f32(y3));
  }
  for (const [lengths, C, NH] of [[[256, 64, 200], 128, 4], [[9], 12, 3], [[3, 17, 1, 8, 12], 16, 2]] as const) {
    const alloc = (name: string, n: number) => {
      const t = arena.alloc(name, n);
      arena.f32(t).set(Float32Array.from({ length: n }, () => rng.random() - 0.5));
      return t.ptr;
    };
    const N = lengths.reduce((a, b) => a + b, 0), A = Math.max(...lengths), B = lengths.length;
    const seqs = arena.alloc('seqs', 3 * B);
    arena.i32(seqs).set(lengths.flatMap((T, b) => [lengths.slice(0, b).reduce((a, c) => a + c, 0), 0, T]));
    const qkv = alloc('qkv', N * 3 * C), dout = alloc('dout', N * C), datt = alloc('datt', N * NH * A);
    const [y1, y2] = [alloc('y1', N * C), alloc('y2', N * C)], [a1, a2] = [alloc('a1', N * NH * A), alloc('a2', N * NH * A)];
    const [d1, d2] = [alloc('d1', N * 3 * C), alloc('d2', N * 3 * C)];
    k.attentionForward(y1, a1, qkv, seqs.ptr, 0, B * NH, C, NH, A);
    k.attentionGradient(d1, datt, dout, qkv, a1, seqs.ptr, 0, B * NH, C, NH, A);
    threads.attentionForward(y2, a2, qkv, seqs.ptr, B, C, NH, A, lengths);
    threads.attentionGradient(d2, datt, dout, qkv, a2, seqs.ptr, B, C, NH, A, lengths);
    const view = (p: number, n: number) => new Float32Array(kernels.memory.buffer, p, n);
    expectSame(`attention out, lengths ${lengths}`, view(y1, N * C), view(y2, N * C));
    expectSame(`attention dqkv, lengths ${lengths}`, view(d1, N * 3 * C), view(d2, N * 3 * C));
  }
  { // decoding: each row one query over its cache slot's first T[r] rows, slots and lengths mixed
    const C = 32, NH = 4, A = 64, slots = 5, N = 9;
    const alloc = (name: string, n: number) => {
      const t = arena.alloc(name, n);
      arena.f32(t).set(Float32Array.from({ length: n }, () => rng.random() - 0.5));
      return t.ptr;
    };
    const T = Array.from({ length: N }, (_, r) => 1 + ((r * 23) % A)), seqs = arena.alloc('decode.seqs', 3 * N);
    arena.i32(seqs).set(T.flatMap((t, r) => [(r % slots) * A, t - 1, t]));
    const cache = alloc('cache', slots * A * 3 * C), [y1, y2] = [alloc('dy1', N * C), alloc('dy2', N * C)];
    const [a1, a2] = [alloc('da1', N * NH * A), alloc('da2', N * NH * A)];
    k.attentionDecode(y1, a1, cache, seqs.ptr, 0, N * NH, C, NH, A);
    threads.attentionDecode(y2, a2, cache, seqs.ptr, N, C, NH, A, T);
    const view = (p: number, n: number) => new Float32Array(kernels.memory.buffer, p, n);
    expectSame('attention decode out', view(y1, N * C), view(y2, N * C));
  }
  // row-wise and elementwise kernels cut by rows
  const n = 5003, C = 36, T = 70;
  const buf = (name: string) => {
    const t = arena.alloc(name, n);
    arena.f32(t).set(Float32Array.from({ length: n }, () => rng.random() - 0.5));
    return t;
  };
  const x = buf('x'), dy = buf('dy'), [o1, o2, r1, r2] = ['o1', 'o2', 'r1', 'r2'].map(buf);
  k.geluForward(o1.ptr, r1.ptr, x.ptr, n);
  threads.rows('geluForward', [o2.ptr, r2.ptr, x.ptr], [1, 1, 1], n, []);
  expectSame('gelu', arena.f32(o1), arena.f32(o2));
  expectSame('gelu gate', arena.f32(r1), arena.f32(r2));
  k.layernormForward(o1.ptr, r1.ptr, x.ptr, T, C);
  threads.rows('layernormForward', [o2.ptr, r2.ptr, x.ptr], [C, 1, C], T, [C]);
  expectSame('layernorm', arena.f32(o1).subarray(0, T * C), arena.f32(o2).subarray(0, T * C));
  expectSame('layernorm rstd', arena.f32(r1).subarray(0, T), arena.f32(r2).subarray(0, T));
  const [p1, p2, m1, m2, v1, v2] = ['p1', 'p2', 'm1', 'm2', 'v1', 'v2'].map(buf);
  for (const [a, b] of [[p1, p2], [m1, m2], [v1, v2]]) arena.f32(b).set(arena.f32(a));
  k.adamUpdate(p1.ptr, dy.ptr, m1.ptr, v1.ptr, n, 0.01, 0.9, 0.99, 1e-8, 0.1, 0.01, 0.999);
  threads.rows('adamUpdate', [p2.ptr, dy.ptr, m2.ptr, v2.ptr], [1, 1, 1, 1], n, [0.01, 0.9, 0.99, 1e-8, 0.1, 0.01, 0.999]);
  expectSame('adam params', arena.f32(p1), arena.f32(p2));
  expectSame('adam m', arena.f32(m1), arena.f32(m2));
});

test('enableRelaxedSimd switches on the fused multiply-add build at run time', () => {
  const script = `import { enableRelaxedSimd } from ${JSON.stringify(new URL('../src/node/kernel-thread.js', import.meta.url).href)};
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
    '--steps', '3', '--engine', 'float32', '--threads', '2', '--out', join(out, 'ckpt')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(train.signal, null, 'train --threads 2 did not exit by itself');
  assert.equal(train.status, 0, train.stderr);
  const unclosed = `import { spawnNodeWorker } from ${JSON.stringify(new URL('../src/node/kernel-thread.js', import.meta.url).href)};
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

// --jitless turns WebAssembly off: a runtime without it, as some locked-down browsers are.
// Asking for the float32 engine there is an error, never a quiet switch to another engine.
test('--engine float32 without WebAssembly is one clear error; its checkpoint samples on --engine tensor', () => {
  const bin = new URL('../../bin/microgpt.js', import.meta.url).pathname;
  const out = mkdtempSync(join(tmpdir(), 'microgpt-jitless-'));
  const run = (jitless: boolean, ...args: string[]) =>
    spawnSync(process.execPath, [...(jitless ? ['--jitless'] : []), bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  const ours = (stderr: string) => stderr.replace(/^Warning: disabling flag --expose_wasm.*\n/m, ''); // V8's, about --jitless itself
  const r = run(true, 'train', '--steps', '2', '--engine', 'float32', '--out', join(out, 'ckpt'));
  assert.equal(r.status, 2, r.stderr);
  assert.equal(ours(r.stderr), 'microgpt: error: the float32 engine needs WebAssembly SIMD, and this runtime has no WebAssembly; use --engine tensor\n');
  assert.equal(r.stdout, '', 'nothing trained');
  if (!support.simd) return;
  const trained = run(false, 'train', '--steps', '2', '--engine', 'float32', '--out', join(out, 'ckpt'));
  assert.equal(trained.status, 0, trained.stderr);
  const s = run(true, 'sample', '--from', join(out, 'ckpt'), '--samples', '1');
  assert.equal(s.status, 2, s.stderr);
  assert.match(ours(s.stderr), /^microgpt: error: the float32 engine needs WebAssembly SIMD, and this runtime has no WebAssembly; add --engine tensor\n$/);
  const onTensor = run(true, 'sample', '--from', join(out, 'ckpt'), '--samples', '1', '--engine', 'tensor');
  assert.equal(onTensor.status, 0, onTensor.stderr);
  assert.match(onTensor.stdout, /^sample  1: /);
});

function expectSame(name: string, a: Float32Array, b: Float32Array): void {
  const bad = a.findIndex((v, j) => !Object.is(v, b[j]));
  assert.equal(bad, -1, `${name}: at [${bad}] one thread ${a[bad]}, two ${b[bad]}`);
}
