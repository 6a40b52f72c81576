// A small seeded generator for test inputs (mulberry32), shared by the libm tests: uniforms in
// [0, 1) with 32 bits, and `fine` ones with 64.

/** A stream of uniforms in [0, 1); `fine()` adds 32 more bits below the first 32. */
export function uniforms(seed: number): { random: () => number; fine: () => number } {
  const random = (): number => {
    seed = seed + 0x6d2b79f5 | 0;
    let t = Math.imul(seed ^ seed >>> 15, seed | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  };
  return { random, fine: () => random() + random() * 2 ** -32 };
}
