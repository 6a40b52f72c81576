// Rotary position embeddings (docs/llama.md): each head of q and k turns its dimension pairs
// (i, i + hd/2) by pos * theta^(-2i/hd), in place on the q|k|v rows. The angles' cos and sin
// are tabulated once per model, so a pass only multiplies; libm's, so a page's table is the CLI's.

import * as libm from '../libm/index.js';

/** cos and sin of every angle a position below blockSize can take. */
export interface RopeTable {
  half: number;      // hd / 2 pairs per head
  cos: Float64Array; // (blockSize, hd/2)
  sin: Float64Array; // (blockSize, hd/2)
}

export function ropeTable(theta: number, blockSize: number, headDim: number): RopeTable {
  const half = headDim / 2, cos = new Float64Array(blockSize * half), sin = new Float64Array(blockSize * half);
  for (let i = 0; i < half; i++) {
    const inv = libm.pow(theta, (-2 * i) / headDim);
    for (let t = 0; t < blockSize; t++) {
      cos[t * half + i] = libm.cos(t * inv);
      sin[t * half + i] = libm.sin(t * inv);
    }
  }
  return { half, cos, sin };
}

// qkv (N, W) in place, W = (NH + 2 KV) hd: the NH query heads and KV key heads, which sit
// side by side at the start of each row, turn by their row's position; v stays.
export function ropeForward(qkv: Float64Array, positions: Int32Array, table: RopeTable,
                            N: number, NH: number, KV: number): void {
  rotate(qkv, positions, table, N, NH, KV, 1);
}

// u = R(angle) a, R orthogonal  =>  da = R(angle)^T du = R(-angle) du, also in place
export function ropeBackward(dqkv: Float64Array, positions: Int32Array, table: RopeTable,
                             N: number, NH: number, KV: number): void {
  rotate(dqkv, positions, table, N, NH, KV, -1);
}

function rotate(qkv: Float64Array, positions: Int32Array, table: RopeTable,
                N: number, NH: number, KV: number, sign: 1 | -1): void {
  const { half, cos, sin } = table, hd = 2 * half, W = (NH + 2 * KV) * hd;
  for (let t = 0; t < N; t++) {
    const angle = positions[t] * half;
    for (let h = 0; h < NH + KV; h++) {
      const u = t * W + h * hd;
      for (let i = 0; i < half; i++) {
        const c = cos[angle + i], s = sign * sin[angle + i], a = qkv[u + i], b = qkv[u + half + i];
        qkv[u + i] = a * c - b * s;
        qkv[u + half + i] = b * c + a * s;
      }
    }
  }
}
