// The residual connection over n floats: out = a + b. Its backward needs no kernel: the
// engine keeps one gradient buffer for the whole residual stream (src/core/wasm/gpt.ts).

export function residualForward(out: usize, inp1: usize, inp2: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(out + j, f32x4.add(v128.load(inp1 + j), v128.load(inp2 + j)));
  for (; j < end; j += 4) store<f32>(out + j, load<f32>(inp1 + j) + load<f32>(inp2 + j));
}
