// The input of the network: token embedding plus position embedding, row by row. tokens
// and positions are i32 ids, one per row. A model with rotary positions has no position
// table: wpe = 0 leaves it out.

/** out (T, C) = wte[tokens[t]] + wpe[positions[t]] (wte[tokens[t]] when wpe = 0). */
export function embeddingForward(out: usize, tokens: usize, positions: usize, wte: usize, wpe: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const y = out + <usize>t * rowBytes;
    const a = wte + <usize>load<i32>(tokens + (<usize>t << 2)) * rowBytes;
    let j: usize = 0;
    if (wpe == 0) {
      for (; j < rowBytes; j += 4) store<f32>(y + j, load<f32>(a + j));
      continue;
    }
    const b = wpe + <usize>load<i32>(positions + (<usize>t << 2)) * rowBytes;
    for (; j < full; j += 16) v128.store(y + j, f32x4.add(v128.load(a + j), v128.load(b + j)));
    for (; j < rowBytes; j += 4) store<f32>(y + j, load<f32>(a + j) + load<f32>(b + j));
  }
}

// y_t = wte[i_t] + wpe[p_t]  =>  dwte[i_t] += dy_t, dwpe[p_t] += dy_t (rows may repeat, so serially;
// dwpe = 0: no table)
export function embeddingBackward(dwte: usize, dwpe: usize, dout: usize, tokens: usize, positions: usize, T: i32, C: i32): void {
  const rowBytes = <usize>C << 2, full = <usize>(C & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const dy = dout + <usize>t * rowBytes;
    const a = dwte + <usize>load<i32>(tokens + (<usize>t << 2)) * rowBytes;
    let j: usize = 0;
    if (dwpe == 0) {
      for (; j < rowBytes; j += 4) store<f32>(a + j, load<f32>(a + j) + load<f32>(dy + j));
      continue;
    }
    const b = dwpe + <usize>load<i32>(positions + (<usize>t << 2)) * rowBytes;
    for (; j < full; j += 16) {
      const g = v128.load(dy + j);
      v128.store(a + j, f32x4.add(v128.load(a + j), g));
      v128.store(b + j, f32x4.add(v128.load(b + j), g));
    }
    for (; j < rowBytes; j += 4) {
      const g = load<f32>(dy + j);
      store<f32>(a + j, load<f32>(a + j) + g);
      store<f32>(b + j, load<f32>(b + j) + g);
    }
  }
}
