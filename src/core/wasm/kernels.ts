// The float32 SIMD kernels as a WebAssembly instance over a memory the caller may share
// between threads. Picks the relaxed-SIMD (fused multiply-add) build when the runtime takes it.

import { RELAXED, RELAXED_SHARED, SIMD, SIMD_SHARED } from './kernels.generated.js';
import { type WasmApi, type WasmMemory, type WasmModule, moduleBytes, wasmApi } from './webassembly.js';

/** The module's exports; every pointer is a byte offset into the memory. */
export interface KernelExports {
  peakFlops(iters: number): number;
  matmulForward(out: number, inp: number, weightT: number, BT: number, C: number, OC: number): void;
  matmulInputGradient(dinp: number, dout: number, weightT: number, BT: number, C: number, OC: number): void;
  matmulWeightGradient(dweightT: number, dout: number, inp: number, BT: number, C: number, OC: number,
                       c0: number, c1: number): void;
  attentionForward(out: number, att: number, qkv: number, seqs: number, u0: number, u1: number,
                   C: number, NH: number, A: number): void;
  attentionDecode(out: number, att: number, qkv: number, seqs: number, u0: number, u1: number,
                  C: number, NH: number, A: number): void;
  kvStore(cache: number, rows: number, seqs: number, n: number, width: number): void;
  attentionGradient(dqkv: number, datt: number, dout: number, qkv: number, att: number, seqs: number,
                    u0: number, u1: number, C: number, NH: number, A: number): void;
  rmsnormForward(out: number, rstd: number, inp: number, T: number, C: number): void;
  rmsnormBackward(dinp: number, dout: number, inp: number, rstd: number, T: number, C: number): void;
  layernormForward(out: number, rstd: number, inp: number, T: number, C: number): void;
  layernormBackward(dinp: number, dout: number, inp: number, rstd: number, T: number, C: number): void;
  gainForward(out: number, inp: number, gain: number, T: number, C: number): void;
  gainGradient(dinp: number, dgain: number, dout: number, inp: number, gain: number, T: number, C: number): void;
  reluForward(out: number, inp: number, n: number): void;
  reluGradient(dinp: number, dout: number, inp: number, n: number): void;
  relu2Forward(out: number, inp: number, n: number): void;
  relu2Gradient(dinp: number, dout: number, inp: number, n: number): void;
  geluForward(out: number, gate: number, inp: number, n: number): void;
  geluGradient(dinp: number, dout: number, inp: number, gate: number, n: number): void;
  swigluForward(out: number, inp: number, T: number, H: number): void;
  swigluGradient(dinp: number, dout: number, inp: number, T: number, H: number): void;
  ropeForward(out: number, inp: number, positions: number, cos: number, sin: number,
              T: number, width: number, heads: number, hd: number): void;
  ropeGradient(dinp: number, dout: number, positions: number, cos: number, sin: number,
               T: number, width: number, heads: number, hd: number): void;
  kvExpandForward(out: number, inp: number, T: number, C: number, NH: number, KV: number): void;
  kvExpandGradient(dinp: number, dout: number, T: number, C: number, NH: number, KV: number): void;
  crossEntropyForward(losses: number, probs: number, logits: number, targets: number, T: number, V: number): void;
  crossEntropyGradient(dlogits: number, probs: number, targets: number, dloss: number, T: number, V: number): void;
  embeddingForward(out: number, tokens: number, positions: number, wte: number, wpe: number, T: number, C: number): void;
  embeddingBackward(dwte: number, dwpe: number, dout: number, tokens: number, positions: number, T: number, C: number): void;
  residualForward(out: number, inp1: number, inp2: number, n: number): void;
  dropoutForward(inp: number, mask: number, p: number, state: number, n: number): number;
  dropoutGradient(dinp: number, dout: number, mask: number, n: number): void;
  adamUpdate(params: number, grads: number, m: number, v: number, n: number,
             lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, decay: number): void;
  sumOfSquares(x: number, n: number): number;
  scale(x: number, k: number, n: number): void;
}

/** What this runtime can do; `notice` is a one-line explanation when it cannot run the kernels. */
export interface WasmSupport {
  simd: boolean;
  relaxed: boolean; // fused multiply-add (Node 20 needs --experimental-wasm-relaxed-simd)
  threads: boolean; // shared memory (browsers need cross-origin isolation)
  notice?: string;
}

export interface Kernels {
  exports: KernelExports;
  memory: WasmMemory;
  module: WasmModule; // for workers to instantiate over the same memory
  relaxed: boolean;
  shared: boolean;
}

export interface KernelOptions {
  shared?: boolean;  // a SharedArrayBuffer memory, for threads
  relaxed?: boolean; // false forces the plain SIMD build
  maxPages?: number; // the memory's ceiling in 64 KiB pages (default 65536: 4 GiB)
  timings?: KernelTimings; // time every call made through these exports (benchmarks)
}

/** Wall milliseconds and calls per kernel, by name, of the calls made through timed exports. */
export type KernelTimings = Map<string, { ms: number; calls: number }>;

/** The same exports, each call's time added to its kernel's entry in `into` (a worker's calls are not seen). */
function timedExports(exports: KernelExports, into: KernelTimings): KernelExports {
  const timed: Record<string, unknown> = {};
  for (const [name, kernel] of Object.entries(exports)) {
    if (typeof kernel !== 'function') continue;
    const entry = { ms: 0, calls: 0 };
    into.set(name, entry);
    timed[name] = (...args: number[]) => {
      const start = performance.now();
      const result = (kernel as (...a: number[]) => unknown)(...args);
      entry.ms += performance.now() - start;
      entry.calls++;
      return result;
    };
  }
  return timed as unknown as KernelExports;
}

/** Bytes below this belong to the module's own static data. */
export const ARENA_BASE = 65536;
const PAGE = 65536;

const bytesCache = new Map<string, Uint8Array>();
const moduleCache = new Map<string, WasmModule>();

function bytes(base64: string): Uint8Array {
  let b = bytesCache.get(base64);
  if (!b) {
    b = moduleBytes(base64);
    bytesCache.set(base64, b);
  }
  return b;
}

function sharedMemoryWorks(wasm: WasmApi): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    return new wasm.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

// A memory of one page that may grow to `maximum`; a shared one reserves its maximum up front,
// which a 32-bit browser may refuse, so it settles for less.
function newMemory(wasm: WasmApi, maximum: number, shared: boolean): WasmMemory {
  for (;;) {
    try {
      return new wasm.Memory({ initial: ARENA_BASE / PAGE, maximum, shared });
    } catch (e) {
      if (maximum <= 1024) throw e;
      maximum >>= 2;
    }
  }
}

let support: WasmSupport | undefined;

/** Feature detection by validating the kernels themselves: what validates here will run. */
export function wasmSupport(): WasmSupport {
  if (support) return support;
  const wasm = wasmApi;
  const simd = !!wasm && wasm.validate(bytes(SIMD));
  const relaxed = simd && wasm!.validate(bytes(RELAXED));
  const threads = simd && wasm!.validate(bytes(SIMD_SHARED)) && sharedMemoryWorks(wasm!);
  support = { simd, relaxed, threads };
  if (!simd) support.notice = wasm ? 'this runtime has no WebAssembly SIMD' : 'this runtime has no WebAssembly';
  return support;
}

/** Compiles (once) and instantiates the best build the runtime supports. Throws without SIMD. */
export function createKernels(options: KernelOptions = {}): Kernels {
  const s = wasmSupport();
  const wasm = wasmApi;
  if (!s.simd || !wasm) throw new Error(s.notice);
  const shared = options.shared ?? false;
  if (shared && !s.threads) throw new Error('shared WebAssembly memory is not available here');
  const relaxed = s.relaxed && options.relaxed !== false;
  const source = relaxed ? (shared ? RELAXED_SHARED : RELAXED) : (shared ? SIMD_SHARED : SIMD);
  let module = moduleCache.get(source);
  if (!module) {
    module = new wasm.Module(bytes(source));
    moduleCache.set(source, module);
  }
  const memory = newMemory(wasm, options.maxPages ?? 65536, shared);
  const instance = new wasm.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  return { exports: options.timings ? timedExports(exports, options.timings) : exports, memory, module, relaxed, shared };
}
