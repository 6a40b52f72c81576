// GFLOP/s of each float32 SIMD kernel at transformer sizes (B*T = 768 rows, C = 128, 4C = 512,
// vocabulary 65), beside the machine's 128-bit peak, plain float64 TypeScript loops, one vs
// two threads, and the relaxed-SIMD (FMA) build. Medians of several wall-clock runs, so other
// load on the machine shows (two threads suffer most: they spin).
//   node dist/bench/kernels.js [--reps 7]

import { enableRelaxedSimd, spawnNodeWorker } from '../src/node/kernel-thread.js';
import { type Arena, createArena } from '../src/core/wasm/arena.js';
import { ARENA_BASE, type Kernels, createKernels, wasmSupport } from '../src/core/wasm/kernels.js';
import { type Threads, createThreads, singleThread } from '../src/core/wasm/threads.js';
import { DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import { initParams } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { createWasmEngine } from '../src/core/wasm/engine.js';
import { attStride } from '../src/core/wasm/gpt.js';

const args = process.argv.slice(2);
const REPS = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 7;

const BT = 768, C = 128, V = 65, NH = 4, SEQ = 256; // 3 sequences of 256 positions
const A = attStride(SEQ, NH); // att's padded row stride, as the engine uses

/** Median seconds of one call of f, each rep timing enough calls to last ~10 ms. */
function time(f: () => void): number {
  f();
  const t0 = performance.now();
  f();
  const calls = Math.max(1, Math.round(10 / Math.max(performance.now() - t0, 1e-3)));
  const reps: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t1 = performance.now();
    for (let i = 0; i < calls; i++) f();
    reps.push((performance.now() - t1) / 1000 / calls);
  }
  return reps.sort((a, b) => a - b)[REPS >> 1];
}

interface Row { name: string; flops: number; run: (t: Threads) => void; threaded?: boolean; ts?: () => void }

function rows(k: Kernels, arena: Arena): Row[] {
  const buf = (n: number) => {
    const t = arena.alloc('bench', n);
    arena.f32(t).set(Float32Array.from({ length: n }, () => Math.random() - 0.5));
    return t.ptr;
  };
  const e = k.exports, out: Row[] = [];
  const layers = [['qkv', C, 3 * C], ['attn proj', C, C], ['fc1', C, 4 * C], ['fc2', 4 * C, C], ['lm_head', C, V]] as const;
  for (const [name, C1, OC] of layers) {
    const x = buf(BT * C1), w = buf(OC * C1), y = buf(BT * OC), flops = 2 * BT * C1 * OC;
    const xs = new Float64Array(BT * C1).fill(0.5), ws = new Float64Array(OC * C1).fill(0.5), ys = new Float64Array(BT * OC);
    out.push({ name: `matmul fwd ${name} (${C1}->${OC})`, flops, threaded: true,
      run: (t) => t.matmulForward(y, x, w, BT, C1, OC), ts: () => tsForward(ys, xs, ws, BT, C1, OC) });
    out.push({ name: '  dx = dy W', flops, threaded: true,
      run: (t) => t.matmulInputGradient(x, y, w, BT, C1, OC), ts: () => tsBackwardInput(xs, ys, ws, BT, C1, OC) });
    out.push({ name: '  dW = dy^T x', flops, threaded: true,
      run: (t) => t.matmulWeightGradient(w, y, x, BT, C1, OC), ts: () => tsBackwardWeight(ws, ys, xs, BT, C1, OC) });
  }
  const qkv = buf(BT * 3 * C), att = buf(BT * NH * A), y = buf(BT * C), dqkv = buf(BT * 3 * C), datt = buf(BT * NH * A);
  const attFlops = ((BT / SEQ) * 2 * 2 * C * SEQ * (SEQ + 1)) / 2; // q.k and att.v over the causal half
  const seqs = arena.alloc('seqs', 3 * (BT / SEQ)), lengths = Array.from({ length: BT / SEQ }, () => SEQ);
  arena.i32(seqs).set(lengths.flatMap((T, s) => [s * SEQ, 0, T])); // first row, first query row, length
  out.push({ name: 'attention fwd (3 x T=256, NH=4)', flops: attFlops, threaded: true,
    run: (t) => t.attentionForward(y, att, qkv, seqs.ptr, lengths.length, C, NH, A, lengths) });
  out.push({ name: 'attention bwd', flops: 2 * attFlops, threaded: true,
    run: (t) => t.attentionGradient(dqkv, datt, y, qkv, att, seqs.ptr, lengths.length, C, NH, A, lengths) });
  const a = buf(BT * 4 * C), b = buf(BT * 4 * C), c = buf(BT * 4 * C), r = buf(BT), tg = arena.alloc('targets', BT);
  arena.i32(tg).fill(3);
  out.push({ name: 'rmsnorm fwd (768 x 128)', flops: 3 * BT * C, run: () => e.rmsnormForward(b, r, a, BT, C) });
  out.push({ name: 'rmsnorm bwd', flops: 6 * BT * C, run: () => e.rmsnormBackward(c, b, a, r, BT, C) });
  out.push({ name: 'relu fwd (768 x 512)', flops: BT * 4 * C, run: () => e.reluForward(b, a, BT * 4 * C) });
  out.push({ name: 'relu bwd', flops: BT * 4 * C, run: () => e.reluGradient(c, b, a, BT * 4 * C) });
  out.push({ name: 'gelu fwd (768 x 512)', flops: 20 * BT * 4 * C, run: () => e.geluForward(b, c, a, BT * 4 * C) });
  out.push({ name: 'gelu bwd (its gate kept)', flops: 8 * BT * 4 * C, run: () => e.geluGradient(b, b, a, c, BT * 4 * C) });
  out.push({ name: 'residual fwd (768 x 128)', flops: BT * C, run: () => e.residualForward(c, a, b, BT * C) });
  out.push({ name: 'cross-entropy fwd (768 x 65)', flops: 5 * BT * V, run: () => e.crossEntropyForward(r, b, a, tg.ptr, BT, V) });
  out.push({ name: 'cross-entropy bwd', flops: 2 * BT * V, run: () => e.crossEntropyGradient(c, b, tg.ptr, 1 / BT, BT, V) });
  const n = 4 * 12 * C * C; // a 4-layer model's block weights
  const p = buf(n), g = buf(n), m = buf(n), v = buf(n);
  for (const t of [m, v]) new Float32Array(k.memory.buffer, t, n).fill(0.01);
  out.push({ name: 'adam (786k params)', flops: 12 * n, run: () => e.adamUpdate(p, g, m, v, n, 1e-9, 0.85, 0.99, 1e-8, 0.5, 0.5, 1) });
  return out;
}

// plain float64 loops, four running sums where it helps, as a careful TypeScript version
function tsForward(out: Float64Array, inp: Float64Array, w: Float64Array, N: number, C: number, OC: number): void {
  for (let t = 0; t < N; t++) for (let o = 0; o < OC; o += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const x = t * C, w0 = o * C, w1 = Math.min(o + 1, OC - 1) * C, w2 = Math.min(o + 2, OC - 1) * C, w3 = Math.min(o + 3, OC - 1) * C;
    for (let i = 0; i < C; i++) { const xi = inp[x + i]; a0 += xi * w[w0 + i]; a1 += xi * w[w1 + i]; a2 += xi * w[w2 + i]; a3 += xi * w[w3 + i]; }
    out[t * OC + o] = a0;
    if (o + 1 < OC) out[t * OC + o + 1] = a1;
    if (o + 2 < OC) out[t * OC + o + 2] = a2;
    if (o + 3 < OC) out[t * OC + o + 3] = a3;
  }
}

function tsBackwardInput(dinp: Float64Array, dout: Float64Array, w: Float64Array, N: number, C: number, OC: number): void {
  for (let t = 0; t < N; t++) for (let o = 0; o < OC; o++) {
    const g = dout[t * OC + o], x = t * C, wo = o * C;
    for (let i = 0; i < C; i++) dinp[x + i] += g * w[wo + i];
  }
}

function tsBackwardWeight(dw: Float64Array, dout: Float64Array, inp: Float64Array, N: number, C: number, OC: number): void {
  for (let t = 0; t < N; t++) for (let o = 0; o < OC; o++) {
    const g = dout[t * OC + o], x = t * C, wo = o * C;
    for (let i = 0; i < C; i++) dw[wo + i] += g * inp[x + i];
  }
}

/** Median microseconds of an empty job handed to the worker and waited for. */
function handoff(threads: Threads, pauseMs: number): number {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const until = performance.now() + pauseMs;
    while (performance.now() < until) { /* give the worker time to fall asleep */ }
    const t0 = performance.now();
    threads.run('matmulForward', [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], false);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[times.length >> 1] * 1000;
}

/** A whole training step (forward, backward, Adam) of a 4-layer model on 3 x 256 tokens: GFLOP/s. */
async function stepSpeed(relaxed: boolean, threads: number): Promise<number> {
  const config: ModelConfig = { vocabSize: V, nLayer: 4, nEmbd: C, nHead: NH, blockSize: SEQ, initStd: 0.02 };
  const rng = new PyRandom(1);
  const engine = createWasmEngine(config, initParams(config, rng), { ...DEFAULT_TRAIN, batchSize: 3 }, 1,
    { threads, spawn: spawnNodeWorker, relaxed });
  await engine.ready;
  const batch = Array.from({ length: 3 }, () => Array.from({ length: SEQ + 1 }, () => Math.floor(rng.random() * V)));
  const flops = 3 * (BT * 2 * (config.nLayer * 12 * C * C + V * C) + (BT / SEQ) * config.nLayer * 2 * C * SEQ * (SEQ + 1));
  const dloss = 1 / (3 * SEQ);
  const seconds = time(() => { engine.backward(batch, 0, dloss); engine.update(0, 1e-4); });
  engine.close();
  return flops / seconds / 1e9;
}

interface Measured {
  peak: number;
  rows: { name: string; one: number; two?: number; ts?: number }[];
  step: number;
  step2?: number;
  handoffSpin?: number;
  handoffWake?: number;
}

async function measure(relaxed: boolean, withExtras: boolean): Promise<Measured> {
  const support = wasmSupport();
  const shared = support.threads;
  const k = createKernels({ relaxed, shared });
  const arena = createArena(k.memory, ARENA_BASE);
  const one = singleThread(k);
  const two = shared ? createThreads(k, arena, { threads: 2, spawn: spawnNodeWorker, spinMs: 2 }) : undefined;
  await two?.ready;
  const iters = 1e6;
  const peak = (96 * iters) / time(() => k.exports.peakFlops(iters)) / 1e9;
  const result: Measured = { peak, rows: [], step: 0 };
  for (const row of rows(k, arena)) {
    const gf = (s: number) => row.flops / s / 1e9;
    result.rows.push({
      name: row.name,
      one: gf(time(() => row.run(one))),
      two: two && row.threaded ? gf(time(() => row.run(two))) : undefined,
      ts: withExtras && row.ts ? gf(time(row.ts)) : undefined,
    });
  }
  result.step = await stepSpeed(k.relaxed, 1);
  if (shared) result.step2 = await stepSpeed(k.relaxed, 2);
  if (two && withExtras) {
    result.handoffSpin = handoff(two, 0);
    two.close();
    const sleepy = createThreads(k, arena, { threads: 2, spawn: spawnNodeWorker, spinMs: 0 });
    await sleepy.ready;
    result.handoffWake = handoff(sleepy, 1);
    sleepy.close();
  } else two?.close();
  return result;
}

const fmt = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1)).padStart(8);

async function main(): Promise<void> {
  enableRelaxedSimd();
  const support = wasmSupport();
  if (!support.simd) { console.log(support.notice); return; }
  const simd = await measure(false, true);
  const relaxed = support.relaxed ? await measure(true, false) : undefined;
  console.log(`float32 WebAssembly kernels, GFLOP/s (median of ${REPS}); rows B*T=${BT}, C=${C}, vocab ${V}`);
  console.log(`peak, 128-bit mul+add chains: simd ${simd.peak.toFixed(1)}, relaxed FMA ${relaxed ? relaxed.peak.toFixed(1) : '-'}`);
  const line = (name: string, ...cells: (number | string | undefined)[]) =>
    console.log(name.padEnd(40) + cells.map((c) => (typeof c === 'string' ? c.padStart(8) : fmt(c))).join(''));
  line('kernel', 'ts f64', 'simd', 'simd x2', 'relaxed', 'rlx x2');
  simd.rows.forEach((row, i) => line(row.name, row.ts, row.one, row.two, relaxed?.rows[i].one, relaxed?.rows[i].two));
  line('train step (4 layers, 3 x 256 tokens)', undefined, simd.step, simd.step2, relaxed?.step, relaxed?.step2);
  if (simd.handoffSpin !== undefined) {
    console.log(`hand-off to the second thread and back (empty job, median): spinning ${simd.handoffSpin.toFixed(1)} us, ` +
      `waking a sleeping worker ${simd.handoffWake!.toFixed(1)} us`);
  }
}

await main();
