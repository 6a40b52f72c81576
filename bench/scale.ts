// The scale benchmark: the shape of nanoGPT's CPU Shakespeare recipe (4 layers, 4 heads, width
// 128, context 64, batch 12; GELU, LayerNorm, AdamW-style Adam with lr 1e-3 cosine) on Tiny
// Shakespeare, timed per iteration on our engines and, where Debian's python3-torch is
// installed, on PyTorch with the same model (bench/torch-recipe.py), all in one run.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModelConfig, TrainConfig } from '../src/core/contract/config.js';
import { trainStep } from '../src/core/run/loop.js';
import { type RunOptions, createTextRun } from '../src/core/run/run.js';
import { type KernelTimings, wasmSupport } from '../src/core/wasm/kernels.js';
import { WAITING } from '../src/core/wasm/threads.js';
import { enableRelaxedSimd, spawnNodeWorker } from '../src/node/kernel-thread.js';

const root = new URL('../../', import.meta.url);
const TEXT = fileURLToPath(new URL('data/tinyshakespeare.txt', root));
const TORCH_SCRIPT = fileURLToPath(new URL('bench/torch-recipe.py', root));
const OPENBLAS_PTHREAD = '/usr/lib/x86_64-linux-gnu/openblas-pthread'; // Debian's threaded OpenBLAS

const MODEL: Partial<ModelConfig> = { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, activation: 'gelu', norm: 'layernorm' };
const TRAIN: Partial<TrainConfig> = { batchSize: 12, steps: 2000, learningRate: 1e-3, schedule: 'cosine', warmupSteps: 100, beta1: 0.9, beta2: 0.99 };
const TOKENS = 12 * 64; // predicted tokens per iteration

export interface ScaleRow {
  engine: string;
  dtype: string;
  threads: number;
  msPerIter: number; // median
  note?: string;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms per iteration of `iters` steps after `warmup` untimed ones, and the run's parameter count. */
async function timeEngine(engine: RunOptions, warmup: number, iters: number): Promise<{ ms: number; params: number }> {
  const run = createTextRun(readFileSync(TEXT, 'utf8'), { ...engine, model: MODEL, train: TRAIN });
  await (run.engine as { ready?: Promise<void> }).ready;
  for (let i = 0; i < warmup; i++) trainStep(run);
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    trainStep(run);
    times.push(performance.now() - t0);
  }
  run.engine.close?.();
  return { ms: median(times), params: run.numParams };
}

// What each float32 kernel counts as in the breakdown (the first matching prefix; the rest are 'other')
const CATEGORIES: [string, string[]][] = [
  ['products', ['matmul']], ['attention', ['attention']], ['norms', ['layernorm', 'rmsnorm', 'gain']],
  ['activation', ['gelu', 'relu', 'swiglu']], ['cross-entropy', ['crossEntropy']], ['Adam', ['adam', 'sumOfSquares', 'scale']],
  ['waiting at hand-offs', [WAITING]],
];

/**
 * The float32 engine's iteration on `threads` threads by kind of kernel: ms per iteration of
 * the calling thread, mean over `iters` steps timed call by call (a separate run: the timers
 * cost a little). With two threads a split kernel counts the calling thread's share only,
 * and the time it then spins until the worker's share is done counts as waiting. What is
 * left is outside the kernels (JavaScript between them, the batch, the loss sum).
 */
async function breakdown(threads: number, iters: number): Promise<string> {
  const timings: KernelTimings = new Map(), ms = new Map<string, number>();
  const engine: RunOptions = { engine: 'float32', threads, spawn: spawnNodeWorker, tuning: { adaptive: false, timings } };
  const run = createTextRun(readFileSync(TEXT, 'utf8'), { ...engine, model: MODEL, train: TRAIN });
  await (run.engine as { ready?: Promise<void> }).ready;
  for (let i = 0; i < 5; i++) trainStep(run);
  for (const entry of timings.values()) { entry.ms = 0; entry.calls = 0; }
  const start = performance.now();
  for (let i = 0; i < iters; i++) trainStep(run);
  const total = (performance.now() - start) / iters;
  run.engine.close?.();
  for (const [name, { ms: spent }] of timings) {
    const category = CATEGORIES.find(([, prefixes]) => prefixes.some((p) => name.startsWith(p)))?.[0] ?? 'other';
    ms.set(category, (ms.get(category) ?? 0) + spent / iters);
  }
  let inKernels = 0;
  for (const v of ms.values()) inKernels += v;
  const parts = [...CATEGORIES.map(([c]) => c), 'other'].filter((c) => threads > 1 || c !== CATEGORIES.at(-1)![0])
    .map((c) => `${c} ${(ms.get(c) ?? 0).toFixed(1)}`);
  return `float32 on ${threads} thread${threads > 1 ? 's' : ''}, ms per iteration by kernel (mean of ${iters}, timed call by call): ` +
    `${parts.join(', ')}, outside the kernels ${(total - inKernels).toFixed(1)}; in all ${total.toFixed(1)}`;
}

/** A python3 that imports torch, or why there is none. */
export function findTorch(): { python: string } | { why: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { why: 'no python3 with torch (Debian: apt install python3-torch libopenblas0-pthread)' };
}

/** PyTorch's fastest setting here: one intra-op thread, OpenBLAS's own `threads` for products. */
export function torchEnv(threads: number): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: String(threads) };
  if (existsSync(OPENBLAS_PTHREAD)) env.LD_LIBRARY_PATH = [OPENBLAS_PTHREAD, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

function runTorch(python: string, iters: number, threads: 1 | 2): ScaleRow {
  const r = spawnSync(python, [TORCH_SCRIPT, `data=${TEXT}`, `iters=${iters}`, 'threads=1', 'val=0'], { encoding: 'utf8', env: torchEnv(threads) });
  if (r.status !== 0) throw new Error(`${TORCH_SCRIPT} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms_per_iter: number; torch: string };
  return { engine: `PyTorch ${out.torch}`, dtype: 'float32', threads, msPerIter: out.ms_per_iter, note: 'OpenBLAS' };
}

/** Runs the scale benchmark and prints its table; returns the rows. */
export async function scaleBench(quick: boolean, withTorch: boolean): Promise<ScaleRow[]> {
  enableRelaxedSimd();
  const iters = quick ? 15 : 60, rows: ScaleRow[] = [];
  let params = 0;
  const support = wasmSupport();
  if (support.simd) {
    const counts = support.threads && availableParallelism() >= 2 ? [1, 2] : [1];
    for (const threads of counts) {
      // adaptive off: these rows measure the thread counts themselves, with no trial steps
      const r = await timeEngine({ engine: 'float32', threads, spawn: spawnNodeWorker, tuning: { adaptive: false } }, 5, iters);
      params = r.params;
      rows.push({ engine: 'float32', dtype: 'float32', threads, msPerIter: r.ms, note: support.relaxed ? 'SIMD + FMA' : 'SIMD' });
    }
  }
  const f64 = await timeEngine({ engine: 'tensor' }, 1, quick ? 2 : 4);
  params = f64.params;
  rows.push({ engine: 'tensor', dtype: 'float64', threads: 1, msPerIter: f64.ms, note: 'exact; f64x2 WebAssembly kernels' });
  const torch = withTorch ? findTorch() : { why: '--no-torch' };
  if ('python' in torch) for (const threads of [1, 2] as const) rows.push(runTorch(torch.python, iters + 5, threads));

  const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  console.log(`\nscale run: nanoGPT's CPU Shakespeare recipe shape (4 layers, 4 heads, width 128, context 64, batch 12, ${params} params), median of ${iters} iterations`);
  console.log('engine            dtype    threads   ms/iter    tokens/s   GFLOP/s  vs PyTorch (same threads)');
  const torchMs = (threads: number) => rows.find((r) => r.engine.startsWith('PyTorch') && r.threads === threads)?.msPerIter;
  for (const r of rows) {
    const vs = r.engine.startsWith('PyTorch') || torchMs(r.threads) === undefined ? '' : `${fmt(r.msPerIter / torchMs(r.threads)!, 2)}x the time`;
    console.log(`${r.engine.padEnd(17)} ${r.dtype.padEnd(8)} ${String(r.threads).padStart(7)} ${fmt(r.msPerIter).padStart(9)} ${fmt((TOKENS / r.msPerIter) * 1000, 0).padStart(11)}` +
      ` ${fmt((6 * params * TOKENS) / r.msPerIter / 1e6).padStart(9)}  ${vs}${r.note ? `  (${r.note})` : ''}`);
  }
  if (!('python' in torch)) console.log(`PyTorch skipped: ${torch.why}`);
  console.log('GFLOP/s counts 6 x params x tokens (the usual estimate: products only, attention scores left out)');
  if (support.simd) for (const r of rows.filter((r) => r.engine === 'float32')) console.log(await breakdown(r.threads, quick ? 10 : 30));
  return rows;
}

// alone: node dist/bench/scale.js [--quick] [--no-torch]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await scaleBench(process.argv.includes('--quick'), !process.argv.includes('--no-torch'));
}
