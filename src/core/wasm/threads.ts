// Splitting the large matrix products and attention between threads that share the kernels'
// memory. The calling thread takes the first share, then spins until the workers finish theirs
// (or takes back a share no worker has started: on a busy machine a worker may not be running).
// Work under a threshold stays on one thread, where a hand-off would cost more than it saves.

import type { Arena } from './arena.js';
import type { Kernels } from './kernels.js';
import { CONTROL, OPS, type WorkerInit } from './protocol.js';

/** A worker as the platform makes it (Node's worker_threads, a browser's Web Worker). */
export interface WorkerPort {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  terminate(): void;
}

/** Starts one worker that will call serveKernels (src/core/wasm/worker.ts) on its first message. */
export type SpawnWorker = () => WorkerPort;

export interface ThreadOptions {
  threads: number;    // including the calling thread
  spawn: SpawnWorker;
  minFlops?: number;  // smaller products run on one thread
  spinMs?: number;    // how long an idle worker spins before it sleeps
}

/** The products, split or not; `run` hands one kernel call to each thread directly. */
export interface Threads {
  readonly count: number;
  /** Resolves when every worker has started; until then their shares run here. */
  readonly ready: Promise<void>;
  matmulForward(out: number, inp: number, weight: number, BT: number, C: number, OC: number): void;
  matmulBackwardInput(dinp: number, dout: number, weight: number, BT: number, C: number, OC: number): void;
  matmulBackwardWeight(dweight: number, dout: number, inp: number, BT: number, C: number, OC: number): void;
  attentionForward(out: number, att: number, qkv: number, t0: number, T: number, C: number, NH: number, A: number): void;
  attentionBackward(dqkv: number, datt: number, dout: number, qkv: number, att: number,
                    T: number, C: number, NH: number, A: number): void;
  /**
   * jobs[0] runs here, jobs[i] on worker i - 1, all at once; returns when all are done. A job
   * no worker has started by then runs here too, unless `steal` is false.
   */
  run(op: (typeof OPS)[number], jobs: number[][], steal?: boolean): void;
  close(): void;
}

const DEFAULT_MIN_FLOPS = 2e6;

/** Boundaries splitting [0, n) into `parts` near-equal shares, each a multiple of `unit`. */
export function shares(n: number, parts: number, unit: number): number[] {
  const cuts = [0];
  for (let i = 1; i < parts; i++) cuts.push(Math.min(n, Math.round((n * i) / parts / unit) * unit));
  cuts.push(n);
  return cuts;
}

/** Products on the calling thread only. */
export function singleThread(kernels: Kernels): Threads {
  const k = kernels.exports;
  return {
    count: 1,
    ready: Promise.resolve(),
    matmulForward: (...a) => k.matmulForward(...a),
    matmulBackwardInput: (...a) => k.matmulBackwardInput(...a),
    matmulBackwardWeight: (dw, dout, inp, BT, C, OC) => k.matmulBackwardWeight(dw, dout, inp, BT, C, OC, 0, OC),
    attentionForward: (out, att, qkv, t0, T, C, NH, A) => k.attentionForward(out, att, qkv, t0, T, C, NH, A, 0, NH),
    attentionBackward: (dqkv, datt, dout, qkv, att, T, C, NH, A) =>
      k.attentionBackward(dqkv, datt, dout, qkv, att, T, C, NH, A, 0, NH),
    run(op, jobs) {
      const f = k[op] as (...args: number[]) => void;
      for (const job of jobs) f(...job);
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
  const minFlops = options.minFlops ?? DEFAULT_MIN_FLOPS;
  const blocks = Array.from({ length: n - 1 }, (_, i) => arena.alloc(`thread${i + 1}.control`, CONTROL.INTS));
  const control = blocks.map((b) => new Int32Array(kernels.memory.buffer, b.ptr, CONTROL.INTS));
  const seq = control.map(() => 0);
  const workers: WorkerPort[] = [];
  const started = blocks.map((block) => new Promise<void>((resolve) => {
    const worker = options.spawn();
    worker.onMessage((m) => { if (m === 'ready') resolve(); });
    const init: WorkerInit = { module: kernels.module, memory: kernels.memory, control: block.ptr, spinMs: options.spinMs ?? 2 };
    worker.postMessage(init);
    workers.push(worker);
  }));

  const local = (op: number, job: number[]) => (k[OPS[op]] as (...args: number[]) => void)(...job);

  function run(name: (typeof OPS)[number], jobs: number[][], steal = true): void {
    const op = OPS.indexOf(name);
    const handed = jobs.map((job, w) => {
      const ctl = control[w - 1];
      if (w === 0 || !ctl || Atomics.load(ctl, CONTROL.READY) !== 1) return false;
      ctl[CONTROL.OP] = op;
      ctl.set(job, CONTROL.ARGS);
      Atomics.store(ctl, CONTROL.CLAIM, 1);
      Atomics.store(ctl, CONTROL.SEQ, ++seq[w - 1]); // publishes the writes above
      if (Atomics.load(ctl, CONTROL.SLEEPING) === 1) Atomics.notify(ctl, CONTROL.SEQ);
      return true;
    });
    for (let w = 0; w < jobs.length; w++) {
      const ctl = control[w - 1];
      if (!handed[w] || (steal && Atomics.compareExchange(ctl, CONTROL.CLAIM, 1, 0) === 1)) { local(op, jobs[w]); continue; }
      while (Atomics.load(ctl, CONTROL.DONE) !== seq[w - 1]) { /* spin: a wake-up would cost more */ }
      if (Atomics.load(ctl, CONTROL.FAILED) === 1) throw new Error(`kernel thread ${w} failed in ${name}`);
    }
  }

  const big = (BT: number, C: number, OC: number) => 2 * BT * C * OC >= minFlops;
  return {
    count: n,
    ready: Promise.all(started).then(() => undefined),
    matmulForward(out, inp, weight, BT, C, OC) {
      if (!big(BT, C, OC)) return k.matmulForward(out, inp, weight, BT, C, OC);
      const cut = shares(BT, n, 2);
      run('matmulForward', cut.slice(0, -1).map((r, i) => [out + 4 * r * OC, inp + 4 * r * C, weight, cut[i + 1] - r, C, OC]));
    },
    matmulBackwardInput(dinp, dout, weight, BT, C, OC) {
      if (!big(BT, C, OC)) return k.matmulBackwardInput(dinp, dout, weight, BT, C, OC);
      const cut = shares(BT, n, 2);
      run('matmulBackwardInput', cut.slice(0, -1).map((r, i) => [dinp + 4 * r * C, dout + 4 * r * OC, weight, cut[i + 1] - r, C, OC]));
    },
    matmulBackwardWeight(dweight, dout, inp, BT, C, OC) {
      if (!big(BT, C, OC)) return k.matmulBackwardWeight(dweight, dout, inp, BT, C, OC, 0, OC);
      const cut = shares(OC, n, 2);
      run('matmulBackwardWeight', cut.slice(0, -1).map((o, i) => [dweight, dout, inp, BT, C, OC, o, cut[i + 1]]));
    },
    attentionForward(out, att, qkv, t0, T, C, NH, A) {
      if (NH < 2 || 2 * C * (T * T - t0 * t0) < minFlops) return k.attentionForward(out, att, qkv, t0, T, C, NH, A, 0, NH);
      const cut = shares(NH, Math.min(n, NH), 1);
      run('attentionForward', cut.slice(0, -1).map((h, i) => [out, att, qkv, t0, T, C, NH, A, h, cut[i + 1]]));
    },
    attentionBackward(dqkv, datt, dout, qkv, att, T, C, NH, A) {
      if (NH < 2 || 4 * C * T * T < minFlops) return k.attentionBackward(dqkv, datt, dout, qkv, att, T, C, NH, A, 0, NH);
      const cut = shares(NH, Math.min(n, NH), 1);
      run('attentionBackward', cut.slice(0, -1).map((h, i) => [dqkv, datt, dout, qkv, att, T, C, NH, A, h, cut[i + 1]]));
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
}
