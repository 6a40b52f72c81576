// Causal multi-head self-attention over one sequence of T positions, as llm.c: qkv (T, 3C)
// holds q | k | v per row, head h in channels [h * hd, (h + 1) * hd) of each; att (T, NH, A)
// keeps each softmax row (A >= T is its stride). Query rows t0..T-1 are computed, so a KV
// cache can grow one row at a time. Rows go in pairs that share every key and value they
// load, as the matrix products' tiles do; a row's entries past its causal end are scratch.
// A row's numbers do not depend on its pairing, so decoding a token alone gives the same.

import { dotTile2x4 } from './dots';
import { madd, hsum, hmax, exp4, exp1 } from './simd';

/**
 * Causal scaled dot products: row t of out (rows outStep bytes apart, out at row t0) gets
 * scale * x_t . y_s for s = 0..t, t = t0..T-1, over n floats; x_t and y_s are rows xStep and
 * yStep bytes apart. In 2x4 tiles; a tile past the end repeats its last row of y. The first
 * row of a pair also gets column t + 1: scratch.
 */
@inline function causalDots(out: usize, outStep: usize, x: usize, xStep: usize, y: usize, yStep: usize,
                            t0: i32, T: i32, n: i32, scale: f32): void {
  const end = <usize>n << 2, sv = f32x4.splat(scale);
  for (let t = t0; t < T; t += 2) {
    const two = t + 1 < T, last = two ? t + 1 : t;
    const x0 = x + <usize>t * xStep, x1 = two ? x0 + xStep : x0;
    const o0 = out + <usize>(t - t0) * outStep, o1 = o0 + outStep;
    for (let s = 0; s <= last; s += 4) {
      const k0 = y + <usize>s * yStep;
      const k1 = s + 1 <= last ? k0 + yStep : k0, k2 = s + 2 <= last ? k1 + yStep : k1, k3 = s + 3 <= last ? k2 + yStep : k2;
      const at = <usize>s << 2;
      dotTile2x4(o0 + at, o1 + at, two, x0, x1, k0, k1, k2, k3, end, min(4, last + 1 - s), sv);
    }
  }
}

/**
 * y0[0..n) = sum over i < count of w0[i] * rows[i], and y1 the same with w1 (skipped unless
 * `both`), where w0[i], w1[i] sit wStep bytes after w0[i-1], w1[i-1] and rows[i] rowBytes after
 * rows[i-1]. The two sums share every row they load; 16 floats at a time stay in registers.
 */
@inline function weightedRows2(y0: usize, y1: usize, both: bool, w0: usize, w1: usize, wStep: usize,
                               rows: usize, rowBytes: usize, count: i32, n: i32): void {
  const end = <usize>n << 2, second = both ? w1 : w0; // w1 may point past the end when unused
  let j: usize = 0;
  for (; j + 64 <= end; j += 64) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    let u = w0, v = second, r = rows + j;
    for (let i = 0; i < count; i++, u += wStep, v += wStep, r += rowBytes) {
      const s = v128.load32_splat(u), z = v128.load32_splat(v);
      let x = v128.load(r); a0 = madd(s, x, a0); b0 = madd(z, x, b0);
      x = v128.load(r, 16); a1 = madd(s, x, a1); b1 = madd(z, x, b1);
      x = v128.load(r, 32); a2 = madd(s, x, a2); b2 = madd(z, x, b2);
      x = v128.load(r, 48); a3 = madd(s, x, a3); b3 = madd(z, x, b3);
    }
    v128.store(y0 + j, a0); v128.store(y0 + j, a1, 16); v128.store(y0 + j, a2, 32); v128.store(y0 + j, a3, 48);
    if (both) { v128.store(y1 + j, b0); v128.store(y1 + j, b1, 16); v128.store(y1 + j, b2, 32); v128.store(y1 + j, b3, 48); }
  }
  for (; j + 16 <= end; j += 16) {
    let a = f32x4.splat(0), b = a, u = w0, v = second, r = rows + j;
    for (let i = 0; i < count; i++, u += wStep, v += wStep, r += rowBytes) {
      const x = v128.load(r);
      a = madd(v128.load32_splat(u), x, a); b = madd(v128.load32_splat(v), x, b);
    }
    v128.store(y0 + j, a);
    if (both) v128.store(y1 + j, b);
  }
  for (; j < end; j += 4) {
    let a: f32 = 0, b: f32 = 0, u = w0, v = second, r = rows + j;
    for (let i = 0; i < count; i++, u += wStep, v += wStep, r += rowBytes) {
      const x = load<f32>(r);
      a += load<f32>(u) * x; b += load<f32>(v) * x;
    }
    store<f32>(y0 + j, a);
    if (both) store<f32>(y1 + j, b);
  }
}

/** y[0..n) += w * row[0..n). */
@inline function addScaledRow(y: usize, w: f32, row: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2, wv = f32x4.splat(w);
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(y + j, madd(wv, v128.load(row + j), v128.load(y + j)));
  for (; j < end; j += 4) store<f32>(y + j, load<f32>(y + j) + w * load<f32>(row + j));
}

/** row[0..n) = softmax(row[0..n)). */
@inline function softmaxRow(row: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let mv = f32x4.splat(-Infinity), m: f32 = -Infinity;
  let j: usize = 0;
  for (; j < full; j += 16) mv = f32x4.pmax(mv, v128.load(row + j));
  for (; j < end; j += 4) m = max(m, load<f32>(row + j));
  m = max(m, hmax(mv));
  mv = f32x4.splat(m);
  let acc = f32x4.splat(0), sum: f32 = 0;
  for (j = 0; j < full; j += 16) {
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

/**
 * out (T - t0, C) = softmax(q k^T / sqrt(hd), causal) v for head h, query rows t0..T-1 of qkv
 * (T, 3C); out and att (T - t0, NH, A) start at query row t0.
 */
@inline function headForward(out: usize, att: usize, qkv: usize, t0: i32, T: i32, C: i32, NH: i32, A: i32, h: i32): void {
  const hd = C / NH, rowBytes = <usize>(3 * C) << 2, cb = <usize>C << 2, attRow = <usize>(NH * A) << 2;
  const hs = <usize>(h * hd) << 2, q = qkv + hs, keys = q + cb, values = keys + cb, rows = att + (<usize>(h * A) << 2);
  causalDots(rows, attRow, q, rowBytes, keys, rowBytes, t0, T, hd, <f32>(1 / Math.sqrt(<f64>hd)));
  for (let t = t0; t < T; t++) softmaxRow(rows + <usize>(t - t0) * attRow, t + 1);
  for (let t = t0; t < T; t += 2) {
    // rows t and t + 1 share values 0..t; row t + 1 then adds value t + 1
    const two = t + 1 < T, w = rows + <usize>(t - t0) * attRow, y = out + <usize>(t - t0) * cb + hs;
    weightedRows2(y, y + cb, two, w, w + attRow, 4, values, rowBytes, t + 1, hd);
    if (two) addScaledRow(y + cb, load<f32>(w + attRow + (<usize>(t + 1) << 2)), values + <usize>(t + 1) * rowBytes, hd);
  }
}

// y_t = sum_s w_ts v_s, w = softmax(l), l_ts = q_t.k_s * scale  =>  dv_s = sum_t w_ts dy_t,
// dl_ts = w_ts (dw_ts - sum_u w_tu dw_tu) with dw_ts = dy_t.v_s, dq_t = scale sum_s dl_ts k_s,
// dk_s = scale sum_t dl_ts q_t. Each sum is complete in one pass, so head h's share of dqkv is
// written, not added to. datt (T, NH, A) is scratch: it ends up holding scale * dl.
@inline function headBackward(dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize,
                              T: i32, C: i32, NH: i32, A: i32, h: i32): void {
  const hd = C / NH, rowBytes = <usize>(3 * C) << 2, cb = <usize>C << 2, attRow = <usize>(NH * A) << 2;
  const hs = <usize>(h * hd) << 2, q = qkv + hs, k = q + cb, v = k + cb, dq = dqkv + hs, dk = dq + cb, dv = dk + cb;
  const w = att + (<usize>(h * A) << 2), dl = datt + (<usize>(h * A) << 2), dy = dout + hs;
  causalDots(dl, attRow, dy, cb, v, rowBytes, 0, T, hd, 1); // dw
  for (let t = 0; t < T; t++) softmaxBackwardRow(dl + <usize>t * attRow, w + <usize>t * attRow, t + 1, <f32>(1 / Math.sqrt(<f64>hd)));
  for (let t = 0; t < T; t += 2) {
    // dq for rows t and t + 1: keys 0..t shared, then key t + 1 for row t + 1
    const two = t + 1 < T, d = dl + <usize>t * attRow, y = dq + <usize>t * rowBytes;
    weightedRows2(y, y + rowBytes, two, d, d + attRow, 4, k, rowBytes, t + 1, hd);
    if (two) addScaledRow(y + rowBytes, load<f32>(d + attRow + (<usize>(t + 1) << 2)), k + <usize>(t + 1) * rowBytes, hd);
  }
  for (let s = 0; s < T; s += 2) {
    // dk and dv for columns s and s + 1: queries s + 1.. shared, then query s for column s
    const two = s + 1 < T, next = s + 1, col = <usize>s << 2;
    const y = dk + <usize>s * rowBytes, z = dv + <usize>s * rowBytes;
    const dlCol = dl + <usize>next * attRow + col, wCol = w + <usize>next * attRow + col;
    weightedRows2(y, y + rowBytes, two, dlCol, dlCol + 4, attRow, q + <usize>next * rowBytes, rowBytes, T - next, hd);
    weightedRows2(z, z + rowBytes, two, wCol, wCol + 4, attRow, dy + <usize>next * cb, cb, T - next, hd);
    addScaledRow(y, load<f32>(dl + <usize>s * attRow + col), q + <usize>s * rowBytes, hd);
    addScaledRow(z, load<f32>(w + <usize>s * attRow + col), dy + <usize>s * cb, hd);
  }
}

// A batch of sequences packed back to back is described by a table `seqs` of three i32 per
// sequence: its first row, its first query row t0 (0 but when a KV cache grows) and its length T.
// Work comes in units u = b * NH + h, one head of one sequence, so threads can split a batch.

/** Attention of units u0..u1-1; each sequence's buffers start at its first row. */
export function attentionForward(out: usize, att: usize, qkv: usize, seqs: usize, u0: i32, u1: i32,
                                 C: i32, NH: i32, A: i32): void {
  attentionUnits(out, att, qkv, seqs, u0, u1, C, NH, A, false);
}

/**
 * Decoding from a KV cache: entry b of the table is one query row (its sequence's first row in
 * qkv, its position t0, T = t0 + 1), and its outputs go to row b of out and att, so a step's
 * rows sit together whichever cache slots they read.
 */
export function attentionDecode(out: usize, att: usize, qkv: usize, seqs: usize, u0: i32, u1: i32,
                                C: i32, NH: i32, A: i32): void {
  attentionUnits(out, att, qkv, seqs, u0, u1, C, NH, A, true);
}

@inline function attentionUnits(out: usize, att: usize, qkv: usize, seqs: usize, u0: i32, u1: i32,
                                C: i32, NH: i32, A: i32, decode: bool): void {
  for (let u = u0; u < u1; u++) {
    const b = u / NH, entry = seqs + <usize>(12 * b), first = <usize>load<i32>(entry), t0 = load<i32>(entry, 4);
    const o = decode ? <usize>b : first + <usize>t0; // the output row of query row t0
    headForward(out + (o * C << 2), att + (o * NH * A << 2), qkv + (first * 3 * C << 2), t0, load<i32>(entry, 8), C, NH, A, u % NH);
  }
}

/** Row r of rows (n, width) goes into the cache at the row entry r names: its first row + t0. */
export function kvStore(cache: usize, rows: usize, seqs: usize, n: i32, width: i32): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < n; r++) {
    const entry = seqs + <usize>(12 * r), at = <usize>(load<i32>(entry) + load<i32>(entry, 4));
    memory.copy(cache + at * bytes, rows + <usize>r * bytes, bytes);
  }
}

/** The backward of units u0..u1-1 over whole sequences (t0 is ignored). */
export function attentionGradient(dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize, seqs: usize,
                                  u0: i32, u1: i32, C: i32, NH: i32, A: i32): void {
  for (let u = u0; u < u1; u++) {
    const b = u / NH, entry = seqs + <usize>(12 * b), first = <usize>load<i32>(entry);
    headBackward(dqkv + (first * 3 * C << 2), datt + (first * NH * A << 2), dout + (first * C << 2),
      qkv + (first * 3 * C << 2), att + (first * NH * A << 2), load<i32>(entry, 8), C, NH, A, u % NH);
  }
}
