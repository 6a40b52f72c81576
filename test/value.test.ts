// Every Value operation's gradient against a central finite difference, and backward()
// on a graph far deeper than the call stack.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '../src/core/scalar/value.js';

type Op = [string, (x: Value, y: Value) => Value, number, number];
const ops: Op[] = [
  ['add', (x, y) => x.add(y), 0.7, -1.3],
  ['add const', (x) => x.add(2.5), 0.7, 0],
  ['mul', (x, y) => x.mul(y), 0.7, -1.3],
  ['mul const', (x) => x.mul(-3), 0.7, 0],
  ['mul self', (x) => x.mul(x), 0.7, 0],
  ['pow -0.5', (x) => x.pow(-0.5), 0.7, 0],
  ['pow 3', (x) => x.pow(3), -0.7, 0],
  ['log', (x) => x.log(), 0.7, 0],
  ['exp', (x) => x.exp(), 0.7, 0],
  ['relu +', (x) => x.relu(), 0.7, 0],
  ['relu -', (x) => x.relu(), -0.7, 0],
  ['neg', (x) => x.neg(), 0.7, 0],
  ['sub', (x, y) => x.sub(y), 0.7, -1.3],
  ['sub const', (x) => x.sub(4), 0.7, 0],
  ['div', (x, y) => x.div(y), 0.7, -1.3],
  ['div const', (x) => x.div(3), 0.7, 0],
  ['rsub', (x) => x.rsub(2), 0.7, 0],
  ['rdiv', (x) => x.rdiv(2), 0.7, 0],
  ['composite', (x, y) => x.mul(y).add(x.exp()).div(y.pow(2).add(1)).log(), 0.7, -1.3],
];

for (const [name, f, x0, y0] of ops) {
  test(`gradient of ${name} matches finite differences`, () => {
    const x = new Value(x0), y = new Value(y0);
    f(x, y).backward();
    const h = 1e-6;
    const at = (a: number, b: number) => f(new Value(a), new Value(b)).data;
    const dx = (at(x0 + h, y0) - at(x0 - h, y0)) / (2 * h);
    const dy = (at(x0, y0 + h) - at(x0, y0 - h)) / (2 * h);
    assert.ok(Math.abs(x.grad - dx) <= 1e-6 * Math.max(1, Math.abs(dx)), `d/dx: autograd ${x.grad}, numeric ${dx}`);
    assert.ok(Math.abs(y.grad - dy) <= 1e-6 * Math.max(1, Math.abs(dy)), `d/dy: autograd ${y.grad}, numeric ${dy}`);
  });
}

test('a node used twice receives both contributions', () => {
  const x = new Value(3);
  const y = x.mul(x).add(x); // x^2 + x
  y.backward();
  assert.equal(x.grad, 7);
});

test('backward on a chain of a million nodes does not overflow the stack', () => {
  const x = new Value(1);
  let y = x;
  for (let i = 0; i < 1_000_000; i++) y = y.add(1e-6);
  y.backward();
  assert.equal(x.grad, 1);
});
