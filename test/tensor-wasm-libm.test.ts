// wasm/float64/libm.ts, the port of src/core/libm/ the WebAssembly kernels call, must return
// the TS functions' bits on every input: CPython's fixture cases, C99's special values, and
// random inputs over the whole range, where about one in twenty takes the exact fallback.
// Likewise box-muller.ts's fdlibm sin and cos, up to 2^20 pi/2 (random.test.ts checks its pairs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { exp, log, pow } from '../src/core/libm/index.js';
import { expExact } from '../src/core/libm/exp.js';
import { logExact } from '../src/core/libm/log.js';
import { powExact } from '../src/core/libm/pow.js';
import { cos, sin } from '../src/core/libm/sin-cos.js';
import { wasmLibm } from '../src/core/tensor/wasm-kernels.js';
import { uniforms } from './uniform.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/libm.json', import.meta.url), 'utf8')) as
  Record<'exp' | 'log' | 'pow', string[][]>;

function bits(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return `${Object.is(x, -0) ? '-0' : x} (0x${view.getBigUint64(0).toString(16).padStart(16, '0')})`;
}

/** Collects every input on which the wasm function and the TS one differ. */
function comparer() {
  const failures: string[] = [];
  return {
    failures,
    same(label: string, args: number[], got: number, want: number): void {
      if (!Object.is(got, want)) failures.push(`${label}(${args.map(bits).join(', ')}): wasm ${bits(got)}, TS ${bits(want)}`);
    },
  };
}

const SPECIAL = [0, -0, 1, -1, 0.5, 2, 3, -2, -3, Infinity, -Infinity, NaN, 5e-324, -5e-324, 2.2250738585072014e-308,
  1.7976931348623157e308, 1 + 2 ** -52, 1 - 2 ** -53, 709.7827128933840, 709.79, -708.4, -745.1, -745.2, 1e-300, 2 ** -54,
  2 ** -60, 511.9, 512, 1023.9, 1024, -1075, 0.9375, 1.064697265625, 2 ** 63, 2 ** -65, 2 ** 53, 2 ** 53 + 2, 1e300, 1e-17];

test('the wasm exp, log and pow: the TS bits on CPython\'s cases, special values and 300,000 random inputs', (t) => {
  const w = wasmLibm();
  if (!w) return t.skip('no WebAssembly SIMD here');
  const { failures, same } = comparer();
  const check1 = (x: number) => {
    same('exp', [x], w.exp(x), exp(x));
    same('expExact', [x], w.expExact(x), expExact(x));
    same('log', [x], w.log(x), log(x));
    same('logExact', [x], w.logExact(x), logExact(x));
  };
  const check2 = (x: number, y: number) => {
    same('pow', [x, y], w.pow(x, y), pow(x, y));
    same('powExact', [x, y], w.powExact(x, y), powExact(x, y));
  };
  for (const [xs] of [...fixture.exp, ...fixture.log]) check1(Number(xs));
  for (const [xs, ys] of fixture.pow) check2(Number(xs), Number(ys));
  for (const x of SPECIAL) {
    check1(x);
    for (const y of SPECIAL) check2(x, y);
  }
  const { random, fine } = uniforms(2024);
  for (let i = 0; i < 100000; i++) {
    check1(i % 2 ? -745 + 1455 * fine() : (fine() - 0.5) * 40);
    check1(i % 2 ? (1 + fine()) * 2 ** Math.floor(-1074 + 2097 * random()) : 0.9 + 0.2 * fine());
    const x = (1 + fine()) * 2 ** Math.floor(-30 + 60 * random()), sign = i % 5 === 0 ? -1 : 1;
    const y = i % 3 ? [-0.5, -1.5, -2, 2, 0.5, -1, 3, 1000][i % 8] : (fine() - 0.5) * 2 ** (20 * random());
    check2(sign * x, y);
    check2(1 + (fine() - 0.5) * 2 ** -40, y); // log(x) near 0: y*log(x) below the fast path's range
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} mismatches`);
});

test('the wasm Box-Muller\'s sin and cos: libm\'s bits on 200,000 angles and on those near multiples of pi/2', (t) => {
  const w = wasmLibm();
  if (!w) return t.skip('no WebAssembly SIMD here');
  const { failures, same } = comparer();
  const { random, fine } = uniforms(99);
  // near a multiple of pi/2 the reduction cancels and takes its refining steps
  const angles = [0, -0, 1e-300, 2 ** -28, 0.5, Math.PI / 4, Math.PI / 2, Math.PI, 3 * Math.PI / 2, 2 * Math.PI, 2 ** 20 * Math.PI / 2];
  for (let k = 1; k < 200; k++) for (const d of [-2, -1, 0, 1, 2]) angles.push(k * Math.PI / 2 + d * 2 ** -40 * k, (k * Math.PI / 2) * (1 + d * Number.EPSILON));
  for (let i = 0; i < 100000; i++) angles.push(fine() * 2 * Math.PI, (fine() - 0.5) * 2 ** (21 * random()));
  for (const a of angles) {
    if (Math.abs(a) > 2 ** 20 * Math.PI / 2) continue;
    same('sin', [a], w.boxMullerSin(a), sin(a));
    same('cos', [a], w.boxMullerCos(a), cos(a));
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} mismatches`);
});
