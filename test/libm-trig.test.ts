// libm's sin and cos are fdlibm's: bit for bit Node 20's Math.sin and Math.cos (which a browser's
// need not be; recorded by scripts/gen-trig-fixtures.mjs, and live on Node 20), and within an
// ulp of CPython's (glibc's) on the fixture of scripts/gen-libm-fixtures.py.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PyRandom } from '../src/core/contract/random.js';
import { cos, pow, sin } from '../src/core/libm/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/libm.json', import.meta.url), 'utf8'),
) as Record<'sin' | 'cos', string[][]>;

const node20 = JSON.parse(
  readFileSync(new URL('../../test/fixtures/trig-node20.json', import.meta.url), 'utf8'),
) as string[][];

const view = new DataView(new ArrayBuffer(8));

/** Exact hex form of a double for failure messages. */
function bits(x: number): string {
  view.setFloat64(0, x);
  return '0x' + view.getBigUint64(0).toString(16).padStart(16, '0');
}

/** Signed distance in ulps between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  view.setFloat64(0, a);
  const ia = view.getBigInt64(0);
  view.setFloat64(0, b);
  return Number(ia - view.getBigInt64(0));
}

/** A double with random mantissa bits, sign and binary exponent in [lo, hi]. */
function randomDouble(rng: PyRandom, lo: number, hi: number): number {
  const e = lo + rng.randbelow(hi - lo + 1);
  view.setUint32(0, ((e + 1023) << 20) | rng.getrandbits(20));
  view.setUint32(4, rng.getrandbits(32));
  return rng.random() < 0.5 ? -view.getFloat64(0) : view.getFloat64(0);
}

/** Inputs of every kind: random doubles by exponent range, edges of the reduction, the run's angles. */
function inputs(): number[] {
  const rng = new PyRandom(7), xs: number[] = [];
  const ranges = [[-1074, -1023], [-1022, -28], [-28, -1], [-1, 1], [1, 19], [19, 21], [21, 64], [64, 1023]];
  for (const [lo, hi] of ranges) {
    for (let i = 0; i < 25000; i++) {
      if (lo === -1074) { // subnormal
        view.setUint32(0, rng.getrandbits(20));
        view.setUint32(4, rng.getrandbits(32));
        xs.push(view.getFloat64(0));
      } else {
        xs.push(randomDouble(rng, lo, hi));
      }
    }
  }
  // multiples of pi/2 and their neighbours, where reduction cancels most bits
  for (let k = 1; k < 20000; k += 1 + rng.randbelow(3)) {
    const x = k * (Math.PI / 2);
    for (let d = -3; d <= 3; d++) xs.push(x * (1 + d * 2 ** -52), -x * (1 + d * 2 ** -52));
  }
  for (const e of [19, 20, 50, 100, 500, 1000]) xs.push(2 ** e * (Math.PI / 2), 2 ** e * Math.PI);
  xs.push(0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022,
    Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** -27, -(2 ** -27), 0.3, 0.78125, Math.PI / 4,
    6381956970095103 * 2 ** 797);
  // the run's angles: gauss's 2 pi u, the cosine schedule's pi * s / n, RoPE's t * theta^(-2i/hd)
  for (let i = 0; i < 20000; i++) xs.push(rng.random() * 2 * Math.PI);
  for (const steps of [1, 7, 100, 1000, 5000]) for (let s = 0; s <= steps; s++) xs.push(Math.PI * (s / steps));
  for (const [theta, hd] of [[10000, 16], [10000, 64], [500000, 128]]) {
    for (let i = 0; i < hd / 2; i++) {
      const inv = pow(theta, (-2 * i) / hd);
      for (let t = 0; t < 4096; t += 1 + rng.randbelow(8)) xs.push(t * inv);
    }
  }
  return xs;
}

test(`sin and cos equal Node 20's Math.sin and Math.cos on the ${node20.length} recorded inputs`, () => {
  const failures: string[] = [];
  for (const [xs, s, c] of node20) {
    const x = Number(xs);
    for (const [name, got, want] of [['sin', sin(x), Number(s)], ['cos', cos(x), Number(c)]] as const) {
      if (!Object.is(got, want)) failures.push(`${name}(${xs}): ${got} (${bits(got)}), Node 20 ${want} (${bits(want)})`);
    }
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} mismatches`);
});

test('sin and cos equal this Node\'s Math.sin and Math.cos bit for bit, if it is Node 20', (t) => {
  if (!process.version.startsWith('v20.')) {
    // later V8s may take Math.sin from glibc instead of fdlibm
    t.skip(`Math.sin is fdlibm's in Node 20; this is ${process.version}`);
    return;
  }
  const xs = inputs(), failures: string[] = [];
  for (const [name, f, g] of [['sin', sin, Math.sin], ['cos', cos, Math.cos]] as const) {
    for (const x of xs) {
      const got = f(x), want = g(x);
      if (!Object.is(got, want)) failures.push(`${name}(${x} = ${bits(x)}): ${got} (${bits(got)}), Math.${name} ${want} (${bits(want)})`);
    }
  }
  assert.ok(xs.length > 250000, `only ${xs.length} inputs`);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} mismatches of ${2 * xs.length}`);
});

test('sin and cos are within an ulp of CPython\'s on the fixture, but near their zeros', () => {
  for (const [name, f] of [['sin', sin], ['cos', cos]] as const) {
    let differ = 0;
    const far: string[] = [];
    for (const [xs, want] of fixture[name]) {
      const x = Number(xs), expected = Number(want), got = f(x);
      if (Object.is(got, expected)) continue;
      differ++;
      // fdlibm reduces with ~120 bits, so a result near 0 from a huge x is only a few ulps
      // right (measured: 8 ulps for cos(5.3e255) = -4.7e-19); elsewhere it is within one
      const limit = Math.abs(expected) < 2 ** -50 ? 16 : 1;
      if (!(Math.abs(ulps(got, expected)) <= limit)) far.push(`${name}(${xs}): ${got}, CPython ${want}`);
    }
    assert.deepEqual(far, [], `${name}: results off by more than an ulp`);
    // measured: 46 of 2028 for sin, 58 for cos (fdlibm and glibc round differently)
    assert.ok(differ <= 0.04 * fixture[name].length, `${name} differs from CPython on ${differ} of ${fixture[name].length}`);
  }
});

test('sin and cos of non-finite inputs are NaN, and of -0 are -0 and 1', () => {
  for (const x of [NaN, Infinity, -Infinity]) {
    assert.ok(Number.isNaN(sin(x)) && Number.isNaN(cos(x)), `sin/cos(${x})`);
  }
  assert.ok(Object.is(sin(-0), -0));
  assert.equal(cos(-0), 1);
});
