// The README's deterministic outputs, held to what the commands print: a learner pastes the
// commands and compares. Runs that take minutes are checked by their first lines only; the
// library examples are test/examples.test.ts's.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SHOWN_ROOT = '/path/to/microgpt-ts/'; // how the README writes the clone's absolute path

// a fresh clone's view: bin/ and data/ where the README's commands look for them
const CLONE = mkdtempSync(join(tmpdir(), 'microgpt-readme-'));
for (const dir of ['bin', 'data']) symlinkSync(join(ROOT, dir), join(CLONE, dir));
after(() => rmSync(CLONE, { recursive: true, force: true }));

/** The first fenced block whose text starts with `start`, without its fences. */
function block(start: string): string {
  const at = ['```\n', '```sh\n'].map((fence) => readme.indexOf(fence + start)).find((i) => i >= 0) ?? -1;
  assert.ok(at >= 0, `the README has a block starting ${JSON.stringify(start)}`);
  const body = readme.indexOf('\n', at) + 1;
  return readme.slice(body, readme.indexOf('```\n', body));
}

/** The plain output block right after the block that starts with `start`. */
function outputAfter(start: string): string {
  const code = block(start), end = readme.indexOf(code) + code.length + '```\n'.length;
  assert.ok(readme.startsWith('```\n', end), `an output block follows ${JSON.stringify(start)}`);
  return readme.slice(end + 4, readme.indexOf('```\n', end + 4));
}

function sh(command: string) {
  const r = spawnSync('sh', ['-c', command], { cwd: CLONE, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${command}: ${r.stderr}`);
  return r.stdout.replaceAll(ROOT, SHOWN_ROOT);
}

/** Each line of `shown` other than "..." is a line of `printed`, in the same order. */
function assertExcerpt(shown: string, printed: string) {
  const lines = printed.split('\n');
  let at = 0;
  for (const line of shown.trimEnd().split('\n')) {
    if (line === '...') continue;
    const found = lines.indexOf(line, at);
    assert.ok(found >= 0, `the README shows a line the command does not print (in this order): ${JSON.stringify(line)}`);
    at = found + 1;
  }
}

const reference = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/default.json'), 'utf8')).output as string;

test('the default run at the top is the reference output (which test/reference.test.ts holds the CLI to)', () => {
  assertExcerpt(block('num docs: 32033'), reference);
  const count = reference.split('\n').length - 1;
  assert.match(readme, new RegExp(`prints exactly the reference's output \\(all ${count.toLocaleString('en-US')} lines\\)`));
});

test('the flag table lists every flag of `microgpt --help` with its default', () => {
  const help = sh('node bin/microgpt.js --help');
  const defaults = new Map([...help.matchAll(/^  (--[a-z0-9-]+)\b.*?(?:\(default: ([^)]*)\))?$/gm)].map((m) => [m[1], m[2]]));
  const table = readme.slice(readme.indexOf('## Flags'), readme.indexOf('## How faithful'));
  const listed = new Set<string>();
  for (const [, flags, given] of table.matchAll(/^\| (`--.*?) \| (.*?) \|/gm)) {
    const names = [...flags.matchAll(/--[a-z0-9-]+/g)].map((m) => m[0]), values = given.split(', ');
    for (const [i, name] of names.entries()) {
      listed.add(name);
      assert.ok(defaults.has(name), `${name} is a flag of microgpt --help`);
      if (values.length === names.length && /^[\d.]+$|^[a-z]+$/.test(values[i]) && values[i] !== 'auto') {
        assert.equal(values[i], defaults.get(name), `${name}'s default`);
      }
    }
  }
  assert.deepEqual([...defaults.keys()].filter((f) => f !== '--help' && !listed.has(f)), [], 'flags the table leaves out');
});

test('the tokenizer walkthrough prints what the README shows, but for its time', () => {
  const commands = block('node bin/microgpt.js tokenizer train').trimEnd().split('\n').filter((c) => !c.includes(' train --preset'));
  assert.equal(commands.length, 4);
  const printed = commands.map(sh).join('').replace(/ in [\d.]+ s, [\d,]+ merges\/s/, ' in T s, N merges/s');
  const shown = outputAfter('node bin/microgpt.js tokenizer train').replace(/ in [\d.]+ s, [\d,]+ merges\/s/, ' in T s, N merges/s');
  assert.equal(printed, shown.trimEnd());
});

test('the bundled data/tinyshakespeare-512 tokenizer is what the command the README names makes', () => {
  const made = /made by\s+`(microgpt tokenizer train [^`]*)`/.exec(readme)?.[1].replace(/\s+/g, ' ');
  assert.ok(made, 'the README names the command');
  sh(`node bin/microgpt.js ${made!.replace('microgpt ', '').replace('--out data/', '--out ')}`);
  for (const ext of ['model', 'vocab']) {
    assert.equal(readFileSync(join(CLONE, `tinyshakespeare-512.${ext}`), 'utf8'), readFileSync(join(ROOT, `data/tinyshakespeare-512.${ext}`), 'utf8'), ext);
  }
});

test('the Shakespeare walkthrough: its header and first validation, as the README shows them', () => {
  const shown = outputAfter('npm install        # also compiles, once').split('\n');
  const printed = sh('node bin/microgpt.js train --preset shakespeare --out runs/shakespeare --stop-at 250 --quiet');
  assertExcerpt(shown.slice(0, 5).join('\n'), printed);
});

test('the parameter counts the README quotes are the models\' (the presets and the scale run)', () => {
  const scale = block('node bin/microgpt.js train --preset shakespeare --n-layer 4').replace(/\\\n\s*/g, '');
  const cases: [args: string, quoted: string][] = [
    ['--preset shakespeare', '| 64,704 | 1.8508 per character |'],
    ['--preset shakespeare --tokenizer data/tinyshakespeare-512.model', '| 107,616 | 3.4481 per token |'],
    ['--preset llama', 'about equal parameters (64,704 and 64,176)'],
    ['--preset shakespeare --pos rope', 'rope 1.8148 (61,632 parameters'],
    ['--preset shakespeare --n-kv-head 2', 'two key/value heads 1.8452 (60,096)'],
    ['--preset speedrun-names --threads 1', '151,936 params; float32 on 2 threads'],
    [scale.replace('node bin/microgpt.js train ', '').trim() + ' --threads 1', '811,520 parameters'],
  ];
  for (const [args, quoted] of cases) {
    assert.ok(readme.includes(quoted), `the README says ${JSON.stringify(quoted)}`);
    const printed = sh(`node bin/microgpt.js train ${args} --stop-at 0`);
    const params = Number(/\| (\d+) params \|/.exec(printed)?.[1]);
    assert.ok(quoted.includes(params.toLocaleString('en-US')), `${args}: ${params} params, README: ${quoted}`);
  }
});

test('the Library section names only what the package exports', async () => {
  const exported = new Set([
    ...Object.keys(await import('../src/core/index.js')),
    ...Object.keys(await import('../src/node/kernel-thread.js')),
  ]);
  const library = readme.slice(readme.indexOf('## Library'), readme.indexOf('## Reading order'));
  const prose = library.replace(/```[\s\S]*?```/g, '');
  const named = [...prose.matchAll(/`([a-z]+[A-Z]\w*|[A-Z][A-Z_]{2,})(?:\([^`]*\))?`/g)].map((m) => m[1]);
  const imported = [...library.matchAll(/^import \{([^}]*)\} from 'microgpt-ts(?:\/node)?';$/gm)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
  assert.ok(named.length >= 4 && imported.length >= 10, `${named} / ${imported}`);
  assert.deepEqual([...named, ...imported].filter((name) => !exported.has(name)), []);
});
