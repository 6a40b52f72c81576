// Splitting kernel calls between threads that share the kernels' memory. The calling thread
// takes the first share, then spins until the workers finish theirs (or takes back a share no
// worker has started: on a busy machine a worker may not be running). Work under a threshold
// stays on one thread, where a hand-off would cost more than it saves. Every split gives each
// output element to exactly one thread, computed in the same order, so results do not depend
// on the thread count.

import type { Arena } from './arena.js';
import type { KernelTimings, Kernels } from './kernels.js';
import { KernelThreadError } from '../errors.js';
import { CONTROL, OPS, type Op, type WorkerInit, readReason } from './protocol.js';

/** A worker as the platform makes it (Node's worker_threads, a browser's Web Worker). */
export interface WorkerPort {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The worker died outside a kernel call (say, it could not start); a trap in a kernel is reported through the control block. */
  onError?(listener: (reason: string) => void): void;
  terminate(): void;
}

/** Starts one worker that will call serveKernels (src/core/wasm/worker.ts) on its first message. */
export type SpawnWorker = () => WorkerPort;

export interface ThreadOptions {
  threads: number;    // including the calling thread
  spawn: SpawnWorker;
  minFlops?: number;  // smaller products run on one thread
  minFloats?: number; // smaller elementwise and row-wise calls run on one thread
  spinMs?: number;    // how long an idle worker spins before it sleeps
  timings?: KernelTimings; // adds this thread's time waiting for workers' shares, under WAITING (benchmarks)
}

/** The entry of a thread pool's timings that counts the calling thread's waits for workers' shares. */
export const WAITING = 'waiting for workers';

/** Kernel calls, split between threads or not. Pointers are byte offsets into the memory. */
export interface Threads {
  readonly count: number;
  /** While true, every call runs on the calling thread (the workers fall asleep); results are the same. */
  solo: boolean;
  /** Resolves when every worker has started (until then their shares run here); rejects if one cannot. */
  readonly ready: Promise<void>;
  /**
   * A kernel whose arguments are pointers, then a row count, then anything else, e.g.
   * geluForward(out, inp, n) or layernormForward(out, rstd, inp, T, C): pointer i moves
   * widths[i] floats per row (0: the same for every row), so rows can be cut between threads.
   */
  rows(op: Op, pointers: number[], widths: number[], rows: number, rest: number[]): void;
  matmulForward(out: number, inp: number, weight: number, BT: number, C: number, OC: number): void;
  matmulInputGradient(dinp: number, dout: number, weight: number, BT: number, C: number, OC: number): void;
  matmulWeightGradient(dweight: number, dout: number, inp: number, BT: number, C: number, OC: number): void;
  /** Attention over the B sequences of the table at `seqs` (see wasm/assembly/attention.ts), query lengths T[b]. */
  attentionForward(out: number, att: number, qkv: number, seqs: number, B: number, C: number, NH: number, A: number,
                   T: ArrayLike<number>): void;
  attentionGradient(dqkv: number, datt: number, dout: number, qkv: number, att: number, seqs: number, B: number,
                    C: number, NH: number, A: number, T: ArrayLike<number>): void;
  /** Attention of N decoding rows, each one query over T[r] cached positions (see attentionDecode). */
  attentionDecode(out: number, att: number, cache: number, seqs: number, N: number, C: number, NH: number, A: number,
                  T: ArrayLike<number>): void;
  /**
   * jobs[0] runs here, jobs[i] on worker i - 1, all at once; returns when all are done. A job
   * no worker has started by then runs here too, unless `steal` is false. A job that traps on
   * a worker ends the pool: this call and every later one throw a KernelThreadError.
   */
  run(op: Op, jobs: number[][], steal?: boolean): void;
  close(): void;
}

export const DEFAULT_MIN_FLOPS = 2e6;
const DEFAULT_MIN_FLOATS = 65536;

/** Boundaries splitting [0, n) into `parts` near-equal shares, each a multiple of `unit`. */
export function shares(n: number, parts: number, unit: number): number[] {
  const cuts = [0];
  for (let i = 1; i < parts; i++) cuts.push(Math.min(n, Math.round((n * i) / parts / unit) * unit));
  cuts.push(n);
  return cuts;
}

/** Boundaries splitting items with these costs into `parts` runs of near-equal total cost. */
export function costShares(costs: ArrayLike<number>, parts: number): number[] {
  let total = 0;
  for (let i = 0; i < costs.length; i++) total += costs[i];
  const cuts = [0];
  let sum = 0, i = 0;
  for (let p = 1; p < parts; p++) {
    const target = (total * p) / parts;
    // take item i while that brings the sum closer to the target
    while (i < costs.length && Math.abs(sum + costs[i] - target) <= Math.abs(sum - target)) sum += costs[i++];
    cuts.push(i);
  }
  cuts.push(costs.length);
  return cuts;
}

/** The job for rows r0..r1-1 of a `rows` call. */
function rowJob(pointers: number[], widths: number[], r0: number, r1: number, rest: number[]): number[] {
  return [...pointers.map((p, i) => p + 4 * r0 * widths[i]), r1 - r0, ...rest];
}

/** The per-head cost of each unit u = b * NH + h of an attention call: T^2 over whole sequences, T for one decoding row. */
function unitCosts(T: ArrayLike<number>, B: number, NH: number, power: number): Float64Array {
  const costs = new Float64Array(B * NH);
  for (let u = 0; u < costs.length; u++) costs[u] = T[Math.floor(u / NH)] ** power;
  return costs;
}

/** Calls on the calling thread only. */
export function singleThread(kernels: Kernels): Threads {
  const k = kernels.exports;
  const call = (op: Op, args: number[]) => (k[op] as (...args: number[]) => void)(...args);
  return {
    count: 1,
    solo: true,
    ready: Promise.resolve(),
    rows: (op, pointers, _widths, rows, rest) => call(op, [...pointers, rows, ...rest]),
    matmulForward: (...a) => k.matmulForward(...a),
    matmulInputGradient: (...a) => k.matmulInputGradient(...a),
    matmulWeightGradient: (dw, dout, inp, BT, C, OC) => k.matmulWeightGradient(dw, dout, inp, BT, C, OC, 0, C),
    attentionForward: (out, att, qkv, seqs, B, C, NH, A) => k.attentionForward(out, att, qkv, seqs, 0, B * NH, C, NH, A),
    attentionGradient: (dqkv, datt, dout, qkv, att, seqs, B, C, NH, A) =>
      k.attentionGradient(dqkv, datt, dout, qkv, att, seqs, 0, B * NH, C, NH, A),
    attentionDecode: (out, att, cache, seqs, N, C, NH, A) => k.attentionDecode(out, att, cache, seqs, 0, N * NH, C, NH, A),
    run(op, jobs) {
      for (const job of jobs) call(op, job);
    },
    close() {},
  };
}

/** Starts `threads - 1` workers over the kernels' shared memory; control blocks come from the arena. */
export function createThreads(kernels: Kernels, arena: Arena, options: ThreadOptions): Threads {
  const n = Math.max(1, Math.floor(options.threads));
  if (n === 1) return singleThread(kernels);
  if (!kernels.shared) throw new Error('threads need kernels created with { shared: true }');
  const k = kernels.exports;
  const minFlops = options.minFlops ?? DEFAULT_MIN_FLOPS, minFloats = options.minFloats ?? DEFAULT_MIN_FLOATS;
  const blocks = Array.from({ length: n - 1 }, (_, i) => arena.alloc(`thread${i + 1}.control`, CONTROL.INTS));
  const control = blocks.map((b) => new Int32Array(kernels.memory.buffer, b.ptr, CONTROL.INTS));
  const args = blocks.map((b) => new Float64Array(kernels.memory.buffer, b.ptr, CONTROL.ARGS_F64 + CONTROL.MAX_ARGS));
  const seq = control.map(() => 0);
  const waits = options.timings && { ms: 0, calls: 0 };
  if (waits) options.timings!.set(WAITING, waits);
  const workers: WorkerPort[] = [];
  const started = blocks.map((block, i) => new Promise<void>((resolve, reject) => {
    const worker = options.spawn();
    worker.onMessage((m) => { if (m === 'ready') resolve(); });
    worker.onError?.((reason) => reject(new KernelThreadError(i + 1, 'start-up', reason)));
    const init: WorkerInit = { module: kernels.module, memory: kernels.memory, control: block.ptr, spinMs: options.spinMs ?? 2 };
    worker.postMessage(init);
    workers.push(worker);
  }));

  const local = (op: number, job: number[]) => (k[OPS[op]] as (...args: number[]) => void)(...job);

  let failure: KernelThreadError | undefined;
  function run(name: Op, jobs: number[][], steal = true): void {
    if (failure) throw failure;
    const op = OPS.indexOf(name);
    if (steal && self.solo) {
      for (const job of jobs) local(op, job);
      return;
    }
    const handed = jobs.map((job, w) => {
      const ctl = control[w - 1];
      if (w === 0 || !ctl || Atomics.load(ctl, CONTROL.READY) !== 1) return false;
      ctl[CONTROL.OP] = op;
      args[w - 1].set(job, CONTROL.ARGS_F64);
      Atomics.store(ctl, CONTROL.CLAIM, 1);
      Atomics.store(ctl, CONTROL.SEQ, ++seq[w - 1]); // publishes the writes above
      if (Atomics.load(ctl, CONTROL.SLEEPING) === 1) Atomics.notify(ctl, CONTROL.SEQ);
      return true;
    });
    for (let w = 0; w < jobs.length; w++) {
      const ctl = control[w - 1];
      if (!handed[w] || (steal && Atomics.compareExchange(ctl, CONTROL.CLAIM, 1, 0) === 1)) { local(op, jobs[w]); continue; }
      const start = waits ? performance.now() : 0;
      while (Atomics.load(ctl, CONTROL.DONE) !== seq[w - 1]) { /* spin: a wake-up would cost more */ }
      if (waits) { waits.ms += performance.now() - start; waits.calls++; }
      if (Atomics.load(ctl, CONTROL.FAILED) === 1) failure ??= new KernelThreadError(w, name, readReason(ctl));
    }
    if (failure) { // only now: the other workers' shares are finished, none still writes
      self.close();
      throw failure;
    }
  }

  /** Rows cut into shares of `unit` rows, when the work is worth a hand-off. */
  function splitRows(op: Op, pointers: number[], widths: number[], count: number, rest: number[], unit = 4, split = true): void {
    const cut = shares(count, n, unit);
    if (!split || cut[1] === 0) return local(OPS.indexOf(op), [...pointers, count, ...rest]);
    run(op, cut.slice(0, -1).map((r, i) => rowJob(pointers, widths, r, cut[i + 1], rest)));
  }

  const big = (BT: number, C: number, OC: number) => 2 * BT * C * OC >= minFlops;
  function attention(op: 'attentionForward' | 'attentionGradient' | 'attentionDecode', front: number[], B: number, tail: number[],
                     NH: number, T: ArrayLike<number>, flopsPerCost: number, power = 2): void {
    const costs = unitCosts(T, B, NH, power);
    let total = 0;
    for (const c of costs) total += c;
    const cut = costShares(costs, n);
    if (total * flopsPerCost < minFlops || cut[1] === 0 || cut[1] === costs.length) {
      return local(OPS.indexOf(op), [...front, 0, B * NH, ...tail]);
    }
    run(op, cut.slice(0, -1).map((u, i) => [...front, u, cut[i + 1], ...tail]));
  }
  const ready = Promise.all(started).then(() => undefined);
  ready.catch(() => { /* awaiting is optional: a worker that never starts leaves its shares here */ });
  const self: Threads = {
    count: n,
    solo: false,
    ready,
    rows(op, pointers, widths, count, rest) {
      let floats = 0;
      for (const w of widths) floats += w;
      splitRows(op, pointers, widths, count, rest, 4, floats * count >= minFloats);
    },
    matmulForward(out, inp, weight, BT, C, OC) {
      splitRows('matmulForward', [out, inp, weight], [OC, C, 0], BT, [C, OC], 2, big(BT, C, OC));
    },
    matmulInputGradient(dinp, dout, weight, BT, C, OC) {
      splitRows('matmulInputGradient', [dinp, dout, weight], [C, OC, 0], BT, [C, OC], 2, big(BT, C, OC));
    },
    matmulWeightGradient(dweight, dout, inp, BT, C, OC) {
      if (!big(BT, C, OC)) return k.matmulWeightGradient(dweight, dout, inp, BT, C, OC, 0, C);
      const cut = shares(C, n, 2); // rows of the transposed gradient
      run('matmulWeightGradient', cut.slice(0, -1).map((c, i) => [dweight, dout, inp, BT, C, OC, c, cut[i + 1]]));
    },
    attentionForward(out, att, qkv, seqs, B, C, NH, A, T) {
      attention('attentionForward', [out, att, qkv, seqs], B, [C, NH, A], NH, T, (2 * C) / NH);
    },
    attentionGradient(dqkv, datt, dout, qkv, att, seqs, B, C, NH, A, T) {
      attention('attentionGradient', [dqkv, datt, dout, qkv, att, seqs], B, [C, NH, A], NH, T, (4 * C) / NH);
    },
    attentionDecode(out, att, cache, seqs, N, C, NH, A, T) {
      // q.k and the weighted sum: 4C/NH flops per position and head, counted 4 times over because
      // one query row a head runs at about a quarter of a product's rate (measured 8-14 GFLOPS vs ~50)
      attention('attentionDecode', [out, att, cache, seqs], N, [C, NH, A], NH, T, (16 * C) / NH, 1);
    },
    run,
    close() {
      for (const ctl of control) {
        Atomics.store(ctl, CONTROL.READY, 0); // from now on every share runs here
        ctl[CONTROL.OP] = -1;
        Atomics.store(ctl, CONTROL.CLAIM, 1);
        Atomics.store(ctl, CONTROL.SEQ, -1);
        Atomics.notify(ctl, CONTROL.SEQ);
      }
      for (const w of workers) w.terminate();
    },
  };
  return self;
}
