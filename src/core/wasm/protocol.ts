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
export const OPS = ['matmulForward', 'matmulInputGradient', 'matmulWeightGradient', 'attentionForward',
  'attentionGradient', 'layernormForward', 'layernormBackward', 'rmsnormForward', 'rmsnormBackward',
  'reluForward', 'reluGradient', 'relu2Forward', 'relu2Gradient', 'geluForward', 'geluGradient',
  'residualForward', 'adamUpdate', 'gainForward', 'swigluForward', 'swigluGradient', 'ropeForward', 'ropeGradient',
  'kvExpandForward', 'kvExpandGradient', 'attentionDecode'] as const satisfies readonly (keyof KernelExports)[];

export type Op = (typeof OPS)[number];

// Four cache lines: the first two written by the main thread (the worker only claims jobs
// there), the last only by the worker, so neither side's spinning keeps stealing the other's
// line. Arguments are float64 (pointers and sizes are exact in it, learning rates need it).
export const CONTROL = {
  SEQ: 0,       // job number, bumped by the main thread to start a job
  OP: 1,        // index into OPS
  CLAIM: 2,     // 1 while the job is untaken: the worker takes it, or the main thread if the worker is late
  ARGS_F64: 2,  // float64 index of the first argument: bytes 16..111 hold up to 12
  MAX_ARGS: 12,
  DONE: 48,     // the last job number the worker finished
  SLEEPING: 49, // 1 while the worker waits in Atomics.wait
  READY: 50,    // 1 once the worker has instantiated the module
  FAILED: 51,   // 1 if a job threw (the worker then stops)
  REASON: 52,   // byte length of the failure's message, whose UTF-8 bytes follow (ints 53..63)
  INTS: 64,
} as const;

const REASON_BYTES = 4 * (CONTROL.INTS - CONTROL.REASON - 1);

/** The bytes of a control block that hold the failure's message, after its length. */
const reasonBytes = (ctl: Int32Array, length = REASON_BYTES) =>
  new Uint8Array(ctl.buffer, ctl.byteOffset + 4 * (CONTROL.REASON + 1), length);

/** Writes why a job failed where the main thread, spinning without an event loop, can read it. */
export function writeReason(ctl: Int32Array, reason: string): void {
  // encodeInto stops before a character that does not fit whole; it refuses shared memory, so a copy
  const local = new Uint8Array(REASON_BYTES);
  const { written } = new TextEncoder().encodeInto(reason, local);
  reasonBytes(ctl).set(local.subarray(0, written));
  ctl[CONTROL.REASON] = written; // published to the main thread by the atomic store of FAILED
}

/** The message writeReason left (cut to what fits). */
export function readReason(ctl: Int32Array): string {
  // decode a copy: TextDecoder refuses views of shared memory
  return new TextDecoder().decode(reasonBytes(ctl, Math.min(ctl[CONTROL.REASON], REASON_BYTES)).slice());
}
