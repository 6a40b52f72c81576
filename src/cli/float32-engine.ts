// `--dtype float32`: the WebAssembly SIMD engine with its Node worker threads, or, on a
// runtime without WebAssembly SIMD, the float64 tensor engine after a one-line notice.

import { availableParallelism } from 'node:os';
import type { EngineFactory } from '../core/contract/engine.js';
import { ENGINES } from '../core/run/engines.js';
import { wasmEngineFactory } from '../core/wasm/engine.js';
import { wasmSupport } from '../core/wasm/kernels.js';
import { enableRelaxedSimd, spawnNodeWorker } from '../node/kernel-thread.js';

export function float32Engine(threads: number | 'auto'): EngineFactory {
  enableRelaxedSimd(); // before the first module is validated
  const support = wasmSupport();
  if (!support.simd) {
    process.stderr.write(`notice: ${support.notice}, so --dtype float32 trains on the float64 tensor engine\n`);
    return ENGINES.tensor;
  }
  return wasmEngineFactory({ threads, cores: availableParallelism(), spawn: spawnNodeWorker });
}
