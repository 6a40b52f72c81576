// The embedded kernels are what the AssemblyScript source compiles to (asc output is
// deterministic), so nobody can change wasm/assembly/ or wasm/float64/ without regenerating its module.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url)); // from dist/test/
const hasCompiler = existsSync(`${root}node_modules/assemblyscript/package.json`);

test('src/core/wasm/kernels.generated.ts and src/core/tensor/wasm-kernels.generated.ts match a fresh build of wasm/', { skip: !hasCompiler && 'assemblyscript is not installed' }, () => {
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
