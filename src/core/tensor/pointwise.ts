// The elementwise pieces of a block: ReLU after the first MLP layer, and the residual adds.

// out (n,) <- inp (n,)
export function reluForward(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0;
}

// y = max(0, x)  =>  dx += dy where x > 0
export function reluBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) if (inp[i] > 0) dinp[i] += dout[i];
}

// out (n,) <- inp1 (n,), inp2 (n,)
export function residualForward(out: Float64Array, inp1: Float64Array, inp2: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp1[i] + inp2[i];
}

// y = a + b  =>  da += dy, db += dy
export function residualBackward(dinp1: Float64Array, dinp2: Float64Array, dout: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    dinp1[i] += dout[i];
    dinp2[i] += dout[i];
  }
}
