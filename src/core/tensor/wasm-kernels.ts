// The WebAssembly twins of the tensor engine's kernels (wasm/float64/): the matrix products
// and Adam, two independent sums per f64x2 instruction, each in the TS kernel's order, and
// every other float loop of a reference step, statement for statement, libm ported with them
// (so a cold one-shot run boxes no float in JavaScript). Over a memory sized once for the
// engine, which never grows, because growing would detach every view of it; a buffer that
// does not fit goes on the JS heap, and a call that touches one runs the TS kernel instead:
// the same numbers, only slower.

import type { GaussPairs, ShuffleDraws } from '../contract/random.js';
import { type TokenProbabilities, tokenProbabilities } from '../contract/sampling.js';
import { type TensorKernels, TS_KERNELS } from './kernels.js';
import { FLOAT64 } from './wasm-kernels.generated.js';
import { type WasmModule, moduleBytes, wasmApi } from '../wasm/webassembly.js';

interface Float64Exports {
  matmulForward(out: number, inp: number, weight: number, N: number, C: number, OC: number): void;
  matmulBackward(dinp: number, dweight: number, dout: number, inp: number, weight: number, N: number, C: number, OC: number): void;
  adamUpdate(params: number, grads: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number,
             eps: number, weightDecay: number, step: number): void;
  crossentropyForward(probs: number, losses: number, logits: number, targets: number, N: number, V: number): void;
  attentionForward(out: number, att: number, qkv: number, row0: number, t0: number, T: number, C: number, NH: number, A: number, KV: number): void;
  attentionBackward(dqkv: number, datt: number, dout: number, qkv: number, att: number, row0: number, T: number, C: number,
                    NH: number, A: number, KV: number): void;
  rmsnormForward(out: number, rstd: number, inp: number, N: number, C: number): void;
  rmsnormBackward(dinp: number, dout: number, inp: number, rstd: number, N: number, C: number): void;
  crossentropyBackward(dlogits: number, probs: number, targets: number, dloss: number, N: number, V: number): void;
  embeddingForward(out: number, tokens: number, positions: number, wte: number, wpe: number, N: number, C: number): void;
  embeddingBackward(dwte: number, dwpe: number, dout: number, tokens: number, positions: number, N: number, C: number): void;
  reluForward(out: number, inp: number, n: number): void;
  reluBackward(dinp: number, dout: number, inp: number, n: number): void;
  residualForward(out: number, inp1: number, inp2: number, n: number): void;
  residualBackward(dinp1: number, dinp2: number, dout: number, n: number): void;
}

/** wasm/float64/libm.ts (and box-muller.ts's sin and cos), exported for the tests. */
interface LibmExports {
  exp(x: number): number;
  expExact(x: number): number;
  log(x: number): number;
  logExact(x: number): number;
  pow(x: number, y: number): number;
  powExact(x: number, y: number): number;
  boxMullerSin(x: number): number; // fdlibm's, for |x| <= 2^20 pi/2
  boxMullerCos(x: number): number;
}

const PAGE = 65536, BASE = PAGE; // below BASE: the module's static data (libm's tables)
let module: WasmModule | null | undefined;

/** The compiled module, once; null where WebAssembly SIMD is missing. */
function compiled(): WasmModule | null {
  if (module === undefined) {
    const bytes = moduleBytes(FLOAT64);
    module = wasmApi?.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return module;
}

/** libm's functions as the module computes them (which tests hold to src/core/libm's), or undefined without SIMD. */
export function wasmLibm(): LibmExports | undefined {
  const mod = compiled();
  if (!mod || !wasmApi) return undefined;
  const memory = new wasmApi.Memory({ initial: 1, maximum: 1 }); // the tables, nothing else
  return new wasmApi.Instance(mod, { env: { memory } }).exports as unknown as LibmExports;
}

/** An instance over a memory of its own with room for `bytes` from BASE, for a one-off call. */
function scratch<T>(bytes: number): { k: T; buffer: ArrayBuffer } | undefined {
  const mod = compiled();
  if (!mod || !wasmApi) return undefined;
  const pages = Math.ceil((BASE + bytes) / PAGE), memory = new wasmApi.Memory({ initial: pages, maximum: pages });
  return { k: new wasmApi.Instance(mod, { env: { memory } }).exports as unknown as T, buffer: memory.buffer as ArrayBuffer };
}

/**
 * Runs `draw` on PyRandom's state (624 words) copied into a scratch memory with `bytes` more
 * after it (from `at`), then copies the state back; returns the index after the words drawn.
 */
function drawOnState<E>(mt: Uint32Array, bytes: number, draw: (k: E, at: number, buffer: ArrayBuffer) => number): number {
  const s = scratch<E>(4 * mt.length + bytes)!, words = new Uint32Array(s.buffer, BASE, mt.length);
  words.set(mt);
  const next = draw(s.k, BASE + 4 * mt.length, s.buffer);
  mt.set(words);
  return next;
}

/** gauss()'s pairs as wasm/float64/box-muller.ts makes them (PyRandom.gaussFill's), or undefined without SIMD. */
export function wasmGaussPairs(): GaussPairs | undefined {
  if (!compiled()) return undefined;
  type Exports = { gaussPairs(mt: number, index: number, z: number, pairs: number): number };
  return (mt, index, z, pairs) => drawOnState<Exports>(mt, 16 * pairs, (k, at, buffer) => {
    const next = k.gaussPairs(BASE, index, at, pairs);
    z.set(new Float64Array(buffer, at, 2 * pairs));
    return next;
  });
}

/** random.shuffle's draws as wasm/float64/shuffle.ts makes them (PyRandom.shuffle's), or undefined without SIMD. */
export function wasmShuffleDraws(): ShuffleDraws | undefined {
  if (!compiled()) return undefined;
  type Exports = { shuffleDraws(mt: number, index: number, js: number, n: number): number };
  return (mt, index, js, n) => drawOnState<Exports>(mt, 4 * n, (k, at, buffer) => {
    const next = k.shuffleDraws(BASE, index, at, n);
    js.set(new Int32Array(buffer, at, n));
    return next;
  });
}

/** tokenProbabilities as wasm/float64/sampling.ts computes it (top-k by the TS one), or undefined without SIMD. */
export function wasmTokenProbabilities(): TokenProbabilities | undefined {
  if (!compiled()) return undefined;
  type Exports = { tokenProbabilities(probs: number, logits: number, n: number, temperature: number): number };
  let s: { k: Exports; buffer: ArrayBuffer } | undefined, room = 0; // one instance, made again for a larger vocabulary
  return (logits, temperature, topK) => {
    const n = logits.length;
    if (topK !== undefined) return tokenProbabilities(logits, temperature, topK);
    if (!s || n > room) { s = scratch<Exports>(16 * n)!; room = n; }
    const both = new Float64Array(s.buffer, BASE, 2 * n); // (n,) logits, then (n,) probabilities
    both.set(logits);
    const done = s.k.tokenProbabilities(BASE + 8 * n, BASE, n, temperature);
    if (done < 0) return tokenProbabilities(logits, temperature, topK); // a NaN logit: the TS one says so
    return done === 0 ? undefined : both.slice(n);
  };
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
  const mine = (a: Float64Array | Int32Array) => a.buffer === buffer;
  /** The next `bytes` (a multiple of 16, so each buffer starts on a 16-byte line), or -1 if they do not fit. */
  const take = (bytes: number): number => {
    if (end + bytes > size) return -1;
    end += bytes;
    return end - bytes;
  };
  return {
    name: 'wasm',
    alloc(length) {
      const at = take(Math.ceil(length / 2) * 16);
      return at < 0 ? new Float64Array(length) : new Float64Array(buffer, at, length);
    },
    allocInts(length) {
      const at = take(Math.ceil(length / 4) * 16);
      return at < 0 ? new Int32Array(length) : new Int32Array(buffer, at, length);
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
      k.adamUpdate(params.byteOffset, grads.byteOffset, m.byteOffset, v.byteOffset, n, lr, cfg.beta1, cfg.beta2, cfg.epsAdam,
        cfg.weightDecay ?? 0, step);
    },
    crossentropyForward(probs, losses, logits, targets, N, V) {
      if (mine(probs) && mine(losses) && mine(logits) && mine(targets)) {
        k.crossentropyForward(probs.byteOffset, losses.byteOffset, logits.byteOffset, targets.byteOffset, N, V);
      } else TS_KERNELS.crossentropyForward(probs, losses, logits, targets, N, V);
    },
    attentionForward(out, att, qkv, row0, t0, T, C, NH, A, KV = NH) {
      if (mine(out) && mine(att) && mine(qkv)) k.attentionForward(out.byteOffset, att.byteOffset, qkv.byteOffset, row0, t0, T, C, NH, A, KV);
      else TS_KERNELS.attentionForward(out, att, qkv, row0, t0, T, C, NH, A, KV);
    },
    attentionBackward(dqkv, datt, dout, qkv, att, row0, T, C, NH, A, KV = NH) {
      if (mine(dqkv) && mine(datt) && mine(dout) && mine(qkv) && mine(att)) {
        k.attentionBackward(dqkv.byteOffset, datt.byteOffset, dout.byteOffset, qkv.byteOffset, att.byteOffset, row0, T, C, NH, A, KV);
      } else TS_KERNELS.attentionBackward(dqkv, datt, dout, qkv, att, row0, T, C, NH, A, KV);
    },
    rmsnormForward(out, rstd, inp, N, C) {
      if (mine(out) && mine(rstd) && mine(inp)) k.rmsnormForward(out.byteOffset, rstd.byteOffset, inp.byteOffset, N, C);
      else TS_KERNELS.rmsnormForward(out, rstd, inp, N, C);
    },
    rmsnormBackward(dinp, dout, inp, rstd, N, C) {
      if (mine(dinp) && mine(dout) && mine(inp) && mine(rstd)) k.rmsnormBackward(dinp.byteOffset, dout.byteOffset, inp.byteOffset, rstd.byteOffset, N, C);
      else TS_KERNELS.rmsnormBackward(dinp, dout, inp, rstd, N, C);
    },
    crossentropyBackward(dlogits, probs, targets, dloss, N, V) {
      if (mine(dlogits) && mine(probs) && mine(targets)) k.crossentropyBackward(dlogits.byteOffset, probs.byteOffset, targets.byteOffset, dloss, N, V);
      else TS_KERNELS.crossentropyBackward(dlogits, probs, targets, dloss, N, V);
    },
    embeddingForward(out, tokens, positions, wte, wpe, N, C) {
      if (mine(out) && mine(tokens) && mine(positions) && mine(wte) && (wpe === undefined || mine(wpe))) {
        k.embeddingForward(out.byteOffset, tokens.byteOffset, positions.byteOffset, wte.byteOffset, wpe?.byteOffset ?? 0, N, C);
      } else TS_KERNELS.embeddingForward(out, tokens, positions, wte, wpe, N, C);
    },
    embeddingBackward(dwte, dwpe, dout, tokens, positions, N, C) {
      if (mine(dwte) && mine(dout) && mine(tokens) && mine(positions) && (dwpe === undefined || mine(dwpe))) {
        k.embeddingBackward(dwte.byteOffset, dwpe?.byteOffset ?? 0, dout.byteOffset, tokens.byteOffset, positions.byteOffset, N, C);
      } else TS_KERNELS.embeddingBackward(dwte, dwpe, dout, tokens, positions, N, C);
    },
    reluForward(out, inp, n) {
      if (mine(out) && mine(inp)) k.reluForward(out.byteOffset, inp.byteOffset, n);
      else TS_KERNELS.reluForward(out, inp, n);
    },
    reluBackward(dinp, dout, inp, n) {
      if (mine(dinp) && mine(dout) && mine(inp)) k.reluBackward(dinp.byteOffset, dout.byteOffset, inp.byteOffset, n);
      else TS_KERNELS.reluBackward(dinp, dout, inp, n);
    },
    residualForward(out, inp1, inp2, n) {
      if (mine(out) && mine(inp1) && mine(inp2)) k.residualForward(out.byteOffset, inp1.byteOffset, inp2.byteOffset, n);
      else TS_KERNELS.residualForward(out, inp1, inp2, n);
    },
    residualBackward(dinp1, dinp2, dout, n) {
      if (mine(dinp1) && mine(dinp2) && mine(dout)) k.residualBackward(dinp1.byteOffset, dinp2.byteOffset, dout.byteOffset, n);
      else TS_KERNELS.residualBackward(dinp1, dinp2, dout, n);
    },
  };
}
