// Causal multi-head self-attention over one sequence of T positions, as llm.c: qkv (T, 3C)
// holds q | k | v per row, head h in channels [h * hd, (h + 1) * hd) of each; att (T, NH, A)
// keeps each softmax row (A >= T is its stride). Query rows t0..T-1 are computed, so a KV
// cache can grow one row at a time.

import { madd, hsum, hsum4, storeLanes, hmax, exp4, exp1 } from './simd';

/** Four dot products of x against rows r0..r3, over n floats. */
@inline function dots4(x: usize, r0: usize, r1: usize, r2: usize, r3: usize, n: i32): v128 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  for (let j: usize = 0; j < full; j += 16) {
    const xj = v128.load(x + j);
    a0 = madd(xj, v128.load(r0 + j), a0); a1 = madd(xj, v128.load(r1 + j), a1);
    a2 = madd(xj, v128.load(r2 + j), a2); a3 = madd(xj, v128.load(r3 + j), a3);
  }
  let s = hsum4(a0, a1, a2, a3);
  for (let j = full; j < end; j += 4) {
    const xj = f32x4.splat(load<f32>(x + j));
    const r = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(
      f32x4.splat(load<f32>(r0 + j)), 1, load<f32>(r1 + j)), 2, load<f32>(r2 + j)), 3, load<f32>(r3 + j));
    s = madd(xj, r, s);
  }
  return s;
}

/**
 * y[0..n) = (or +=) sum over i < count of w[i] * rows[i][0..n), where w[i] sits wStep bytes
 * after w[i-1] and rows[i] rowBytes after rows[i-1]. Sums stay in registers, 16 floats at a time.
 */
@inline function weightedRows(y: usize, w: usize, wStep: usize, rows: usize, rowBytes: usize, count: i32, n: i32,
                              accumulate: bool): void {
  const end = <usize>n << 2;
  let j: usize = 0;
  for (; j + 64 <= end; j += 64) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let wi = w, r = rows + j;
    for (let i = 0; i < count; i++, wi += wStep, r += rowBytes) {
      const s = v128.load32_splat(wi);
      a0 = madd(s, v128.load(r), a0); a1 = madd(s, v128.load(r, 16), a1);
      a2 = madd(s, v128.load(r, 32), a2); a3 = madd(s, v128.load(r, 48), a3);
    }
    if (accumulate) {
      a0 = f32x4.add(a0, v128.load(y + j)); a1 = f32x4.add(a1, v128.load(y + j, 16));
      a2 = f32x4.add(a2, v128.load(y + j, 32)); a3 = f32x4.add(a3, v128.load(y + j, 48));
    }
    v128.store(y + j, a0); v128.store(y + j, a1, 16); v128.store(y + j, a2, 32); v128.store(y + j, a3, 48);
  }
  for (; j + 16 <= end; j += 16) {
    let a = f32x4.splat(0), wi = w, r = rows + j;
    for (let i = 0; i < count; i++, wi += wStep, r += rowBytes) a = madd(v128.load32_splat(wi), v128.load(r), a);
    v128.store(y + j, accumulate ? f32x4.add(a, v128.load(y + j)) : a);
  }
  for (; j < end; j += 4) {
    let a: f32 = 0, wi = w, r = rows + j;
    for (let i = 0; i < count; i++, wi += wStep, r += rowBytes) a += load<f32>(wi) * load<f32>(r);
    store<f32>(y + j, accumulate ? a + load<f32>(y + j) : a);
  }
}

/** row[s] = scale * (x . rows[s]) for s = 0..t; returns their max. */
@inline function rowDots(row: usize, x: usize, rows: usize, rowBytes: usize, t: i32, hd: i32, scale: f32): f32 {
  let m = f32x4.splat(-Infinity);
  for (let s = 0; s <= t; s += 4) {
    // past t the last key repeats, which leaves the max unchanged; those lanes are not stored
    const k0 = rows + <usize>s * rowBytes;
    const k1 = s + 1 <= t ? k0 + rowBytes : k0, k2 = s + 2 <= t ? k1 + rowBytes : k1, k3 = s + 3 <= t ? k2 + rowBytes : k2;
    const sc = f32x4.mul(dots4(x, k0, k1, k2, k3, hd), f32x4.splat(scale));
    storeLanes(row + (<usize>s << 2), sc, min(4, t + 1 - s));
    m = f32x4.pmax(m, sc);
  }
  return hmax(m);
}

/** row[0..n) = softmax(row[0..n)) given its max. */
@inline function softmaxRow(row: usize, n: i32, m: f32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, mv = f32x4.splat(m);
  let acc = f32x4.splat(0), sum: f32 = 0;
  let j: usize = 0;
  for (; j < full; j += 16) {
    const e = exp4(f32x4.sub(v128.load(row + j), mv));
    v128.store(row + j, e);
    acc = f32x4.add(acc, e);
  }
  for (; j < end; j += 4) {
    const e = exp1(load<f32>(row + j) - m);
    store<f32>(row + j, e);
    sum += e;
  }
  const inv: f32 = 1 / (sum + hsum(acc));
  const iv = f32x4.splat(inv);
  for (j = 0; j < full; j += 16) v128.store(row + j, f32x4.mul(v128.load(row + j), iv));
  for (; j < end; j += 4) store<f32>(row + j, load<f32>(row + j) * inv);
}

/** d[0..n) = scale * w * (d - w.d): the softmax's backward for its output w, in place. */
@inline function softmaxBackwardRow(d: usize, w: usize, n: i32, scale: f32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let acc = f32x4.splat(0), dot: f32 = 0;
  let j: usize = 0;
  for (; j < full; j += 16) acc = madd(v128.load(w + j), v128.load(d + j), acc);
  for (; j < end; j += 4) dot += load<f32>(w + j) * load<f32>(d + j);
  dot += hsum(acc);
  const dv = f32x4.splat(dot), sv = f32x4.splat(scale);
  for (j = 0; j < full; j += 16) {
    v128.store(d + j, f32x4.mul(f32x4.mul(v128.load(w + j), f32x4.sub(v128.load(d + j), dv)), sv));
  }
  for (; j < end; j += 4) store<f32>(d + j, load<f32>(w + j) * (load<f32>(d + j) - dot) * scale);
}

/** out (T, C) = softmax(q k^T / sqrt(hd), causal) v for head h, query rows t0..T-1. */
@inline function headForward(out: usize, att: usize, qkv: usize, t0: i32, T: i32, C: i32, NH: i32, A: i32, h: i32): void {
  const hd = C / NH, rowBytes = <usize>(3 * C) << 2, headBytes = <usize>hd << 2, cb = <usize>C << 2;
  const scale = <f32>(1 / Math.sqrt(<f64>hd)), hs = <usize>h * headBytes, keys = qkv + cb + hs;
  for (let t = t0; t < T; t++) {
    const row = att + (<usize>((t * NH + h) * A) << 2);
    softmaxRow(row, t + 1, rowDots(row, qkv + <usize>t * rowBytes + hs, keys, rowBytes, t, hd, scale));
    weightedRows(out + <usize>t * cb + hs, row, 4, keys + cb, rowBytes, t + 1, hd, false);
  }
}

// y_t = sum_s w_ts v_s, w = softmax(l), l_ts = q_t.k_s * scale  =>  dv_s = sum_t w_ts dy_t,
// dl_ts = w_ts (dw_ts - sum_u w_tu dw_tu) with dw_ts = dy_t.v_s, dq_t = scale sum_s dl_ts k_s,
// dk_s = scale sum_t dl_ts q_t. Each sum is complete in one pass, so head h's share of dqkv is
// written, not added to. datt (T, NH, A) is scratch: it ends up holding scale * dl.
@inline function headBackward(dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize,
                              T: i32, C: i32, NH: i32, A: i32, h: i32): void {
  const hd = C / NH, rowBytes = <usize>(3 * C) << 2, headBytes = <usize>hd << 2, cb = <usize>C << 2;
  const scale = <f32>(1 / Math.sqrt(<f64>hd)), step = <usize>(NH * A) << 2; // from (t, h, s) to (t + 1, h, s)
  const hs = <usize>h * headBytes, q = qkv + hs, k = q + cb, v = k + cb, dq = dqkv + hs, dk = dq + cb, dv = dk + cb;
  // row by row: dw, then dl in place, then dq
  for (let t = 0; t < T; t++) {
    const off = <usize>((t * NH + h) * A) << 2, w = att + off, dl = datt + off;
    rowDots(dl, dout + <usize>t * cb + hs, v, rowBytes, t, hd, 1);
    softmaxBackwardRow(dl, w, t + 1, scale);
    weightedRows(dq + <usize>t * rowBytes, dl, 4, k, rowBytes, t + 1, hd, false);
  }
  // column by column: every later query's share in key s and value s
  for (let s = 0; s < T; s++) {
    const off = <usize>((s * NH + h) * A + s) << 2, at = <usize>s * rowBytes;
    weightedRows(dk + at, datt + off, step, q + at, rowBytes, T - s, hd, false);
    weightedRows(dv + at, att + off, step, dout + <usize>s * cb + hs, cb, T - s, hd, false);
  }
}

// A batch of sequences packed back to back is described by a table `seqs` of three i32 per
// sequence: its first row, its first query row t0 (0 but when a KV cache grows) and its length T.
// Work comes in units u = b * NH + h, one head of one sequence, so threads can split a batch.

/** Attention of units u0..u1-1; each sequence's buffers start at its first row. */
export function attentionForward(out: usize, att: usize, qkv: usize, seqs: usize, u0: i32, u1: i32,
                                 C: i32, NH: i32, A: i32): void {
  for (let u = u0; u < u1; u++) {
    const b = u / NH, entry = seqs + <usize>(12 * b), first = <usize>load<i32>(entry);
    headForward(out + (first * C << 2), att + (first * NH * A << 2), qkv + (first * 3 * C << 2),
      load<i32>(entry, 4), load<i32>(entry, 8), C, NH, A, u % NH);
  }
}

/** The backward of units u0..u1-1 over whole sequences (t0 is ignored). */
export function attentionBackward(dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize, seqs: usize,
                                  u0: i32, u1: i32, C: i32, NH: i32, A: i32): void {
  for (let u = u0; u < u1; u++) {
    const b = u / NH, entry = seqs + <usize>(12 * b), first = <usize>load<i32>(entry);
    headBackward(dqkv + (first * 3 * C << 2), datt + (first * NH * A << 2), dout + (first * C << 2),
      qkv + (first * 3 * C << 2), att + (first * NH * A << 2), load<i32>(entry, 8), C, NH, A, u % NH);
  }
}
