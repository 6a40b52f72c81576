// The embedded kernels are what the AssemblyScript source compiles to (asc output is
// deterministic), so nobody can change wasm/assembly/ or wasm/float64/ without regenerating its module.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FLOAT64 } from '../src/core/tensor/wasm-kernels.generated.js';
import { RELAXED, RELAXED_SHARED, SIMD, SIMD_SHARED } from '../src/core/wasm/kernels.generated.js';
import { base64Bytes, moduleBytes } from '../src/core/wasm/webassembly.js';

const root = fileURLToPath(new URL('../../', import.meta.url)); // from dist/test/
const hasCompiler = existsSync(`${root}node_modules/assemblyscript/package.json`);

test('src/core/wasm/kernels.generated.ts and src/core/tensor/wasm-kernels.generated.ts match a fresh build of wasm/', { skip: !hasCompiler && 'assemblyscript is not installed' }, () => {
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('every embedded module decodes to the same bytes natively (moduleBytes, here Node\'s Buffer) and in plain JavaScript', () => {
  for (const [name, base64] of Object.entries({ FLOAT64, SIMD, SIMD_SHARED, RELAXED, RELAXED_SHARED })) {
    const native = moduleBytes(base64), plain = base64Bytes(base64);
    assert.ok(plain.length > 1000 && plain[0] === 0 && plain[1] === 0x61, `${name} starts as a WebAssembly module (\\0asm)`);
    assert.ok(native instanceof Buffer || 'fromBase64' in Uint8Array, `${name} decoded natively`);
    assert.equal(native.length, plain.length, name);
    const first = native.findIndex((b, i) => b !== plain[i]);
    assert.equal(first, -1, `${name}: byte ${first} is ${native[first]} decoded natively, ${plain[first]} in JavaScript`);
  }
});
