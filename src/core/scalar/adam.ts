// Adam over scalar Values, with moment buffers indexed like the flat parameter list.

import type { TrainConfig } from '../contract/config.js';
import * as libm from '../libm/index.js';
import type { Value } from './value.js';

export interface AdamState {
  m: Float64Array; // (numParams,) first moment
  v: Float64Array; // (numParams,) second moment
}

export function createAdamState(numParams: number): AdamState {
  return { m: new Float64Array(numParams), v: new Float64Array(numParams) };
}

/** One update at 0-based `step` with learning rate `lr`; clears every grad afterwards. */
export function adamStep(params: Value[], state: AdamState, cfg: TrainConfig, step: number, lr: number): void {
  const { m, v } = state;
  const { beta1, beta2, epsAdam } = cfg;
  // bias corrections, computed once per step but to the same bits as per parameter
  const c1 = 1 - libm.pow(beta1, step + 1);
  const c2 = 1 - libm.pow(beta2, step + 1);
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const g = p.grad;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * (g * g);
    const mHat = m[i] / c1;
    const vHat = v[i] / c2;
    p.data -= (lr * mHat) / (Math.sqrt(vHat) + epsAdam); // sqrt is exactly x ** 0.5, rounded
    p.grad = 0;
  }
}
