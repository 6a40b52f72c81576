// Kernel tests' harness: float64 inputs copied into wasm memory as float32, a kernel run on
// them by pointer, its outputs read back as a float64 copy (later kernels may overwrite the memory).

import { createArena } from '../src/core/wasm/arena.js';
import { ARENA_BASE, type Kernels } from '../src/core/wasm/kernels.js';

export function harness(kernels: Kernels) {
  const arena = createArena(kernels.memory, ARENA_BASE);
  const put = (name: string, data: ArrayLike<number>) => {
    const t = arena.alloc(name, data.length);
    arena.f32(t).set(data);
    return t;
  };
  const putInt = (name: string, data: number[]) => {
    const t = arena.alloc(name, data.length);
    arena.i32(t).set(data);
    return t;
  };
  return { k: kernels.exports, put, putInt, get: (t: { ptr: number; length: number; name: string }) => Float64Array.from(arena.f32(t)) };
}
