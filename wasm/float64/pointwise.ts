// ReLU and the residual adds: src/core/tensor/pointwise.ts's loops, element for element.

// out (n,) <- inp (n,)
export function reluForward(out: usize, inp: usize, n: i32): void {
  const end = <usize>n << 3;
  for (let i: usize = 0; i < end; i += 8) {
    const x = load<f64>(inp + i);
    store<f64>(out + i, x > 0 ? x : 0);
  }
}

// y = max(0, x)  =>  dx += dy where x > 0
export function reluBackward(dinp: usize, dout: usize, inp: usize, n: i32): void {
  const end = <usize>n << 3;
  for (let i: usize = 0; i < end; i += 8) if (load<f64>(inp + i) > 0) store<f64>(dinp + i, load<f64>(dinp + i) + load<f64>(dout + i));
}

// out (n,) <- inp1 (n,), inp2 (n,)
export function residualForward(out: usize, inp1: usize, inp2: usize, n: i32): void {
  const end = <usize>n << 3;
  for (let i: usize = 0; i < end; i += 8) store<f64>(out + i, load<f64>(inp1 + i) + load<f64>(inp2 + i));
}

// y = a + b  =>  da += dy, db += dy
export function residualBackward(dinp1: usize, dinp2: usize, dout: usize, n: i32): void {
  const end = <usize>n << 3;
  for (let i: usize = 0; i < end; i += 8) {
    const d = load<f64>(dout + i);
    store<f64>(dinp1 + i, load<f64>(dinp1 + i) + d);
    store<f64>(dinp2 + i, load<f64>(dinp2 + i) + d);
  }
}
