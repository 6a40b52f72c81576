// Adam over the flat parameter buffer, with exactly the scalar engine's arithmetic
// (src/core/scalar/adam.ts), so both engines take the same step from the same gradient.

import type { TrainConfig } from '../config.js';
import * as libm from '../libm.js';

// params, m, v (n,) updated in place from grads (n,), which are then cleared
export function adamUpdate(params: Float64Array, grads: Float64Array, m: Float64Array, v: Float64Array,
                           cfg: TrainConfig, step: number, lr: number, n: number): void {
  const { beta1, beta2, epsAdam } = cfg;
  const c1 = 1 - libm.pow(beta1, step + 1);
  const c2 = 1 - libm.pow(beta2, step + 1);
  const k1 = 1 - beta1, k2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    const mi = beta1 * m[i] + k1 * g;
    const vi = beta2 * v[i] + k2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    params[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsAdam);
    grads[i] = 0;
  }
}
