// Box-Muller's pairs for PyRandom.gaussFill: src/core/contract/random.ts's draws and
// boxMuller, with src/core/libm's log and its fdlibm sin and cos (sin-cos.ts, rem-pio2.ts)
// ported statement for statement. The angles are 2 pi u for u in [0, 1), so the argument
// reduction needs only fdlibm's Cody-Waite steps; a larger angle (never drawn) gives NaN.

import { log } from './libm';
import { index, random, setIndex } from './mersenne';

const TWO_PI: f64 = 2 * Math.PI;

// --- sin-cos.ts

const S1: f64 = -0.16666666666666632;
const S2: f64 = 0.00833333333332249;
const S3: f64 = -0.0001984126982985795;
const S4: f64 = 2.7557313707070068e-6;
const S5: f64 = -2.5050760253406863e-8;
const S6: f64 = 1.58969099521155e-10;
const C1: f64 = 0.0416666666666666;
const C2: f64 = -0.001388888888887411;
const C3: f64 = 2.480158728947673e-5;
const C4: f64 = -2.7557314351390663e-7;
const C5: f64 = 2.087572321298175e-9;
const C6: f64 = -1.1359647557788195e-11;
const TWO_M27_HW: u32 = 0x3e400000;

@inline function highWord(x: f64): u32 {
  return <u32>(reinterpret<u64>(x) >> 32);
}

function sinKernel(x: f64, y: f64, reduced: bool): f64 {
  if ((highWord(x) & 0x7fffffff) < TWO_M27_HW) return x;
  const z = x * x, v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (!reduced) return x + v * (S1 + z * r);
  return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

function cosKernel(x: f64, y: f64): f64 {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < TWO_M27_HW) return 1;
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y));
  const q = ix > 0x3fe90000 ? 0.28125 : reinterpret<f64>(<u64>(ix - 0x00200000) << 32);
  const hz = 0.5 * z - q, a = 1 - q;
  return a - (hz - (z * r - x * y));
}

// --- rem-pio2.ts, up to |x| <= 2^20 pi/2

const INV_PIO2: f64 = 0.6366197723675814;
const PIO2_1: f64 = 1.5707963267341256;
const PIO2_1T: f64 = 6.077100506506192e-11;
const PIO2_2: f64 = 6.077100506303966e-11;
const PIO2_2T: f64 = 2.0222662487959506e-21;
const PIO2_3: f64 = 2.0222662487111665e-21;
const PIO2_3T: f64 = 8.4784276603689e-32;

let reducedHi: f64 = 0, reducedLo: f64 = 0; // x - n pi/2 as a double-double

/** n with x = n pi/2 + reducedHi + reducedLo, for |x| <= 2^20 pi/2. */
function remPio2(x: f64): i32 {
  const ix = highWord(x) & 0x7fffffff, t = Math.abs(x);
  let n: i32, hi: f64, lo: f64;
  if (ix <= 0x3fe921fb) {
    reducedHi = x; reducedLo = 0;
    return 0;
  }
  if (ix < 0x4002d97c) {
    n = 1;
    let z = t - PIO2_1;
    if (ix != 0x3ff921fb) {
      hi = z - PIO2_1T;
      lo = z - hi - PIO2_1T;
    } else {
      z -= PIO2_2;
      hi = z - PIO2_2T;
      lo = z - hi - PIO2_2T;
    }
  } else {
    const nf = Math.trunc(t * INV_PIO2 + 0.5);
    n = <i32>nf;
    let r = t - nf * PIO2_1, w = nf * PIO2_1T;
    hi = r - w;
    // the TS table NPIO2_HW[n - 1] is the high word of n * pi / 2
    if (n >= 32 || ix == highWord((nf * Math.PI) / 2)) {
      const e = ix >> 20;
      if (<i32>e - <i32>((highWord(hi) >> 20) & 0x7ff) > 16) {
        let u = r;
        w = nf * PIO2_2;
        r = u - w;
        w = nf * PIO2_2T - (u - r - w);
        hi = r - w;
        if (<i32>e - <i32>((highWord(hi) >> 20) & 0x7ff) > 49) {
          u = r;
          w = nf * PIO2_3;
          r = u - w;
          w = nf * PIO2_3T - (u - r - w);
          hi = r - w;
        }
      }
    }
    lo = r - hi - w;
  }
  if (x < 0) { reducedHi = -hi; reducedLo = -lo; return -n; }
  reducedHi = hi; reducedLo = lo;
  return n;
}

function sin(x: f64): f64 {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return sinKernel(x, 0, false);
  if (ix > 0x413921fb) return NaN; // infinite, NaN, or beyond Cody-Waite (fdlibm goes on; no angle here does)
  switch (remPio2(x) & 3) {
    case 0: return sinKernel(reducedHi, reducedLo, true);
    case 1: return cosKernel(reducedHi, reducedLo);
    case 2: return -sinKernel(reducedHi, reducedLo, true);
    default: return -cosKernel(reducedHi, reducedLo);
  }
}

function cos(x: f64): f64 {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return cosKernel(x, 0);
  if (ix > 0x413921fb) return NaN;
  switch (remPio2(x) & 3) {
    case 0: return cosKernel(reducedHi, reducedLo);
    case 1: return -sinKernel(reducedHi, reducedLo, true);
    case 2: return -cosKernel(reducedHi, reducedLo);
    default: return sinKernel(reducedHi, reducedLo, true);
  }
}

// z (2 pairs) <- for each pair, u1 and u2 drawn in turn by random() from the state mt (624,)
// u32 at `at`: cos(a) r and sin(a) r with a = u1 * 2 pi and r = sqrt(-2 log(1 - u2)), as
// PyRandom.gauss computes a pair; returns the index after the last word drawn
export function gaussPairs(mt: usize, at: i32, z: usize, pairs: i32): i32 {
  setIndex(at);
  for (let p = 0; p < pairs; p++) {
    const x2pi = random(mt) * TWO_PI;
    const g2rad = Math.sqrt(-2 * log(1 - random(mt)));
    store<f64>(z + (<usize>p << 4), cos(x2pi) * g2rad);
    store<f64>(z + (<usize>p << 4), sin(x2pi) * g2rad, 8);
  }
  return index;
}

export { sin as boxMullerSin, cos as boxMullerCos };
