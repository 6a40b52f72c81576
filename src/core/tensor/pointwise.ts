// The elementwise pieces of a block: the MLP's activation (ReLU as the reference, ReLU^2,
// GELU, or SwiGLU, which gates one half of its input by the other), and the residual adds.

import * as libm from '../libm/index.js';
import type { TensorKernels } from './kernels.js';

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

/** Where the reference's ReLU comes from: the TS kernels, or a kernel set's (TensorKernels). */
type Relu = Pick<TensorKernels, 'reluForward' | 'reluBackward'>;
const TS_RELU: Relu = { reluForward, reluBackward };

/** The forward/backward pair of an activation by its config name; absent is the reference's ReLU (from `relu`). */
export function activationKernels(name: string | undefined, relu = TS_RELU): { forward: Pointwise; backward: PointwiseBackward } {
  if (name === 'swiglu') throw new Error('swiglu is not elementwise (it gates half its input by the other half): use mlpActivation');
  if (name === 'relu2') return { forward: relu2Forward, backward: relu2Backward };
  if (name === 'gelu') return { forward: geluForward, backward: geluBackward };
  return { forward: relu.reluForward, backward: relu.reluBackward };
}

// out (N, H) <- inp (N, 2H): gate | up per row; silu(z) = z / (1 + exp(-z))
export function swigluForward(out: Float64Array, inp: Float64Array, N: number, H: number): void {
  for (let t = 0; t < N; t++) {
    const x = t * 2 * H, y = t * H;
    for (let j = 0; j < H; j++) {
      const g = inp[x + j];
      out[y + j] = (g / (1 + libm.exp(-g))) * inp[x + H + j];
    }
  }
}

// y = silu(g) u, silu(g) = g s, s = sigmoid(g)  =>  du += dy silu(g), dg += dy u s (1 + g (1 - s))
export function swigluBackward(dinp: Float64Array, dout: Float64Array, inp: Float64Array, N: number, H: number): void {
  for (let t = 0; t < N; t++) {
    const x = t * 2 * H, y = t * H;
    for (let j = 0; j < H; j++) {
      const g = inp[x + j], u = inp[x + H + j], e = 1 + libm.exp(-g), s = 1 / e, d = dout[y + j];
      dinp[x + j] += d * u * s * (1 + g * (1 - s));
      dinp[x + H + j] += d * (g / e);
    }
  }
}

type RowKernel = (out: Float64Array, inp: Float64Array, N: number, H: number) => void;
type RowKernelBackward = (dinp: Float64Array, dout: Float64Array, inp: Float64Array, N: number, H: number) => void;

/**
 * The MLP's activation as a kernel over N rows of H outputs, whose input rows are `inWidth`
 * wide: H for the elementwise ones, 2H for swiglu.
 */
export function mlpActivation(name: string | undefined, H: number, relu = TS_RELU): { forward: RowKernel; backward: RowKernelBackward; inWidth: number } {
  if (name === 'swiglu') return { forward: swigluForward, backward: swigluBackward, inWidth: 2 * H };
  const { forward, backward } = activationKernels(name, relu);
  return {
    forward: (out, inp, N) => forward(out, inp, N * H),
    backward: (dinp, dout, inp, N) => backward(dinp, dout, inp, N * H),
    inWidth: H,
  };
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
