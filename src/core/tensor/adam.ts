// Adam over the flat parameter buffer, with exactly the scalar engine's arithmetic
// (src/core/scalar/adam.ts), so both engines take the same step from the same gradient.
// Beyond the reference: gradient clipping and decoupled (AdamW) weight decay, each skipped
// entirely when 0 so the reference's numbers stay bit for bit.

import type { TrainConfig } from '../contract/config.js';
import * as libm from '../libm/index.js';

/** The step's scalars, computed once in float64 before Adam's loop (wasm/float64/adam.ts computes the same). */
export function adamScalars(cfg: TrainConfig, step: number, lr: number) {
  const { beta1, beta2, epsAdam, weightDecay = 0 } = cfg;
  return {
    lr, beta1, beta2, eps: epsAdam,
    k1: 1 - beta1, k2: 1 - beta2,
    c1: 1 - libm.pow(beta1, step + 1), c2: 1 - libm.pow(beta2, step + 1), // bias corrections
    // AdamW, as nanoGPT decays every 2-D tensor: all of ours are, embeddings included
    decay: 1 - lr * weightDecay, decayOn: weightDecay > 0,
  };
}

// params, m, v (n,) updated in place from grads (n,), which are then cleared
export function adamUpdate(params: Float64Array, grads: Float64Array, m: Float64Array, v: Float64Array,
                           cfg: TrainConfig, step: number, lr: number, n: number): void {
  const { beta1, beta2, eps, k1, k2, c1, c2, decay, decayOn } = adamScalars(cfg, step, lr);
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    const mi = beta1 * m[i] + k1 * g;
    const vi = beta2 * v[i] + k2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    if (decayOn) params[i] *= decay;
    params[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    grads[i] = 0;
  }
}

/** Scales grads (n,) in place so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(grads: Float64Array, maxNorm: number, n: number): number {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += grads[i] * grads[i];
  const norm = Math.sqrt(ss);
  if (norm > maxNorm) {
    const k = maxNorm / norm;
    for (let i = 0; i < n; i++) grads[i] *= k;
  }
  return norm;
}
