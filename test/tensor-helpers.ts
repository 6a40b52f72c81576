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
