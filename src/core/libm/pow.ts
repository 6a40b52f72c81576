// pow(x, y) as glibc 2.36's x86-64 FMA build computes it (sysdeps/ieee754/dbl-64/e_pow.c, from
// ARM's optimized-routines): exp(y * log(x)) with log(x) to ~68 bits as hi + lo and an exp that
// takes the low part as a correction. Every fma is one GCC emitted.

import {
  C2, C3, C4, C5, INV_LN2_N, NEG_LN2_HI_N, NEG_LN2_LO_N, SHIFT, expTail, scaleSpecial,
} from './exp.js';
import { fma, highWord, pow2, productError, roundsTo } from './exact.js';
import { EXP_SCALE, EXP_TAIL, POW_INVC, POW_LOGC, POW_LOGCTAIL } from './tables.js';

const LN2_HI = 0.6931471805598903; // 42 bits
const LN2_LO = 5.497923018708371e-14;
const A0 = -0.5;
const A1 = -0.6666666666666679;
const A2 = 0.5000000000000007;
const A3 = 0.7999999995323976;
const A4 = -0.6666666663487739;
const A5 = -1.142909628459501;
const A6 = 1.0000415263675542;
const TWO_M1022 = pow2(-1022);
const TWO_M65 = pow2(-65);
const TWO_M54 = pow2(-54);
const TWO_52 = pow2(52);
const TWO_53 = pow2(53);
const TWO_63 = pow2(63);
const TWO_M49 = pow2(-49);
const TWO_M52 = pow2(-52);
const TWO_M58 = pow2(-58);

/** 0 if y is not an integer, 1 if it is odd, 2 if it is even (glibc's checkint). */
function checkint(y: number): number {
  if (!Number.isInteger(y)) return 0;
  return Math.abs(y) < TWO_53 && y % 2 !== 0 ? 1 : 2;
}

/**
 * glibc's pow(x, y), bit for bit, including C99's special values and signs. No shortcuts for
 * y = 2, 0.5 or -1: glibc has none, and CPython's x ** 2 differs from x*x (x ** 0.5 from
 * sqrt(x), x ** -1 from 1/x) for ~0.08% of x. Fast path for normal x > 0: glibc's steps without
 * fusing (r = z*invc - 1 and the product errors made exact), with bounds on what the missing
 * fusions can change; the split of log(x) into hi + lo and then the rounding of the result must
 * both be decided within them, else the exact path decides.
 */
export function pow(x: number, y: number): number {
  // 1 for every y, NaN too (C99); the general path would reach it only through the exact one
  // (log(1) = 0 makes y*log(x) too small), and softmax over one logit asks for 1**-1 often
  if (x === 1) return 1;
  const ay = Math.abs(y);
  if (!(x >= TWO_M1022 && x < Infinity) || !(ay >= TWO_M65 && ay < TWO_63)) return powExact(x, y);
  const tmp = highWord(x) - 0x3fe69555 | 0;
  const i = tmp >>> 13 & 127;
  const k = tmp >> 20;
  const z = x * pow2(-k);
  const invc = POW_INVC[i];
  const pz = z * invc;
  const r = pz - 1 + productError(z, invc, pz); // exact: z*invc - 1 is representable
  const t1 = k * LN2_HI + POW_LOGC[i];
  const t2 = t1 + r;
  const lo1 = k * LN2_LO + POW_LOGCTAIL[i];
  const ar = A0 * r;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const hi = t2 + ar2;
  const q = A1 + r * A2 + ar2 * (A3 + r * A4 + ar2 * (A5 + r * A6));
  const lo = lo1 + (t1 - t2 + r) + productError(ar, r, ar2) + (t2 - hi + ar2) + ar3 * q;
  const lhi = hi + lo;
  const llo = hi - lhi + lo;
  const dl = (Math.abs(ar3) + Math.abs(lo) + Math.abs(lo1) + Math.abs(llo)) * TWO_M49;
  if (!roundsTo(lhi, llo, dl)) return powExact(x, y);
  const ehi = y * lhi;
  const ylo = y * llo;
  const elo = ylo + productError(y, lhi, ehi);
  const ae = Math.abs(ehi);
  if (!(ae >= TWO_M54 && ae < 512)) return powExact(x, y);
  const ze = ehi * INV_LN2_N;
  const kd = ze + SHIFT - SHIFT;
  const re = elo + (ehi + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N);
  const j = kd & 127;
  const re2 = re * re;
  const tail = EXP_TAIL[j] + re + re2 * (C2 + re * C3) + re2 * re2 * (C4 + re * C5);
  const scale = EXP_SCALE[j] * pow2(kd >> 7);
  const qe = scale * tail;
  const res = scale + qe;
  const dr = ay * dl + (Math.abs(elo) + Math.abs(ylo)) * TWO_M52;
  if (!roundsTo(res, scale - res + qe, scale * (TWO_M58 + 2 * dr))) return powExact(x, y);
  return Math.abs(ze - kd) === 0.5 ? powExact(x, y) : res;
}

/** glibc's pow(x, y), bit for bit, emulating each fused multiply-add exactly. */
export function powExact(x: number, y: number): number {
  let sign = 1;
  const ay = Math.abs(y);
  if (!(x >= TWO_M1022 && x < Infinity) || !(ay >= TWO_M65 && ay < TWO_63)) {
    if (y === 0 || y !== y || ay === Infinity) {
      if (y === 0 || x === 1) return 1;
      if (x !== x || y !== y) return x + y;
      const ax = Math.abs(x);
      if (ax === 1) return 1;
      return ax < 1 === y > 0 ? 0 : y * y;
    }
    if (x === 0 || x !== x || Math.abs(x) === Infinity) {
      let x2 = x * x;
      if ((x < 0 || Object.is(x, -0)) && checkint(y) === 1) x2 = -x2;
      return y < 0 ? 1 / x2 : x2;
    }
    if (x < 0) {
      const yint = checkint(y);
      if (yint === 0) return NaN;
      if (yint === 1) sign = -1;
      x = -x;
    }
    if (!(ay >= TWO_M65 && ay < TWO_63)) {
      if (x === 1) return 1;
      if (ay < TWO_M65) return x > 1 ? 1 + y : 1 - y;
      return x > 1 === y > 0 ? Infinity : 0;
    }
  }
  // log(x) = hi + lo, then exp(y*hi + y*lo) with the product split exactly.
  let hiWord = highWord(x);
  let e = 0;
  if (x < TWO_M1022) {
    x *= TWO_52;
    e = 52;
    hiWord = highWord(x) - 0x03400000;
  }
  const tmp = hiWord - 0x3fe69555 | 0;
  const i = tmp >>> 13 & 127;
  const k = tmp >> 20;
  const z = x * pow2(-k - e);
  const r = fma(z, POW_INVC[i], -1); // exact
  const t1 = k * LN2_HI + POW_LOGC[i]; // k*LN2_HI is exact
  const t2 = t1 + r;
  const lo1 = fma(k, LN2_LO, POW_LOGCTAIL[i]);
  const lo2 = t1 - t2 + r;
  const ar = A0 * r;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const hi = t2 + ar2;
  const lo3 = fma(ar, r, -ar2);
  const lo4 = t2 - hi + ar2;
  const q = fma(ar2, fma(fma(r, A6, A5), ar2, fma(r, A4, A3)), fma(r, A2, A1));
  const lo = fma(ar3, q, lo1 + lo2 + lo3 + lo4);
  const lhi = hi + lo;
  const llo = hi - lhi + lo;
  const ehi = y * lhi;
  const elo = fma(y, llo, fma(lhi, y, -ehi));
  return expWithTail(ehi, elo, sign);
}

/** sign * exp(x + xtail) for |xtail| tiny: glibc's exp_inline. */
function expWithTail(x: number, xtail: number, sign: number): number {
  const ax = Math.abs(x);
  let special = false;
  if (!(ax >= TWO_M54 && ax < 512)) {
    if (ax < TWO_M54) return sign * (1 + x);
    if (!(ax < 1024)) return x < 0 ? sign * 0 : sign * Infinity;
    special = true;
  }
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const r = xtail + fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
  const i = kd & 127;
  const tmp = expTail(r, i);
  if (special) return scaleSpecial(tmp, kd, i, sign);
  const scale = sign * EXP_SCALE[i] * pow2(kd >> 7);
  return fma(scale, tmp, scale);
}
