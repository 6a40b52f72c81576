// Exact arithmetic JS lacks: a fused multiply-add (x86's vfmadd, which glibc's FMA build uses
// everywhere), the exact error of a product, Ziv's rounding test, exact powers of two and the
// high word of a double.

const SPLIT = 134217729; // 2^27 + 1: Veltkamp's constant, splits a double into two 26-bit halves

/**
 * a*b + c rounded once (to nearest, ties to even), like C's fma(). The product is made exact
 * with Dekker's TwoProd and the sum with TwoSum; the only case where rounding the low parts
 * first could change the result is a tie in the final sum, which is detected and resolved.
 * Valid while |a|, |b| < 2^995 and the partial products do not underflow.
 */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  const e = productError(a, b, p); // p + e == a*b exactly
  const s = p + c;
  const sb = s - p;
  const se = p - (s - sb) + (c - sb); // s + se == p + c exactly
  const v = se + e;
  const r = s + v;
  const vb = v - se;
  const w = se - (v - vb) + (e - vb); // v + w == se + e exactly
  if (w === 0) return r;
  const rb = r - s;
  const z = s - (r - rb) + (v - rb); // r + z == s + v exactly
  // s + v is a tie iff r + 2z is r's neighbour; then w decides the direction.
  if (z !== 0 && r + 2 * z - r === 2 * z && z > 0 === w > 0) return r + 2 * z;
  return r;
}

/** The exact error a*b - p of the rounded product p = a*b (Dekker's TwoProd). */
export function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * Ziv's rounding test: true when every real within `bound` of the exact sum y + rho rounds to
 * y, i.e. when an evaluation that is off by at most `bound` still yields y.
 */
export function roundsTo(y: number, rho: number, bound: number): boolean {
  return y + (rho + bound) === y && y + (rho - bound) === y;
}

const POW2 = new Float64Array(2098);
POW2[1074] = 1;
for (let n = 1; n <= 1023; n++) POW2[1074 + n] = POW2[1073 + n] * 2;
for (let n = 1; n <= 1074; n++) POW2[1074 - n] = POW2[1075 - n] / 2;

/** 2^n, exactly, for integer n in [-1074, 1023]. */
export function pow2(n: number): number {
  return POW2[n + 1074];
}

const view = new DataView(new ArrayBuffer(8));

/** The upper 32 bits (sign, exponent, top of the mantissa) of x's IEEE representation. */
export function highWord(x: number): number {
  view.setFloat64(0, x);
  return view.getUint32(0);
}
