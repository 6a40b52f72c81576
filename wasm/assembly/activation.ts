// Elementwise nonlinearities of the MLP over n floats: ReLU (the reference's), ReLU^2, and
// GELU with the tanh approximation (as GPT-2), each forward with its backward.

import { madd, exp4 } from './simd';

/** out = max(inp, 0). */
export function reluForward(out: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0);
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(out + j, f32x4.pmax(v128.load(inp + j), zero));
  for (; j < end; j += 4) store<f32>(out + j, max(load<f32>(inp + j), 0));
}

// y = max(x, 0)  =>  dx = dy where x > 0, else 0. Every backward here writes dinp, which may
// be dout itself (in place).
export function reluGradient(dinp: usize, dout: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0);
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(dinp + j, v128.and(v128.load(dout + j), f32x4.gt(v128.load(inp + j), zero)));
  for (; j < end; j += 4) store<f32>(dinp + j, load<f32>(inp + j) > 0 ? load<f32>(dout + j) : 0);
}

/** out = max(inp, 0)^2. */
export function relu2Forward(out: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0);
  let j: usize = 0;
  for (; j < full; j += 16) { const r = f32x4.pmax(v128.load(inp + j), zero); v128.store(out + j, f32x4.mul(r, r)); }
  for (; j < end; j += 4) { const r = max(load<f32>(inp + j), 0); store<f32>(out + j, r * r); }
}

// y = max(x, 0)^2  =>  dx = 2 max(x, 0) dy
export function relu2Gradient(dinp: usize, dout: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, zero = f32x4.splat(0), two = f32x4.splat(2);
  let j: usize = 0;
  for (; j < full; j += 16) {
    v128.store(dinp + j, f32x4.mul(f32x4.mul(two, f32x4.pmax(v128.load(inp + j), zero)), v128.load(dout + j)));
  }
  for (; j < end; j += 4) store<f32>(dinp + j, 2 * max(load<f32>(inp + j), 0) * load<f32>(dout + j));
}

const GELU_A: f32 = 0.7978845608; // sqrt(2 / pi)
const GELU_B: f32 = 0.044715;

// 0.5 x (1 + tanh u) = x sigmoid(2u): one exponential and one division per value
/** sigmoid(2u) for u = a (x + b x^3), the GELU's gate. */
@inline function gate4(x: v128, x2: v128): v128 {
  const minus2u = f32x4.mul(f32x4.splat(-2 * GELU_A), madd(f32x4.splat(GELU_B), f32x4.mul(x2, x), x));
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(minus2u)));
}

// y = x s, s = sigmoid(2u)  =>  dy/dx = s + x s (1 - s) 2 du/dx, du/dx = a (1 + 3 b x^2). The
// forward keeps s (its exponential and division are most of the work), so the backward need not
// compute it again: the same operations on the same x, so the same bits.
@inline function geluGrad4(x: v128, s: v128): v128 {
  const du2 = f32x4.mul(f32x4.splat(2 * GELU_A), madd(f32x4.splat(3 * GELU_B), f32x4.mul(x, x), f32x4.splat(1)));
  return madd(f32x4.mul(f32x4.mul(x, s), f32x4.sub(f32x4.splat(1), s)), du2, s);
}

/** out = gelu(inp) = inp * gate, and the gate sigmoid(2u) for the backward. */
export function geluForward(out: usize, gate: usize, inp: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) {
    const x = v128.load(inp + j), s = gate4(x, f32x4.mul(x, x));
    v128.store(gate + j, s);
    v128.store(out + j, f32x4.mul(x, s));
  }
  for (; j < end; j += 4) {
    const x = f32x4.splat(load<f32>(inp + j)), s = gate4(x, f32x4.mul(x, x));
    store<f32>(gate + j, f32x4.extract_lane(s, 0));
    store<f32>(out + j, f32x4.extract_lane(f32x4.mul(x, s), 0));
  }
}

/** dinp = gelu'(inp) dout, with the forward's gate (dinp may be dout). */
export function geluGradient(dinp: usize, dout: usize, inp: usize, gate: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) {
    v128.store(dinp + j, f32x4.mul(geluGrad4(v128.load(inp + j), v128.load(gate + j)), v128.load(dout + j)));
  }
  for (; j < end; j += 4) {
    const d = geluGrad4(f32x4.splat(load<f32>(inp + j)), f32x4.splat(load<f32>(gate + j)));
    store<f32>(dinp + j, f32x4.extract_lane(d, 0) * load<f32>(dout + j));
  }
}

// SwiGLU, the gated MLP of Llama: a row of 2H holds the gate u then the up projection v, and
// the output (H) is silu(u) v, silu(u) = u sigmoid(u).

@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

/** out (T, H) = silu(inp[:, :H]) * inp[:, H:], inp (T, 2H). */
export function swigluForward(out: usize, inp: usize, T: i32, H: i32): void {
  const hb = <usize>H << 2, full = <usize>(H & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const u = inp + <usize>t * 2 * hb, v = u + hb, y = out + <usize>t * hb;
    let j: usize = 0;
    for (; j < full; j += 16) {
      const g = v128.load(u + j);
      v128.store(y + j, f32x4.mul(f32x4.mul(g, sigmoid4(g)), v128.load(v + j)));
    }
    for (; j < hb; j += 4) {
      const g = load<f32>(u + j);
      store<f32>(y + j, g * f32x4.extract_lane(sigmoid4(f32x4.splat(g)), 0) * load<f32>(v + j));
    }
  }
}

// y = silu(u) v, s = sigmoid(u)  =>  dv = silu(u) dy, du = v dy s (1 + u (1 - s)) (written)
@inline function swigluDu4(dy: v128, u: v128, v: v128, s: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.mul(f32x4.mul(v, dy), f32x4.mul(s, madd(u, f32x4.sub(one, s), one)));
}

export function swigluGradient(dinp: usize, dout: usize, inp: usize, T: i32, H: i32): void {
  const hb = <usize>H << 2, full = <usize>(H & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const u = inp + <usize>t * 2 * hb, v = u + hb, du = dinp + <usize>t * 2 * hb, dv = du + hb, dy = dout + <usize>t * hb;
    let j: usize = 0;
    for (; j < full; j += 16) {
      const g = v128.load(u + j), d = v128.load(dy + j), s = sigmoid4(g);
      v128.store(dv + j, f32x4.mul(f32x4.mul(g, s), d));
      v128.store(du + j, swigluDu4(d, g, v128.load(v + j), s));
    }
    for (; j < hb; j += 4) {
      const g = f32x4.splat(load<f32>(u + j)), d = f32x4.splat(load<f32>(dy + j)), s = sigmoid4(g);
      store<f32>(dv + j, f32x4.extract_lane(f32x4.mul(f32x4.mul(g, s), d), 0));
      store<f32>(du + j, f32x4.extract_lane(swigluDu4(d, g, f32x4.splat(load<f32>(v + j)), s), 0));
    }
  }
}
