// Inverted dropout: a kept entry is scaled by 1/(1-p), so the expected output is the input
// and evaluation needs no change. The mask comes from its own small generator seeded by
// (run seed, step), not from the run's PyRandom, so sampling streams and resume stay exact.

/** The generator's 32-bit starting state for a step (the float32 engine's kernel starts here too). */
export function dropoutState(seed: number, step: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

/** mulberry32: a tiny deterministic 32-bit generator; returns uniforms in [0, 1). */
export function dropoutRng(seed: number, step: number): () => number {
  let a = dropoutState(seed, step);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// out (n,), mask (n,) <- inp (n,); mask holds 0 or 1/(1-p), drawn from rand
export function dropoutForward(out: Float64Array, mask: Float64Array, inp: Float64Array, p: number,
                               rand: () => number, n: number): void {
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    mask[i] = rand() < p ? 0 : scale;
    out[i] = inp[i] * mask[i];
  }
}

// y = x * mask  =>  dx += mask * dy
export function dropoutBackward(dinp: Float64Array, dout: Float64Array, mask: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] += mask[i] * dout[i];
}
