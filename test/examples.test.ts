// The README's library examples are the files in examples/, shown whole, and they run as
// written: the names example prints the reference run's last loss and its 20 names. The
// packed tarball installs into an empty project and imports by the package's name.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.mjs')).sort();
const TMP = mkdtempSync(join(tmpdir(), 'microgpt-examples-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function node(file: string, cwd = ROOT) {
  return spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 120_000 });
}

test('every example is in the README, whole and unchanged', () => {
  assert.deepEqual(EXAMPLES, ['bpe-shakespeare.mjs', 'names.mjs', 'shakespeare-float32.mjs']);
  for (const file of EXAMPLES) {
    const code = readFileSync(join(ROOT, 'examples', file), 'utf8');
    assert.ok(readme.includes('```js\n' + code + '```\n'), `README shows examples/${file} as it is`);
  }
});

test('examples/names.mjs prints the reference run: its last loss and its 20 names', () => {
  const r = node('examples/names.mjs');
  assert.equal(r.status, 0, r.stderr);
  const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/default.json'), 'utf8'));
  const names = (fixture.output as string).split('\n').filter((l) => l.startsWith('sample ')).map((l) => l.replace(/^sample +\d+: /, ''));
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[3], 'step 1000: loss 2.6497');
  assert.deepEqual(lines.slice(4), names);
});

test('examples/shakespeare-float32.mjs trains on two threads, validates, samples and exits', () => {
  const r = node('examples/shakespeare-float32.mjs');
  assert.equal(r.status, 0, r.stderr);
  const [first, second] = [...r.stdout.matchAll(/^step (100|200): val loss (\d\.\d{3})$/gm)].map((m) => Number(m[2]));
  assert.ok(second < first && second < 2.7, `validation loss falls: ${first} -> ${second}`);
  assert.match(r.stdout, /\nROMEO:/);
});

test('examples/bpe-shakespeare.mjs learns merges, trains on them and scores bits per character', () => {
  const r = node('examples/bpe-shakespeare.mjs');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '"R" "O" "M" "E" "O" ":" " " "W" "he" "re" "f" "ore" " a" "r" "t" " thou" "?"');
  const bits = [...r.stdout.matchAll(/^step (100|200): val loss \d\.\d{3} per token, (\d\.\d{3}) bits\/char$/gm)].map((m) => Number(m[2]));
  assert.equal(bits.length, 2, r.stdout);
  assert.ok(bits[1] < bits[0] && bits[1] < 3.3, `bits per character fall: ${bits}`);
  assert.match(r.stdout, /\nROMEO:/);
});

test('npm pack, then npm install of the tarball in an empty project: imported by name, it trains', () => {
  const pack = spawnSync('npm', ['pack', '--pack-destination', TMP, '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = join(TMP, pack.stdout.trim().split('\n').at(-1)!);
  const project = join(TMP, 'project');
  spawnSync('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--silent', tarball], { cwd: project, encoding: 'utf8', timeout: 120_000 });
  assert.equal(install.status, 0, install.stderr);
  writeFileSync(join(project, 'main.mjs'), [
    "import { readFileSync } from 'node:fs';",
    "import { createRun, parseDocuments, train, sample } from 'microgpt-ts';",
    "import { spawnNodeWorker } from 'microgpt-ts/node';",
    "const docs = parseDocuments(readFileSync('node_modules/microgpt-ts/data/names.txt', 'utf8'));",
    'const run = createRun(docs, { train: { steps: 20 } });',
    'train(run);',
    "console.log(run.engine.name, typeof spawnNodeWorker, sample(run, 3, 0.5).length);",
  ].join('\n'));
  const r = node('main.mjs', project);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'tensor function 3\n');
});
