// A Mersenne Twister that yields CPython's `random` stream bit for bit, so a seed means
// the same weights, document order and samples here as in the Python reference.

import { UserError, shown } from '../errors.js';
import * as libm from '../libm/index.js';

const N = 624;
const M = 397;
const TWO_PI = 2 * Math.PI;

/** Everything needed to continue a stream exactly where it was (saved in checkpoints). */
export interface RandomState {
  mt: number[]; // (624,) uint32 words
  index: number;
  gaussNext: number | null;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Why `state` is not one the generator can take (as a checkpoint's messages put it), or undefined when it is. */
export function randomStateProblem(state: unknown): string | undefined {
  if (!isObject(state) || !Array.isArray(state.mt) || state.mt.length !== N || !state.mt.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    return 'must hold the generator\'s 624 32-bit words';
  }
  if (!Number.isInteger(state.index) || (state.index as number) < 0 || (state.index as number) > N) return `index must be from 0 to ${N}`;
  if (state.gaussNext !== null && !Number.isFinite(state.gaussNext)) return 'gaussNext must be a number or null';
  return undefined;
}

/**
 * Box-Muller's transform as gauss() applies it: for each pair of uniforms u[2p], u[2p+1] in
 * [0, 1), z[2p] = cos(a) r and z[2p+1] = sin(a) r with a = 2 pi u[2p], r = sqrt(-2 log(1 - u[2p+1])).
 */
type BoxMuller = (z: Float64Array, uniforms: Float64Array, pairs: number) => void;

/**
 * gauss()'s pairs on a state: for each, two uniforms drawn by random() from the word mt[index]
 * on, then Box-Muller's transform into z[2p], z[2p+1]; returns the index after the last word
 * drawn. PyRandom.gaussFill's own are its random() calls and boxMuller; tensor/wasm-kernels.ts
 * has a WebAssembly twin (the same words and bits).
 */
export type GaussPairs = (mt: Uint32Array, index: number, z: Float64Array, pairs: number) => number;

const boxMuller: BoxMuller = (z, u, pairs) => {
  for (let p = 0; p < 2 * pairs; p += 2) {
    const x2pi = u[p] * TWO_PI;
    const g2rad = Math.sqrt(-2 * libm.log(1 - u[p + 1]));
    // libm's cos and sin (fdlibm's) differ from glibc's in the last bit for ~3% of angles
    z[p] = libm.cos(x2pi) * g2rad;
    z[p + 1] = libm.sin(x2pi) * g2rad;
  }
};

/**
 * random.shuffle's draws on a state: js[i] = randbelow(i + 1) for i = n-1 down to 1, from the
 * word mt[index] on; returns the index after the last word drawn. PyRandom.shuffle's own are
 * its randbelow calls; tensor/wasm-kernels.ts has a WebAssembly twin (the same words and draws).
 */
export type ShuffleDraws = (mt: Uint32Array, index: number, js: Int32Array, n: number) => number;

/** A seedable generator with the draws the reference uses: random, gauss, shuffle, choices. */
export class PyRandom {
  private mt = new Uint32Array(N);
  private index = N;
  private gaussNext: number | null = null;
  private pair = new Float64Array(2); // (2,) one pair's uniforms, then its two values

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Like `random.seed(n)` for an integer n: the key is |n| cut into 32-bit words. */
  seed(seed: number): void {
    if (!Number.isSafeInteger(seed)) throw new UserError(`seed must be an integer, got ${shown(seed)}`);
    let n = Math.abs(seed);
    const key: number[] = [];
    do {
      key.push(n % 0x100000000);
      n = Math.floor(n / 0x100000000);
    } while (n > 0);
    this.initByArray(key);
    this.gaussNext = null;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1, j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++; j++;
      if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
    }
    mt[0] = 0x80000000;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      // words k, k+1 and k+M, wrapping at N (without a remainder: this loop is hot at start-up)
      const k1 = k + 1 < N ? k + 1 : 0, kM = k + M < N ? k + M : k + M - N;
      const y = (mt[k] & 0x80000000) | (mt[k1] & 0x7fffffff);
      mt[k] = mt[kM] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** The next raw 32-bit word (genrand_uint32). */
  uint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A float in [0, 1) with 53 random bits, as `random.random()`. */
  random(): number {
    const a = this.uint32() >>> 5, b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `random.getrandbits(k)` for 0 < k <= 32. */
  getrandbits(k: number): number {
    if (k <= 0 || k > 32) throw new Error(`getrandbits supports 1..32 bits, got ${k}`);
    return this.uint32() >>> (32 - k);
  }

  /** An integer in [0, n), by rejection on bit_length(n) bits as CPython's `_randbelow`. */
  randbelow(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n < 0x100000000)) throw new Error(`randbelow supports 1..2^32-1, got ${n}`);
    const shift = Math.clz32(n); // getrandbits(bit_length(n)), inlined: shuffle calls this once per item
    let r = this.uint32() >>> shift;
    while (r >= n) r = this.uint32() >>> shift;
    return r;
  }

  /** `random.gauss(mu, sigma)`: Box-Muller that keeps the second value for the next call. */
  gauss(mu = 0, sigma = 1): number {
    let z = this.gaussNext;
    this.gaussNext = null;
    if (z === null) {
      const pair = this.pair;
      pair[0] = this.random();
      pair[1] = this.random();
      boxMuller(pair, pair, 1); // each uniform is read before its slot is written
      z = pair[0];
      this.gaussNext = pair[1];
    }
    return mu + z * sigma;
  }

  /**
   * out[i] = gauss(mu, sigma) for i = 0, 1, ... in turn, the same draws and the same values,
   * the pairs drawn and transformed by `pairs` if given.
   */
  gaussFill(out: Float64Array, mu: number, sigma: number, pairs?: GaussPairs): void {
    const first = this.gaussNext !== null && out.length > 0 ? 1 : 0; // the value a last gauss() left
    if (first) out[0] = this.gauss(mu, sigma);
    const count = Math.ceil((out.length - first) / 2), z = new Float64Array(2 * count); // (2 count,)
    if (pairs) this.index = pairs(this.mt, this.index, z, count);
    else {
      const u = new Float64Array(2 * count); // (2 count,) each pair's two uniforms
      for (let k = 0; k < u.length; k++) u[k] = this.random();
      boxMuller(z, u, count);
    }
    for (let i = first; i < out.length; i++) out[i] = mu + z[i - first] * sigma;
    if ((out.length - first) % 2 === 1) this.gaussNext = z[z.length - 1]; // an odd count leaves a pair's second value
  }

  /** `random.shuffle(items)` in place: Fisher-Yates from the end, its draws from `draws` if given. */
  shuffle<T>(items: T[], draws?: ShuffleDraws): void {
    const js = new Int32Array(items.length); // (n,) the item each position swaps with
    if (draws) this.index = draws(this.mt, this.index, js, items.length);
    else for (let i = items.length - 1; i > 0; i--) js[i] = this.randbelow(i + 1);
    for (let i = items.length - 1; i > 0; i--) {
      const j = js[i];
      const t = items[i]; items[i] = items[j]; items[j] = t;
    }
  }

  /** `random.choices(range(len(weights)), weights)[0]`: one index drawn by weight. */
  choice(weights: ArrayLike<number>): number {
    const n = weights.length;
    // the running sum and bisect_right mirror CPython, so ties break the same way
    const cum = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) { acc += weights[i]; cum[i] = acc; }
    const total = cum[n - 1];
    if (!(total > 0) || !Number.isFinite(total)) throw new Error('choice needs finite weights with a positive sum');
    const x = this.random() * total;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x < cum[mid]) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  getState(): RandomState {
    return { mt: Array.from(this.mt), index: this.index, gaussNext: this.gaussNext };
  }

  setState(state: RandomState): void {
    const problem = randomStateProblem(state);
    if (problem) throw new UserError(`the random state ${problem}`);
    this.mt.set(state.mt);
    this.index = state.index;
    this.gaussNext = state.gaussNext;
  }
}
