// The distribution a draw takes: src/core/contract/sampling.ts's tokenProbabilities without
// top-k, statement for statement, through the ported libm.

import { exp, pow } from './libm';

// probs (n,) <- softmax(logits (n,) * temperature**-1); returns 1, or 0 where the sum
// overflows (the caller's limit T -> 0), or -1 on a NaN logit (the caller's error)
export function tokenProbabilities(probs: usize, logits: usize, n: i32, temperature: f64): i32 {
  const end = <usize>n << 3;
  for (let i: usize = 0; i < end; i += 8) if (isNaN(load<f64>(logits + i))) return -1;
  const invT = pow(temperature, -1);
  for (let i: usize = 0; i < end; i += 8) store<f64>(probs + i, load<f64>(logits + i) * invT);
  let max = -Infinity;
  for (let i: usize = 0; i < end; i += 8) if (load<f64>(probs + i) > max) max = load<f64>(probs + i);
  let total: f64 = 0;
  for (let i: usize = 0; i < end; i += 8) {
    const e = exp(load<f64>(probs + i) - max);
    store<f64>(probs + i, e);
    total += e;
  }
  if (!(total > 0 && total < Infinity)) return 0;
  const inv = pow(total, -1);
  for (let i: usize = 0; i < end; i += 8) store<f64>(probs + i, load<f64>(probs + i) * inv);
  return 1;
}
