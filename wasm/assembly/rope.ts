// Rotary position embeddings on rows of q | k, in place: the pairs (i, i + hd/2) of each head
// (Hugging Face's rotate-half) turn by angle pos * theta^(-2i/hd). The engine computes the
// angles' cos and sin once in float64; a table row per position, hd/2 entries.

/**
 * Rotates the first `heads` heads of hd floats of each row of inp (T rows of `width` floats)
 * by its position's angles into out (which may be inp); the rest of out's rows (v) is left as
 * it is. cos, sin (blockSize, hd/2).
 */
export function ropeForward(out: usize, inp: usize, positions: usize, cos: usize, sin: usize,
                            T: i32, width: i32, heads: i32, hd: i32): void {
  rotate(out, inp, positions, cos, sin, T, width, heads, hd, 1);
}

// a rotation is orthogonal: the backward turns the gradient back, by -angle (written, in place)
export function ropeGradient(dinp: usize, dout: usize, positions: usize, cos: usize, sin: usize,
                             T: i32, width: i32, heads: i32, hd: i32): void {
  rotate(dinp, dout, positions, cos, sin, T, width, heads, hd, -1);
}

/** (a, b) -> (a c - b s, b c + a s) with s = sign * sin. */
@inline function rotate(out: usize, inp: usize, positions: usize, cos: usize, sin: usize,
                        T: i32, width: i32, heads: i32, hd: i32, sign: f32): void {
  const half = hd >> 1, halfBytes = <usize>half << 2, full = <usize>(half & ~3) << 2;
  const rowBytes = <usize>width << 2, headBytes = <usize>hd << 2, sv = f32x4.splat(sign);
  for (let t = 0; t < T; t++) {
    const at = <usize>load<i32>(positions + (<usize>t << 2)) * halfBytes;
    const c = cos + at, s = sin + at;
    for (let h = 0; h < heads; h++) {
      const x = inp + <usize>t * rowBytes + <usize>h * headBytes, y = out + <usize>t * rowBytes + <usize>h * headBytes;
      let j: usize = 0;
      for (; j < full; j += 16) {
        const a = v128.load(x + j), b = v128.load(x + halfBytes + j);
        const cv = v128.load(c + j), snv = f32x4.mul(sv, v128.load(s + j));
        v128.store(y + j, f32x4.sub(f32x4.mul(a, cv), f32x4.mul(b, snv)));
        v128.store(y + halfBytes + j, f32x4.add(f32x4.mul(b, cv), f32x4.mul(a, snv)));
      }
      for (; j < halfBytes; j += 4) {
        const a = load<f32>(x + j), b = load<f32>(x + halfBytes + j), cj = load<f32>(c + j), sj = sign * load<f32>(s + j);
        store<f32>(y + j, a * cj - b * sj);
        store<f32>(y + halfBytes + j, b * cj + a * sj);
      }
    }
  }
}
