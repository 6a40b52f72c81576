// The engines the playground offers: those of the library's registry that this browser can
// run (float32 where it validates WebAssembly SIMD). The float32 engine gets kernel threads
// only on a cross-origin isolated page (the dev and preview servers send the headers; a plain
// static host may not), since shared memory needs that; elsewhere it runs on one thread.

import type { EngineName } from '../../src/core/contract/engine.js';
import { type EngineOptions, type MemoryLimits, ENGINES } from '../../src/core/run/engines.js';
import { wasmSupport } from '../../src/core/wasm/kernels.js';
import type { SpawnWorker } from '../../src/core/wasm/threads.js';

const spawnKernelWorker: SpawnWorker = () => {
  const worker = new Worker(new URL('./kernel-worker.ts', import.meta.url), { type: 'module' });
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener('message', (e) => listener(e.data)),
    onError: (listener) => worker.addEventListener('error', (e) => listener(e.message)),
    terminate: () => worker.terminate(),
  };
};

/** The engines this browser runs, in the registry's order. */
export const WEB_ENGINES: readonly EngineName[] = [...ENGINES.values()].filter((s) => s.unavailable() === undefined).map((s) => s.name);

/** How the page runs an engine: threads for the float32 engine where the page may share memory. */
export function webEngineOptions(name: EngineName): EngineOptions {
  if (!ENGINES.get(name)?.takesThreads) return {};
  return wasmSupport().threads
    ? { threads: 'auto', cores: navigator.hardwareConcurrency ?? 1, spawn: spawnKernelWorker }
    : { threads: 1 };
}

/**
 * What the page gives one model: 1 GiB of buffers (a tab shares the machine with everything
 * else, and browsers stop a tab long before the machine's memory is used), checked against
 * the engine's estimate before anything is allocated.
 */
export const WEB_MEMORY: MemoryLimits = { bytes: 2 ** 30, heapBytes: 2 ** 30, where: 'the 1 GiB this page gives a model' };
