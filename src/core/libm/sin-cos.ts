// sin and cos as fdlibm computes them, which is what V8's Math.sin and Math.cos return in
// Node 20 (Chromium's differ in the last bit for a few percent of inputs): reduce x by pi/2
// (rem-pio2.ts), then a degree-13 odd or degree-14 even polynomial on [-pi/4, pi/4]. The
// coefficients are fdlibm's minimax fits. fdlibm: Copyright (C) 1993 by Sun Microsystems, Inc.
// Permission to use, copy, modify, and distribute this software is freely granted, provided
// that this notice is preserved.

import { highWord } from './exact.js';
import { remPio2 } from './rem-pio2.js';

const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 2.7557313707070068e-6;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;

const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 2.480158728947673e-5;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

const TWO_M27_HW = 0x3e400000;

const xr = new Float64Array(2); // (hi, lo) of the reduced argument

/** sin(x + y) for |x| <= pi/4, y a correction below ulp(x) if `reduced` (else ignored). */
function sinKernel(x: number, y: number, reduced: boolean): number {
  if ((highWord(x) & 0x7fffffff) < TWO_M27_HW) return x; // x^3/6 is below half an ulp of x
  const z = x * x, v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (!reduced) return x + v * (S1 + z * r);
  // sin(x + y) ~= sin(x) + y cos(x) ~= sin(x) + y (1 - x^2/2)
  return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

/** cos(x + y) for |x| <= pi/4, y a correction below ulp(x). */
function cosKernel(x: number, y: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < TWO_M27_HW) return 1; // x^2/2 is below half an ulp of 1
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  // cos(x + y) ~= 1 - x^2/2 + z r - x y
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y)); // |x| < 0.3
  // 1 - x^2/2 rounds badly for larger x: take out q = |x|/4 cut to 20 bits (0.28125 above
  // 0.78125), near x^2/2, first; 1 - q is exact and the smaller x^2/2 - q carries the rounding
  const q = ix > 0x3fe90000 ? 0.28125 : qx(ix);
  const hz = 0.5 * z - q, a = 1 - q;
  return a - (hz - (z * r - x * y));
}

const words = new DataView(new ArrayBuffer(8));

/** The double with high word ix - 2^21 and low word 0: |x| / 4 truncated to 20 bits. */
function qx(ix: number): number {
  words.setUint32(0, ix - 0x00200000);
  words.setUint32(4, 0);
  return words.getFloat64(0);
}

/** sin(x), bit for bit as fdlibm (and Node 20's Math.sin) for every double. */
export function sin(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return sinKernel(x, 0, false);
  if (ix >= 0x7ff00000) return NaN; // NaN or infinite
  const n = remPio2(xr, x), hi = xr[0], lo = xr[1];
  switch (n & 3) {
    case 0: return sinKernel(hi, lo, true);
    case 1: return cosKernel(hi, lo);
    case 2: return -sinKernel(hi, lo, true);
    default: return -cosKernel(hi, lo);
  }
}

/** cos(x), bit for bit as fdlibm (and Node 20's Math.cos) for every double. */
export function cos(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return cosKernel(x, 0);
  if (ix >= 0x7ff00000) return NaN;
  const n = remPio2(xr, x), hi = xr[0], lo = xr[1];
  switch (n & 3) {
    case 0: return cosKernel(hi, lo);
    case 1: return -sinKernel(hi, lo, true);
    case 2: return -cosKernel(hi, lo);
    default: return sinKernel(hi, lo, true);
  }
}
