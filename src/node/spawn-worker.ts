// spawnNodeWorker, in a file of its own that loads worker_threads only when a kernel thread
// starts: the CLI bundles it, and a run on one thread (the default job) never pays for it.

import { createRequire } from 'node:module';
import type { SpawnWorker } from '../core/wasm/threads.js';

/** What kernel-thread.ts looks for in workerData before it serves kernels. */
export const KERNEL_THREAD_MARK = 'microgpt-kernels';

// '../node/' from this file's folder: dist/src/node/ as compiled, dist/src/cli-bundle/ bundled
const KERNEL_THREAD = new URL('../node/kernel-thread.js', import.meta.url);

/** Spawns a kernel thread; once started, it does not keep the process alive. */
export const spawnNodeWorker: SpawnWorker = () => {
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new Worker(KERNEL_THREAD, { workerData: KERNEL_THREAD_MARK });
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
