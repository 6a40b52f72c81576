#!/usr/bin/env node
// Write test/fixtures/trig-node20.json: inputs and Node 20's Math.sin and Math.cos (fdlibm's, as
// V8 11 computes them), which libm's sin and cos must equal bit for bit. A fixture, so the check
// still holds under a later Node whose Math.sin may come from elsewhere; only Node 20 may write it.
// Values are JavaScript's shortest round-trip strings ("-0", "NaN" and "Infinity" included).
import { writeFileSync } from 'node:fs';

if (!process.version.startsWith('v20.')) {
  console.error(`gen-trig-fixtures: needs Node 20 (fdlibm's Math.sin), this is ${process.version}`);
  process.exit(2);
}

let state = 0x9e3779b9; // mulberry32: a seeded uint32 stream, so the inputs are the same each time
function uint32() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

const view = new DataView(new ArrayBuffer(8));
/** A double with random mantissa and sign, binary exponent in [lo, hi] (lo < -1022: subnormal). */
function randomDouble(lo, hi) {
  const e = lo + (uint32() % (hi - lo + 1));
  view.setUint32(0, ((Math.max(e, -1023) + 1023) << 20) | (uint32() >>> 12));
  view.setUint32(4, uint32());
  return uint32() & 1 ? -view.getFloat64(0) : view.getFloat64(0);
}

const xs = [0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, 2 ** -1022, Number.MAX_VALUE,
  2 ** -27, 0.3, 0.78125, Math.PI / 4, Math.PI / 2, Math.PI, 2 * Math.PI, 6381956970095103 * 2 ** 797];
for (const [lo, hi] of [[-1074, -1023], [-1022, -28], [-28, 1], [1, 19], [19, 21], [21, 64], [64, 1023]]) {
  for (let i = 0; i < 300; i++) xs.push(randomDouble(lo, hi));
}
for (let i = 0; i < 300; i++) { // near multiples of pi/2, where the reduction cancels most bits
  const k = 1 + (uint32() % 1000000), d = (uint32() % 9) - 4;
  xs.push(k * (Math.PI / 2) * (1 + d * 2 ** -52));
}
for (const e of [19, 20, 50, 100, 500, 1000]) xs.push(2 ** e * (Math.PI / 2), 2 ** e * Math.PI);

const str = (v) => (Object.is(v, -0) ? '-0' : String(v)); // String(-0) is "0"
const rows = xs.map((x) => JSON.stringify([str(x), str(Math.sin(x)), str(Math.cos(x))]));
const out = new URL('../test/fixtures/trig-node20.json', import.meta.url);
writeFileSync(out, `[\n${rows.join(',\n')}\n]\n`);
console.error(`wrote ${rows.length} rows to ${out.pathname}`);
