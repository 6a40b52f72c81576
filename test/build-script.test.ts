// scripts/build.mjs on a project of three files in a temporary folder: an edit that one target
// compiled and that is then undone must be undone in dist/ by the other target too (each had
// its own incremental state once, and the reverted output stayed, so tests ran stale code).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A project with the repository's build script and configs, a one-line CLI and one test. */
function tinyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'microgpt-build-'));
  for (const f of ['scripts/build.mjs', 'tsconfig.json', 'tsconfig.cli.json', 'tsconfig.core.json', 'types/platform-globals.d.ts']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const files: Record<string, string> = {
    'package.json': '{ "type": "module" }\n',
    'src/core/answer.ts': 'export const answer = 1;\n',
    'src/cli/main.ts': "import { answer } from '../core/answer.js';\nexport const main = () => answer;\n",
    'test/answer.test.ts': "import { answer } from '../src/core/answer.js';\nexport const seen = answer;\n",
    'web/tsconfig.json': JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noEmit: true }, include: ['src/**/*.ts'] }),
    'web/src/page.ts': 'export const page = 1;\n',
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

test('an edit built by one target and reverted is reverted in dist/ by the other', () => {
  const dir = tinyProject();
  const build = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(dir, 'scripts/build.mjs'), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  };
  const source = join(dir, 'src/core/answer.ts'), output = join(dir, 'dist/src/core/answer.js');
  for (const [first, second] of [['all', 'cli'], ['cli', 'all']]) {
    build(first);
    writeFileSync(source, 'export const answer = 2; // edited\n');
    build(second);
    assert.match(readFileSync(output, 'utf8'), /answer = 2/, `${second} compiles the edit`);
    writeFileSync(source, 'export const answer = 1;\n');
    build(first);
    assert.match(readFileSync(output, 'utf8'), /answer = 1;/, `${first} after ${second}: the reverted source's output`);
  }
});
