// The flag parser's forms: a boolean as `--name`, `--name=false` or `--name false`; a second
// name for a flag; and what is still an error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FlagSpec, convert, formatHelp, parseArgs } from '../src/cli/flags.js';
import { UserError } from '../src/core/errors.js';

const SPECS: FlagSpec[] = [
  { name: 'embed-norm', type: 'boolean', help: 'a boolean that defaults to true', default: true },
  { name: 'activation', alias: 'mlp', type: 'string', help: 'a flag with a second name', default: 'relu', choices: ['relu', 'swiglu'] },
  { name: 'steps', type: 'int', help: 'a number', default: 10 },
];

test('a boolean flag: bare, with =, or followed by true or false', () => {
  assert.equal(parseArgs(['--embed-norm'], SPECS).values['embed-norm'], true);
  assert.equal(parseArgs(['--embed-norm=false'], SPECS).values['embed-norm'], false);
  assert.equal(parseArgs(['--embed-norm', 'false', '--steps', '3'], SPECS).values['embed-norm'], false);
  assert.deepEqual(parseArgs(['--embed-norm', 'true', '--steps', '3'], SPECS).values, { 'embed-norm': true, activation: 'relu', steps: 3 });
  // anything else after it is the next argument, as before
  assert.throws(() => parseArgs(['--embed-norm', 'no'], SPECS), (e) => e instanceof UserError && /unexpected argument 'no'/.test(e.message));
});

test('a second name sets the same flag and counts as given', () => {
  const { values, given } = parseArgs(['--mlp', 'swiglu'], SPECS);
  assert.equal(values.activation, 'swiglu');
  assert.ok(given.has('activation'));
  assert.throws(() => parseArgs(['--mlp', 'gelu'], SPECS), (e) => e instanceof UserError && /--activation must be one of relu, swiglu; got 'gelu'/.test(e.message));
  assert.match(formatHelp('usage', SPECS), /--activation relu\|swiglu, --mlp +a flag with a second name/);
});

test('a number flag takes decimal notation, and nothing Number() would read another way', () => {
  const lr: FlagSpec = { name: 'lr', type: 'number', help: 'a number' };
  for (const [raw, value] of [['0.01', 0.01], ['1e-3', 0.001], ['1E3', 1000], ['.5', 0.5], ['5.', 5], ['-2', -2], ['+3', 3], [' 0.25 ', 0.25]] as const) {
    assert.equal(convert(lr, raw), value, raw);
  }
  for (const raw of ['0x10', '0b1', '0o7', '', ' ', 'Infinity', '1e400', 'nan', '1_000', '1,5', '.', 'e3']) {
    assert.throws(() => convert(lr, raw), (e) => e instanceof UserError && e.message === `--lr expects a number, got '${raw}'`, raw);
  }
});

test('a flag given twice keeps the last value and says so, once per repeat, naming both values', () => {
  const notes: string[] = [];
  const { values } = parseArgs(['--steps', '100', '--mlp', 'swiglu', '--steps=200', '--activation', 'relu'], SPECS, (m) => notes.push(m));
  assert.equal(values.steps, 200);
  assert.equal(values.activation, 'relu');
  assert.deepEqual(notes, [
    '--steps is given twice (100, then 200); the last one counts',
    '--activation is given twice (swiglu, then relu); the last one counts', // the alias counts as the same flag
  ]);
  // the same value again changes nothing, so there is nothing to say
  notes.length = 0;
  parseArgs(['--steps', '5', '--steps', '05', '--embed-norm', '--embed-norm=true'], SPECS, (m) => notes.push(m));
  assert.deepEqual(notes, []);
});
