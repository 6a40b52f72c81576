// A norm's learned gain, y = xhat * g with g one row of C, as its own kernel after either
// norm (RMSNorm or LayerNorm), so the norms themselves stay the reference's. The model keeps
// xhat (the norm's output) and y side by side; the backward needs both.

import type { Norm, NormBackward } from './layernorm.js';

// out (N, C) <- xhat (N, C), g (C,)
export function gainForward(out: Float64Array, xhat: Float64Array, g: Float64Array, N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * C;
    for (let i = 0; i < C; i++) out[row + i] = xhat[row + i] * g[i];
  }
}

// y = xhat * g  =>  dxhat += dy * g, dg += sum over rows of dy * xhat
export function gainBackward(dxhat: Float64Array, dg: Float64Array, dout: Float64Array, xhat: Float64Array,
                             g: Float64Array, N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * C;
    for (let i = 0; i < C; i++) {
      dxhat[row + i] += dout[row + i] * g[i];
      dg[i] += dout[row + i] * xhat[row + i];
    }
  }
}

/**
 * out = norm(inp) (* g): the norm into xhat, and with a gain its product into yg. Returns
 * the buffer that holds the result.
 */
export function normGainForward(norm: Norm, xhat: Float64Array, yg: Float64Array, rstd: Float64Array,
                                inp: Float64Array, g: Float64Array | undefined, N: number, C: number): Float64Array {
  norm(xhat, rstd, inp, N, C);
  if (g === undefined) return xhat;
  gainForward(yg, xhat, g, N, C);
  return yg;
}

/** The backward of normGainForward: dyg (with a gain) or dxhat (without) holds the output's gradient. */
export function normGainBackward(norm: NormBackward, dinp: Float64Array, dxhat: Float64Array, dg: Float64Array | undefined,
                                 dyg: Float64Array, inp: Float64Array, xhat: Float64Array, rstd: Float64Array,
                                 g: Float64Array | undefined, N: number, C: number): void {
  if (g !== undefined) gainBackward(dxhat, dg!, dyg, xhat, g, N, C);
  norm(dinp, dxhat, inp, rstd, N, C);
}
