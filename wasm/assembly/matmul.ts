// The three products of a linear layer y = x W^T, W (OC, C) as in PyTorch, with the engine
// holding W transposed (see matmulForward). Two shapes of kernel: dot products along rows,
// and products that broadcast one scalar against a contiguous row.
// The backward products overwrite their outputs, so a step's gradients need no zeroing.

import { dotTile2x4 } from './dots';
import { madd } from './simd';

// W rows per block in the dot products: about 16 KB, so the block stays in L1 while
// every row of x passes over it
const BLOCK_BYTES: i32 = 16384;

/**
 * out (BT, OC) = inp (BT, C) weight^T, weight (OC, C): dot products along rows, in tiles of
 * 2 rows of x by 4 rows of W; a short tile repeats its last row and drops the copy.
 */
@inline function dotProducts(out: usize, inp: usize, weight: usize, BT: i32, C: i32, OC: i32): void {
  const row = <usize>C << 2, outRow = <usize>OC << 2, one = f32x4.splat(1);
  const block = max(4, (BLOCK_BYTES / max(C << 2, 1)) & ~3);
  for (let ob = 0; ob < OC; ob += block) {
    const oEnd = min(OC, ob + block);
    for (let t = 0; t < BT; t += 2) {
      const x0 = inp + <usize>t * row, x1 = t + 1 < BT ? x0 + row : x0;
      const y0 = out + <usize>t * outRow, y1 = y0 + outRow;
      for (let o = ob; o < oEnd; o += 4) {
        const w0 = weight + <usize>o * row;
        const w1 = o + 1 < oEnd ? w0 + row : w0;
        const w2 = o + 2 < oEnd ? w1 + row : w1;
        const w3 = o + 3 < oEnd ? w2 + row : w2;
        const at = <usize>o << 2;
        dotTile2x4(y0 + at, y1 + at, t + 1 < BT, x0, x1, w0, w1, w2, w3, row, min(4, oEnd - o), one);
      }
    }
  }
}

// Blocks of the backward products: a 16-column strip of b over 128 values of k (8 KB) and
// 32 rows of a over the same k (16 KB) stay in L1 while the tiles pass over them
const K_BLOCK: i32 = 128;
const M_BLOCK: i32 = 32;

// Why 2 rows by 16 columns: V8 compiles WebAssembly for x64 onto 15 vector registers (xmm15
// is its scratch) and loads a step's four rows of b before using them, so this tile's 8
// sums, 4 rows of b and 2 broadcasts are about all that fit. Tiles with more sums, for more
// independent chains through the multiply-add latency, spilled sums to the stack: 3 x 16
// ran the products at 30-36 GFLOP/s and 5 x 8 at 23-29, against 53-62 for this one
// (`node dist/bench/kernels.js`, each tile built in turn, December 2026).

/**
 * c[0..1, 0..15] = (or += when `add`) a[0..1, k] b[k, 0..15] over `count` values of k; c1 is
 * skipped unless `both`.
 */
@inline function tile2x16(c0: usize, c1: usize, both: bool, add: bool, a0: usize, a1: usize, stepA: usize,
                          b: usize, rowB: usize, count: i32): void {
  let p0 = f32x4.splat(0), p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
  const end = b + <usize>count * rowB, gap = a1 - a0;
  for (; b < end; b += rowB, a0 += stepA) {
    const s = v128.load32_splat(a0), u = v128.load32_splat(a0 + gap);
    let v = v128.load(b); p0 = madd(s, v, p0); q0 = madd(u, v, q0);
    v = v128.load(b, 16); p1 = madd(s, v, p1); q1 = madd(u, v, q1);
    v = v128.load(b, 32); p2 = madd(s, v, p2); q2 = madd(u, v, q2);
    v = v128.load(b, 48); p3 = madd(s, v, p3); q3 = madd(u, v, q3);
  }
  if (add) {
    p0 = f32x4.add(v128.load(c0), p0); p1 = f32x4.add(v128.load(c0, 16), p1);
    p2 = f32x4.add(v128.load(c0, 32), p2); p3 = f32x4.add(v128.load(c0, 48), p3);
  }
  v128.store(c0, p0); v128.store(c0, p1, 16); v128.store(c0, p2, 32); v128.store(c0, p3, 48);
  if (!both) return;
  if (add) {
    q0 = f32x4.add(v128.load(c1), q0); q1 = f32x4.add(v128.load(c1, 16), q1);
    q2 = f32x4.add(v128.load(c1, 32), q2); q3 = f32x4.add(v128.load(c1, 48), q3);
  }
  v128.store(c1, q0); v128.store(c1, q1, 16); v128.store(c1, q2, 32); v128.store(c1, q3, 48);
}

/** The same for 4 columns. */
@inline function tile2x4(c0: usize, c1: usize, both: bool, add: bool, a0: usize, a1: usize, stepA: usize,
                         b: usize, rowB: usize, count: i32): void {
  let p = f32x4.splat(0), q = p;
  const end = b + <usize>count * rowB, gap = a1 - a0;
  for (; b < end; b += rowB, a0 += stepA) {
    const v = v128.load(b);
    p = madd(v128.load32_splat(a0), v, p); q = madd(v128.load32_splat(a0 + gap), v, q);
  }
  v128.store(c0, add ? f32x4.add(v128.load(c0), p) : p);
  if (both) v128.store(c1, add ? f32x4.add(v128.load(c1), q) : q);
}

/** The same for 1 column. */
@inline function tile2x1(c0: usize, c1: usize, both: bool, add: bool, a0: usize, a1: usize, stepA: usize,
                         b: usize, rowB: usize, count: i32): void {
  let p: f32 = 0, q: f32 = 0;
  const end = b + <usize>count * rowB, gap = a1 - a0;
  for (; b < end; b += rowB, a0 += stepA) {
    const v = load<f32>(b);
    p += load<f32>(a0) * v; q += load<f32>(a0 + gap) * v;
  }
  store<f32>(c0, add ? load<f32>(c0) + p : p);
  if (both) store<f32>(c1, add ? load<f32>(c1) + q : q);
}

/**
 * c (M, N) = a (M, K) b (K, N), b and c row-major, a[m, k] at a + (m * aRow + k * aCol)
 * floats, so a can be read transposed. Tiles of 2 rows by 16, then 4, then 1 columns; the
 * first block of k overwrites c, so c needs no zeroing (K = 0 leaves it untouched).
 */
function product(c: usize, a: usize, b: usize, M: i32, N: i32, K: i32, aRow: i32, aCol: i32): void {
  const rowB = <usize>N << 2, stepA = <usize>aCol << 2, rowA = <usize>aRow << 2;
  for (let k0 = 0; k0 < K; k0 += K_BLOCK) {
    const count = min(K_BLOCK, K - k0), add = k0 > 0;
    const ak = a + (<usize>k0 * stepA), bk = b + <usize>k0 * rowB;
    for (let m0 = 0; m0 < M; m0 += M_BLOCK) {
      const mEnd = min(M, m0 + M_BLOCK);
      let n = 0;
      for (; n + 16 <= N; n += 16) {
        for (let m = m0; m < mEnd; m += 2) {
          const a0 = ak + <usize>m * rowA, c0 = c + <usize>m * rowB + (<usize>n << 2);
          tile2x16(c0, c0 + rowB, m + 1 < mEnd, add, a0, m + 1 < mEnd ? a0 + rowA : a0, stepA, bk + (<usize>n << 2), rowB, count);
        }
      }
      for (; n + 4 <= N; n += 4) {
        for (let m = m0; m < mEnd; m += 2) {
          const a0 = ak + <usize>m * rowA, c0 = c + <usize>m * rowB + (<usize>n << 2);
          tile2x4(c0, c0 + rowB, m + 1 < mEnd, add, a0, m + 1 < mEnd ? a0 + rowA : a0, stepA, bk + (<usize>n << 2), rowB, count);
        }
      }
      for (; n < N; n++) {
        for (let m = m0; m < mEnd; m += 2) {
          const a0 = ak + <usize>m * rowA, c0 = c + <usize>m * rowB + (<usize>n << 2);
          tile2x1(c0, c0 + rowB, m + 1 < mEnd, add, a0, m + 1 < mEnd ? a0 + rowA : a0, stepA, bk + (<usize>n << 2), rowB, count);
        }
      }
    }
  }
}

// The engine keeps each weight transposed, Wt = W^T (C, OC), so that the forward product
// broadcasts x against contiguous rows of Wt: in the whole model that form ran 15% faster
// than dot products along rows of W (in isolation the two are within 6%).

/** out (BT, OC) = inp (BT, C) Wt. */
export function matmulForward(out: usize, inp: usize, weightT: usize, BT: i32, C: i32, OC: i32): void {
  product(out, inp, weightT, BT, OC, C, C, 1);
}

// y = x Wt  =>  dx = dy Wt^T: dot products of rows of dy with rows of Wt. Written, not added:
// where a gradient has two sources (the residual stream) the other one adds itself afterwards.
export function matmulInputGradient(dinp: usize, dout: usize, weightT: usize, BT: i32, C: i32, OC: i32): void {
  dotProducts(dinp, dout, weightT, BT, OC, C);
}

// y = x Wt  =>  dWt = x^T dy: (C, BT) by (BT, OC), reading x transposed. Only rows c0..c1-1
// of dWt, so that threads can split it.
export function matmulWeightGradient(dweightT: usize, dout: usize, inp: usize, BT: i32, C: i32, OC: i32,
                                     c0: i32, c1: i32): void {
  product(dweightT + (<usize>c0 * OC << 2), inp + (<usize>c0 << 2), dout, c1 - c0, OC, BT, 1, C);
}
