// Token plus position embedding: src/core/tensor/embedding.ts's loops; wpe 0 stands for none
// (rotary positions), as undefined does there.

// out (N, C) <- wte (V, C), wpe (blockSize, C) or 0, tokens (N,) i32, positions (N,) i32
export function embeddingForward(out: usize, tokens: usize, positions: usize, wte: usize, wpe: usize, N: i32, C: i32): void {
  const rowBytes = <usize>C << 3;
  for (let t = 0; t < N; t++) {
    const y = out + <usize>t * rowBytes, tok = wte + <usize>load<i32>(tokens + (<usize>t << 2)) * rowBytes;
    if (wpe == 0) {
      for (let i: usize = 0; i < rowBytes; i += 8) store<f64>(y + i, load<f64>(tok + i));
      continue;
    }
    const pos = wpe + <usize>load<i32>(positions + (<usize>t << 2)) * rowBytes;
    for (let i: usize = 0; i < rowBytes; i += 8) store<f64>(y + i, load<f64>(tok + i) + load<f64>(pos + i));
  }
}

// out = wte[tok] + wpe[pos]  =>  dwte[tok] += dout, dwpe[pos] += dout
export function embeddingBackward(dwte: usize, dwpe: usize, dout: usize, tokens: usize, positions: usize, N: i32, C: i32): void {
  const rowBytes = <usize>C << 3;
  for (let t = 0; t < N; t++) {
    const dy = dout + <usize>t * rowBytes, tok = dwte + <usize>load<i32>(tokens + (<usize>t << 2)) * rowBytes;
    const pos = dwpe + <usize>load<i32>(positions + (<usize>t << 2)) * rowBytes;
    for (let i: usize = 0; i < rowBytes; i += 8) {
      const d = load<f64>(dy + i);
      store<f64>(tok + i, load<f64>(tok + i) + d);
      if (dwpe != 0) store<f64>(pos + i, load<f64>(pos + i) + d);
    }
  }
}
