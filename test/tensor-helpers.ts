// Shared by the tensor tests: seeded random tensors and a comparison that names the tensor,
// its worst element and both values when it fails.

import assert from 'node:assert/strict';
import { PyRandom } from '../src/core/contract/random.js';

export function randomTensor(rng: PyRandom, n: number, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.gauss(0, std);
  return out;
}

export function newRng(seed: number): PyRandom {
  return new PyRandom(seed);
}

/**
 * Fails unless every |got - want| <= tol * max(|want|, floor); floor defaults to a tiny
 * fraction of the tensor's largest entry, so entries that cancel to ~0 are judged on scale.
 */
export function assertTensorClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number,
                                  floor?: number): void {
  assert.equal(got.length, want.length, `${name}: length ${got.length}, want ${want.length}`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  const f = floor ?? scale * 1e-6;
  let worst = -1, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), f, Number.MIN_VALUE);
    if (Number.isNaN(err)) { worstErr = NaN; worst = i; break; }
    if (err > worstErr) { worstErr = err; worst = i; }
  }
  assert.ok(worstErr <= tol,
    `${name}: worst element [${worst}] got ${got[worst]}, want ${want[worst]} (relative ${worstErr}, tolerance ${tol})`);
}

/** sum(out * dout): a scalar whose gradient with respect to out is dout. */
export function objective(out: ArrayLike<number>, dout: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * dout[i];
  return s;
}

/** d/dx_i of f by central differences, for every i. */
export function numericGrad(x: Float64Array, f: () => number, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const old = x[i];
    x[i] = old + h;
    const up = f();
    x[i] = old - h;
    const down = f();
    x[i] = old;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}
