// Softmax over the vocabulary and the loss -log p[target], in the reference's arithmetic:
// exp(z - max) through libm.exp, summed from index 0, times total**-1.

import * as libm from '../libm/index.js';

// probs (N, V), losses (N,) <- logits (N, V), targets (N,)
export function crossentropyForward(probs: Float64Array, losses: Float64Array, logits: Float64Array,
                                    targets: Int32Array, N: number, V: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * V;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logits[row + i] > max) max = logits[row + i];
    let total = 0;
    for (let i = 0; i < V; i++) {
      const e = libm.exp(logits[row + i] - max);
      probs[row + i] = e;
      total += e;
    }
    const inv = libm.pow(total, -1);
    for (let i = 0; i < V; i++) probs[row + i] *= inv;
    losses[t] = -libm.log(probs[row + targets[t]]);
  }
}

// loss = -log softmax(z)[y], each weighted by dloss  =>  dz += (p - onehot(y)) * dloss
export function crossentropyBackward(dlogits: Float64Array, probs: Float64Array, targets: Int32Array,
                                     dloss: number, N: number, V: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * V;
    for (let i = 0; i < V; i++) dlogits[row + i] += probs[row + i] * dloss;
    dlogits[row + targets[t]] -= dloss;
  }
}
