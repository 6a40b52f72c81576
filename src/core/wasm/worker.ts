// A kernel thread: the same module over the shared memory, waiting for jobs in a control
// block. It spins before it sleeps, since a sleep and wake-up round trip costs ~20-80 us.

import type { KernelExports } from './kernels.js';
import { CONTROL, OPS, type WorkerInit } from './protocol.js';
import { type WasmApi, wasmApi } from './webassembly.js';

/** Runs jobs until told to stop; `post` reports 'ready' once the module is instantiated. */
export function serveKernels(init: WorkerInit, post: (message: unknown) => void): void {
  const wasm = wasmApi as WasmApi;
  const instance = new wasm.Instance(init.module, { env: { memory: init.memory } });
  const k = instance.exports as unknown as KernelExports;
  const fns = OPS.map((name) => k[name] as (...args: number[]) => void);
  const ctl = new Int32Array(init.memory.buffer, init.control, CONTROL.INTS);
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
    const op = ctl[CONTROL.OP], a = CONTROL.ARGS;
    if (op < 0) return;
    try {
      fns[op](ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5],
        ctl[a + 6], ctl[a + 7], ctl[a + 8], ctl[a + 9], ctl[a + 10], ctl[a + 11]);
    } catch (e) {
      Atomics.store(ctl, CONTROL.FAILED, 1);
      Atomics.store(ctl, CONTROL.DONE, seen); // so the main thread stops waiting and reports it
      throw e;
    }
    Atomics.store(ctl, CONTROL.DONE, seen);
  }
}
