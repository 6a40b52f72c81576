// The Node side of the WebAssembly kernels: spawnNodeWorker starts this same file in a
// worker_thread, where it hands its first message to serveKernels, so the core stays free of
// worker_threads; enableRelaxedSimd lets Node 20 run the fused multiply-add build.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { SpawnWorker } from '../core/wasm/threads.js';
import type { WorkerInit } from '../core/wasm/protocol.js';

export { enableRelaxedSimd } from './relaxed-simd.js';

const MARK = 'microgpt-kernels';

/** Spawns a kernel thread; once started, it does not keep the process alive. */
export const spawnNodeWorker: SpawnWorker = () => {
  const worker = new Worker(new URL(import.meta.url), { workerData: MARK });
  // referenced until it reports ready, so that awaiting that keeps Node running; after that an
  // idle kernel thread must not (a 'message' listener refs a worker again, so this comes last)
  worker.once('message', () => worker.unref());
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => { worker.on('message', listener); },
    // listened to, an error in the worker is reported instead of ending the whole process
    onError: (listener) => { worker.on('error', (err) => listener(err instanceof Error ? err.message : String(err))); },
    terminate: () => { void worker.terminate(); },
  };
};

if (!isMainThread && workerData === MARK && parentPort) {
  const port = parentPort;
  // the kernels' side is loaded here, in the thread, not by every importer of spawnNodeWorker
  const { serveKernels } = await import('../core/wasm/worker.js');
  port.once('message', (init: WorkerInit) => serveKernels(init, (m) => port.postMessage(m)));
}
