// The Mersenne Twister of src/core/contract/random.ts (twist, uint32's tempering, random's
// 53 bits), ported statement for statement, over PyRandom's 624 state words copied into memory.
// A caller sets `index` from PyRandom's, draws, and hands the index back.

const N = 624, M = 397;

/** The next word's position in the state, as PyRandom.index. */
export let index: i32 = N;

export function setIndex(i: i32): void {
  index = i;
}

@inline function word(mt: usize, k: i32): u32 {
  return load<u32>(mt + (<usize>k << 2));
}

function twist(mt: usize): void {
  for (let k = 0; k < N; k++) {
    const k1 = k + 1 < N ? k + 1 : 0, kM = k + M < N ? k + M : k + M - N;
    const y = (word(mt, k) & 0x80000000) | (word(mt, k1) & 0x7fffffff);
    store<u32>(mt + (<usize>k << 2), word(mt, kM) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0));
  }
}

/** PyRandom.uint32 on the state at mt (624,). */
export function uint32(mt: usize): u32 {
  if (index >= N) { twist(mt); index = 0; }
  let y = word(mt, index++);
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y;
}

/** PyRandom.random: a float in [0, 1) with 53 random bits. */
export function random(mt: usize): f64 {
  const a = uint32(mt) >>> 5, b = uint32(mt) >>> 6;
  return (<f64>a * 67108864 + <f64>b) / 9007199254740992;
}
