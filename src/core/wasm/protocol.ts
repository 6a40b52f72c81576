// What the main thread and a kernel thread agree on: the message that starts a worker and
// the layout of its control block, an Int32Array in the shared memory.

import type { KernelExports } from './kernels.js';
import type { WasmMemory, WasmModule } from './webassembly.js';

/** Posted once to a new worker. */
export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory; // shared
  control: number;    // byte offset of this worker's control block
  spinMs: number;     // how long an idle worker spins before it sleeps
}

/** Kernels a worker can run, by index; a negative op stops it. */
export const OPS = ['matmulForward', 'matmulBackwardInput', 'matmulBackwardWeight',
  'attentionForward', 'attentionBackward'] as const satisfies readonly (keyof KernelExports)[];

// Two cache lines: the first written by the main thread (the worker only claims jobs there),
// the second only by the worker, so neither side's spinning keeps stealing the other's line.
export const CONTROL = {
  SEQ: 0,       // job number, bumped by the main thread to start a job
  OP: 1,        // index into OPS
  ARGS: 2,      // up to 12 int arguments
  CLAIM: 14,    // 1 while the job is untaken: the worker takes it, or the main thread if the worker is late
  DONE: 16,     // the last job number the worker finished
  SLEEPING: 17, // 1 while the worker waits in Atomics.wait
  READY: 18,    // 1 once the worker has instantiated the module
  FAILED: 19,   // 1 if a job threw (the worker then stops)
  INTS: 32,
} as const;
