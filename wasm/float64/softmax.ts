// One row's softmax as the reference computes it, for the loss and the sampler: the max,
// exp(z - max) through the ported libm summed from index 0, times total**-1.

import { exp, pow } from './libm';

/** p (n) <- softmax(z (n)), `bytes` = 8n; p may be z. Returns the sum of the exps. */
export function softmaxRow(p: usize, z: usize, bytes: usize): f64 {
  let max = -Infinity;
  for (let i: usize = 0; i < bytes; i += 8) if (load<f64>(z + i) > max) max = load<f64>(z + i);
  let total: f64 = 0;
  for (let i: usize = 0; i < bytes; i += 8) {
    const e = exp(load<f64>(z + i) - max);
    store<f64>(p + i, e);
    total += e;
  }
  const inv = pow(total, -1);
  for (let i: usize = 0; i < bytes; i += 8) store<f64>(p + i, load<f64>(p + i) * inv);
  return total;
}
