// RMSNorm without a gain: src/core/tensor/rmsnorm.ts's kernels, statement for statement,
// through the same libm.pow.

import { pow } from './libm';

const EPS: f64 = 1e-5;

// out (N, C), rstd (N,) <- inp (N, C)
export function rmsnormForward(out: usize, rstd: usize, inp: usize, N: i32, C: i32): void {
  const invC = pow(<f64>C, -1), rowBytes = <usize>C << 3;
  for (let t = 0; t < N; t++) {
    const x = inp + <usize>t * rowBytes, y = out + <usize>t * rowBytes;
    let ss = load<f64>(x) * load<f64>(x);
    for (let i: usize = 8; i < rowBytes; i += 8) ss += load<f64>(x + i) * load<f64>(x + i);
    const s = pow(ss * invC + EPS, -0.5);
    store<f64>(rstd + (<usize>t << 3), s);
    for (let i: usize = 0; i < rowBytes; i += 8) store<f64>(y + i, load<f64>(x + i) * s);
  }
}

// y = x * s, s = (mean(x^2) + eps)^-1/2  =>  dx += s*dy - x * s^3 * mean(x*dy)
export function rmsnormBackward(dinp: usize, dout: usize, inp: usize, rstd: usize, N: i32, C: i32): void {
  const invC = pow(<f64>C, -1), rowBytes = <usize>C << 3;
  for (let t = 0; t < N; t++) {
    const at = <usize>t * rowBytes, x = inp + at, dy = dout + at, dx = dinp + at, s = load<f64>(rstd + (<usize>t << 3));
    let dot: f64 = 0;
    for (let i: usize = 0; i < rowBytes; i += 8) dot += load<f64>(dy + i) * load<f64>(x + i);
    const k = s * s * s * dot * invC;
    for (let i: usize = 0; i < rowBytes; i += 8) store<f64>(dx + i, load<f64>(dx + i) + (s * load<f64>(dy + i) - k * load<f64>(x + i)));
  }
}
