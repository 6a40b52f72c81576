// Nanoseconds per call of libm's functions beside V8's Math ones, on the inputs a run feeds
// them: Box-Muller angles for sin and cos (random.gauss, once per initial weight), the cosine
// schedule's angles, RoPE's table, losses for exp and log, Adam's decays for pow. Medians of
// several reps, alternating libm and Math so drift on a shared machine hits both.
//   node dist/bench/libm.js [--reps 9]

import { PyRandom } from '../src/core/contract/random.js';
import * as libm from '../src/core/libm/index.js';

const args = process.argv.slice(2);
const REPS = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 9;
const N = 1 << 16;

const rng = new PyRandom(1);
const draw = (f: () => number) => Float64Array.from({ length: N }, f);
const angles = draw(() => rng.random() * 2 * Math.PI);
const small = draw(() => rng.random() * 20 - 10);
const positive = draw(() => rng.random() * 10 + 1e-3);
const exponents = draw(() => 1 + rng.randbelow(5000));

let sink = 0; // keeps the calls from being optimised away

/** Median ns per call of f over xs (and ys, for two-argument functions). */
function time(f: (x: number, y: number) => number, xs: Float64Array, ys: Float64Array): number[] {
  const reps: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    let s = 0;
    for (let i = 0; i < N; i++) s += f(xs[i], ys[i]);
    sink += s;
    reps.push(((performance.now() - t0) * 1e6) / N);
  }
  return reps;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

const rows: [string, (x: number, y: number) => number, (x: number, y: number) => number, Float64Array, Float64Array][] = [
  ['sin (gauss angles)', libm.sin, Math.sin, angles, angles],
  ['cos (gauss angles)', libm.cos, Math.cos, angles, angles],
  ['exp', libm.exp, Math.exp, small, small],
  ['log', libm.log, Math.log, positive, positive],
  ['pow (0.99^step)', libm.pow, Math.pow, draw(() => 0.99), exponents],
];
console.log('function               libm ns   Math ns   ratio');
for (const [name, ours, v8, xs, ys] of rows) {
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < 3; r++) { // alternate, and warm both up on the first round
    a.push(...time(ours, xs, ys));
    b.push(...time(v8, xs, ys));
  }
  const [ma, mb] = [median(a.slice(REPS)), median(b.slice(REPS))];
  console.log(`${name.padEnd(22)} ${ma.toFixed(1).padStart(7)}   ${mb.toFixed(1).padStart(7)}   ${(ma / mb).toFixed(2)}`);
}
if (sink === 0.5) console.log(sink);
