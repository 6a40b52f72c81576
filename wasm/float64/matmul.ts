// y = x W^T and its gradients, W (OC, C) row-major, as src/core/tensor/matmul.ts computes them.
// The forward's lanes are two rows of x (each a dot product along C, summed from index 0);
// the backward's are two neighbouring channels of a row (each a sum over o or t, added onto
// the gradient already there). Every sum sees its terms in the same order as the TS kernel.

/** (p0[0], p1[0]) as one vector. */
@inline function pair(p0: usize, p1: usize): v128 {
  return f64x2.replace_lane(v128.load64_splat(p0), 1, load<f64>(p1));
}

/** The forward's sum: acc + w * x, with w broadcast to both lanes. */
@inline function term(acc: v128, w: usize, x: v128): v128 {
  return f64x2.add(acc, f64x2.mul(v128.load64_splat(w), x));
}

/** Stores lane 0 of v at p0 and, with `both`, lane 1 at p1. */
@inline function storeRows(p0: usize, p1: usize, both: bool, v: v128): void {
  store<f64>(p0, f64x2.extract_lane(v, 0));
  if (both) store<f64>(p1, f64x2.extract_lane(v, 1));
}

// out (N, OC) <- inp (N, C), weight (OC, C); tiles of 2 rows x 4 outputs, an edge tile
// repeating its last row or output (computed twice, stored once)
export function matmulForward(out: usize, inp: usize, weight: usize, N: i32, C: i32, OC: i32): void {
  const row = <usize>C << 3, outRow = <usize>OC << 3;
  for (let t = 0; t < N; t += 2) {
    const both = t + 1 < N, x0 = inp + <usize>t * row, x1 = both ? x0 + row : x0;
    const y0 = out + <usize>t * outRow, y1 = y0 + outRow;
    for (let o = 0; o < OC; o += 4) {
      const w0 = weight + <usize>o * row, w1 = o + 1 < OC ? w0 + row : w0;
      const w2 = o + 2 < OC ? w1 + row : w1, w3 = o + 3 < OC ? w2 + row : w2;
      let x = pair(x0, x1);
      let a0 = f64x2.mul(v128.load64_splat(w0), x), a1 = f64x2.mul(v128.load64_splat(w1), x);
      let a2 = f64x2.mul(v128.load64_splat(w2), x), a3 = f64x2.mul(v128.load64_splat(w3), x);
      for (let i: usize = 8; i < row; i += 8) {
        x = pair(x0 + i, x1 + i);
        a0 = term(a0, w0 + i, x); a1 = term(a1, w1 + i, x); a2 = term(a2, w2 + i, x); a3 = term(a3, w3 + i, x);
      }
      const at = <usize>o << 3;
      storeRows(y0 + at, y1 + at, both, a0);
      if (o + 1 < OC) storeRows(y0 + at + 8, y1 + at + 8, both, a1);
      if (o + 2 < OC) storeRows(y0 + at + 16, y1 + at + 16, both, a2);
      if (o + 3 < OC) storeRows(y0 + at + 24, y1 + at + 24, both, a3);
    }
  }
}

/** The backward's sum: acc + s * b, with s broadcast to both lanes. */
@inline function addTerm(acc: v128, s: v128, b: usize, offset: usize): v128 {
  return f64x2.add(acc, f64x2.mul(s, v128.load(b + offset)));
}

/**
 * c0[j], c1[j] += sum over k < count of a0[k] b[k][j], a1[k] b[k][j], for j < C, k upward;
 * a's entries `stepA` bytes apart, b's rows `rowB`. c1 is written only with `both`.
 */
function addProducts(c0: usize, c1: usize, both: bool, a0: usize, a1: usize, stepA: usize,
                     b: usize, rowB: usize, count: i32, C: i32): void {
  const end = <usize>C << 3, stop = <usize>count * stepA;
  let j: usize = 0;
  for (; j + 64 <= end; j += 64) { // 8 channels: 4 vectors per row
    let p0 = v128.load(c0 + j), p1 = v128.load(c0 + j, 16), p2 = v128.load(c0 + j, 32), p3 = v128.load(c0 + j, 48);
    let q0 = v128.load(c1 + j), q1 = v128.load(c1 + j, 16), q2 = v128.load(c1 + j, 32), q3 = v128.load(c1 + j, 48);
    for (let k: usize = 0, r = b + j; k < stop; k += stepA, r += rowB) {
      const s = v128.load64_splat(a0 + k), u = v128.load64_splat(a1 + k);
      p0 = addTerm(p0, s, r, 0); q0 = addTerm(q0, u, r, 0);
      p1 = addTerm(p1, s, r, 16); q1 = addTerm(q1, u, r, 16);
      p2 = addTerm(p2, s, r, 32); q2 = addTerm(q2, u, r, 32);
      p3 = addTerm(p3, s, r, 48); q3 = addTerm(q3, u, r, 48);
    }
    v128.store(c0 + j, p0); v128.store(c0 + j, p1, 16); v128.store(c0 + j, p2, 32); v128.store(c0 + j, p3, 48);
    if (both) { v128.store(c1 + j, q0); v128.store(c1 + j, q1, 16); v128.store(c1 + j, q2, 32); v128.store(c1 + j, q3, 48); }
  }
  for (; j + 16 <= end; j += 16) { // 2 channels
    let p = v128.load(c0 + j), q = v128.load(c1 + j);
    for (let k: usize = 0, r = b + j; k < stop; k += stepA, r += rowB) {
      p = addTerm(p, v128.load64_splat(a0 + k), r, 0);
      q = addTerm(q, v128.load64_splat(a1 + k), r, 0);
    }
    v128.store(c0 + j, p);
    if (both) v128.store(c1 + j, q);
  }
  if (j < end) { // an odd last channel
    let p = load<f64>(c0 + j), q = load<f64>(c1 + j);
    for (let k: usize = 0, r = b + j; k < stop; k += stepA, r += rowB) {
      const x = load<f64>(r);
      p += load<f64>(a0 + k) * x;
      q += load<f64>(a1 + k) * x;
    }
    store<f64>(c0 + j, p);
    if (both) store<f64>(c1 + j, q);
  }
}

// y = x W^T  =>  dx += dy W, dW += dy^T x
export function matmulBackward(dinp: usize, dweight: usize, dout: usize, inp: usize, weight: usize,
                               N: i32, C: i32, OC: i32): void {
  const row = <usize>C << 3, outRow = <usize>OC << 3;
  // dx: rows t, t+1, each channel summed over the outputs o
  for (let t = 0; t < N; t += 2) {
    const both = t + 1 < N, d0 = dinp + <usize>t * row, g0 = dout + <usize>t * outRow;
    addProducts(d0, both ? d0 + row : d0, both, g0, both ? g0 + outRow : g0, 8, weight, row, OC, C);
  }
  // dW: outputs o, o+1, each channel summed over the rows t
  for (let o = 0; o < OC; o += 2) {
    const both = o + 1 < OC, d0 = dweight + <usize>o * row, g0 = dout + (<usize>o << 3);
    addProducts(d0, both ? d0 + row : d0, both, g0, both ? g0 + 8 : g0, outRow, inp, row, N, C);
  }
}
