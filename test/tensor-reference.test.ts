// The tensor engine against runs of the Python reference: the main job's printed output must
// be identical and every loss equal within a few ulps (its gradients sum in another order).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLossesClose, fixtureOptions, loadFixture, reproduce } from './reference-helpers.js';

test('tensor: the first 20 steps of the reference run, to full precision', () => {
  const f = loadFixture('default');
  const { losses } = reproduce(f, { ...fixtureOptions(f), engine: 'tensor' }, 20);
  assert.equal(losses[0], f.losses[0], 'the first loss, to the bit');
  assertLossesClose(losses, f.losses.slice(0, 20), 1e-15); // measured 1.6e-16: Python's libm and V8's differ in a last bit
});

for (const name of ['default', 'deep-wide', 'shakespeare-lines']) {
  test(`tensor, ${name}: the same output as the Python reference`, () => {
    const f = loadFixture(name);
    const { output, losses } = reproduce(f, { ...fixtureOptions(f), engine: 'tensor' });
    assert.equal(output, f.output);
    assertLossesClose(losses, f.losses, 2e-15); // measured 6.3e-16, about 3 ulps
  });
}
