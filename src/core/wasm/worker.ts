// A kernel thread: the same module over the shared memory, waiting for jobs in a control
// block. It spins before it sleeps, since a sleep and wake-up round trip costs ~20-80 us.

import type { KernelExports } from './kernels.js';
import { CONTROL, OPS, type WorkerInit, writeReason } from './protocol.js';
import { type WasmApi, wasmApi } from './webassembly.js';

/**
 * Runs jobs until told to stop or a job traps; `post` reports 'ready' once the module is
 * instantiated.
 */
export function serveKernels(init: WorkerInit, post: (message: unknown) => void): void {
  const wasm = wasmApi as WasmApi;
  const instance = new wasm.Instance(init.module, { env: { memory: init.memory } });
  const k = instance.exports as unknown as KernelExports;
  const fns = OPS.map((name) => k[name] as (...args: number[]) => void);
  const ctl = new Int32Array(init.memory.buffer, init.control, CONTROL.INTS);
  const args = new Float64Array(init.memory.buffer, init.control, CONTROL.ARGS_F64 + CONTROL.MAX_ARGS);
  let seen = Atomics.load(ctl, CONTROL.SEQ);
  Atomics.store(ctl, CONTROL.READY, 1);
  post('ready');
  for (;;) {
    let spins = 0, since = performance.now();
    while (Atomics.load(ctl, CONTROL.SEQ) === seen) {
      if (++spins % 1024 !== 0) continue;
      if (performance.now() - since < init.spinMs) continue;
      Atomics.store(ctl, CONTROL.SLEEPING, 1);
      Atomics.wait(ctl, CONTROL.SEQ, seen);
      Atomics.store(ctl, CONTROL.SLEEPING, 0);
      since = performance.now();
    }
    seen = Atomics.load(ctl, CONTROL.SEQ);
    if (Atomics.compareExchange(ctl, CONTROL.CLAIM, 1, 0) !== 1) { Atomics.store(ctl, CONTROL.DONE, seen); continue; }
    const op = ctl[CONTROL.OP], a = CONTROL.ARGS_F64;
    if (op < 0) return;
    try {
      fns[op](args[a], args[a + 1], args[a + 2], args[a + 3], args[a + 4], args[a + 5],
        args[a + 6], args[a + 7], args[a + 8], args[a + 9], args[a + 10], args[a + 11]);
    } catch (e) {
      // a trap (say, an out-of-bounds pointer) ends this thread: say why where the main thread
      // looks, take it off the hand-off list, then end the wait; rethrowing would only kill
      // the process from a thread nobody is listening to
      writeReason(ctl, e instanceof Error ? e.message : String(e));
      Atomics.store(ctl, CONTROL.READY, 0);
      Atomics.store(ctl, CONTROL.FAILED, 1);
      Atomics.store(ctl, CONTROL.DONE, seen);
      return;
    }
    Atomics.store(ctl, CONTROL.DONE, seen);
  }
}
