// exp(x) as glibc 2.36's x86-64 FMA build computes it (sysdeps/ieee754/dbl-64/e_exp.c, from
// ARM's optimized-routines): x = k*ln2/128 + r, exp(x) = 2^(k/128) * exp(r) with a degree-5
// polynomial. Every fma below is one that GCC emitted in libm.so.6.

import { fma, pow2, roundsTo } from './exact.js';
import { EXP_SCALE, EXP_TAIL } from './tables.js';

export const INV_LN2_N = 184.6649652337873; // 128/ln2
export const NEG_LN2_HI_N = -0.005415212348111709; // -ln2/128, 36 bits
export const NEG_LN2_LO_N = -1.2864023111638346e-14;
export const SHIFT = 6755399441055744.0; // 0x1.8p52
export const C2 = 0.49999999999996786;
export const C3 = 0.16666666666665886;
export const C4 = 0.0416666808410674;
export const C5 = 0.008333335853059549;
const TWO_M54 = pow2(-54);
const TWO_1009 = pow2(1009);
const TWO_M1022 = pow2(-1022);
const TWO_M58 = pow2(-58);

/**
 * glibc's exp(x), bit for bit. Fast path: glibc's steps without fusing, which moves
 * scale * (1 + tmp) by under 2^-59 * scale; if the rounding is not decided within 2^-58 * scale
 * (~5% of inputs), or the reduction hit a tie, redo it exactly.
 */
export function exp(x: number): number {
  const ax = Math.abs(x);
  if (!(ax >= TWO_M54 && ax < 512)) return expExact(x);
  const z = x * INV_LN2_N;
  const kd = z + SHIFT - SHIFT;
  const r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
  const i = kd & 127;
  const r2 = r * r;
  const tmp = EXP_TAIL[i] + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
  const scale = EXP_SCALE[i] * pow2(kd >> 7);
  const q = scale * tmp;
  const y = scale + q;
  if (roundsTo(y, scale - y + q, scale * TWO_M58) && Math.abs(z - kd) !== 0.5) return y;
  return expExact(x);
}

/** glibc's exp(x), bit for bit, emulating each fused multiply-add exactly. */
export function expExact(x: number): number {
  const ax = Math.abs(x);
  if (!(ax >= TWO_M54 && ax < 512)) {
    if (ax < TWO_M54) return 1 + x;
    if (!(ax < 1024)) {
      if (x === -Infinity) return 0;
      if (x !== x || x === Infinity) return x + 1;
      return x < 0 ? 0 : Infinity;
    }
    return expNearLimits(x);
  }
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const r = fma(kd, NEG_LN2_LO_N, x + kd * NEG_LN2_HI_N); // |k| < 2^17: kd*NEG_LN2_HI_N is exact
  const i = kd & 127;
  const tmp = expTail(r, i);
  const scale = EXP_SCALE[i] * pow2(kd >> 7);
  return fma(scale, tmp, scale);
}

/** tmp with 2^(i/128) * exp(r) ~= scale * (1 + tmp), glibc's exact evaluation order. */
export function expTail(r: number, i: number): number {
  const r2 = r * r;
  const t = fma(fma(r, C3, C2), r2, EXP_TAIL[i] + r);
  return fma(r2 * r2, fma(r, C5, C4), t);
}

/** 512 <= |x| < 1024: the result may overflow or be subnormal (glibc's specialcase). */
function expNearLimits(x: number): number {
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
  const i = kd & 127;
  return scaleSpecial(expTail(r, i), kd, i, 1);
}

/**
 * sign * 2^(k/128) * (1 + tmp) when that may overflow or underflow: computed at a safe scale,
 * rounded to the final precision first in the subnormal range (glibc's specialcase).
 */
export function scaleSpecial(tmp: number, kd: number, i: number, sign: number): number {
  if (kd >= 0) {
    const scale = sign * EXP_SCALE[i] * pow2((kd >> 7) - 1009);
    return TWO_1009 * fma(scale, tmp, scale);
  }
  const scale = sign * EXP_SCALE[i] * pow2((kd >> 7) + 1022);
  const st = scale * tmp;
  let y = scale + st;
  if (Math.abs(y) < 1) {
    const one = y < 0 ? -1 : 1;
    const lo = scale - y + st;
    const hi = one + y;
    y = one - hi + y + lo + hi - one;
    if (y === 0) y = sign < 0 ? -0 : 0;
  }
  return TWO_M1022 * y;
}
