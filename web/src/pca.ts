// The first principal components of a matrix's rows, by power iteration on the covariance
// (never built: cov v is computed from the data) with deflation: enough for a 2-D picture of a
// small embedding table. Started from the last picture's axes it settles in a few iterations;
// each axis is turned to a fixed orientation, so the picture does not flip from one snapshot
// to the next. A caller may cap the iterations of one call and continue from the axes it
// returns, to spread a long search over tasks.

/** The most power iterations per axis a search needs; one call does at most this many. */
export const MAX_ITERATIONS = 200;
const SETTLED = 1e-9; // an axis that moves less than this in an iteration is taken as found

export interface Projection {
  points: [number, number][]; // one per row
  explained: [number, number]; // fraction of the total variance along each axis
  axes: [Float64Array, Float64Array]; // (cols,) each: a start for the next call on similar data
  settled: boolean; // both axes stopped moving within this call's iterations
}

/**
 * Projects `rows x cols` row-major data onto its top two principal axes; `start`: the axes of a
 * call before; `iterations`: the most power iterations per axis in this call.
 */
export function pca2(data: Float64Array, rows: number, cols: number, start?: Float64Array[], iterations = MAX_ITERATIONS): Projection {
  const mean = new Float64Array(cols); // (cols,)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const centred = new Float64Array(rows * cols); // (rows, cols)
  let trace = 0; // the total variance: the covariance's trace
  for (let k = 0; k < rows * cols; k++) {
    centred[k] = data[k] - mean[k % cols];
    trace += (centred[k] * centred[k]) / rows;
  }
  // cov v as Xᵀ (X v) / rows, X the centred data: 2 rows cols products per iteration, about what
  // cov v costs, without building the (cols, cols) covariance (rows cols² products) on every call
  const scores = new Float64Array(rows); // (rows,) X v
  const covTimes = (v: Float64Array, out: Float64Array): void => {
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += centred[r * cols + c] * v[c];
      scores[r] = sum / rows;
    }
    out.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += centred[r * cols + c] * scores[r];
  };
  const axes: Float64Array[] = [], values: number[] = [];
  let settled = true;
  for (let k = 0; k < 2; k++) {
    const fixed = Float64Array.from({ length: cols }, (_, i) => 1 + 0.1 * i);
    let v = start?.[k]?.length === cols ? start[k] : fixed;
    let lambda = 0, found = false;
    for (let iter = 0; iter < iterations && !found; iter++) {
      const w = new Float64Array(cols); // (cols,)
      covTimes(v, w);
      for (let a = 0; a < k; a++) { // deflated: (cov - lambda_a a aᵀ) v, so the search finds the next axis
        let dot = 0;
        for (let i = 0; i < cols; i++) dot += axes[a][i] * v[i];
        for (let i = 0; i < cols; i++) w[i] -= values[a] * dot * axes[a][i];
      }
      let norm = 0;
      for (let i = 0; i < cols; i++) norm += w[i] * w[i];
      norm = Math.sqrt(norm);
      if (norm === 0) { found = true; break; } // no variance left: any axis is as good
      lambda = norm;
      let moved = 0;
      for (let i = 0; i < cols; i++) { w[i] /= norm; moved = Math.max(moved, Math.abs(w[i] - v[i])); }
      v = w;
      found = moved < SETTLED; // far below a pixel: more iterations would not move a point
    }
    settled &&= found;
    let dot = 0;
    for (let i = 0; i < cols; i++) dot += v[i] * fixed[i];
    if (dot < 0) v = v.map((x) => -x); // an axis and its negative are the same axis: take one way always
    axes.push(v);
    values.push(lambda);
  }
  const points = Array.from({ length: rows }, (_, r): [number, number] => {
    const p: [number, number] = [0, 0];
    for (let k = 0; k < 2; k++) for (let c = 0; c < cols; c++) p[k] += centred[r * cols + c] * axes[k][c];
    return p;
  });
  return { points, explained: [trace > 0 ? values[0] / trace : 0, trace > 0 ? values[1] / trace : 0], axes: [axes[0], axes[1]], settled };
}
