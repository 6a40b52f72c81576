// Node 20's switch for relaxed SIMD, in a file of its own: the CLI calls it first thing, and
// importing it must not load the kernel threads' code (kernel-thread.ts re-exports it).

import { setFlagsFromString } from 'node:v8';

/**
 * Node 20 validates relaxed SIMD only behind a V8 flag (V8 ships it from Node 21). The flag
 * is read when a module is validated, so call this before the first wasm engine is made.
 */
export function enableRelaxedSimd(): void {
  if (Number(process.versions.node.split('.')[0]) <= 20) setFlagsFromString('--experimental-wasm-relaxed-simd');
}
