// random.shuffle's draws for PyRandom.shuffle: randbelow's rejection of src/core/contract/
// random.ts on the ported Mersenne Twister.

import { index, setIndex, uint32 } from './mersenne';

// js (n,) i32 <- j = randbelow(i + 1) for i = n-1 down to 1, from the state mt (624,) u32 at
// `at`; returns the index after the last word drawn
export function shuffleDraws(mt: usize, at: i32, js: usize, n: i32): i32 {
  setIndex(at);
  for (let i = n - 1; i > 0; i--) {
    const bound = <u32>(i + 1), shift = clz<u32>(bound);
    let r = uint32(mt) >>> shift;
    while (r >= bound) r = uint32(mt) >>> shift;
    store<i32>(js + (<usize>i << 2), <i32>r);
  }
  return index;
}
