// Softmax cross-entropy over a vocabulary of V logits per row, fused: the forward keeps the
// probabilities, which is all the backward needs.

import { hsum, hmax, exp4, exp1 } from './simd';

/** probs (T, V) = softmax(logits); losses (T,) = -log probs[t, targets[t]]. targets is i32. */
export function crossEntropyForward(losses: usize, probs: usize, logits: usize, targets: usize, T: i32, V: i32): void {
  const rowBytes = <usize>V << 2, full = <usize>(V & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const x = logits + <usize>t * rowBytes, p = probs + <usize>t * rowBytes;
    let mv = f32x4.splat(-Infinity), m: f32 = -Infinity;
    let j: usize = 0;
    for (; j < full; j += 16) mv = f32x4.pmax(mv, v128.load(x + j));
    for (; j < rowBytes; j += 4) m = max(m, load<f32>(x + j));
    m = max(m, hmax(mv));
    let acc = f32x4.splat(0), sum: f32 = 0;
    const msplat = f32x4.splat(m);
    for (j = 0; j < full; j += 16) {
      const e = exp4(f32x4.sub(v128.load(x + j), msplat));
      v128.store(p + j, e);
      acc = f32x4.add(acc, e);
    }
    for (; j < rowBytes; j += 4) {
      const e = exp1(load<f32>(x + j) - m);
      store<f32>(p + j, e);
      sum += e;
    }
    sum += hsum(acc);
    const inv = f32x4.splat(1 / sum);
    for (j = 0; j < full; j += 16) v128.store(p + j, f32x4.mul(v128.load(p + j), inv));
    for (; j < rowBytes; j += 4) store<f32>(p + j, load<f32>(p + j) / sum);
    // log p = z - m - log(sum): exact even when p underflows
    const target = <usize>load<i32>(targets + (<usize>t << 2));
    store<f32>(losses + (<usize>t << 2), Mathf.log(sum) - (load<f32>(x + (target << 2)) - m));
  }
}

// loss = -log softmax(z)[y]  =>  dz = (p - onehot(y)) * dloss, with dloss the same for every
// row; dlogits is written, not added to
export function crossEntropyGradient(dlogits: usize, probs: usize, targets: usize, dloss: f32, T: i32, V: i32): void {
  const rowBytes = <usize>V << 2, full = <usize>(V & ~3) << 2, dv = f32x4.splat(dloss);
  for (let t = 0; t < T; t++) {
    const at = <usize>t * rowBytes, p = probs + at, dz = dlogits + at;
    let j: usize = 0;
    for (; j < full; j += 16) v128.store(dz + j, f32x4.mul(v128.load(p + j), dv));
    for (; j < rowBytes; j += 4) store<f32>(dz + j, load<f32>(p + j) * dloss);
    const y = dz + (<usize>load<i32>(targets + (<usize>t << 2)) << 2);
    store<f32>(y, load<f32>(y) - dloss);
  }
}
