// The residual connection over n floats: out = a + b.

export function residualForward(out: usize, inp1: usize, inp2: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(out + j, f32x4.add(v128.load(inp1 + j), v128.load(inp2 + j)));
  for (; j < end; j += 4) store<f32>(out + j, load<f32>(inp1 + j) + load<f32>(inp2 + j));
}

// y = a + b  =>  da += dy, db += dy
export function residualBackward(dinp1: usize, dinp2: usize, dout: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) {
    const g = v128.load(dout + j);
    v128.store(dinp1 + j, f32x4.add(v128.load(dinp1 + j), g));
    v128.store(dinp2 + j, f32x4.add(v128.load(dinp2 + j), g));
  }
  for (; j < end; j += 4) {
    const g = load<f32>(dout + j);
    store<f32>(dinp1 + j, load<f32>(dinp1 + j) + g);
    store<f32>(dinp2 + j, load<f32>(dinp2 + j) + g);
  }
}
