// Vector helpers the kernels share. `madd` is the one place the two builds differ: with
// relaxed SIMD it may fuse into one FMA instruction, otherwise it is a multiply then an add.

/** a * b + c, lane by lane. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The four horizontal sums [sum(a), sum(b), sum(c), sum(d)]. */
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** sum(a) as a scalar. */
@inline export function hsum(a: v128): f32 {
  const b = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(b, 0) + f32x4.extract_lane(b, 1);
}

/** Stores the first n (1..4) lanes of v at p. */
@inline export function storeLanes(p: usize, v: v128, n: i32): void {
  if (n == 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** max over the four lanes. */
@inline export function hmax(a: v128): f32 {
  const b = f32x4.pmax(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return max(f32x4.extract_lane(b, 0), f32x4.extract_lane(b, 1));
}

/**
 * e^x lane by lane, to about 2 ulp (Cephes expf): x = n ln2 + r with |r| <= ln2 / 2, e^r by
 * a degree-7 polynomial, 2^n built in the exponent bits. Rounding x / ln2 by adding 1.5 * 2^23
 * leaves n in the low mantissa bits, so no float-to-int conversion is needed. Saturates past +-87.
 */
@inline export function exp4(x: v128): v128 {
  // pmin/pmax are single instructions; min/max cost several for their NaN rules (a NaN x still
  // passes through: pmax(x, lo) is x unless x < lo)
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const magic = f32x4.splat(12582912); // 1.5 * 2^23
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504089)), magic);
  const n = f32x4.sub(t, magic);
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = f32x4.add(madd(f32x4.mul(p, r), r, r), f32x4.splat(1));
  // the low 9 bits of t hold n + 127 (mod 512) after adding 127: shifted up, the exponent of 2^n
  return f32x4.mul(p, i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23));
}

/** e^x for one value, through the same polynomial as exp4. */
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}
