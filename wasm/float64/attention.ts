// Causal self-attention over one sequence: src/core/tensor/attention.ts's kernels, statement
// for statement (the same sums in the same order, the same libm), indices in floats as there.

import { exp, pow } from './libm';

/** buffer[i] of a float64 buffer at `base`. */
@inline function get(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

@inline function set(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}

function attentionScale(headDim: i32): f64 {
  return pow(pow(<f64>headDim, 0.5), -1);
}

// out (N, C), att (N, NH, A) <- qkv (N, W) with q (C) | k (KV hd) | v (KV hd) per row;
// queries t0 .. T-1 of the sequence at rows row0 .. row0+T-1
export function attentionForward(out: usize, att: usize, qkv: usize, row0: i32, t0: i32, T: i32, C: i32, NH: i32, A: i32, KV: i32): void {
  const hd = C / NH, W = C + 2 * KV * hd, group = NH / KV, scale = attentionScale(hd);
  for (let t = t0; t < T; t++) {
    const r = row0 + t;
    for (let h = 0; h < NH; h++) {
      const kh = h / group * hd;
      const q = r * W + h * hd, a = (r * NH + h) * A;
      let max = -Infinity;
      for (let s = 0; s <= t; s++) {
        const k = (row0 + s) * W + C + kh;
        let dot = get(qkv, q) * get(qkv, k);
        for (let j = 1; j < hd; j++) dot += get(qkv, q + j) * get(qkv, k + j);
        const logit = dot * scale;
        set(att, a + s, logit);
        if (logit > max) max = logit;
      }
      let total: f64 = 0;
      for (let s = 0; s <= t; s++) {
        const e = exp(get(att, a + s) - max);
        set(att, a + s, e);
        total += e;
      }
      const inv = pow(total, -1);
      for (let s = 0; s <= t; s++) set(att, a + s, get(att, a + s) * inv);
      const y = r * C + h * hd, v0 = row0 * W + C + KV * hd + kh;
      for (let j = 0; j < hd; j++) {
        let acc = get(att, a) * get(qkv, v0 + j);
        for (let s = 1; s <= t; s++) acc += get(att, a + s) * get(qkv, v0 + s * W + j);
        set(out, y + j, acc);
      }
    }
  }
}

// y = sum_s w_s v_s, w = softmax(l), l_s = q.k_s * scale  =>  dv_s += w_s dy, dw_s = dy.v_s,
// dl_s = w_s (dw_s - sum_u w_u dw_u), dq += dl_s * scale * k_s, dk_s += dl_s * scale * q
export function attentionBackward(dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize,
                                  row0: i32, T: i32, C: i32, NH: i32, A: i32, KV: i32): void {
  const hd = C / NH, W = C + 2 * KV * hd, group = NH / KV, scale = attentionScale(hd);
  for (let t = 0; t < T; t++) {
    const r = row0 + t;
    for (let h = 0; h < NH; h++) {
      const kh = h / group * hd;
      const q = r * W + h * hd, a = (r * NH + h) * A, y = r * C + h * hd;
      const v0 = row0 * W + C + KV * hd + kh;
      let wdw: f64 = 0;
      for (let s = 0; s <= t; s++) {
        const v = v0 + s * W, w = get(att, a + s);
        let dw: f64 = 0;
        for (let j = 0; j < hd; j++) {
          dw += get(dout, y + j) * get(qkv, v + j);
          set(dqkv, v + j, get(dqkv, v + j) + w * get(dout, y + j));
        }
        set(datt, a + s, get(datt, a + s) + dw);
        wdw += w * get(datt, a + s);
      }
      for (let s = 0; s <= t; s++) {
        const dl = get(att, a + s) * (get(datt, a + s) - wdw) * scale;
        const k = (row0 + s) * W + C + kh;
        for (let j = 0; j < hd; j++) {
          set(dqkv, q + j, get(dqkv, q + j) + dl * get(qkv, k + j));
          set(dqkv, k + j, get(dqkv, k + j) + dl * get(qkv, q + j));
        }
      }
    }
  }
}
