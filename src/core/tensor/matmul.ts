// y = x W^T without bias, W stored (OC, C) row-major as in the parameter layout. Every output
// is a dot product summed from index 0, as the reference's sum() does, so forward results
// are bit-identical. Work goes in tiles of 2 x 4 running sums that share their loads (the CPU
// overlaps independent sums). A tile at an edge repeats the last row or column: the repeated
// sum is computed twice and stored twice with the same value, so no leftover loop is needed.

// out (N, OC) <- inp (N, C), weight (OC, C)
export function matmulForward(out: Float64Array, inp: Float64Array, weight: Float64Array,
                              N: number, C: number, OC: number): void {
  for (let t = 0; t < N; t += 2) {
    const x = t * C, xb = Math.min(t + 1, N - 1) * C, y = t * OC, yb = Math.min(t + 1, N - 1) * OC;
    for (let o = 0; o < OC; o += 4) {
      const o1 = Math.min(o + 1, OC - 1), o2 = Math.min(o + 2, OC - 1), o3 = Math.min(o + 3, OC - 1);
      const w0 = o * C, w1 = o1 * C, w2 = o2 * C, w3 = o3 * C;
      let a0 = weight[w0] * inp[x], a1 = weight[w1] * inp[x], a2 = weight[w2] * inp[x], a3 = weight[w3] * inp[x];
      let b0 = weight[w0] * inp[xb], b1 = weight[w1] * inp[xb], b2 = weight[w2] * inp[xb], b3 = weight[w3] * inp[xb];
      for (let i = 1; i < C; i++) {
        const u = inp[x + i], v = inp[xb + i];
        const k0 = weight[w0 + i], k1 = weight[w1 + i], k2 = weight[w2 + i], k3 = weight[w3 + i];
        a0 += k0 * u; a1 += k1 * u; a2 += k2 * u; a3 += k3 * u;
        b0 += k0 * v; b1 += k1 * v; b2 += k2 * v; b3 += k3 * v;
      }
      out[y + o] = a0; out[y + o1] = a1; out[y + o2] = a2; out[y + o3] = a3;
      out[yb + o] = b0; out[yb + o1] = b1; out[yb + o2] = b2; out[yb + o3] = b3;
    }
  }
}

// y = x W^T  =>  dx += dy W, dW += dy^T x
export function matmulBackward(dinp: Float64Array, dweight: Float64Array, dout: Float64Array,
                               inp: Float64Array, weight: Float64Array, N: number, C: number, OC: number): void {
  // dx: tiles of 2 rows x 4 input channels, each summed over the outputs
  for (let t = 0; t < N; t += 2) {
    const x = t * C, xb = Math.min(t + 1, N - 1) * C, y = t * OC, yb = Math.min(t + 1, N - 1) * OC;
    for (let i = 0; i < C; i += 4) {
      const i1 = Math.min(i + 1, C - 1), i2 = Math.min(i + 2, C - 1), i3 = Math.min(i + 3, C - 1);
      let a0 = dinp[x + i], a1 = dinp[x + i1], a2 = dinp[x + i2], a3 = dinp[x + i3];
      let b0 = dinp[xb + i], b1 = dinp[xb + i1], b2 = dinp[xb + i2], b3 = dinp[xb + i3];
      for (let o = 0; o < OC; o++) {
        const d = dout[y + o], e = dout[yb + o], w = o * C;
        const k0 = weight[w + i], k1 = weight[w + i1], k2 = weight[w + i2], k3 = weight[w + i3];
        a0 += d * k0; a1 += d * k1; a2 += d * k2; a3 += d * k3;
        b0 += e * k0; b1 += e * k1; b2 += e * k2; b3 += e * k3;
      }
      dinp[x + i] = a0; dinp[x + i1] = a1; dinp[x + i2] = a2; dinp[x + i3] = a3;
      dinp[xb + i] = b0; dinp[xb + i1] = b1; dinp[xb + i2] = b2; dinp[xb + i3] = b3;
    }
  }
  // dW: tiles of 2 outputs x 4 input channels, each summed over the rows
  for (let o = 0; o < OC; o += 2) {
    const ob = Math.min(o + 1, OC - 1), w = o * C, wb = ob * C;
    for (let i = 0; i < C; i += 4) {
      const i1 = Math.min(i + 1, C - 1), i2 = Math.min(i + 2, C - 1), i3 = Math.min(i + 3, C - 1);
      let a0 = dweight[w + i], a1 = dweight[w + i1], a2 = dweight[w + i2], a3 = dweight[w + i3];
      let b0 = dweight[wb + i], b1 = dweight[wb + i1], b2 = dweight[wb + i2], b3 = dweight[wb + i3];
      for (let t = 0; t < N; t++) {
        const d = dout[t * OC + o], e = dout[t * OC + ob], x = t * C;
        const u0 = inp[x + i], u1 = inp[x + i1], u2 = inp[x + i2], u3 = inp[x + i3];
        a0 += d * u0; a1 += d * u1; a2 += d * u2; a3 += d * u3;
        b0 += e * u0; b1 += e * u1; b2 += e * u2; b3 += e * u3;
      }
      dweight[w + i] = a0; dweight[w + i1] = a1; dweight[w + i2] = a2; dweight[w + i3] = a3;
      dweight[wb + i] = b0; dweight[wb + i1] = b1; dweight[wb + i2] = b2; dweight[wb + i3] = b3;
    }
  }
}
