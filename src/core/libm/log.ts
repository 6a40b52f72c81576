// log(x) as glibc 2.36's x86-64 FMA build computes it (sysdeps/ieee754/dbl-64/e_log.c, from
// ARM's optimized-routines): x = 2^k z, log(x) = k*ln2 + log(c) + log1p(z/c - 1) with c from a
// 128-entry table, and a separate degree-11 polynomial near 1. Every fma is one GCC emitted.

import { fma, highWord, pow2, productError, roundsTo } from './exact.js';
import { LOG_INVC, LOG_LOGC } from './tables.js';

const LN2_HI = 0.6931471805598903; // 42 bits
const LN2_LO = 5.497923018708371e-14;
const A0 = -0.5000000000000001;
const A1 = 0.33333333331825593;
const A2 = -0.2499999999622955;
const A3 = 0.20000304511814496;
const A4 = -0.16667054827627667;
const B0 = -0.5;
const B1 = 0.3333333333333352;
const B2 = -0.24999999999998432;
const B3 = 0.19999999999320328;
const B4 = -0.16666666669929706;
const B5 = 0.14285715076560868;
const B6 = -0.12499997863982555;
const B7 = 0.11110712032936046;
const B8 = -0.10000486757818193;
const B9 = 0.09181994006195467;
const B10 = -0.08328363062289341;
const TWO_27 = pow2(27);
const TWO_52 = pow2(52);
const TWO_M49 = pow2(-49);
const TWO_M48 = pow2(-48);

/**
 * glibc's log(x), bit for bit; log(0) = -Infinity, log(x < 0) = NaN. Fast path: glibc's steps
 * without fusing, except r = z*invc - 1, which is made exact; the unfused tail moves the sum by
 * under 2^-50 * (r^2 + |lo|), so the result stands if rounding is decided within 2^-49 of that.
 */
export function log(x: number): number {
  if (x >= 0.9375 && x < 1.064697265625) return logNearOneFast(x);
  const hi = highWord(x);
  if (hi - 0x00100000 >>> 0 >= 0x7ff00000 - 0x00100000) return logExact(x);
  const tmp = hi - 0x3fe60000 | 0;
  const i = tmp >>> 13 & 127;
  const k = tmp >> 20;
  const z = x * pow2(-k);
  const invc = LOG_INVC[i];
  const p = z * invc;
  const r = p - 1 + productError(z, invc, p); // p - 1 is exact
  const w = k * LN2_HI + LOG_LOGC[i];
  const h = w + r;
  const lo = w - h + r + k * LN2_LO;
  const r2 = r * r;
  const tail = lo + r2 * A0 + r * r2 * (A1 + r * A2 + r2 * (A3 + r * A4));
  const y = h + tail;
  if (roundsTo(y, h - y + tail, (r2 + Math.abs(lo)) * TWO_M49)) return y;
  return logExact(x);
}

/** Near 1 the unfused polynomial moves the result by under 2^-50 * (|r|^3 + |lo|). */
function logNearOneFast(x: number): number {
  if (x === 1) return 0;
  const r = x - 1;
  const r2 = r * r;
  const r3 = r * r2;
  const p = B1 + r * B2 + r2 * B3
    + r3 * (B4 + r * B5 + r2 * B6 + r3 * (B7 + r * B8 + r2 * B9 + r3 * B10));
  const w = r * TWO_27;
  const rhi = r + w - w;
  const rlo = r - rhi;
  const w2 = rhi * rhi * B0;
  const hi = r + w2;
  const lo = r - hi + w2 + B0 * rlo * (r + rhi);
  const tail = p * r3 + lo;
  const y = hi + tail;
  if (roundsTo(y, hi - y + tail, (Math.abs(r3) + Math.abs(lo)) * TWO_M48)) return y;
  return logNearOne(x);
}

/** glibc's log(x), bit for bit, emulating each fused multiply-add exactly. */
export function logExact(x: number): number {
  if (x >= 0.9375 && x < 1.064697265625) return logNearOne(x);
  let hi = highWord(x);
  let xn = x, e = 0;
  if (hi - 0x00100000 >>> 0 >= 0x7ff00000 - 0x00100000) {
    if (x === 0) return -Infinity;
    if (x === Infinity) return x;
    if (!(x > 0)) return NaN;
    xn = x * TWO_52; // subnormal: normalize, and take 52 off the exponent
    e = 52;
    hi = highWord(xn) - 0x03400000;
  }
  // x = 2^k z with z in [0x1.6p-1, 0x1.6p0); c is near the centre of z's subinterval i.
  const tmp = hi - 0x3fe60000 | 0;
  const i = tmp >>> 13 & 127;
  const k = tmp >> 20;
  const z = xn * pow2(-k - e);
  const r = fma(z, LOG_INVC[i], -1);
  const w = k * LN2_HI + LOG_LOGC[i]; // k*LN2_HI is exact
  const h = w + r;
  const lo = fma(k, LN2_LO, w - h + r);
  const r2 = r * r;
  const r3 = r * r2;
  const q = fma(fma(r, A4, A3), r2, fma(r, A2, A1));
  return fma(r3, q, fma(r2, A0, lo)) + h;
}

/** 1 - 2^-4 <= x < 1 + 0x1.09p-4: a polynomial in r = x - 1, its leading terms in double-double. */
function logNearOne(x: number): number {
  if (x === 1) return 0;
  const r = x - 1;
  const r2 = r * r;
  const r3 = r * r2;
  let p = fma(r3, B10, fma(r2, B9, fma(r, B8, B7)));
  p = fma(p, r3, fma(r2, B6, fma(r, B5, B4)));
  p = fma(p, r3, fma(r2, B3, fma(r, B2, B1)));
  const w = r * TWO_27;
  const rhi = r + w - w;
  const rlo = r - rhi;
  const w2 = rhi * rhi * B0; // exact
  const hi = r + w2;
  const lo = fma(B0 * rlo, r + rhi, r - hi + w2);
  return fma(p, r3, lo) + hi;
}
