// The first principal components of a matrix's rows, by power iteration on the covariance
// with deflation: enough for a 2-D picture of a small embedding table, and deterministic.

export interface Projection {
  points: [number, number][]; // one per row
  explained: [number, number]; // fraction of the total variance along each axis
}

/** Projects `rows x cols` row-major data onto its top two principal axes. */
export function pca2(data: Float64Array, rows: number, cols: number): Projection {
  const mean = new Float64Array(cols); // (cols,)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const cov = new Float64Array(cols * cols); // (cols, cols)
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = data[r * cols + i] - mean[i];
      for (let j = 0; j < cols; j++) cov[i * cols + j] += (di * (data[r * cols + j] - mean[j])) / rows;
    }
  }
  let trace = 0;
  for (let i = 0; i < cols; i++) trace += cov[i * cols + i];
  const axes: Float64Array[] = [], values: number[] = [];
  for (let k = 0; k < 2; k++) {
    let v = Float64Array.from({ length: cols }, (_, i) => 1 + 0.1 * i); // fixed start: same picture every time
    let lambda = 0;
    for (let iter = 0; iter < 200; iter++) {
      const w = new Float64Array(cols);
      for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) w[i] += cov[i * cols + j] * v[j];
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    axes.push(v);
    values.push(lambda);
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) cov[i * cols + j] -= lambda * v[i] * v[j]; // deflate
  }
  const points = Array.from({ length: rows }, (_, r): [number, number] => {
    const p: [number, number] = [0, 0];
    for (let k = 0; k < 2; k++) for (let c = 0; c < cols; c++) p[k] += (data[r * cols + c] - mean[c]) * axes[k][c];
    return p;
  });
  return { points, explained: [trace > 0 ? values[0] / trace : 0, trace > 0 ? values[1] / trace : 0] };
}
