// The distribution a draw takes: src/core/contract/sampling.ts's tokenProbabilities without
// top-k, statement for statement, through the ported libm.

import { pow } from './libm';
import { softmaxRow } from './softmax';

// probs (n,) <- softmax(logits (n,) * temperature**-1); returns 1, or 0 where the sum
// overflows (the caller's limit T -> 0), or -1 on a NaN logit (the caller's error)
export function tokenProbabilities(probs: usize, logits: usize, n: i32, temperature: f64): i32 {
  const end = <usize>n << 3;
  for (let i: usize = 0; i < end; i += 8) if (isNaN(load<f64>(logits + i))) return -1;
  const invT = pow(temperature, -1);
  for (let i: usize = 0; i < end; i += 8) store<f64>(probs + i, load<f64>(logits + i) * invT);
  const total = softmaxRow(probs, probs, end); // normalised whatever the sum: overflow discards it
  return total > 0 && total < Infinity ? 1 : 0;
}
