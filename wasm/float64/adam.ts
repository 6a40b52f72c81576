// Adam over the flat parameter buffer: src/core/tensor/adam.ts's loop two parameters at a
// time, its step's scalars (libm.pow's bias corrections) computed here too. f64x2.div and
// f64x2.sqrt round correctly, as / and Math.sqrt do, so every lane computes what the scalar
// loop computes.

import { pow } from './libm';

/** The pairs of parameters below `bytes`; `unbiased` (c1 is 1) skips the divide by c1. */
@inline function adamPairs(params: usize, grads: usize, m: usize, v: usize, bytes: usize, lr: f64, beta1: f64, beta2: f64,
                           k1: f64, k2: f64, c1: f64, c2: f64, eps: f64, decay: f64, decayOn: bool, unbiased: bool): void {
  const b1 = f64x2.splat(beta1), b2 = f64x2.splat(beta2), a1 = f64x2.splat(k1), a2 = f64x2.splat(k2);
  const lrv = f64x2.splat(lr), c1v = f64x2.splat(c1), c2v = f64x2.splat(c2), epsv = f64x2.splat(eps), dv = f64x2.splat(decay);
  const zero = f64x2.splat(0);
  for (let j: usize = 0; j < bytes; j += 16) {
    const g = v128.load(grads + j);
    const mj = f64x2.add(f64x2.mul(b1, v128.load(m + j)), f64x2.mul(a1, g));
    const vj = f64x2.add(f64x2.mul(b2, v128.load(v + j)), f64x2.mul(a2, f64x2.mul(g, g)));
    v128.store(m + j, mj);
    v128.store(v + j, vj);
    let p = v128.load(params + j);
    if (decayOn) p = f64x2.mul(p, dv);
    const mhat = unbiased ? mj : f64x2.div(mj, c1v);
    const step = f64x2.div(f64x2.mul(lrv, mhat), f64x2.add(f64x2.sqrt(f64x2.div(vj, c2v)), epsv));
    v128.store(params + j, f64x2.sub(p, step));
    v128.store(grads + j, zero);
  }
}

/**
 * m, v, params (n,) updated in place from grads (n,), which are then cleared, at 0-based
 * `step`; the step's scalars as src/core/tensor/adam.ts's adamScalars computes them.
 */
export function adamUpdate(params: usize, grads: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64,
                           eps: f64, weightDecay: f64, step: i32): void {
  const k1 = 1 - beta1, k2 = 1 - beta2;
  const c1 = 1 - pow(beta1, <f64>(step + 1)), c2 = 1 - pow(beta2, <f64>(step + 1)); // bias corrections
  const decay = 1 - lr * weightDecay, decayOn = weightDecay > 0;
  const pairs = <usize>(n >> 1) << 4, end = <usize>n << 3;
  // once beta1^(step+1) < 2^-53, c1 rounds to 1 and m / c1 is m exactly: one divide fewer
  // (after ~230 of the reference's 1,000 steps)
  if (c1 == 1) adamPairs(params, grads, m, v, pairs, lr, beta1, beta2, k1, k2, c1, c2, eps, decay, decayOn, true);
  else adamPairs(params, grads, m, v, pairs, lr, beta1, beta2, k1, k2, c1, c2, eps, decay, decayOn, false);
  for (let j = pairs; j < end; j += 8) { // the odd last one
    const g = load<f64>(grads + j);
    const mj = beta1 * load<f64>(m + j) + k1 * g;
    const vj = beta2 * load<f64>(v + j) + k2 * (g * g);
    store<f64>(m + j, mj);
    store<f64>(v + j, vj);
    let p = load<f64>(params + j);
    if (decayOn) p *= decay;
    store<f64>(params + j, p - (lr * (mj / c1)) / (Math.sqrt(vj / c2) + eps));
    store<f64>(grads + j, 0);
  }
}
