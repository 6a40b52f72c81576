// The embedding view's PCA: its axes are the covariance's top eigenvectors, and a search
// started from the last picture's axes lands on the same picture as one from scratch.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyRandom } from '../src/core/contract/random.js';
import { pca2 } from '../web/src/pca.js';

// rows x cols with a few strong directions, as a trained embedding table has
function table(rows: number, cols: number, seed: number): Float64Array {
  const rng = new PyRandom(seed);
  return Float64Array.from({ length: rows * cols }, (_, k) => rng.gauss(0, 0.08) + (k % cols < 3 ? rng.gauss(0, 0.3 * (1 + (k % cols))) : 0));
}

test('PCA: the axes are eigenvectors of the covariance, the largest first, and a warm start gives the same picture', () => {
  const rows = 65, cols = 128, data = table(rows, cols, 1);
  const cold = pca2(data, rows, cols);
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const times = (v: Float64Array) => { // cov v
    const out = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      let d = 0;
      for (let c = 0; c < cols; c++) d += (data[r * cols + c] - mean[c]) * v[c];
      for (let c = 0; c < cols; c++) out[c] += ((data[r * cols + c] - mean[c]) * d) / rows;
    }
    return out;
  };
  const lambdas = cold.axes.map((v) => {
    const cv = times(v), lambda = cv.reduce((s, x, i) => s + x * v[i], 0);
    const off = Math.max(...cv.map((x, i) => Math.abs(x - lambda * v[i])));
    assert.ok(off < 1e-8 * lambda, `cov v = lambda v to ${off}`);
    return lambda;
  });
  assert.ok(lambdas[0] >= lambdas[1], `${lambdas}`);
  assert.ok(Math.abs(cold.axes[0].reduce((s, x, i) => s + x * cold.axes[1][i], 0)) < 1e-8, 'orthogonal axes');

  // the next snapshot: the weights moved a little; starting from the old axes changes nothing visible
  const moved = data.map((x, k) => x + 1e-3 * Math.sin(k));
  const fresh = pca2(moved, rows, cols), warm = pca2(moved, rows, cols, cold.axes);
  let worst = 0;
  fresh.points.forEach((p, r) => { worst = Math.max(worst, Math.abs(p[0] - warm.points[r][0]), Math.abs(p[1] - warm.points[r][1])); });
  assert.ok(worst < 1e-7, `the same points either way: worst difference ${worst}`);
});

test('PCA: a search capped at a few iterations per call, continued from the axes it returned, lands on the uncapped picture', () => {
  const rows = 65, cols = 128, data = table(rows, cols, 2);
  const whole = pca2(data, rows, cols);
  assert.ok(whole.settled);
  let part = pca2(data, rows, cols, undefined, 5), calls = 1;
  assert.equal(part.settled, false, 'five iterations from scratch do not find the axes');
  while (!part.settled && calls < 200) { part = pca2(data, rows, cols, part.axes, 5); calls++; }
  assert.ok(part.settled && calls > 2, `settled after ${calls} calls`);
  let worst = 0;
  whole.points.forEach((p, r) => { worst = Math.max(worst, Math.abs(p[0] - part.points[r][0]), Math.abs(p[1] - part.points[r][1])); });
  assert.ok(worst < 1e-7, `the same points: worst difference ${worst}`);
  assert.deepEqual(part.explained.map((e) => e.toFixed(9)), whole.explained.map((e) => e.toFixed(9)));
});
