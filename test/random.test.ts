// PyRandom must reproduce CPython's random module draw for draw (scripts/gen-random-fixtures.py).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PyRandom } from '../src/core/contract/random.js';
import { wasmGaussPairs, wasmShuffleDraws } from '../src/core/tensor/wasm-kernels.js';

interface Case {
  seed: number; getrandbits32: number[]; random: string[]; gauss: string[]; gauss_after: string;
  shuffle50: number[]; weights: string[]; choices: number[]; randbelow: number[];
}
const cases = JSON.parse(readFileSync(new URL('../../test/fixtures/random.json', import.meta.url), 'utf8')) as Case[];

for (const c of cases) {
  test(`seed ${c.seed}: the same stream as CPython`, () => {
    const r = new PyRandom(c.seed);
    assert.deepEqual(c.getrandbits32.map(() => r.getrandbits(32)), c.getrandbits32, 'getrandbits(32)');
    assert.deepEqual(c.random.map(() => r.random()), c.random.map(Number), 'random()');
    const gauss = c.gauss.map(() => r.gauss(0, 0.08));
    // cos/sin are V8's, which may differ from glibc in the last bit (see src/core/libm.ts)
    gauss.forEach((g, i) => {
      const want = Number(c.gauss[i]);
      assert.ok(Math.abs(g - want) <= 2 * Number.EPSILON * Math.abs(want), `gauss #${i}: got ${g}, want ${want}`);
    });
    const after = r.gauss(1.5, 2.0);
    assert.ok(Math.abs(after - Number(c.gauss_after)) <= 1e-15 * Math.abs(after), `cached gauss: ${after} vs ${c.gauss_after}`);
    const items = Array.from({ length: 50 }, (_, i) => i);
    r.shuffle(items);
    assert.deepEqual(items, c.shuffle50, 'shuffle');
    const weights = c.weights.map(() => r.random());
    assert.deepEqual(weights, c.weights.map(Number), 'weights');
    assert.deepEqual(c.choices.map(() => r.choice(weights)), c.choices, 'choices');
    assert.deepEqual([1, 2, 3, 1000, 32033, 2 ** 31].map((n) => r.randbelow(n)), c.randbelow, 'randrange');
  });
}

test('getState/setState resumes the exact stream, including a cached gauss', () => {
  const a = new PyRandom(5);
  a.gauss();
  const b = new PyRandom(0);
  b.setState(JSON.parse(JSON.stringify(a.getState())));
  assert.deepEqual([a.gauss(), a.random(), a.uint32()], [b.gauss(), b.random(), b.uint32()]);
});

test('gaussFill gives what as many gauss() calls give, and leaves the same state, with or without a cached value', () => {
  for (const cached of [false, true]) {
    for (const n of [0, 1, 2, 3, 10, 4193]) {
      const a = new PyRandom(7), b = new PyRandom(7);
      if (cached) { a.gauss(); b.gauss(); } // leaves a pair's second value for the next call
      const want = Float64Array.from({ length: n }, () => a.gauss(0.5, 0.08)), got = new Float64Array(n);
      b.gaussFill(got, 0.5, 0.08);
      assert.deepEqual(got, want, `${n} values${cached ? ' after a cached one' : ''}`);
      assert.deepEqual(b.getState(), a.getState(), `the state after ${n} values${cached ? ' after a cached one' : ''}`);
    }
  }
});

test('shuffle and gaussFill with the WebAssembly twins: the same order, values and state as the TS draws', (t) => {
  const draws = wasmShuffleDraws(), pairs = wasmGaussPairs();
  if (!draws || !pairs) return t.skip('no WebAssembly SIMD here');
  for (const seed of [42, 0, 2 ** 40 + 3]) {
    for (const n of [0, 1, 2, 3, 100, 32033]) { // the large one twists the state ~50 times
      const a = new PyRandom(seed), b = new PyRandom(seed);
      for (let k = 0; k < seed % 700; k++) { a.random(); b.random(); } // start mid-way through the words
      const want = Array.from({ length: n }, (_, i) => i), got = want.slice();
      a.shuffle(want);
      b.shuffle(got, draws);
      assert.deepEqual(got, want, `shuffle of ${n} (seed ${seed})`);
      assert.deepEqual(b.getState(), a.getState(), `state after a shuffle of ${n} (seed ${seed})`);
      const gw = new Float64Array(n === 32033 ? 200001 : n), gg = new Float64Array(gw.length); // odd counts leave a cached value
      a.gaussFill(gw, 0, 0.08);
      b.gaussFill(gg, 0, 0.08, pairs);
      assert.deepEqual(gg, gw, `gaussFill of ${gw.length} (seed ${seed})`);
      assert.deepEqual(b.getState(), a.getState(), `state after gaussFill of ${gw.length} (seed ${seed})`);
    }
  }
});
