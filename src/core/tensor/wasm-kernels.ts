// The WebAssembly twins of the tensor engine's hottest kernels (wasm/float64/: the matrix
// products and Adam, two independent sums per f64x2 instruction, each in the TS kernel's
// order), over a memory sized once for the engine. The memory never grows, because growing
// would detach every view of it; a buffer that does not fit goes on the JS heap, and a call
// that touches one runs the TS kernel instead: the same numbers, only slower.

import { adamScalars } from './adam.js';
import { type TensorKernels, TS_KERNELS } from './kernels.js';
import { FLOAT64 } from './wasm-kernels.generated.js';
import { type WasmModule, wasmApi } from '../wasm/webassembly.js';

interface Float64Exports {
  matmulForward(out: number, inp: number, weight: number, N: number, C: number, OC: number): void;
  matmulBackward(dinp: number, dweight: number, dout: number, inp: number, weight: number, N: number, C: number, OC: number): void;
  adamUpdate(params: number, grads: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number,
             k1: number, k2: number, c1: number, c2: number, eps: number, decay: number, decayOn: boolean): void;
}

const PAGE = 65536, BASE = 64; // nothing below BASE: the module has no static data, and 0 stays unused
let module: WasmModule | null | undefined;

/** The compiled module, once; null where WebAssembly SIMD is missing. */
function compiled(): WasmModule | null {
  if (module === undefined) {
    const bytes = Uint8Array.from(atob(FLOAT64), (ch) => ch.charCodeAt(0));
    module = wasmApi?.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return module;
}

/**
 * A kernel set over room for `floats` float64 values, or undefined where the runtime has no
 * WebAssembly SIMD or will not give that much memory.
 */
export function createWasmKernels(floats: number): TensorKernels | undefined {
  const mod = compiled();
  if (!mod || !wasmApi) return undefined;
  const pages = Math.ceil((BASE + 8 * floats) / PAGE);
  let memory;
  try {
    memory = new wasmApi.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined;
  }
  const k = new wasmApi.Instance(mod, { env: { memory } }).exports as unknown as Float64Exports;
  const buffer = memory.buffer, size = buffer.byteLength;
  let end = BASE;
  const mine = (a: Float64Array) => a.buffer === buffer;
  return {
    name: 'wasm',
    alloc(length) {
      const bytes = Math.ceil(length / 2) * 16; // each buffer on a 16-byte line
      if (end + bytes > size) return new Float64Array(length);
      const a = new Float64Array(buffer, end, length);
      end += bytes;
      return a;
    },
    matmulForward(out, inp, weight, N, C, OC) {
      if (mine(out) && mine(inp) && mine(weight)) k.matmulForward(out.byteOffset, inp.byteOffset, weight.byteOffset, N, C, OC);
      else TS_KERNELS.matmulForward(out, inp, weight, N, C, OC);
    },
    matmulBackward(dinp, dweight, dout, inp, weight, N, C, OC) {
      if (mine(dinp) && mine(dweight) && mine(dout) && mine(inp) && mine(weight)) {
        k.matmulBackward(dinp.byteOffset, dweight.byteOffset, dout.byteOffset, inp.byteOffset, weight.byteOffset, N, C, OC);
      } else TS_KERNELS.matmulBackward(dinp, dweight, dout, inp, weight, N, C, OC);
    },
    adamUpdate(params, grads, m, v, cfg, step, lr, n) {
      if (!(mine(params) && mine(grads) && mine(m) && mine(v))) return TS_KERNELS.adamUpdate(params, grads, m, v, cfg, step, lr, n);
      const s = adamScalars(cfg, step, lr);
      k.adamUpdate(params.byteOffset, grads.byteOffset, m.byteOffset, v.byteOffset, n,
        s.lr, s.beta1, s.beta2, s.k1, s.k2, s.c1, s.c2, s.eps, s.decay, s.decayOn);
    },
  };
}
