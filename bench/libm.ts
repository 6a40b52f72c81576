// Nanoseconds per call of libm's functions beside V8's Math ones, on the inputs a run feeds
// them: Box-Muller angles for sin and cos (random.gauss, once per initial weight), the cosine
// schedule's angles, RoPE's table, losses for exp and log, Adam's decays for pow. Medians of
// several reps of CPU time, alternating libm and Math so drift on a shared machine hits both.
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

// One loop per function, so every call site sees a single callee (a shared loop calling f would
// be megamorphic and time the dispatch, not the function).
type Loop = (xs: Float64Array, ys: Float64Array) => number;
const loops: [string, Loop, Loop, Float64Array, Float64Array][] = [
  ['sin (gauss angles)', (xs) => { let s = 0; for (let i = 0; i < N; i++) s += libm.sin(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < N; i++) s += Math.sin(xs[i]); return s; }, angles, angles],
  ['cos (gauss angles)', (xs) => { let s = 0; for (let i = 0; i < N; i++) s += libm.cos(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < N; i++) s += Math.cos(xs[i]); return s; }, angles, angles],
  ['exp', (xs) => { let s = 0; for (let i = 0; i < N; i++) s += libm.exp(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < N; i++) s += Math.exp(xs[i]); return s; }, small, small],
  ['log', (xs) => { let s = 0; for (let i = 0; i < N; i++) s += libm.log(xs[i]); return s; },
    (xs) => { let s = 0; for (let i = 0; i < N; i++) s += Math.log(xs[i]); return s; }, positive, positive],
  ['pow (0.99^step)', (xs, ys) => { let s = 0; for (let i = 0; i < N; i++) s += libm.pow(xs[i], ys[i]); return s; },
    (xs, ys) => { let s = 0; for (let i = 0; i < N; i++) s += Math.pow(xs[i], ys[i]); return s; }, draw(() => 0.99), exponents],
];

/** CPU ns per call of each rep of loop over xs (and ys): CPU time, which other processes on a
 * shared machine do not add to as they do to wall time. Each rep runs the loop 8 times. */
function time(loop: Loop, xs: Float64Array, ys: Float64Array): number[] {
  const reps: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = process.cpuUsage();
    for (let k = 0; k < 8; k++) sink += loop(xs, ys);
    const t = process.cpuUsage(t0);
    reps.push(((t.user + t.system) * 1e3) / (8 * N));
  }
  return reps;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

console.log('function               libm ns   Math ns   ratio');
for (const [name, ours, v8, xs, ys] of loops) {
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < 3; r++) { // alternate, and warm both up on the first round
    a.push(...time(ours, xs, ys));
    b.push(...time(v8, xs, ys));
  }
  const [ma, mb] = [median(a.slice(REPS)), median(b.slice(REPS))];
  console.log(`${name.padEnd(22)} ${ma.toFixed(1).padStart(7)}   ${mb.toFixed(1).padStart(7)}   ${(ma / mb).toFixed(2)}`);
}
if (sink === 0.5) console.log(sink);
