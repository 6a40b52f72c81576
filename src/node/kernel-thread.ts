// The Node side of the WebAssembly kernels: spawnNodeWorker (spawn-worker.ts) starts this file
// in a worker_thread, where it hands its first message to serveKernels, so the core stays free
// of worker_threads; enableRelaxedSimd lets Node 20 run the fused multiply-add build.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from '../core/wasm/protocol.js';
import { KERNEL_THREAD_MARK } from './spawn-worker.js';

export { enableRelaxedSimd } from './relaxed-simd.js';
export { spawnNodeWorker } from './spawn-worker.js';

if (!isMainThread && workerData === KERNEL_THREAD_MARK && parentPort) {
  const port = parentPort;
  // the kernels' side is loaded here, in the thread, not by every importer of spawnNodeWorker
  const { serveKernels } = await import('../core/wasm/worker.js');
  port.once('message', (init: WorkerInit) => serveKernels(init, (m) => port.postMessage(m)));
}
