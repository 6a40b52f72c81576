// Argument reduction for sin and cos: x = n * pi/2 + r with |r| <= ~pi/4, r as a double-double
// (hi + lo), computed the way fdlibm's __ieee754_rem_pio2 does (V8's Math.sin and Math.cos are
// fdlibm): Cody-Waite for |x| < ~2^20 * pi/2, an exact product with 2/pi (Payne-Hanek) above.
// fdlibm: Copyright (C) 1993 by Sun Microsystems, Inc. Permission to use, copy, modify, and
// distribute this software is freely granted, provided that this notice is preserved.

import { highWord, pow2 } from './exact.js';

const INV_PIO2 = 0.6366197723675814; // 2/pi
// pi/2 split into pieces of 33 bits, so that n * PIO2_k is exact for n < 2^20; PIO2_kT is
// what remains of pi/2 after PIO2_1 + ... + PIO2_k
const PIO2_1 = 1.5707963267341256;
const PIO2_1T = 6.077100506506192e-11;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_2T = 2.0222662487959506e-21;
const PIO2_3 = 2.0222662487111665e-21;
const PIO2_3T = 8.4784276603689e-32;

// High words of n * pi/2 for n = 1..32: an x sharing one is close to a multiple of pi/2,
// where the first subtraction cancels many bits and fdlibm goes on to the second piece.
const NPIO2_HW = Array.from({ length: 32 }, (_, i) => highWord(((i + 1) * Math.PI) / 2));

/**
 * Reduce finite x: writes r = y[0] + y[1] (y[1] a correction below an ulp of y[0]) and returns
 * n, with x = n * pi/2 + r. Only n mod 4 matters to sin and cos, and above 2^20 * pi/2 only
 * n mod 8 is returned.
 */
export function remPio2(y: Float64Array, x: number): number {
  const ix = highWord(x) & 0x7fffffff, t = Math.abs(x);
  let n: number, hi: number, lo: number;
  if (ix <= 0x3fe921fb) { // |x| <= pi/4: nothing to do
    y[0] = x; y[1] = 0;
    return 0;
  }
  if (ix < 0x4002d97c) { // |x| < 3pi/4: n = 1
    n = 1;
    let z = t - PIO2_1;
    if (ix !== 0x3ff921fb) {
      hi = z - PIO2_1T;
      lo = z - hi - PIO2_1T;
    } else { // x is pi/2 to 33 bits: take the next 33
      z -= PIO2_2;
      hi = z - PIO2_2T;
      lo = z - hi - PIO2_2T;
    }
  } else if (ix <= 0x413921fb) { // |x| <= ~2^20 * pi/2: Cody-Waite
    n = Math.trunc(t * INV_PIO2 + 0.5);
    let r = t - n * PIO2_1, w = n * PIO2_1T; // n * PIO2_1 is exact
    hi = r - w;
    if (n >= 32 || ix === NPIO2_HW[n - 1]) {
      // r - w lost too many bits when its exponent fell far below x's: refine with the next
      // piece (and the one after), carrying the rounding error of each step in w
      const e = ix >>> 20;
      if (e - ((highWord(hi) >>> 20) & 0x7ff) > 16) {
        let u = r;
        w = n * PIO2_2;
        r = u - w;
        w = n * PIO2_2T - (u - r - w);
        hi = r - w;
        if (e - ((highWord(hi) >>> 20) & 0x7ff) > 49) {
          u = r;
          w = n * PIO2_3;
          r = u - w;
          w = n * PIO2_3T - (u - r - w);
          hi = r - w;
        }
      }
    }
    lo = r - hi - w;
  } else {
    n = reduceHuge(y, t);
    hi = y[0]; lo = y[1];
  }
  // reduction is odd in x, and rounding to nearest is symmetric, so |x|'s result negated is x's
  if (x < 0) { y[0] = -hi; y[1] = -lo; return -n | 0; }
  y[0] = hi; y[1] = lo;
  return n | 0;
}

// fdlibm's Payne-Hanek for |x| > 2^20 * pi/2, step for step: x in 24-bit chunks times 24-bit
// chunks of 2/pi, only those that reach n mod 8 and the fraction. An exact reduction (BigInt)
// splits r into hi + lo differently often enough to miss V8's last bit on 0.06% of inputs
// (0.3% just above 2^20), so the double sums below keep fdlibm's order.
const TWO_24 = 16777216, TWO_M24 = 1 / TWO_24;
const JK = 4; // 5 chunks of 2/pi to start with (fdlibm's "extended" precision, which e_rem_pio2 asks for)
let twoOverPi: Int32Array | null = null; // (80,) 24-bit chunks of 2/pi after the point
let pio2: Float64Array | null = null; // (5,) pi/2 cut into 24-bit chunks, pio2[k] < 2^(1 - 24k)

/** floor(pi * 2^bits), from Machin's pi = 16 atan(1/5) - 4 atan(1/239), with guard bits. */
function piFixed(bits: number): bigint {
  const guard = 32n, one = 1n << (BigInt(bits) + guard);
  const atanInv = (k: bigint): bigint => { // atan(1/k) * one = sum (-1)^j / ((2j+1) k^(2j+1))
    let power = one / k, sum = power, j = 1n;
    while (power !== 0n) {
      power /= k * k;
      sum += (j % 2n === 0n ? power : -power) / (2n * j + 1n);
      j++;
    }
    return sum;
  };
  return (16n * atanInv(5n) - 4n * atanInv(239n)) >> guard;
}

/** The chunk tables, computed on the first huge argument rather than pasted as data. */
function tables(): [Int32Array, Float64Array] {
  if (twoOverPi === null || pio2 === null) {
    const chunks = 80, bits = 24 * chunks, mask = (1n << 24n) - 1n;
    // 2^(2b+3) / floor(pi 2^(b+2)) is 2/pi * 2^b to within one unit in its last chunk,
    // which no double reaches (n mod 8 and 120 bits of fraction need at most ~50 chunks)
    const inv = (1n << BigInt(2 * bits + 3)) / piFixed(bits + 2);
    twoOverPi = new Int32Array(chunks);
    for (let i = 0; i < chunks; i++) twoOverPi[i] = Number((inv >> BigInt(bits - 24 * (i + 1))) & mask);
    const half = piFixed(24 * (JK + 1) - 1); // floor(pi/2 * 2^(24 (JK+1)))
    pio2 = new Float64Array(JK + 1);
    for (let k = 0; k <= JK; k++) {
      const chunk = half >> BigInt(24 * (JK - k)); // the first (k+1) chunks; the top one keeps 1 in front
      pio2[k] = Number(k === 0 ? chunk : chunk & mask) * pow2(-24 * (k + 1));
    }
  }
  return [twoOverPi, pio2];
}

const tx = new Float64Array(3); // (3,) t in 24-bit integer chunks
const f = new Float64Array(20); // (20,) the chunks of 2/pi in use, as doubles
const q = new Float64Array(20); // (20,) chunks of t * 2/pi, then of the fraction, scaled
const iq = new Int32Array(20); // (20,) the fraction as 24-bit integers, least significant first
const fq = new Float64Array(20); // (20,) chunks of fraction * pi/2, largest first

/**
 * fdlibm's __kernel_rem_pio2 for double results: t > 2^20 * pi/2, finite. Writes
 * t - n * pi/2 = y[0] + y[1] and returns n mod 8.
 */
function reduceHuge(y: Float64Array, t: number): number {
  const [ipio2, pio2k] = tables();
  // t = (tx[0] + tx[1] 2^-24 + tx[2] 2^-48) 2^e0 with 24-bit integer chunks
  const e0 = (highWord(t) >>> 20) - 1046;
  let z = t * pow2(-e0);
  for (let i = 0; i < 2; i++) {
    tx[i] = Math.trunc(z);
    z = (z - tx[i]) * TWO_24;
  }
  tx[2] = z;
  let nx = 3;
  while (tx[nx - 1] === 0) nx--;
  const jx = nx - 1;
  // skip the chunks of 2/pi whose products with t are multiples of 8: they cannot change n mod 8
  const jv = Math.max(0, Math.trunc((e0 - 3) / 24));
  let q0 = e0 - 24 * (jv + 1); // exponent of q[0]
  for (let i = 0, j = jv - jx; i <= jx + JK; i++, j++) f[i] = j < 0 ? 0 : ipio2[j];
  for (let i = 0; i <= JK; i++) q[i] = chunkProduct(i, jx); // q (jk+1,) chunks of t * 2/pi

  let jz = JK, n = 0, ih = 0;
  for (;;) {
    // carry q into 24-bit integers iq, least significant first; z keeps the top chunk
    z = q[jz];
    for (let i = 0, j = jz; j > 0; i++, j--) {
      const hi = Math.trunc(TWO_M24 * z);
      iq[i] = z - TWO_24 * hi;
      z = q[j - 1] + hi;
    }
    z *= pow2(q0);
    z -= 8 * Math.floor(z * 0.125);
    n = Math.trunc(z);
    z -= n;
    ih = 0; // > 0 when the fraction is >= 1/2: n rounds up and the fraction becomes 1 - itself
    if (q0 > 0) { // the integer part reaches into iq[jz-1]
      const i = iq[jz - 1] >> (24 - q0);
      n += i;
      iq[jz - 1] -= i << (24 - q0);
      ih = iq[jz - 1] >> (23 - q0);
    } else if (q0 === 0) {
      ih = iq[jz - 1] >> 23;
    } else if (z >= 0.5) {
      ih = 2;
    }
    if (ih > 0) {
      n += 1;
      let carry = 0;
      for (let i = 0; i < jz; i++) { // iq = 1 - iq, chunk by chunk
        const c = iq[i];
        if (carry === 0) {
          if (c !== 0) { carry = 1; iq[i] = 0x1000000 - c; }
        } else {
          iq[i] = 0xffffff - c;
        }
      }
      if (q0 === 1) iq[jz - 1] &= 0x7fffff;
      else if (q0 === 2) iq[jz - 1] &= 0x3fffff;
      if (ih === 2) {
        z = 1 - z;
        if (carry !== 0) z -= pow2(q0);
      }
    }
    if (z !== 0) break;
    let rest = 0;
    for (let i = jz - 1; i >= JK; i--) rest |= iq[i];
    if (rest !== 0) break;
    // every chunk so far cancelled (t is very close to a multiple of pi/2): take k more
    let k = 1;
    while (JK >= k && iq[JK - k] === 0) k++;
    for (let i = jz + 1; i <= jz + k; i++) {
      f[jx + i] = ipio2[jv + i];
      q[i] = chunkProduct(i, jx);
    }
    jz += k;
  }

  if (z === 0) { // drop the zero chunks at the top
    jz -= 1;
    q0 -= 24;
    while (iq[jz] === 0) { jz--; q0 -= 24; }
  } else { // z's integer bits become the top chunk(s)
    z *= pow2(-q0);
    if (z >= TWO_24) {
      const hi = Math.trunc(TWO_M24 * z);
      iq[jz] = z - TWO_24 * hi;
      jz += 1;
      q0 += 24;
      iq[jz] = hi;
    } else {
      iq[jz] = z;
    }
  }
  let s = pow2(q0);
  for (let i = jz; i >= 0; i--) {
    q[i] = s * iq[i];
    s *= TWO_M24;
  }
  // fraction * pi/2, chunk by chunk (fq[0] the largest), then summed into hi + lo
  for (let i = jz; i >= 0; i--) {
    s = 0;
    for (let k = 0; k <= JK && k <= jz - i; k++) s += pio2k[k] * q[i + k];
    fq[jz - i] = s;
  }
  s = 0;
  for (let i = jz; i >= 0; i--) s += fq[i];
  y[0] = ih === 0 ? s : -s;
  s = fq[0] - s;
  for (let i = 1; i <= jz; i++) s += fq[i];
  y[1] = ih === 0 ? s : -s;
  return n & 7;
}

/** The i-th 24-bit-aligned chunk of t * 2/pi: sum over t's chunks of tx[j] * f[jx + i - j]. */
function chunkProduct(i: number, jx: number): number {
  let s = 0;
  for (let j = 0; j <= jx; j++) s += tx[j] * f[jx + i - j];
  return s;
}
