// LayerNorm without a gain or bias (like the reference's RMSNorm): y = (x - mean) * s,
// s = (var + 1e-5)^-1/2. Only s is kept; the backward recomputes the mean from the input.

import { type TensorKernels, TS_KERNELS } from './kernels.js';

const EPS = 1e-5;

function rowMean(inp: Float64Array, row: number, C: number): number {
  let sum = 0;
  for (let i = 0; i < C; i++) sum += inp[row + i];
  return sum / C;
}

// out (N, C), rstd (N,) <- inp (N, C)
export function layernormForward(out: Float64Array, rstd: Float64Array, inp: Float64Array, N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * C, mean = rowMean(inp, row, C);
    let ss = 0;
    for (let i = 0; i < C; i++) ss += (inp[row + i] - mean) * (inp[row + i] - mean);
    const s = 1 / Math.sqrt(ss / C + EPS);
    rstd[t] = s;
    for (let i = 0; i < C; i++) out[row + i] = (inp[row + i] - mean) * s;
  }
}

// y = (x - mean) * s  =>  dx += s * (dy - mean(dy) - y * mean(dy * y))
export function layernormBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, rstd: Float64Array,
                                  N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * C, s = rstd[t], mean = rowMean(inp, row, C);
    let dmean = 0, dot = 0;
    for (let i = 0; i < C; i++) {
      dmean += dout[row + i];
      dot += dout[row + i] * (inp[row + i] - mean) * s;
    }
    dmean /= C;
    dot /= C;
    for (let i = 0; i < C; i++) dinp[row + i] += s * (dout[row + i] - dmean - (inp[row + i] - mean) * s * dot);
  }
}

export type Norm = (out: Float64Array, rstd: Float64Array, inp: Float64Array, N: number, C: number) => void;
export type NormBackward = (dinp: Float64Array, dout: Float64Array, inp: Float64Array, rstd: Float64Array, N: number, C: number) => void;

/**
 * The forward/backward pair of a norm by its config name; absent is the reference's RMSNorm,
 * from `kernels` (the TS ones by default).
 */
export function normKernels(name: string | undefined, kernels: Pick<TensorKernels, 'rmsnormForward' | 'rmsnormBackward'> = TS_KERNELS):
  { forward: Norm; backward: NormBackward } {
  return name === 'layernorm' ? { forward: layernormForward, backward: layernormBackward }
    : { forward: kernels.rmsnormForward, backward: kernels.rmsnormBackward };
}
