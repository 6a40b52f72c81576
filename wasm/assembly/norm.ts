// The norms of a block, without gain or bias, row by row: RMSNorm (the reference's),
// out = x / sqrt(mean(x^2) + 1e-5), and LayerNorm, out = (x - mean) / sqrt(var + 1e-5).
// rstd keeps the scale of each row for backward.

import { madd, hsum } from './simd';

/** sum over [0, n) floats of x * y. */
@inline function dot(x: usize, y: usize, n: i32): f32 {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let acc = f32x4.splat(0), s: f32 = 0;
  let j: usize = 0;
  for (; j < full; j += 16) acc = madd(v128.load(x + j), v128.load(y + j), acc);
  for (; j < end; j += 4) s += load<f32>(x + j) * load<f32>(y + j);
  return s + hsum(acc);
}

/** out (T, C) = inp / rms(inp) row by row; rstd (T,) = 1 / rms. */
export function rmsnormForward(out: usize, rstd: usize, inp: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const x = inp + <usize>t * rowBytes, y = out + <usize>t * rowBytes;
    const s = <f32>(1 / Math.sqrt(<f64>(dot(x, x, C) / <f32>C) + 1e-5));
    store<f32>(rstd + (<usize>t << 2), s);
    const sv = f32x4.splat(s);
    let j: usize = 0;
    for (; j < full; j += 16) v128.store(y + j, f32x4.mul(v128.load(x + j), sv));
    for (; j < rowBytes; j += 4) store<f32>(y + j, load<f32>(x + j) * s);
  }
}

// y = x * s, s = (mean(x^2) + eps)^-1/2  =>  dx += s*dy - x * s^3 * mean(x*dy)
export function rmsnormBackward(dinp: usize, dout: usize, inp: usize, rstd: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const at = <usize>t * rowBytes, x = inp + at, dy = dout + at, dx = dinp + at;
    const s = load<f32>(rstd + (<usize>t << 2));
    const k = s * s * s * dot(x, dy, C) / <f32>C;
    const sv = f32x4.splat(s), kv = f32x4.splat(-k);
    let j: usize = 0;
    for (; j < full; j += 16) {
      v128.store(dx + j, f32x4.add(v128.load(dx + j), madd(kv, v128.load(x + j), f32x4.mul(sv, v128.load(dy + j)))));
    }
    for (; j < rowBytes; j += 4) store<f32>(dx + j, load<f32>(dx + j) + s * load<f32>(dy + j) - k * load<f32>(x + j));
  }
}

/** sum over [0, n) floats of x. */
@inline function sum(x: usize, n: i32): f32 {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let acc = f32x4.splat(0), s: f32 = 0;
  let j: usize = 0;
  for (; j < full; j += 16) acc = f32x4.add(acc, v128.load(x + j));
  for (; j < end; j += 4) s += load<f32>(x + j);
  return s + hsum(acc);
}

/** out (T, C) = (inp - mean) / std row by row; rstd (T,) = 1 / std. */
export function layernormForward(out: usize, rstd: usize, inp: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const x = inp + <usize>t * rowBytes, y = out + <usize>t * rowBytes;
    const mean = sum(x, C) / <f32>C, mv = f32x4.splat(mean);
    // var = mean(x^2) - mean^2 loses digits when |mean| >> std, so subtract first
    let acc = f32x4.splat(0), ss: f32 = 0;
    let j: usize = 0;
    for (; j < full; j += 16) { const d = f32x4.sub(v128.load(x + j), mv); acc = madd(d, d, acc); }
    for (; j < rowBytes; j += 4) { const d = load<f32>(x + j) - mean; ss += d * d; }
    const s = <f32>(1 / Math.sqrt(<f64>((ss + hsum(acc)) / <f32>C) + 1e-5));
    store<f32>(rstd + (<usize>t << 2), s);
    const sv = f32x4.splat(s);
    for (j = 0; j < full; j += 16) v128.store(y + j, f32x4.mul(f32x4.sub(v128.load(x + j), mv), sv));
    for (; j < rowBytes; j += 4) store<f32>(y + j, (load<f32>(x + j) - mean) * s);
  }
}

// y = (x - mean) * s  =>  dx += s * (dy - mean(dy) - y * mean(dy * y))
export function layernormBackward(dinp: usize, dout: usize, inp: usize, rstd: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const at = <usize>t * rowBytes, x = inp + at, dy = dout + at, dx = dinp + at;
    const s = load<f32>(rstd + (<usize>t << 2)), mean = sum(x, C) / <f32>C;
    // mean(dy * y) = s * (mean(dy * x) - mean * mean(dy))
    const dmean = sum(dy, C) / <f32>C, dyy = s * (dot(dy, x, C) / <f32>C - mean * dmean);
    const sv = f32x4.splat(s), dm = f32x4.splat(dmean), mv = f32x4.splat(mean), k = f32x4.splat(s * dyy);
    let j: usize = 0;
    for (; j < full; j += 16) {
      const g = f32x4.sub(f32x4.sub(v128.load(dy + j), dm), f32x4.mul(f32x4.sub(v128.load(x + j), mv), k));
      v128.store(dx + j, madd(sv, g, v128.load(dx + j)));
    }
    for (; j < rowBytes; j += 4) {
      const g = load<f32>(dy + j) - dmean - (load<f32>(x + j) - mean) * s * dyy;
      store<f32>(dx + j, load<f32>(dx + j) + s * g);
    }
  }
}

// A norm's learned gain (Llama's weight), applied after the norm: out = inp * g, row by row.

/** out (T, C) = inp (T, C) * gain (C,). */
export function gainForward(out: usize, inp: usize, gain: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const x = inp + <usize>t * rowBytes, y = out + <usize>t * rowBytes;
    let j: usize = 0;
    for (; j < full; j += 16) v128.store(y + j, f32x4.mul(v128.load(x + j), v128.load(gain + j)));
    for (; j < rowBytes; j += 4) store<f32>(y + j, load<f32>(x + j) * load<f32>(gain + j));
  }
}

// y = x g  =>  dg = sum over rows of dy x, dx = dy g. Both written; dinp may be dout. dgain
// sums over every row, so the kernel runs on one thread and sees them all.
export function gainGradient(dinp: usize, dgain: usize, dout: usize, inp: usize, gain: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  memory.fill(dgain, 0, rowBytes);
  for (let t = 0; t < T; t++) {
    const at = <usize>t * rowBytes, x = inp + at, dy = dout + at, dx = dinp + at;
    let j: usize = 0;
    for (; j < full; j += 16) {
      const d = v128.load(dy + j);
      v128.store(dgain + j, madd(d, v128.load(x + j), v128.load(dgain + j)));
      v128.store(dx + j, f32x4.mul(d, v128.load(gain + j)));
    }
    for (; j < rowBytes; j += 4) {
      const d = load<f32>(dy + j);
      store<f32>(dgain + j, load<f32>(dgain + j) + d * load<f32>(x + j));
      store<f32>(dx + j, d * load<f32>(gain + j));
    }
  }
}
