// A tile of dot products: 2 rows of x against 4 rows of w, 8 vector sums in registers, each
// loaded row shared by 2 or 4 of them. The matrix products (dot products along rows of W)
// and attention's scores (queries against keys) are both made of these tiles.

import { madd, hsum4, storeLanes } from './simd';

/** Dot products over [from, end) bytes of x against four rows, for the last n % 4 floats. */
@inline function tailDots(x: usize, w0: usize, w1: usize, w2: usize, w3: usize, from: usize, end: usize): v128 {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  for (let k = from; k < end; k += 4) {
    const xk = load<f32>(x + k);
    s0 += xk * load<f32>(w0 + k); s1 += xk * load<f32>(w1 + k);
    s2 += xk * load<f32>(w2 + k); s3 += xk * load<f32>(w3 + k);
  }
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(s0), 1, s1), 2, s2), 3, s3);
}

/**
 * y0[0..lanes) = scale * (x0 . w0, x0 . w1, x0 . w2, x0 . w3), each dot product over the
 * first `end` bytes of its rows, and y1 the same for x1 unless `both` is false (x1 may then
 * repeat x0).
 */
@inline export function dotTile2x4(y0: usize, y1: usize, both: bool, x0: usize, x1: usize,
                                   w0: usize, w1: usize, w2: usize, w3: usize, end: usize, lanes: i32, scale: v128): void {
  const full = end & ~15;
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  for (let k: usize = 0; k < full; k += 16) {
    const p = v128.load(x0 + k), q = v128.load(x1 + k);
    let w = v128.load(w0 + k); a0 = madd(p, w, a0); b0 = madd(q, w, b0);
    w = v128.load(w1 + k); a1 = madd(p, w, a1); b1 = madd(q, w, b1);
    w = v128.load(w2 + k); a2 = madd(p, w, a2); b2 = madd(q, w, b2);
    w = v128.load(w3 + k); a3 = madd(p, w, a3); b3 = madd(q, w, b3);
  }
  storeLanes(y0, f32x4.mul(f32x4.add(hsum4(a0, a1, a2, a3), tailDots(x0, w0, w1, w2, w3, full, end)), scale), lanes);
  if (both) storeLanes(y1, f32x4.mul(f32x4.add(hsum4(b0, b1, b2, b3), tailDots(x1, w0, w1, w2, w3, full, end)), scale), lanes);
}
