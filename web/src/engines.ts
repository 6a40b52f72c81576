// The engines the playground offers: the library's, plus the float32 WebAssembly SIMD engine
// where the browser validates its kernels. It gets kernel threads only on a cross-origin
// isolated page (the dev and preview servers send the headers; a plain static host may not),
// since shared memory needs that; elsewhere it runs on the training worker alone.

import type { EngineFactory } from '../../src/core/contract/engine.js';
import { ENGINES } from '../../src/core/run/engines.js';
import { wasmEngineFactory } from '../../src/core/wasm/engine.js';
import { wasmSupport } from '../../src/core/wasm/kernels.js';
import type { SpawnWorker } from '../../src/core/wasm/threads.js';

const spawnKernelWorker: SpawnWorker = () => {
  const worker = new Worker(new URL('./kernel-worker.ts', import.meta.url), { type: 'module' });
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener('message', (e) => listener(e.data)),
    terminate: () => worker.terminate(),
  };
};

function float32(): EngineFactory {
  const support = wasmSupport();
  return support.threads
    ? wasmEngineFactory({ threads: 'auto', cores: navigator.hardwareConcurrency ?? 1, spawn: spawnKernelWorker })
    : wasmEngineFactory({ threads: 1 });
}

export const WEB_ENGINES: Record<string, EngineFactory> = wasmSupport().simd ? { ...ENGINES, float32: float32() } : ENGINES;

/** The playground's name for an engine a checkpoint names ('wasm' is the float32 engine). */
export function webEngineName(saved: string | null | undefined): string | undefined {
  const name = saved === 'wasm' ? 'float32' : saved;
  return name && name in WEB_ENGINES ? name : undefined;
}
