// One Adam update over n parameters, with optional decoupled weight decay (AdamW), and the
// two pieces of gradient clipping. The bias corrections c1 = 1 - beta1^(step+1) and
// c2 = 1 - beta2^(step+1) come from the caller, computed once per step in float64.

import { madd, hsum } from './simd';

/** m, v <- moving averages of g, g^2; params = params * decay - lr * mhat / (sqrt(vhat) + eps). */
export function adamUpdate(params: usize, grads: usize, m: usize, v: usize, n: i32,
                           lr: f32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32, decay: f32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2), a1 = f32x4.splat(1 - beta1), a2 = f32x4.splat(1 - beta2);
  const lrv = f32x4.splat(lr), epsv = f32x4.splat(eps), ic1 = f32x4.splat(1 / c1), ic2 = f32x4.splat(1 / c2);
  const dv = f32x4.splat(decay);
  let j: usize = 0;
  for (; j < full; j += 16) {
    const g = v128.load(grads + j);
    const mj = f32x4.add(f32x4.mul(b1, v128.load(m + j)), f32x4.mul(a1, g));
    const vj = f32x4.add(f32x4.mul(b2, v128.load(v + j)), f32x4.mul(a2, f32x4.mul(g, g)));
    v128.store(m + j, mj);
    v128.store(v + j, vj);
    const step = f32x4.div(f32x4.mul(lrv, f32x4.mul(mj, ic1)), f32x4.add(f32x4.sqrt(f32x4.mul(vj, ic2)), epsv));
    v128.store(params + j, f32x4.sub(f32x4.mul(v128.load(params + j), dv), step));
  }
  for (; j < end; j += 4) {
    const g = load<f32>(grads + j);
    const mj = beta1 * load<f32>(m + j) + (1 - beta1) * g;
    const vj = beta2 * load<f32>(v + j) + (1 - beta2) * (g * g);
    store<f32>(m + j, mj);
    store<f32>(v + j, vj);
    store<f32>(params + j, load<f32>(params + j) * decay - lr * (mj / c1) / (Mathf.sqrt(vj / c2) + eps));
  }
}

/** sum of x^2 over n floats, in float64 (float32 within blocks of 1024). */
export function sumOfSquares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let b = 0; b < n; b += 1024) {
    const p = x + (<usize>b << 2), m = min(1024, n - b), full = <usize>(m & ~3) << 2, end = <usize>m << 2;
    let acc = f32x4.splat(0), s: f32 = 0;
    let j: usize = 0;
    for (; j < full; j += 16) { const g = v128.load(p + j); acc = madd(g, g, acc); }
    for (; j < end; j += 4) { const g = load<f32>(p + j); s += g * g; }
    total += <f64>(s + hsum(acc));
  }
  return total;
}

/** x *= k over n floats. */
export function scale(x: usize, k: f32, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, kv = f32x4.splat(k);
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(x + j, f32x4.mul(v128.load(x + j), kv));
  for (; j < end; j += 4) store<f32>(x + j, load<f32>(x + j) * k);
}
