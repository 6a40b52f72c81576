// Inverted dropout with the float64 engine's generator (src/core/tensor/dropout.ts), bit for
// bit: mulberry32 in integer arithmetic, so both engines drop the same entries from the same
// (seed, step). A kept entry is scaled by 1/(1-p); the mask keeps 0 or that scale.

/**
 * inp (n,) *= mask (n,), the mask drawn one uniform per entry in order, starting from
 * generator state `state`; returns the state after the last draw, for the next call.
 */
export function dropoutForward(inp: usize, mask: usize, p: f64, state: u32, n: i32): u32 {
  const scale = <f32>(1 / (1 - p)), end = <usize>n << 2;
  for (let j: usize = 0; j < end; j += 4) {
    state += 0x6d2b79f5;
    let t = state;
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    const u = <f64>(t ^ (t >>> 14)) / 4294967296; // exact in float64, as the TypeScript generator divides
    const m: f32 = u < p ? 0 : scale;
    store<f32>(mask + j, m);
    store<f32>(inp + j, load<f32>(inp + j) * m);
  }
  return state;
}

// y = x * mask  =>  dx = mask * dy (written, not added to)
export function dropoutGradient(dinp: usize, dout: usize, mask: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(dinp + j, f32x4.mul(v128.load(dout + j), v128.load(mask + j)));
  for (; j < end; j += 4) store<f32>(dinp + j, load<f32>(dout + j) * load<f32>(mask + j));
}
