// Numbers print as Python's f-strings print them: formatFixed rounds an exact tie to even (with
// no decimals too: 3.5 -> '4', which read the '.' as the last digit before), and its shortcut
// past the exact expansion never changes a result.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFixed } from '../src/cli/format.js';

test('formatFixed rounds exact ties to even, as Python does (values printed by python3)', () => {
  const python: [number, number, string][] = [
    [0.125, 2, '0.12'], [0.375, 2, '0.38'], [2.5, 0, '2'], [3.5, 0, '4'], [-0.125, 2, '-0.12'], [1.0625, 3, '1.062'],
    [0.5, 0, '0'], [1.5, 0, '2'], [2.6015625, 6, '2.601562'], [3.36601953125, 4, '3.3660'], [2.34375, 4, '2.3438'],
    [1.4453125, 5, '1.44531'], [0, 4, '0.0000'],
  ];
  for (const [x, digits, expected] of python) assert.equal(formatFixed(x, digits), expected, `f"{${x}:.${digits}f}"`);
});

test('formatFixed: the tie shortcut agrees with the exact expansion on ties, near-ties and random values', () => {
  // the exact expansion alone, as formatFixed decides every value without its shortcut
  const slow = (x: number, digits: number) => {
    const fixed = x.toFixed(digits);
    const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
    const tail = exact.slice(exact.length - 60);
    const kept = exact.slice(0, exact.length - 60).replace(/\.$/, '');
    if (!/^50*$/.test(tail) || Number(kept[kept.length - 1]) % 2 === 1) return fixed;
    return (x < 0 ? '-' : '') + kept;
  };
  let seed = 7;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  let ties = 0;
  for (let k = 0; k < 20000; k++) {
    const digits = k % 7;
    // a third exact ties (k + 1/2) / 2^j, a third their neighbours one ulp off, a third anything
    const tie = (Math.floor(rand() * 1e4) + 0.5) / 2 ** Math.floor(rand() * 12);
    const x = k % 3 === 0 ? tie : k % 3 === 1 ? tie * (1 + 2 ** -52) : (rand() - 0.5) * 10 ** Math.floor(rand() * 10);
    if (slow(x, digits) !== x.toFixed(digits)) ties++;
    assert.equal(formatFixed(x, digits), slow(x, digits), `${x} to ${digits} digits`);
  }
  assert.ok(ties > 100, `only ${ties} values rounded as ties`);
});
