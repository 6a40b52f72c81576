// The benchmark: the reference run (1000 steps, batch 1, names) on the tensor engine, the
// scalar engine and CPython side by side, then a larger model for throughput. Our engines
// run through the library (createRun / train), so only the training loop is timed.
// Then the BPE tokenizer (bench/tokenizer.ts) against CPython, serving under load on a small and a
// served-size model (bench/serve-load.ts; alone: npm run bench:serve), and the scale run (bench/scale.ts): the float32 WebAssembly engine on one and two threads,
// the float64 engine and PyTorch where installed, at the size of nanoGPT's CPU recipe; last the
// speedrun presets' time to target, ours and the same recipe in PyTorch (bench/speedrun.ts).
// Flags: --quick (fewer repetitions and steps, no CPython, a shortened names speedrun: a few minutes in all),
// --no-python (skip the 3-8 minute CPython run), --no-torch (skip PyTorch in the scale run and the speedruns).
// What it is doing goes to stderr as it goes, the results to stdout.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ModelConfig, TrainConfig } from '../src/core/contract/config.js';
import { parseDocuments } from '../src/core/data/documents.js';
import { type Batch, type EngineName, batchTokens, predictedTokens } from '../src/core/contract/engine.js';
import { formatStepLine } from '../src/cli/format.js';
import { sample } from '../src/core/run/generate.js';
import { train } from '../src/core/run/loop.js';
import { type Run, createRun, nextBatches } from '../src/core/run/run.js';
import { wasmSupport } from '../src/core/wasm/kernels.js';
import { createTensorEngine } from '../src/core/tensor/engine.js';
import { TS_KERNELS } from '../src/core/tensor/kernels.js';
import { enableRelaxedSimd } from '../src/node/kernel-thread.js';
import { median, scaleBench } from './scale.js';
import { stepFlops } from './flops.js';
import { pythonUnavailable, runPython } from './python.js';
import { serveLoadBench } from './serve-load.js';
import { speedrunBench } from './speedrun.js';
import { tokenizerBench } from './tokenizer.js';

const root = new URL('../../', import.meta.url);
const NAMES = fileURLToPath(new URL('data/names.txt', root));
const SCRIPT = fileURLToPath(new URL('reference/microgpt.py', root));

const args = process.argv.slice(2);
const FLAGS = ['--quick', '--no-python', '--no-torch'];
for (const a of args) if (!FLAGS.includes(a)) throw new Error(`unknown flag ${a} (${FLAGS.join(', ')})`);
const quick = args.includes('--quick');
const benchStart = performance.now();
/** A progress line on stderr, with the time since the benchmark started. */
const progress = (what: string) => process.stderr.write(`[bench ${((performance.now() - benchStart) / 1000).toFixed(0).padStart(4)} s] ${what}\n`);
const docs = parseDocuments(readFileSync(NAMES, 'utf8'));
setFlagsFromString('--expose-gc'); // so the allocation check starts from a collected heap
const gc = runInNewContext('gc') as () => void;

interface Timed {
  ms: number;
  losses: number[];
  tokens: number; // predicted tokens over all steps
  run: Run;
}

/** The batch a lines run trains on at `step` (it depends on the step alone). */
function batchOf(run: Run, step: number): Batch {
  const at = run.step;
  run.step = step;
  const [batch] = nextBatches(run);
  run.step = at;
  return batch;
}

/** Predicted positions per sequence of a step's batch (for the FLOP count, after timing). */
function stepLengths(run: Run, step: number): number[] {
  return batchOf(run, step).map((t) => predictedTokens(t, run.config.blockSize));
}

function timeTraining(engine: EngineName, model: Partial<ModelConfig> = {}, trainCfg: Partial<TrainConfig> = {}, tsKernels = false): Timed {
  const run = createRun(docs, { engine, model, train: trainCfg });
  // the tensor engine on its TypeScript kernels (the readable reference) instead of WebAssembly's
  if (tsKernels) run.engine = createTensorEngine(run.config, run.engine.weights(), run.train, run.seed, TS_KERNELS);
  const losses: number[] = [];
  let tokens = 0;
  const start = performance.now();
  train(run, (s) => { losses.push(s.loss); tokens += s.tokens; });
  const ms = performance.now() - start;
  return { ms, losses, tokens, run };
}

/** One optimizer step on a fixed batch, straight on the engine. */
function engineStep(run: Run, batch: Batch, step: number): void {
  run.engine.backward(batch, step, 1 / batchTokens(batch, run.config.blockSize));
  run.engine.update(step, 1e-4);
}

function maxRelDiff(a: number[], b: number[]): number {
  let worst = 0;
  a.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - b[i]) / Math.abs(b[i])); });
  return worst;
}

const fmt = (x: number, digits = 1) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number) => `${fmt(bytes / 2 ** 20)} MB`;
const row = (name: string, ms: number, steps: number, tokens: number, runs: number, note = '') =>
  console.log(`${name.padEnd(8)} ${fmt(ms).padStart(11)} ${fmt(ms / steps, 3).padStart(9)} ${fmt(tokens / (ms / 1000), 0).padStart(11)} ${String(runs).padStart(5)}  ${note}`);

// 1. the reference run on the tensor engine: once cold, then repeated warm
const reps = quick ? 3 : 7;
progress(`the reference run on the tensor engine, ${reps + 1} times`);
const tensorRuns: Timed[] = [];
let peakHeap = 0;
for (let r = 0; r <= reps; r++) {
  gc();
  tensorRuns.push(timeTraining('tensor'));
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}
const peakRss = process.resourceUsage().maxRSS * 1024;
const [cold, ...warm] = tensorRuns;
const tensor = warm[0], tensorMs = median(warm.map((t) => t.ms)), steps = tensor.losses.length;
const sameEveryRun = tensorRuns.every((t) => maxRelDiff(t.losses, tensor.losses) === 0);
const samples = sample(tensor.run, 20, 0.5);

/** Heap bytes a warm engine allocates per step on one batch, once V8 has finished compiling. */
async function heapPerStep(run: Run, count: number): Promise<number> {
  const batch = batchOf(run, 0);
  for (let s = 0; s < count; s++) engineStep(run, batch, s);
  await new Promise((resolve) => setTimeout(resolve, 500)); // background compilation lands
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let s = 0; s < count; s++) engineStep(run, batch, s);
  return (process.memoryUsage().heapUsed - before) / count;
}
const smallHeap = await heapPerStep(tensor.run, 1000);

// 2. a larger model: throughput, and the heap before and after its run
progress('a larger model on the tensor engine');
const big = { nLayer: 4, nEmbd: 64, nHead: 4, blockSize: 32 }, bigSteps = quick ? 20 : 50;
gc();
const heapBeforeBig = process.memoryUsage().heapUsed;
const bigRun = timeTraining('tensor', big, { batchSize: 16, steps: bigSteps });
let bigFlops = 0;
for (let s = 0; s < bigSteps; s++) bigFlops += stepFlops(bigRun.run.config, stepLengths(bigRun.run, s));
const bigHeap = await heapPerStep(bigRun.run, 10);

// 2a. the reference run on the tensor engine's TypeScript kernels, in turn with more runs on
// its WebAssembly ones (after the heap figures, which a process running both would change)
progress(`the reference run on the tensor engine's TypeScript and WebAssembly kernels in turn, ${reps} times each`);
const tsKernelRuns: Timed[] = [], pairedRuns: Timed[] = [];
for (let r = 0; r < reps; r++) {
  tsKernelRuns.push(timeTraining('tensor', {}, {}, true));
  pairedRuns.push(timeTraining('tensor'));
}
const tsKernelMs = median(tsKernelRuns.map((t) => t.ms)), pairedMs = median(pairedRuns.map((t) => t.ms));

// 2b. the float32 engine on the reference run (one thread: every product is tiny)
progress('the reference run on the float32 engine');
enableRelaxedSimd();
const wasmRuns: Timed[] = [];
if (wasmSupport().simd) for (let r = 0; r < (quick ? 2 : 5); r++) wasmRuns.push(timeTraining('float32'));
const wasmMs = wasmRuns.length ? median(wasmRuns.slice(1).map((t) => t.ms)) : undefined;

// 3. the scalar engine
progress(`the reference run on the scalar engine, ${quick ? 1 : 3} time${quick ? '' : 's'} (~10 s each)`);
const scalarRuns: Timed[] = [];
for (let r = 0; r < (quick ? 1 : 3); r++) scalarRuns.push(timeTraining('scalar'));
const scalarMs = median(scalarRuns.map((t) => t.ms));

// 4. CPython, once
const why = args.includes('--no-python') ? '--no-python' : quick ? '--quick (it takes 3-8 minutes)' : pythonUnavailable(SCRIPT, NAMES);
if (why === undefined) progress('the reference run on CPython: python3 reference/microgpt.py (3-8 minutes)');
let shown = performance.now();
const python = why === undefined ? await runPython(SCRIPT, NAMES, (step, total) => {
  if (performance.now() - shown < 15_000) return;
  shown = performance.now();
  progress(`  CPython at step ${step} of ${total}`);
}) : undefined;

const c = tensor.run.config;
console.log(`\nreference run: ${steps} steps, batch 1, names (n_layer ${c.nLayer}, n_embd ${c.nEmbd}, n_head ${c.nHead}, block ${c.blockSize}, ${tensor.run.numParams} params, ${tensor.tokens} predicted tokens)`);
console.log('engine     median ms   ms/step    tokens/s  runs');
row('tensor', tensorMs, steps, tensor.tokens, reps, `(warm; min ${fmt(Math.min(...warm.map((t) => t.ms)))} ms, first cold run ${fmt(cold.ms)} ms)`);
row('tensorTS', tsKernelMs, steps, tensor.tokens, reps, `(the same engine on its TypeScript kernels, warm; in turn with ${reps} more on WebAssembly: ${fmt(pairedMs)} ms)`);
if (wasmMs !== undefined) row('float32', wasmMs, steps, tensor.tokens, wasmRuns.length - 1, `(wasm SIMD, 1 thread; worst loss difference from float64 ${maxRelDiff(wasmRuns[0].losses, tensor.losses).toExponential(1)} relative)`);
row('scalar', scalarMs, steps, tensor.tokens, scalarRuns.length);
if (python) row('CPython', python.ms, steps, tensor.tokens, 1, '(whole program)');
else console.log(`CPython  skipped: ${why}`);

console.log('\nratios');
if (python) {
  console.log(`  scalar vs CPython: ${fmt(python.ms / scalarMs)}x (target >= 25x)`);
  console.log(`  tensor vs CPython: ${fmt(python.ms / tensorMs, 0)}x (target >= 1000x)`);
  if (wasmMs !== undefined) console.log(`  float32 vs CPython: ${fmt(python.ms / wasmMs, 0)}x`);
}
console.log(`  tensor vs scalar:  ${fmt(scalarMs / tensorMs)}x`);
console.log(`  tensor on WebAssembly vs TypeScript kernels: ${fmt(tsKernelMs / pairedMs)}x (run in turn)`);
if (wasmMs !== undefined) console.log(`  float32 vs tensor: ${fmt(tensorMs / wasmMs)}x`);

console.log('\nlosses');
console.log(`  tensor, every repetition identical: ${sameEveryRun ? 'yes' : 'NO'}`);
console.log(`  tensor on WebAssembly vs TypeScript kernels: ${tsKernelRuns.every((t) => maxRelDiff(t.losses, tensor.losses) === 0) ? 'every loss identical' : 'DIFFER'}`);
console.log(`  tensor vs scalar, worst relative difference over ${steps} steps: ${maxRelDiff(tensor.losses, scalarRuns[0].losses).toExponential(2)}`);
if (python) {
  const ours = tensor.losses.map((l, i) => formatStepLine(i + 1, steps, l));
  ours.push('--- inference (new, hallucinated names) ---', ...samples.map((s, i) => `sample ${String(i + 1).padStart(2)}: ${s}`));
  const theirs = python.lines.slice(3);
  const first = ours.findIndex((l, i) => l !== theirs[i]);
  console.log(first < 0 && ours.length === theirs.length
    ? `  tensor vs CPython: every printed loss and sample identical (${ours.length} lines)`
    : `  tensor vs CPython: DIFFER at line ${first + 4}: ours '${ours[first]}', CPython '${theirs[first]}'`);
}

console.log(`\npeak memory during the tensor runs: rss ${mb(peakRss)}, heap ${mb(peakHeap)}`);
console.log(`heap allocated per step by a warm tensor engine: ${fmt(smallHeap, 0)} bytes (its buffers are all preallocated)`);

const bc = bigRun.run.config;
console.log(`\nlarger model: n_layer ${bc.nLayer}, n_embd ${bc.nEmbd}, n_head ${bc.nHead}, block ${bc.blockSize}, batch 16, ${bigRun.run.numParams} params, ${bigSteps} steps`);
console.log(`  ${fmt(bigRun.ms)} ms, ${fmt(bigRun.ms / bigSteps, 2)} ms/step, ${fmt(bigRun.tokens / (bigRun.ms / 1000), 0)} tokens/s, ${fmt(bigFlops / (bigRun.ms / 1000) / 1e9, 2)} GFLOP/s (matmul + attention, forward + backward)`);
console.log(`  heap allocated per step once warm: ${fmt(bigHeap, 0)} bytes; heap held by the run (weights, Adam, activations): ${mb(process.memoryUsage().heapUsed - heapBeforeBig)}`);

// 5. the BPE tokenizer, and CPython on the same text where python3 is here
tokenizerBench(quick, !quick && !args.includes('--no-python') && pythonUnavailable(SCRIPT, NAMES) === undefined, progress);

// 6. serving under load: 1, 8 and 64 clients on loopback, a small model and a served-size one
await serveLoadBench(quick, progress);

// 7. the scale run
progress('the scale run: float32 on 1 and 2 threads, tensor, and PyTorch where installed');
await scaleBench(quick, !args.includes('--no-torch'));

// 8. the speedruns, ours and the same recipe in PyTorch
await speedrunBench(quick, !args.includes('--no-torch'), progress);
progress('done');
