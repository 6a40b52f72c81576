// The scalar engine against runs of the Python reference (scripts/gen-reference-fixtures.py):
// the printed output must be identical and every loss equal to full precision, or within a
// few ulps where V8's sin/cos move an initial weight by one ulp. The two-layer run is the
// slowest on this engine, so it stops after 40 steps here: the tensor engine, whose gradients
// test/tensor-model.test.ts ties to this engine's, reproduces all of it (tensor-reference).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLossesClose, fixtureOptions, loadFixture, reproduce } from './reference-helpers.js';

test('the first 20 steps of the reference run, to full precision', () => {
  const f = loadFixture('default');
  const { losses } = reproduce(f, { ...fixtureOptions(f), engine: 'scalar' }, 20);
  assertLossesClose(losses, f.losses.slice(0, 20), 1e-15); // measured 1.6e-16: Python's libm and V8's differ in a last bit
  assert.equal(losses[0].toFixed(4), '3.3660');
});

for (const name of ['default', 'shakespeare-lines']) {
  test(`${name}: the same output as the Python reference`, () => {
    const f = loadFixture(name);
    const { output, losses } = reproduce(f, { ...fixtureOptions(f), engine: 'scalar' });
    assert.equal(output, f.output);
    assertLossesClose(losses, f.losses, 2e-15); // measured 6.3e-16, about 3 ulps
  });
}

test('deep-wide: the first 40 steps print what the Python reference prints', () => {
  const f = loadFixture('deep-wide');
  const { output, losses } = reproduce(f, { ...fixtureOptions(f), engine: 'scalar' }, 40);
  assert.equal(output, f.output.split('\n').slice(0, 3 + 40).join('\n') + '\n');
  assertLossesClose(losses, f.losses.slice(0, 40), 2e-15);
});
