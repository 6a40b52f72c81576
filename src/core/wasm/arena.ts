// Named tensors inside the kernels' memory, laid out once and then reused every step, so
// nothing is copied in or out per call. Each starts on a 64-byte line, so threads never share one.

import { UserError } from '../errors.js';
import type { WasmMemory } from './webassembly.js';

/** A float32 (or int32) buffer in wasm memory: `ptr` is its byte offset. */
export interface Tensor {
  name: string;
  ptr: number;
  length: number; // elements
}

export interface Arena {
  /** Reserves `length` 4-byte elements; grows the memory as needed. */
  alloc(name: string, length: number): Tensor;
  /** A view of a tensor's floats (made fresh: the memory's buffer changes when it grows). */
  f32(t: Tensor): Float32Array;
  i32(t: Tensor): Int32Array;
  /** Bytes in use from the start of memory. */
  readonly end: number;
  readonly tensors: Tensor[];
}

const ALIGN = 64;
const PAGE = 65536;

/** An arena over `memory`; without one it only counts, to measure a layout before making it. */
export function createArena(memory: WasmMemory | undefined, base: number): Arena {
  let end = base;
  const tensors: Tensor[] = [];
  return {
    alloc(name, length) {
      const t = { name, ptr: end, length };
      end = Math.ceil((end + 4 * length) / ALIGN) * ALIGN;
      const need = memory ? Math.ceil(end / PAGE) - memory.buffer.byteLength / PAGE : 0;
      if (memory && need > 0) {
        try {
          memory.grow(need);
        } catch {
          throw new UserError(`${name} does not fit: the float32 engine would need ${Math.ceil(end / 2 ** 20)} MiB ` +
            'of WebAssembly memory; try a smaller batch, block size or model');
        }
      }
      tensors.push(t);
      return t;
    },
    f32: (t) => new Float32Array(memory!.buffer, t.ptr, t.length),
    i32: (t) => new Int32Array(memory!.buffer, t.ptr, t.length),
    get end() { return end; },
    tensors,
  };
}
