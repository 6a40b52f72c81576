// The first principal components of a matrix's rows, by power iteration on the covariance
// with deflation: enough for a 2-D picture of a small embedding table. Started from the last
// picture's axes it settles in a few iterations; each axis is turned to a fixed orientation,
// so the picture does not flip from one snapshot to the next.

const MAX_ITERATIONS = 200;
const SETTLED = 1e-9; // an axis that moves less than this in an iteration is taken as found

export interface Projection {
  points: [number, number][]; // one per row
  explained: [number, number]; // fraction of the total variance along each axis
  axes: [Float64Array, Float64Array]; // (cols,) each: a start for the next call on similar data
}

/** Projects `rows x cols` row-major data onto its top two principal axes; `start`: the axes of a call before. */
export function pca2(data: Float64Array, rows: number, cols: number, start?: Float64Array[]): Projection {
  const mean = new Float64Array(cols); // (cols,)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const cov = new Float64Array(cols * cols); // (cols, cols), symmetric: the upper half computed, then mirrored
  const centred = new Float64Array(cols); // (cols,)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) centred[c] = data[r * cols + c] - mean[c];
    for (let i = 0; i < cols; i++) {
      const di = centred[i] / rows;
      for (let j = i; j < cols; j++) cov[i * cols + j] += di * centred[j];
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) cov[i * cols + j] = cov[j * cols + i];
  let trace = 0;
  for (let i = 0; i < cols; i++) trace += cov[i * cols + i];
  const axes: Float64Array[] = [], values: number[] = [];
  for (let k = 0; k < 2; k++) {
    const fixed = Float64Array.from({ length: cols }, (_, i) => 1 + 0.1 * i);
    let v = start?.[k]?.length === cols ? start[k] : fixed;
    let lambda = 0;
    for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
      const w = new Float64Array(cols); // (cols,)
      for (let i = 0; i < cols; i++) {
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += cov[i * cols + j] * v[j];
        w[i] = sum;
      }
      let norm = 0;
      for (let i = 0; i < cols; i++) norm += w[i] * w[i];
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      lambda = norm;
      let moved = 0;
      for (let i = 0; i < cols; i++) { w[i] /= norm; moved = Math.max(moved, Math.abs(w[i] - v[i])); }
      v = w;
      if (moved < SETTLED) break; // far below a pixel: more iterations would not move a point
    }
    let dot = 0;
    for (let i = 0; i < cols; i++) dot += v[i] * fixed[i];
    if (dot < 0) v = v.map((x) => -x); // an axis and its negative are the same axis: take one way always
    axes.push(v);
    values.push(lambda);
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) cov[i * cols + j] -= lambda * v[i] * v[j]; // deflate
  }
  const points = Array.from({ length: rows }, (_, r): [number, number] => {
    const p: [number, number] = [0, 0];
    for (let k = 0; k < 2; k++) for (let c = 0; c < cols; c++) p[k] += (data[r * cols + c] - mean[c]) * axes[k][c];
    return p;
  });
  return { points, explained: [trace > 0 ? values[0] / trace : 0, trace > 0 ? values[1] / trace : 0], axes: [axes[0], axes[1]] };
}
