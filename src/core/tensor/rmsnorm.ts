// RMSNorm without a gain, in the reference's arithmetic: ms = sum(x*x) * C**-1 summed from
// index 0, s = (ms + 1e-5)**-0.5 through libm.pow, y = x * s.

import * as libm from '../libm/index.js';

const EPS = 1e-5;

// out (N, C), rstd (N,) <- inp (N, C)
export function rmsnormForward(out: Float64Array, rstd: Float64Array, inp: Float64Array, N: number, C: number): void {
  const invC = libm.pow(C, -1); // x / n is x * n**-1 in the reference
  for (let t = 0; t < N; t++) {
    const row = t * C;
    let ss = inp[row] * inp[row];
    for (let i = 1; i < C; i++) ss += inp[row + i] * inp[row + i];
    const s = libm.pow(ss * invC + EPS, -0.5);
    rstd[t] = s;
    for (let i = 0; i < C; i++) out[row + i] = inp[row + i] * s;
  }
}

// y = x * s, s = (mean(x^2) + eps)^-1/2  =>  dx += s*dy - x * s^3 * mean(x*dy)
export function rmsnormBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, rstd: Float64Array,
                                N: number, C: number): void {
  const invC = libm.pow(C, -1);
  for (let t = 0; t < N; t++) {
    const row = t * C, s = rstd[t];
    let dot = 0;
    for (let i = 0; i < C; i++) dot += dout[row + i] * inp[row + i];
    const k = s * s * s * dot * invC;
    for (let i = 0; i < C; i++) dinp[row + i] += s * dout[row + i] - k * inp[row + i];
  }
}
