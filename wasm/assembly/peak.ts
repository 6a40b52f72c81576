// The machine's ceiling for 128-bit vectors: independent multiply-add chains on registers
// only. Twelve chains hide the latency of a separate multiply and add (6 cycles, 2 per cycle).

import { madd } from './simd';

/** `iters` rounds of 12 independent f32x4 multiply-adds (96 flops each); returns a lane so none is dead. */
export function peakFlops(iters: i32): f32 {
  let x = f32x4.splat(0.999), y = f32x4.splat(1e-4);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(1), a2 = f32x4.splat(2), a3 = f32x4.splat(3);
  let a4 = f32x4.splat(4), a5 = f32x4.splat(5), a6 = f32x4.splat(6), a7 = f32x4.splat(7);
  let a8 = f32x4.splat(8), a9 = f32x4.splat(9), a10 = f32x4.splat(10), a11 = f32x4.splat(11);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y);
    a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y);
    a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y);
    const t = x; x = y; y = t; // carried by the loop, so the compiler keeps them in registers
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const u = f32x4.add(f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)), f32x4.add(x, y));
  return f32x4.extract_lane(f32x4.add(s, u), 0);
}
