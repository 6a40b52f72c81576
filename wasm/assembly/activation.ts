// Elementwise nonlinearities of the MLP over n floats: ReLU (the reference's), ReLU^2, and
// GELU with the tanh approximation (as GPT-2), each forward with its backward.

import { madd, exp4 } from './simd';

/** out = max(inp, 0). */
export function reluForward(out: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0);
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(out + j, f32x4.max(v128.load(inp + j), zero));
  for (; j < end; j += 4) store<f32>(out + j, max(load<f32>(inp + j), 0));
}

// y = max(x, 0)  =>  dx = dy where x > 0, else 0
export function reluBackward(dinp: usize, dout: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0);
  let j: usize = 0;
  for (; j < full; j += 16) {
    const pass = f32x4.gt(v128.load(inp + j), zero);
    v128.store(dinp + j, f32x4.add(v128.load(dinp + j), v128.and(v128.load(dout + j), pass)));
  }
  for (; j < end; j += 4) if (load<f32>(inp + j) > 0) store<f32>(dinp + j, load<f32>(dinp + j) + load<f32>(dout + j));
}

/** out = max(inp, 0)^2. */
export function relu2Forward(out: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0);
  let j: usize = 0;
  for (; j < full; j += 16) { const r = f32x4.max(v128.load(inp + j), zero); v128.store(out + j, f32x4.mul(r, r)); }
  for (; j < end; j += 4) { const r = max(load<f32>(inp + j), 0); store<f32>(out + j, r * r); }
}

// y = max(x, 0)^2  =>  dx += 2 max(x, 0) dy
export function relu2Backward(dinp: usize, dout: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0), two = f32x4.splat(2);
  let j: usize = 0;
  for (; j < full; j += 16) {
    const r2 = f32x4.mul(two, f32x4.max(v128.load(inp + j), zero));
    v128.store(dinp + j, madd(r2, v128.load(dout + j), v128.load(dinp + j)));
  }
  for (; j < end; j += 4) store<f32>(dinp + j, load<f32>(dinp + j) + 2 * max(load<f32>(inp + j), 0) * load<f32>(dout + j));
}

const GELU_A: f32 = 0.7978845608; // sqrt(2 / pi)
const GELU_B: f32 = 0.044715;

/** tanh(u) = 1 - 2 / (e^(2u) + 1), exact at both saturated ends. */
@inline function tanh4(u: v128): v128 {
  const e = exp4(f32x4.add(u, u));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}

@inline function gelu4(x: v128): v128 {
  const u = f32x4.mul(f32x4.splat(GELU_A), madd(f32x4.mul(f32x4.splat(GELU_B), x), f32x4.mul(x, x), x));
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), tanh4(u)));
}

// y = x/2 (1 + tanh u), u = a (x + b x^3)  =>  dy/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) a (1 + 3 b x^2)
@inline function geluGrad4(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const th = tanh4(f32x4.mul(f32x4.splat(GELU_A), madd(f32x4.mul(f32x4.splat(GELU_B), x), x2, x)));
  const du = f32x4.mul(f32x4.splat(GELU_A), madd(f32x4.splat(3 * GELU_B), x2, f32x4.splat(1)));
  const sech2 = f32x4.sub(f32x4.splat(1), f32x4.mul(th, th));
  const half = f32x4.splat(0.5);
  return madd(f32x4.mul(f32x4.mul(half, x), sech2), du, f32x4.mul(half, f32x4.add(f32x4.splat(1), th)));
}

/** out = gelu(inp). */
export function geluForward(out: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(out + j, gelu4(v128.load(inp + j)));
  for (; j < end; j += 4) store<f32>(out + j, f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(inp + j))), 0));
}

export function geluBackward(dinp: usize, dout: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) {
    v128.store(dinp + j, madd(geluGrad4(v128.load(inp + j)), v128.load(dout + j), v128.load(dinp + j)));
  }
  for (; j < end; j += 4) {
    const g = f32x4.extract_lane(geluGrad4(f32x4.splat(load<f32>(inp + j))), 0);
    store<f32>(dinp + j, load<f32>(dinp + j) + g * load<f32>(dout + j));
  }
}
