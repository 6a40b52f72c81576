// The engines the playground offers: the library's, plus the float32 WebAssembly SIMD engine
// where the browser validates its kernels (one thread: shared memory needs cross-origin
// isolation, which a static page cannot count on).

import type { EngineFactory } from '../../src/core/engine.js';
import { ENGINES } from '../../src/core/engines.js';
import { createWasmEngine } from '../../src/core/wasm/engine.js';
import { wasmSupport } from '../../src/core/wasm/kernels.js';

export const WEB_ENGINES: Record<string, EngineFactory> = wasmSupport().simd
  ? { ...ENGINES, float32: createWasmEngine }
  : ENGINES;

/** The playground's name for an engine a checkpoint names ('wasm' is the float32 engine). */
export function webEngineName(saved: string | null | undefined): string | undefined {
  const name = saved === 'wasm' ? 'float32' : saved;
  return name && name in WEB_ENGINES ? name : undefined;
}
