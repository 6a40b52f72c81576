// random.shuffle's draws for PyRandom.shuffle: the Mersenne Twister of src/core/contract/
// random.ts (twist, uint32's tempering, randbelow's rejection) ported statement for statement,
// on its 624 state words copied in and out.

const N = 624, M = 397;

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

// js (n,) i32 <- j = randbelow(i + 1) for i = n-1 down to 1, from the state mt (624,) u32 at
// `index`; returns the index after the last word drawn
export function shuffleDraws(mt: usize, index: i32, js: usize, n: i32): i32 {
  for (let i = n - 1; i > 0; i--) {
    const bound = <u32>(i + 1), shift = clz<u32>(bound);
    let r: u32;
    do {
      if (index >= N) { twist(mt); index = 0; }
      let y = word(mt, index++);
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      r = y >>> shift;
    } while (r >= bound);
    store<i32>(js + (<usize>i << 2), <i32>r);
  }
  return index;
}
