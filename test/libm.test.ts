// libm's exp, log and pow must return exactly CPython's float for every fixture case
// (scripts/gen-libm-fixtures.py); its sin and cos cases are libm-trig.test.ts's.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { exp, log, pow } from '../src/core/libm/index.js';
import { fma } from '../src/core/libm/exact.js';
import { expExact } from '../src/core/libm/exp.js';
import { logExact } from '../src/core/libm/log.js';
import { powExact } from '../src/core/libm/pow.js';
import { uniforms } from './uniform.js';

type Fixture = Record<'exp' | 'log' | 'pow', string[][]>;

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/libm.json', import.meta.url), 'utf8'),
) as Fixture;

const unary = { exp, log };
const unaryExact = { exp: expExact, log: logExact };

/** Exact hex form of a double for failure messages, e.g. 0x3ff0000000000001. */
function bits(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return '0x' + view.getBigUint64(0).toString(16).padStart(16, '0');
}

function describe(x: number): string {
  return `${Object.is(x, -0) ? '-0' : x} (${bits(x)})`;
}

for (const name of ['exp', 'log'] as const) {
  test(`${name} matches CPython on ${fixture[name].length} cases`, () => {
    const failures: string[] = [];
    for (const [label, f] of [[name, unary[name]], [`${name}Exact`, unaryExact[name]]] as const) {
      for (const [xs, want] of fixture[name]) {
        const x = Number(xs), expected = Number(want), got = f(x);
        if (!Object.is(got, expected)) {
          const args = describe(x);
          failures.push(`${label}(${args}): expected ${describe(expected)}, got ${describe(got)}`);
        }
      }
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} mismatches`);
  });
}

test(`pow matches CPython on ${fixture.pow.length} cases`, () => {
  const failures: string[] = [];
  for (const [label, f] of [['pow', pow], ['powExact', powExact]] as const) {
    for (const [xs, ys, want] of fixture.pow) {
      const x = Number(xs), y = Number(ys), expected = Number(want), got = f(x, y);
      if (!Object.is(got, expected)) {
        const args = `${describe(x)}, ${describe(y)}`;
        failures.push(`${label}(${args}): expected ${describe(expected)}, got ${describe(got)}`);
      }
    }
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} mismatches`);
});

test('special values follow C99 Annex F', () => {
  const same = (got: number, want: number, what: string): void =>
    assert.ok(Object.is(got, want), `${what}: expected ${describe(want)}, got ${describe(got)}`);
  same(exp(NaN), NaN, 'exp(NaN)');
  same(exp(Infinity), Infinity, 'exp(inf)');
  same(exp(-Infinity), 0, 'exp(-inf)');
  same(exp(0), 1, 'exp(0)');
  same(exp(-0), 1, 'exp(-0)');
  same(exp(710), Infinity, 'exp(710)');
  same(exp(-746), 0, 'exp(-746)');
  same(log(0), -Infinity, 'log(0)');
  same(log(-0), -Infinity, 'log(-0)');
  same(log(-1), NaN, 'log(-1)');
  same(log(1), 0, 'log(1)');
  same(log(Infinity), Infinity, 'log(inf)');
  same(log(NaN), NaN, 'log(NaN)');
  same(log(5e-324), -744.4400719213812, 'log(min subnormal)');
  same(pow(NaN, 0), 1, 'pow(NaN, 0)');
  same(pow(1, NaN), 1, 'pow(1, NaN)');
  same(pow(-1, Infinity), 1, 'pow(-1, inf)');
  same(pow(0.5, Infinity), 0, 'pow(0.5, inf)');
  same(pow(2, -Infinity), 0, 'pow(2, -inf)');
  same(pow(0, -1), Infinity, 'pow(0, -1)');
  same(pow(-0, -1), -Infinity, 'pow(-0, -1)');
  same(pow(-0, -2), Infinity, 'pow(-0, -2)');
  same(pow(-0, 3), -0, 'pow(-0, 3)');
  same(pow(-Infinity, 3), -Infinity, 'pow(-inf, 3)');
  same(pow(-Infinity, -3), -0, 'pow(-inf, -3)');
  same(pow(-2, 3), -8, 'pow(-2, 3)');
  same(pow(-2, 0.5), NaN, 'pow(-2, 0.5)');
  same(pow(-8, 1e300), Infinity, 'pow(-8, 1e300)');
  same(pow(10, 400), Infinity, 'pow(10, 400)');
  same(pow(-10, 401), -Infinity, 'pow(-10, 401)');
  same(pow(10, -400), 0, 'pow(10, -400)');
  same(pow(-10, -401), -0, 'pow(-10, -401)');
  same(pow(4, 0.5), 2, 'pow(4, 0.5)');
  same(pow(3, 2), 9, 'pow(3, 2)');
});

test('fma rounds once, even when only the low part of the product breaks a tie', () => {
  const a = 1 + 2 ** -27, b = 1 - 2 ** -27; // a*b = 1 - 2^-54
  // a*b + c = 2^53 + 3 - 2^-54: just below the tie between 2^53 + 2 and 2^53 + 4.
  assert.equal(fma(a, b, 2 ** 53 + 2), 2 ** 53 + 2);
  assert.equal(fma(-a, b, -(2 ** 53 + 2)), -(2 ** 53 + 2));
  assert.equal(fma(1 + 2 ** -52, 1 + 2 ** -52, 2 ** -53), 1 + 3 * 2 ** -52);
  assert.equal(fma(0.1, 10, -1), 5.551115123125783e-17);
  assert.equal(fma(3, 5, 7), 22);
});

test('fast paths agree with the exact emulation on random inputs', () => {
  const { random, fine } = uniforms(12345);
  const n = 100000;
  const failures: string[] = [];
  const check = (label: string, got: number, want: number): void => {
    if (!Object.is(got, want)) failures.push(`${label}: ${describe(got)}, exact ${describe(want)}`);
  };
  for (let i = 0; i < n; i++) {
    const e = i % 2 ? -745 + 1455 * fine() : (fine() - 0.5) * 40;
    check(`exp(${e})`, exp(e), expExact(e));
    const l = i % 2 ? (1 + fine()) * 2 ** Math.floor(-1022 + 2046 * random()) : 0.9 + 0.2 * fine();
    check(`log(${l})`, log(l), logExact(l));
    const x = (1 + fine()) * 2 ** Math.floor(-30 + 60 * random());
    const y = i % 3 ? [-0.5, -1.5, -2, 2, 0.5, -1][i % 6] : (fine() - 0.5) * 2 ** (20 * random());
    check(`pow(${x}, ${y})`, pow(x, y), powExact(x, y));
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} mismatches`);
});
