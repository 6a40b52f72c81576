// Softmax over the vocabulary and the loss -log p[target], and its gradient:
// src/core/tensor/crossentropy.ts's kernels, statement for statement, through the same libm.

import { log } from './libm';
import { softmaxRow } from './softmax';

// probs (N, V), losses (N,) <- logits (N, V), targets (N,) i32
export function crossentropyForward(probs: usize, losses: usize, logits: usize, targets: usize, N: i32, V: i32): void {
  const rowBytes = <usize>V << 3;
  for (let t = 0; t < N; t++) {
    const p = probs + <usize>t * rowBytes;
    softmaxRow(p, logits + <usize>t * rowBytes, rowBytes);
    const target = <usize>load<i32>(targets + (<usize>t << 2));
    store<f64>(losses + (<usize>t << 3), -log(load<f64>(p + (target << 3))));
  }
}

// loss = -log softmax(z)[y], each weighted by dloss  =>  dz += (p - onehot(y)) * dloss
export function crossentropyBackward(dlogits: usize, probs: usize, targets: usize, dloss: f64, N: i32, V: i32): void {
  const rowBytes = <usize>V << 3;
  for (let t = 0; t < N; t++) {
    const dz = dlogits + <usize>t * rowBytes, p = probs + <usize>t * rowBytes;
    for (let i: usize = 0; i < rowBytes; i += 8) store<f64>(dz + i, load<f64>(dz + i) + load<f64>(p + i) * dloss);
    const at = dz + (<usize>load<i32>(targets + (<usize>t << 2)) << 3);
    store<f64>(at, load<f64>(at) - dloss);
  }
}
