// Grouped-query attention over the multi-head attention kernels: a row of q | k | v with KV
// key and value heads (C + 2 KV hd floats) is expanded to NH heads of each (3C floats), head h
// taking key/value head h / (NH / KV); the backward sums each group's gradients back.

/** Copies n floats from x to y. */
@inline function copy(y: usize, x: usize, n: i32): void {
  const full = <usize>(n & ~3) << 2, end = <usize>n << 2;
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(y + j, v128.load(x + j));
  for (; j < end; j += 4) store<f32>(y + j, load<f32>(x + j));
}

/** out (T, 3C) = inp (T, C + 2 KV hd) with each key and value head repeated NH / KV times. */
export function kvExpandForward(out: usize, inp: usize, T: i32, C: i32, NH: i32, KV: i32): void {
  const hd = C / NH, G = NH / KV, inRow = <usize>(C + 2 * KV * hd) << 2, outRow = <usize>(3 * C) << 2;
  const cb = <usize>C << 2, kvb = <usize>(KV * hd) << 2, hb = <usize>hd << 2;
  for (let t = 0; t < T; t++) {
    const x = inp + <usize>t * inRow, y = out + <usize>t * outRow;
    copy(y, x, C);
    for (let h = 0; h < NH; h++) {
      const src = x + cb + <usize>(h / G) * hb, dst = y + cb + <usize>h * hb;
      copy(dst, src, hd);
      copy(dst + cb, src + kvb, hd);
    }
  }
}

// y_h = x_(h / G)  =>  dx_j = sum over the group's heads h = jG .. jG + G - 1 of dy_h (written)
export function kvExpandGradient(dinp: usize, dout: usize, T: i32, C: i32, NH: i32, KV: i32): void {
  const hd = C / NH, G = NH / KV, inRow = <usize>(C + 2 * KV * hd) << 2, outRow = <usize>(3 * C) << 2;
  const cb = <usize>C << 2, kvb = <usize>(KV * hd) << 2, hb = <usize>hd << 2;
  const full = <usize>(hd & ~3) << 2;
  for (let t = 0; t < T; t++) {
    const dx = dinp + <usize>t * inRow, dy = dout + <usize>t * outRow;
    copy(dx, dy, C);
    for (let j = 0; j < 2 * KV; j++) { // key heads, then value heads
      const kv = j < KV ? j : j - KV, base = dy + cb + (j < KV ? 0 : cb) + <usize>(kv * G) * hb;
      const y = dx + cb + <usize>j * hb;
      let i: usize = 0;
      for (; i < full; i += 16) {
        let acc = v128.load(base + i);
        for (let g = 1; g < G; g++) acc = f32x4.add(acc, v128.load(base + <usize>g * hb + i));
        v128.store(y + i, acc);
      }
      for (; i < hb; i += 4) {
        let acc = load<f32>(base + i);
        for (let g = 1; g < G; g++) acc += load<f32>(base + <usize>g * hb + i);
        store<f32>(y + i, acc);
      }
    }
  }
}
