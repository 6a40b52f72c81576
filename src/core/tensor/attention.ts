// Causal self-attention over one sequence, in the reference's arithmetic: logits q.k summed
// from index 0 times (hd**0.5)**-1, softmax with max subtraction, libm.exp and total**-1,
// then the weighted sum of values from the first position on. With KV < NH key/value heads
// (grouped-query attention) query head h reads key/value head floor(h / (NH / KV)).

import * as libm from '../libm/index.js';

/** The reference divides by hd**0.5, which it computes as a multiplication by its inverse. */
export function attentionScale(headDim: number): number {
  return libm.pow(libm.pow(headDim, 0.5), -1);
}

// out (N, C), att (N, NH, A) <- qkv (N, W) with q (C) | k (KV hd) | v (KV hd) per row
// The sequence holds rows row0 .. row0+T-1; queries t0 .. T-1 are computed (0 in training,
// T-1 when decoding one token against cached keys). A >= T is att's row stride per head.
export function attentionForward(out: Float64Array, att: Float64Array, qkv: Float64Array,
                                 row0: number, t0: number, T: number, C: number, NH: number, A: number, KV = NH): void {
  const hd = C / NH, W = C + 2 * KV * hd, group = NH / KV, scale = attentionScale(hd);
  for (let t = t0; t < T; t++) {
    const r = row0 + t;
    for (let h = 0; h < NH; h++) {
      const kh = Math.floor(h / group) * hd;
      const q = r * W + h * hd, a = (r * NH + h) * A;
      let max = -Infinity;
      for (let s = 0; s <= t; s++) {
        const k = (row0 + s) * W + C + kh;
        let dot = qkv[q] * qkv[k];
        for (let j = 1; j < hd; j++) dot += qkv[q + j] * qkv[k + j];
        const logit = dot * scale;
        att[a + s] = logit;
        if (logit > max) max = logit;
      }
      let total = 0;
      for (let s = 0; s <= t; s++) {
        const e = libm.exp(att[a + s] - max);
        att[a + s] = e;
        total += e;
      }
      const inv = libm.pow(total, -1);
      for (let s = 0; s <= t; s++) att[a + s] *= inv;
      const y = r * C + h * hd, v0 = row0 * W + C + KV * hd + kh;
      for (let j = 0; j < hd; j++) {
        let acc = att[a] * qkv[v0 + j];
        for (let s = 1; s <= t; s++) acc += att[a + s] * qkv[v0 + s * W + j];
        out[y + j] = acc;
      }
    }
  }
}

// y = sum_s w_s v_s, w = softmax(l), l_s = q.k_s * scale  =>  dv_s += w_s dy, dw_s = dy.v_s,
// dl_s = w_s (dw_s - sum_u w_u dw_u), dq += dl_s * scale * k_s, dk_s += dl_s * scale * q
// (a shared key/value head sums these over the query heads of its group)
export function attentionBackward(dqkv: Float64Array, datt: Float64Array, dout: Float64Array,
                                  qkv: Float64Array, att: Float64Array,
                                  row0: number, T: number, C: number, NH: number, A: number, KV = NH): void {
  const hd = C / NH, W = C + 2 * KV * hd, group = NH / KV, scale = attentionScale(hd);
  for (let t = 0; t < T; t++) {
    const r = row0 + t;
    for (let h = 0; h < NH; h++) {
      const kh = Math.floor(h / group) * hd;
      const q = r * W + h * hd, a = (r * NH + h) * A, y = r * C + h * hd;
      const v0 = row0 * W + C + KV * hd + kh;
      let wdw = 0;
      for (let s = 0; s <= t; s++) {
        const v = v0 + s * W, w = att[a + s];
        let dw = 0;
        for (let j = 0; j < hd; j++) {
          dw += dout[y + j] * qkv[v + j];
          dqkv[v + j] += w * dout[y + j];
        }
        datt[a + s] += dw;
        wdw += w * datt[a + s];
      }
      for (let s = 0; s <= t; s++) {
        const dl = att[a + s] * (datt[a + s] - wdw) * scale;
        const k = (row0 + s) * W + C + kh;
        for (let j = 0; j < hd; j++) {
          dqkv[q + j] += dl * qkv[k + j];
          dqkv[k + j] += dl * qkv[q + j];
        }
      }
    }
  }
}
