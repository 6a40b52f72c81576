// Token plus position embedding: row t of the residual stream starts as wte[token] + wpe[pos],
// or wte[token] alone when positions come from rotary embeddings instead of a table.

// out (N, C) <- wte (V, C), wpe (blockSize, C) or none, tokens (N,), positions (N,)
export function embeddingForward(out: Float64Array, tokens: Int32Array, positions: Int32Array,
                                 wte: Float64Array, wpe: Float64Array | undefined, N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * C, tok = tokens[t] * C;
    if (wpe === undefined) {
      for (let i = 0; i < C; i++) out[row + i] = wte[tok + i];
      continue;
    }
    const pos = positions[t] * C;
    for (let i = 0; i < C; i++) out[row + i] = wte[tok + i] + wpe[pos + i];
  }
}

// out = wte[tok] + wpe[pos]  =>  dwte[tok] += dout, dwpe[pos] += dout
export function embeddingBackward(dwte: Float64Array, dwpe: Float64Array | undefined, dout: Float64Array,
                                  tokens: Int32Array, positions: Int32Array, N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const row = t * C, tok = tokens[t] * C, pos = positions[t] * C;
    for (let i = 0; i < C; i++) {
      const d = dout[row + i];
      dwte[tok + i] += d;
      if (dwpe !== undefined) dwpe[pos + i] += d;
    }
  }
}
