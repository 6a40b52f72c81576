// Compiles the TypeScript into dist/, but only when something changed: `npm start` runs this
// before every run, so a learner who edits a file sees the change at once, and a run with
// nothing changed pays ~50 ms instead of a full compile (several seconds).
//
//   node scripts/build.mjs        the library and the CLI (src/), as `npm start` needs
//   node scripts/build.mjs all    also the tests and benchmarks, as `npm test` and `npm run bench` need
//   node scripts/build.mjs --clean   forget everything and compile from scratch
//
// "Changed" means: a source file's size or modification time differs from what the last
// successful build recorded, a file was added or removed, or an output is missing. The
// compile itself is incremental (tsc --incremental), and outputs whose source was deleted
// are removed, so a deleted test does not keep running from dist/.
//
// Then the command's modules (dist/src/cli/main.js and what it imports) are bundled into
// dist/src/cli-bundle/, which bin/microgpt.js runs: Node 20 spends ~0.4 ms resolving and
// loading each ES module, and the default job imports ~75 of them. The bundle is CommonJS
// (.cjs), required by a CommonJS bin/ (bin/package.json): a process that loads no ES module
// never starts Node 20's ES module loader, a few ms of every run. It is the same code,
// unminified; each job stays a chunk of its own, loaded when it runs. The library and the
// tests use dist/src/ as compiled (ES modules).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
// what each target compiles, and the folders whose files can change its output
// (`compiled`: the folders its config includes, each file of which gets an output; `watched`
// adds what those import from elsewhere: the web modules some tests check, global types;
// `checks`: configs that only type-check, e.g. that the core uses no Node API, and the web
// app's own config, which type-checks the page modules no test imports)
const TARGETS = {
  cli: { config: 'tsconfig.cli.json', compiled: ['src'], watched: ['types'], checks: [] },
  all: { config: 'tsconfig.json', compiled: ['src', 'test', 'bench'], watched: ['types', 'web/src'], checks: ['tsconfig.core.json', 'web/tsconfig.json'] },
};

/** Every .ts file under `dir`, relative to the repository root. */
function sources(dir, out = []) {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return out;
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** One line per input file (name, size, modification time): what a build depends on. */
function fingerprint(target) {
  const { compiled, watched } = TARGETS[target];
  const files = [...compiled, ...watched].flatMap((root) => sources(root)).sort();
  // this script too: a change to how it bundles must rebuild
  const configs = [...readdirSync(ROOT).filter((f) => /^tsconfig.*\.json$/.test(f)).sort(), join('scripts', 'build.mjs')];
  return [...configs, ...files].map((f) => {
    const s = statSync(join(ROOT, f));
    return `${f} ${s.size} ${s.mtimeMs}`;
  });
}

const BUNDLE = join(DIST, 'src', 'cli-bundle');

/** True when a compiled source's JavaScript is not in dist/ (someone deleted it), or the bundle is not. */
function outputsMissing(target) {
  return !existsSync(join(BUNDLE, 'main.cjs')) || TARGETS[target].compiled.flatMap((root) => sources(root))
    .some((f) => !f.endsWith('.d.ts') && !existsSync(join(DIST, f.replace(/\.ts$/, '.js'))));
}

/**
 * dist/src/cli/main.js and its imports as one file (plus a chunk per job it imports on demand),
 * at the same depth as dist/src/cli/ so that paths relative to a module (data/, presets/, the
 * kernel thread's file that a worker starts) still hold. Left out: packages (protobufjs).
 */
async function bundleCli() {
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({
    input: join(DIST, 'src', 'cli', 'main.js'),
    platform: 'node',
    external: (id) => !id.startsWith('.') && !id.startsWith('/'), // a package or a node: builtin
    logLevel: 'warn',
    // no constant inlined where it is used: the float32 kernels' base64 strings (~40 KB each)
    // stood twice in the bundle, once more inside wasmSupport's `&&`s, for every process to parse
    optimization: { inlineConst: false },
  });
  // what main.js and the main job import is one chunk ('common', which the other jobs share),
  // not the ~7 that splitting by importer makes: each costs a default run ~0.7 ms (a module
  // main.js imports that a job imports too would otherwise get a chunk of its own)
  const mainJob = join(DIST, 'src', 'cli', 'main-job.js'), main = join(DIST, 'src', 'cli', 'main.js');
  let common;
  const staticGraph = (id, info, seen = new Set()) => {
    if (!seen.has(id)) { seen.add(id); for (const next of info(id)?.importedIds ?? []) staticGraph(next, info, seen); }
    return seen;
  };
  const codeSplitting = { groups: [{ debugName: 'common', name(id, ctx) {
    if (!common) {
      const info = (m) => ctx.getModuleInfo(m);
      common = new Set([...staticGraph(mainJob, info), ...staticGraph(main, info)].filter((m) => m !== mainJob && m !== main));
    }
    return common.has(id) ? 'common' : null;
  } }] };
  const { output } = await bundle.write({ dir: BUNDLE, format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name].cjs', codeSplitting });
  await bundle.close();
  // written over the old files, then the chunks no longer made removed: a run that starts meanwhile finds a bundle
  const made = new Set(output.map((o) => o.fileName));
  for (const name of readdirSync(BUNDLE)) if (!made.has(name)) rmSync(join(BUNDLE, name));
}

/** Compiled outputs (dist/**.js and companions) whose .ts source no longer exists. */
function removeOrphans() {
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) { walk(path); continue; }
      const m = relative(DIST, path).match(/^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/);
      if (m && !existsSync(join(ROOT, `${m[1]}.ts`))) rmSync(path);
    }
  };
  for (const dir of ['src', 'test', 'bench', 'web']) walk(join(DIST, dir));
}

async function build(target, clean) {
  const stampPath = join(DIST, `.build-${target}.json`);
  // one build info for both targets: they emit the same src/ outputs into dist/, and with one
  // each, a file edited, built by one target and reverted looked unchanged to the other, whose
  // stale output stayed (tsc's state holds what it last emitted, not what is in dist/ now)
  const infoPath = join(DIST, '.tsbuildinfo');
  if (clean) rmSync(DIST, { recursive: true, force: true });
  const now = fingerprint(target);
  const stamp = existsSync(stampPath) ? JSON.parse(readFileSync(stampPath, 'utf8')) : [];
  const missing = outputsMissing(target);
  if (!missing && JSON.stringify(stamp) === JSON.stringify(now)) return; // up to date
  // tsc --incremental trusts its build info even when outputs were deleted: then start over
  if (missing) rmSync(infoPath, { force: true });
  mkdirSync(DIST, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const config of [TARGETS[target].config, ...TARGETS[target].checks]) {
    const info = config === TARGETS[target].config ? infoPath : join(DIST, `.tsbuildinfo-${config.replace(/\.json$/, '').replace(/\//g, '-')}`);
    const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, config), '--incremental', '--tsBuildInfoFile', info], { stdio: 'inherit' });
    if (r.status !== 0) {
      rmSync(stampPath, { force: true });
      process.exit(r.status ?? 1);
    }
  }
  removeOrphans();
  await bundleCli();
  writeFileSync(stampPath, JSON.stringify(now));
}

const args = process.argv.slice(2);
const target = args.find((a) => !a.startsWith('--')) ?? 'cli';
if (!(target in TARGETS)) {
  process.stderr.write(`build: unknown target '${target}' (cli or all)\n`);
  process.exit(2);
}
await build(target, args.includes('--clean'));
