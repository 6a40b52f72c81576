// The elementwise pieces of a block: the MLP's activation (ReLU as the reference, or ReLU^2
// or GELU), and the residual adds.

// out (n,) <- inp (n,)
export function reluForward(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0;
}

// y = max(0, x)  =>  dx += dy where x > 0
export function reluBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) if (inp[i] > 0) dinp[i] += dout[i];
}

// out (n,) <- inp (n,)
export function relu2Forward(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] * inp[i] : 0;
}

// y = max(0, x)^2  =>  dx += 2x * dy where x > 0
export function relu2Backward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) if (inp[i] > 0) dinp[i] += 2 * inp[i] * dout[i];
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

// out (n,) <- inp (n,); GPT-2's tanh approximation
export function geluForward(out: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_A * x * x * x)));
  }
}

// y = x/2 (1 + th), th = tanh(u), u = k(x + a x^3)  =>  dx += dy (1/2 (1 + th) + x/2 (1 - th^2) k (1 + 3a x^2))
export function geluBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i], th = Math.tanh(GELU_K * (x + GELU_A * x * x * x));
    const du = GELU_K * (1 + 3 * GELU_A * x * x);
    dinp[i] += dout[i] * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du);
  }
}

type Pointwise = (out: Float64Array, inp: Float64Array, n: number) => void;
type PointwiseBackward = (dinp: Float64Array, dout: Float64Array, inp: Float64Array, n: number) => void;

/** The forward/backward pair of an activation by its config name; absent is the reference's ReLU. */
export function activationKernels(name: string | undefined): { forward: Pointwise; backward: PointwiseBackward } {
  if (name === 'relu2') return { forward: relu2Forward, backward: relu2Backward };
  if (name === 'gelu') return { forward: geluForward, backward: geluBackward };
  return { forward: reluForward, backward: reluBackward };
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
