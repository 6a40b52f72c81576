// exp, log and pow, bit for bit those of src/core/libm/ (glibc 2.36's x86-64 FMA build): the
// same fast paths, rounding tests and exact fallbacks, statement for statement, so a kernel
// here computes what its TypeScript twin does. Every fma is the exact emulation of exact.ts
// in plain f64 arithmetic (never a fused instruction, which WebAssembly SIMD lacks anyway).
// The tables are src/core/libm/tables.ts, which scripts/build-wasm.mjs hands the compiler.

import { EXP_SCALE, EXP_TAIL, LOG_INVC, LOG_LOGC, POW_INVC, POW_LOGC, POW_LOGCTAIL } from './libm-tables';

// --- exact.ts

const SPLIT: f64 = 134217729;

/** a*b + c rounded once (exact.ts's fma). */
function fma(a: f64, b: f64, c: f64): f64 {
  const p = a * b;
  const e = productError(a, b, p);
  const s = p + c;
  const sb = s - p;
  const se = p - (s - sb) + (c - sb);
  const v = se + e;
  const r = s + v;
  const vb = v - se;
  const w = se - (v - vb) + (e - vb);
  if (w == 0) return r;
  const rb = r - s;
  const z = s - (r - rb) + (v - rb);
  if (z != 0 && r + 2 * z - r == 2 * z && (z > 0) == (w > 0)) return r + 2 * z;
  return r;
}

/** a*b - p exactly (Dekker's TwoProd). */
@inline function productError(a: f64, b: f64, p: f64): f64 {
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Ziv's rounding test. */
@inline function roundsTo(y: f64, rho: f64, bound: f64): bool {
  return y + (rho + bound) == y && y + (rho - bound) == y;
}

/** 2^n exactly, n in [-1074, 1023]. */
@inline function pow2(n: i32): f64 {
  return n >= -1022 ? reinterpret<f64>(<u64>(n + 1023) << 52) : reinterpret<f64>(<u64>1 << <u64>(n + 1074));
}

/** The upper 32 bits of x. */
@inline function highWord(x: f64): u32 {
  return <u32>(reinterpret<u64>(x) >> 32);
}

const TWO_M54: f64 = 5.551115123125783e-17;
const TWO_1009: f64 = reinterpret<f64>(<u64>(1009 + 1023) << 52);
const TWO_M1022: f64 = 2.2250738585072014e-308;
const TWO_M58: f64 = 3.469446951953614e-18;

// --- exp.ts

const INV_LN2_N: f64 = 184.6649652337873;
const NEG_LN2_HI_N: f64 = -0.005415212348111709;
const NEG_LN2_LO_N: f64 = -1.2864023111638346e-14;
const SHIFT: f64 = 6755399441055744.0;
const C2: f64 = 0.49999999999996786;
const C3: f64 = 0.16666666666665886;
const C4: f64 = 0.0416666808410674;
const C5: f64 = 0.008333335853059549;

export function exp(x: f64): f64 {
  const ax = Math.abs(x);
  if (!(ax >= TWO_M54 && ax < 512)) return expExact(x);
  const z = x * INV_LN2_N;
  const kd = z + SHIFT - SHIFT;
  const r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
  const k = <i32>kd, i = k & 127;
  const r2 = r * r;
  const tmp = unchecked(EXP_TAIL[i]) + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
  const scale = unchecked(EXP_SCALE[i]) * pow2(k >> 7);
  const q = scale * tmp;
  const y = scale + q;
  if (roundsTo(y, scale - y + q, scale * TWO_M58) && Math.abs(z - kd) != 0.5) return y;
  return expExact(x);
}

export function expExact(x: f64): f64 {
  const ax = Math.abs(x);
  if (!(ax >= TWO_M54 && ax < 512)) {
    if (ax < TWO_M54) return 1 + x;
    if (!(ax < 1024)) {
      if (x == -Infinity) return 0;
      if (x != x || x == Infinity) return x + 1;
      return x < 0 ? 0 : Infinity;
    }
    return expNearLimits(x);
  }
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const r = fma(kd, NEG_LN2_LO_N, x + kd * NEG_LN2_HI_N);
  const k = <i32>kd, i = k & 127;
  const tmp = expTail(r, i);
  const scale = unchecked(EXP_SCALE[i]) * pow2(k >> 7);
  return fma(scale, tmp, scale);
}

function expTail(r: f64, i: i32): f64 {
  const r2 = r * r;
  const t = fma(fma(r, C3, C2), r2, unchecked(EXP_TAIL[i]) + r);
  return fma(r2 * r2, fma(r, C5, C4), t);
}

function expNearLimits(x: f64): f64 {
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
  return scaleSpecial(expTail(r, <i32>kd & 127), kd, 1);
}

function scaleSpecial(tmp: f64, kd: f64, sign: f64): f64 {
  const k = <i32>kd, i = k & 127;
  if (kd >= 0) {
    const scale = sign * unchecked(EXP_SCALE[i]) * pow2((k >> 7) - 1009);
    return TWO_1009 * fma(scale, tmp, scale);
  }
  const scale = sign * unchecked(EXP_SCALE[i]) * pow2((k >> 7) + 1022);
  const st = scale * tmp;
  let y = scale + st;
  if (Math.abs(y) < 1) {
    const one: f64 = y < 0 ? -1 : 1;
    const lo = scale - y + st;
    const hi = one + y;
    y = one - hi + y + lo + hi - one;
    if (y == 0) y = sign < 0 ? -0.0 : 0.0;
  }
  return TWO_M1022 * y;
}

// --- log.ts

const LN2_HI: f64 = 0.6931471805598903;
const LN2_LO: f64 = 5.497923018708371e-14;
const A0: f64 = -0.5000000000000001;
const A1: f64 = 0.33333333331825593;
const A2: f64 = -0.2499999999622955;
const A3: f64 = 0.20000304511814496;
const A4: f64 = -0.16667054827627667;
const B0: f64 = -0.5;
const B1: f64 = 0.3333333333333352;
const B2: f64 = -0.24999999999998432;
const B3: f64 = 0.19999999999320328;
const B4: f64 = -0.16666666669929706;
const B5: f64 = 0.14285715076560868;
const B6: f64 = -0.12499997863982555;
const B7: f64 = 0.11110712032936046;
const B8: f64 = -0.10000486757818193;
const B9: f64 = 0.09181994006195467;
const B10: f64 = -0.08328363062289341;
const TWO_27: f64 = 134217728;
const TWO_52: f64 = 4503599627370496;
const TWO_M49: f64 = 1.7763568394002505e-15;
const TWO_M48: f64 = 3.552713678800501e-15;

export function log(x: f64): f64 {
  if (x >= 0.9375 && x < 1.064697265625) return logNearOneFast(x);
  const hi = highWord(x);
  if (hi - 0x00100000 >= 0x7ff00000 - 0x00100000) return logExact(x);
  const tmp = <i32>(hi - 0x3fe60000);
  const i = <i32>(<u32>tmp >> 13) & 127;
  const k = tmp >> 20;
  const z = x * pow2(-k);
  const invc = unchecked(LOG_INVC[i]);
  const p = z * invc;
  const r = p - 1 + productError(z, invc, p);
  const w = <f64>k * LN2_HI + unchecked(LOG_LOGC[i]);
  const h = w + r;
  const lo = w - h + r + <f64>k * LN2_LO;
  const r2 = r * r;
  const tail = lo + r2 * A0 + r * r2 * (A1 + r * A2 + r2 * (A3 + r * A4));
  const y = h + tail;
  if (roundsTo(y, h - y + tail, (r2 + Math.abs(lo)) * TWO_M49)) return y;
  return logExact(x);
}

function logNearOneFast(x: f64): f64 {
  if (x == 1) return 0;
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

export function logExact(x: f64): f64 {
  if (x >= 0.9375 && x < 1.064697265625) return logNearOne(x);
  let hi = highWord(x);
  let xn = x, e = 0;
  if (hi - 0x00100000 >= 0x7ff00000 - 0x00100000) {
    if (x == 0) return -Infinity;
    if (x == Infinity) return x;
    if (!(x > 0)) return NaN;
    xn = x * TWO_52;
    e = 52;
    hi = highWord(xn) - 0x03400000;
  }
  const tmp = <i32>(hi - 0x3fe60000);
  const i = <i32>(<u32>tmp >> 13) & 127;
  const k = tmp >> 20;
  const z = xn * pow2(-k - e);
  const r = fma(z, unchecked(LOG_INVC[i]), -1);
  const w = <f64>k * LN2_HI + unchecked(LOG_LOGC[i]);
  const h = w + r;
  const lo = fma(<f64>k, LN2_LO, w - h + r);
  const r2 = r * r;
  const r3 = r * r2;
  const q = fma(fma(r, A4, A3), r2, fma(r, A2, A1));
  return fma(r3, q, fma(r2, A0, lo)) + h;
}

function logNearOne(x: f64): f64 {
  if (x == 1) return 0;
  const r = x - 1;
  const r2 = r * r;
  const r3 = r * r2;
  let p = fma(r3, B10, fma(r2, B9, fma(r, B8, B7)));
  p = fma(p, r3, fma(r2, B6, fma(r, B5, B4)));
  p = fma(p, r3, fma(r2, B3, fma(r, B2, B1)));
  const w = r * TWO_27;
  const rhi = r + w - w;
  const rlo = r - rhi;
  const w2 = rhi * rhi * B0;
  const hi = r + w2;
  const lo = fma(B0 * rlo, r + rhi, r - hi + w2);
  return fma(p, r3, lo) + hi;
}

// --- pow.ts

const P0: f64 = -0.5;
const P1: f64 = -0.6666666666666679;
const P2: f64 = 0.5000000000000007;
const P3: f64 = 0.7999999995323976;
const P4: f64 = -0.6666666663487739;
const P5: f64 = -1.142909628459501;
const P6: f64 = 1.0000415263675542;
const TWO_M65: f64 = 2.710505431213761e-20;
const TWO_53: f64 = 9007199254740992;
const TWO_63: f64 = 9.223372036854775808e18; // written as a float: an integer literal this big overflows i64
const TWO_M52: f64 = 2.220446049250313e-16;

/** 0 if y is not an integer, 1 if it is odd, 2 if it is even (y finite). */
function checkint(y: f64): i32 {
  if (Math.trunc(y) != y) return 0;
  return Math.abs(y) < TWO_53 && y % 2 != 0 ? 1 : 2;
}

export function pow(x: f64, y: f64): f64 {
  if (x == 1) return 1;
  const ay = Math.abs(y);
  if (!(x >= TWO_M1022 && x < Infinity) || !(ay >= TWO_M65 && ay < TWO_63)) return powExact(x, y);
  const tmp = <i32>(highWord(x) - 0x3fe69555);
  const i = <i32>(<u32>tmp >> 13) & 127;
  const k = tmp >> 20;
  const z = x * pow2(-k);
  const invc = unchecked(POW_INVC[i]);
  const pz = z * invc;
  const r = pz - 1 + productError(z, invc, pz);
  const t1 = <f64>k * LN2_HI + unchecked(POW_LOGC[i]);
  const t2 = t1 + r;
  const lo1 = <f64>k * LN2_LO + unchecked(POW_LOGCTAIL[i]);
  const ar = P0 * r;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const hi = t2 + ar2;
  const q = P1 + r * P2 + ar2 * (P3 + r * P4 + ar2 * (P5 + r * P6));
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
  const ke = <i32>kd, j = ke & 127;
  const re2 = re * re;
  const tail = unchecked(EXP_TAIL[j]) + re + re2 * (C2 + re * C3) + re2 * re2 * (C4 + re * C5);
  const scale = unchecked(EXP_SCALE[j]) * pow2(ke >> 7);
  const qe = scale * tail;
  const res = scale + qe;
  const dr = ay * dl + (Math.abs(elo) + Math.abs(ylo)) * TWO_M52;
  if (!roundsTo(res, scale - res + qe, scale * (TWO_M58 + 2 * dr))) return powExact(x, y);
  return Math.abs(ze - kd) == 0.5 ? powExact(x, y) : res;
}

export function powExact(x: f64, y: f64): f64 {
  let sign: f64 = 1;
  const ay = Math.abs(y);
  if (!(x >= TWO_M1022 && x < Infinity) || !(ay >= TWO_M65 && ay < TWO_63)) {
    if (y == 0 || y != y || ay == Infinity) {
      if (y == 0 || x == 1) return 1;
      if (x != x || y != y) return x + y;
      const ax = Math.abs(x);
      if (ax == 1) return 1;
      return (ax < 1) == (y > 0) ? 0 : y * y;
    }
    if (x == 0 || x != x || Math.abs(x) == Infinity) {
      let x2 = x * x;
      if ((x < 0 || (x == 0 && (reinterpret<u64>(x) >> 63) != 0)) && checkint(y) == 1) x2 = -x2;
      return y < 0 ? 1 / x2 : x2;
    }
    if (x < 0) {
      const yint = checkint(y);
      if (yint == 0) return NaN;
      if (yint == 1) sign = -1;
      x = -x;
    }
    if (!(ay >= TWO_M65 && ay < TWO_63)) {
      if (x == 1) return 1;
      if (ay < TWO_M65) return x > 1 ? 1 + y : 1 - y;
      return (x > 1) == (y > 0) ? Infinity : 0;
    }
  }
  let hiWord = highWord(x);
  let e = 0;
  if (x < TWO_M1022) {
    x *= TWO_52;
    e = 52;
    hiWord = highWord(x) - 0x03400000;
  }
  const tmp = <i32>(hiWord - 0x3fe69555);
  const i = <i32>(<u32>tmp >> 13) & 127;
  const k = tmp >> 20;
  const z = x * pow2(-k - e);
  const r = fma(z, unchecked(POW_INVC[i]), -1);
  const t1 = <f64>k * LN2_HI + unchecked(POW_LOGC[i]);
  const t2 = t1 + r;
  const lo1 = fma(<f64>k, LN2_LO, unchecked(POW_LOGCTAIL[i]));
  const lo2 = t1 - t2 + r;
  const ar = P0 * r;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const hi = t2 + ar2;
  const lo3 = fma(ar, r, -ar2);
  const lo4 = t2 - hi + ar2;
  const q = fma(ar2, fma(fma(r, P6, P5), ar2, fma(r, P4, P3)), fma(r, P2, P1));
  const lo = fma(ar3, q, lo1 + lo2 + lo3 + lo4);
  const lhi = hi + lo;
  const llo = hi - lhi + lo;
  const ehi = y * lhi;
  const elo = fma(y, llo, fma(lhi, y, -ehi));
  return expWithTail(ehi, elo, sign);
}

function expWithTail(x: f64, xtail: f64, sign: f64): f64 {
  const ax = Math.abs(x);
  let special = false;
  if (!(ax >= TWO_M54 && ax < 512)) {
    if (ax < TWO_M54) return sign * (1 + x);
    if (!(ax < 1024)) return x < 0 ? sign * 0 : sign * Infinity;
    special = true;
  }
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const r = xtail + fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
  const k = <i32>kd, i = k & 127;
  const tmp = expTail(r, i);
  if (special) return scaleSpecial(tmp, kd, sign);
  const scale = sign * unchecked(EXP_SCALE[i]) * pow2(k >> 7);
  return fma(scale, tmp, scale);
}
