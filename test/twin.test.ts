// The PyTorch twin (twin/microgpt_torch.py) against this code: the same held-out loss on our
// checkpoints, the same training steps as `train --resume`, DDP on 2 ranks equal to 1 rank,
// and checkpoints our CLI samples from and resumes. Needs a python3 with torch: a developer
// without one skips with a note; CI (CI=true, set by .ci/run, which installs python3-torch) fails.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadCheckpoint } from '../src/cli/checkpoint-files.js';
import { readData } from '../src/cli/options.js';
import { splitText } from '../src/core/data/text.js';
import { meanLoss, validationSequences } from '../src/core/run/evaluate.js';
import { runFromCheckpoint, splitDocuments } from '../src/core/run/run.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const TWIN = fileURLToPath(new URL('../../twin/microgpt_torch.py', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-twin-'));
const NAMES = join(tmp, 'names.txt');
writeFileSync(NAMES, readFileSync(new URL('../../data/names.txt', import.meta.url), 'utf8').split('\n').slice(0, 2000).join('\n'));
const TEXT = join(tmp, 'text.txt');
writeFileSync(TEXT, readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 20000));

// a BPE tokenizer (GPT-4's split pattern, a special token) learned from a text with other scripts,
// digits and spaces, so the twin's letter, digit and space classes are exercised
const BPE_TEXT = join(tmp, 'bpe.txt');
writeFileSync(BPE_TEXT, readFileSync(TEXT, 'utf8').slice(0, 6000) + '\nhéllo wörld 123456 <|end|> don\'t  STOP\n tabs\there \u017ftop IT\'S\n\n' +
  '  x\u3000y \u{1d518}\u{1d52b} \u0661\u0662\u0663 \u00bd \u2028 Привет мир 你好 <|end|>\n'.repeat(3));

// Debian's python3-torch is built for /usr/bin/python3, which a pyenv python3 on PATH may hide
const PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
const missing = PYTHON ? undefined : 'no python3 with torch: install Debian\'s python3-torch (apt-get install python3-torch) to run the twin tests';
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing} (CI=true requires it)`);
const skip = missing ?? false;

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: tmp, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function ok(r: { code: number | null; out: string; err: string }): string {
  assert.equal(r.code, 0, `exit code; stderr: ${r.err}`);
  return r.out;
}
const cli = (...args: string[]) => ok(run(process.execPath, [BIN, ...args]));
const twin = (...args: string[]) => run(PYTHON!, [TWIN, ...args]);
// torch 1.13's torchrun under Python 3.11 reads its default --redirects/--tee "0" as None (IntFlag
// iteration skips 0); a mapping for a rank that does not exist means "none" on every version.
// The rendezvous gets a free port: --standalone's fixed 29400 fails when anything else holds it.
const torchrun = (port: number, n: number, ...args: string[]) => ok(run(PYTHON!, ['-m', 'torch.distributed.run', '--nnodes', '1',
  '--rdzv_backend', 'c10d', '--rdzv_endpoint', `localhost:${port}`, '--rdzv_id', randomUUID(), '--nproc_per_node', String(n),
  '--redirects', '9:0', '--tee', '9:0', TWIN, ...args]));

/** A TCP port no one listens on at the moment of asking. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A checkpoint of `steps` steps of a run (of `total`), trained by our CLI into tmp/name. */
function ours(name: string, steps: number, total: number, ...flags: string[]): string {
  const dir = join(tmp, name);
  cli('train', '--steps', String(total), '--stop-at', String(steps), '--out', dir, '--quiet', ...flags);
  return dir;
}

/** Our held-out loss of a checkpoint in full precision, as `microgpt eval --from DIR` computes it. */
async function ourLoss(dir: string): Promise<number> {
  const c = loadCheckpoint(dir), r = runFromCheckpoint(c), data = await readData(c.data.path, c.data.format);
  const held = c.data.format === 'text'
    ? { valDocs: [], text: splitText(r.tokenizer, data.text, c.data.valFraction), tokenizer: r.tokenizer, config: r.config }
    : { ...splitDocuments(data.docs, r.seed, c.data.valFraction, r.tokenizer.bpe), text: undefined, config: r.config };
  return meanLoss(r, validationSequences(held)).loss;
}

function twinLoss(dir: string): number {
  const out = ok(twin('eval', '--from', dir));
  return Number(/^loss (\S+)/.exec(out)![1]);
}

/** Weights, moments and random stream of two checkpoints: equal within `tol`, the worst element named. */
function assertSameState(a: string, b: string, tol: number): void {
  const x = loadCheckpoint(a), y = loadCheckpoint(b);
  assert.equal(x.step, y.step, 'step');
  assert.deepEqual(x.rng, y.rng, 'random stream');
  for (const [what, u, v] of [['weights', x.weights, y.weights], ['m', x.optimizer!.m, y.optimizer!.m], ['v', x.optimizer!.v, y.optimizer!.v]] as const) {
    let worst = 0;
    for (let i = 1; i < u.length; i++) if (Math.abs(u[i] - v[i]) > Math.abs(u[worst] - v[worst])) worst = i;
    assert.ok(Math.abs(u[worst] - v[worst]) <= tol, `${what}[${worst}]: ${u[worst]} vs ${v[worst]}`);
  }
}

// text windows drawn from the checkpoint's random stream, micro-batches and every optimizer setting
const KNOBS = ['--format', 'text', '--data', TEXT, '--n-layer', '2', '--activation', 'gelu', '--norm', 'layernorm', '--batch-size', '4',
  '--grad-accum', '2', '--grad-clip', '0.5', '--schedule', 'cosine', '--warmup-steps', '3', '--weight-decay', '0.1', '--lr', '0.003'];

/** BPE runs, learned here: a text run with a special token, and a lines run. */
function bpeFlags(name: string, data: string, ...flags: string[]): string[] {
  const model = join(tmp, name);
  cli('tokenizer', 'train', '--data', data, '--vocab-size', '300', '--special', '<|end|>', '--out', model, ...flags);
  return ['--data', data, '--tokenizer', `${model}.model`, '--batch-size', '2'];
}

test('without torch, the twin says so in one line and exits 1 (no traceback)', () => {
  // a torch package that fails to import stands in for a python3 without torch, on any machine
  const shadow = join(tmp, 'no-torch');
  mkdirSync(join(shadow, 'torch'), { recursive: true });
  writeFileSync(join(shadow, 'torch', '__init__.py'), 'raise ImportError("No module named \'torch\'")\n');
  const python = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', '0']).status === 0);
  if (!python) return; // no python3 at all: nothing to run the twin with
  const r = spawnSync(python, [TWIN, 'eval', '--from', tmp], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: shadow } });
  assert.equal(r.status, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /Traceback/);
  assert.match(r.stderr, /^the PyTorch twin needs torch, which .* cannot import: install it \(Debian: apt-get install python3-torch/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('the twin\'s held-out loss equals `microgpt eval` (reference model, lines; a text run with gelu and layernorm; BPE)', { skip }, async () => {
  const bpeText = ours('bpe-text', 5, 20, '--format', 'text', ...bpeFlags('tok-text', BPE_TEXT));
  for (const dir of [ours('names', 30, 60, '--data', NAMES), ours('knobs-eval', 5, 20, ...KNOBS), bpeText]) {
    const [a, b] = [await ourLoss(dir), twinLoss(dir)];
    assert.ok(Math.abs(a - b) <= 1e-13, `${dir}: ours ${a}, twin ${b}`); // measured: 5e-16
  }
});

test('twin training equals `train --resume` to the same step: weights, moments, random stream', { skip }, () => {
  const bpeLines = bpeFlags('tok-lines', NAMES, '--pattern', 'gpt2');
  // names cut to a context of 6 (the twin pads each batch, and must cut as we do)
  const cut = ['--data', NAMES, '--block-size', '6', '--batch-size', '3'];
  for (const [name, flags] of [['names-train', cut], ['knobs-train', KNOBS], ['bpe-lines', bpeLines]] as const) {
    const from = ours(name, 5, 40, ...flags), resumed = join(tmp, `${name}-resumed`), twinned = join(tmp, `${name}-twin`);
    cpSync(from, resumed, { recursive: true });
    cli('train', '--resume', resumed, '--stop-at', '12', '--quiet');
    ok(twin('train', '--from', from, '--out', twinned, '--stop-at', '12'));
    assertSameState(twinned, resumed, 1e-14); // measured: 1.1e-16
  }
});

test('twin --eval-every prints the held-out loss as it trains, as `train --eval-every` does, the last equal to `microgpt eval`', { skip }, async () => {
  const from = ours('names-evals', 0, 20, '--data', NAMES), twinned = join(tmp, 'names-evals-twin'), resumed = join(tmp, 'names-evals-resumed');
  const lines = [...ok(twin('train', '--from', from, '--out', twinned, '--eval-every', '8')).matchAll(/^step (\d+): val loss (\S+) after [\d.]+ s$/gm)];
  assert.deepEqual(lines.map((m) => Number(m[1])), [8, 16, 20]);
  const last = Number(lines[2][2]), exact = await ourLoss(twinned);
  assert.ok(Math.abs(last - exact) <= 1e-13, `twin ${last}, ours ${exact}`); // measured: 9e-16
  cpSync(from, resumed, { recursive: true });
  const theirs = [...cli('train', '--resume', resumed, '--eval-every', '8', '--eval-size', '1000').matchAll(/^step (\d+): val loss (\S+)/gm)];
  assert.deepEqual(theirs.map((m) => Number(m[1])), [8, 16, 20]);
  theirs.forEach((m, i) => assert.ok(Math.abs(Number(m[2]) - Number(lines[i][2])) <= 5e-5, `step ${m[1]}: ours ${m[2]}, twin ${lines[i][2]}`)); // ours prints 4 decimals
  const r = twin('train', '--from', from, '--out', join(tmp, 'never'), '--eval-every', '-1');
  assert.equal(r.code, 2);
  assert.match(r.err, /--eval-every must be at least 0, got -1/);
});

test('torchrun 2 ranks x batch/2 equals 1 rank x batch; our CLI samples, evaluates and resumes its checkpoint', { skip }, async () => {
  // text windows with Llama settings (a tied wte gets its gradient from two places on every
  // rank); names of uneven lengths split 3 + 2, so each rank's tokens weigh by the whole step's count
  const runs = [ours('knobs-ddp', 5, 40, ...KNOBS, '--pos', 'rope', '--tie-embeddings', '--n-kv-head', '2', '--norm-weight', '--final-norm'),
    ours('names-ddp', 5, 40, '--data', NAMES, '--batch-size', '5', '--grad-clip', '0.5')];
  for (const from of runs) {
    const one = `${from}-1`, two = `${from}-2`;
    ok(twin('train', '--from', from, '--out', one, '--stop-at', '9'));
    assert.match(torchrun(await freePort(), 2, 'train', '--from', from, '--out', two, '--stop-at', '9'), /saved step 9/);
    assertSameState(two, one, 1e-14); // measured: 1.1e-16
  }
  const two = `${runs[0]}-2`;
  assert.match(cli('sample', '--from', two, '--samples', '3'), /sample 3/);
  assert.match(cli('eval', '--from', two), /^loss \d/);
  cli('train', '--resume', two, '--stop-at', '11', '--quiet');
  assert.equal(loadCheckpoint(two).step, 11);
});

// every Llama setting: the preset (rope, grouped-query, swiglu, gains, a final norm, no norm of
// the embeddings), then the rest (tied, layernorm with gains, multi-query, relu2, a set mlp-hidden)
const LLAMAS = [['--preset', 'llama', '--data', TEXT, '--steps', '40', '--warmup-steps', '4', '--grad-clip', '1', '--weight-decay', '0.1'],
  ['--data', NAMES, '--tie-embeddings', '--norm', 'layernorm', '--norm-weight', '--n-kv-head', '1', '--pos', 'rope', '--activation', 'relu2',
    '--mlp-hidden', '40', '--final-norm', '--embed-norm=false', '--batch-size', '3', '--weight-decay', '0.05']];

test('the Llama settings: the twin\'s loss equals ours, and its steps equal train --resume', { skip }, async () => {
  for (const [i, flags] of LLAMAS.entries()) {
    const from = ours(`llama${i}`, 5, 40, ...flags), resumed = join(tmp, `llama${i}-resumed`), twinned = join(tmp, `llama${i}-twin`);
    const [a, b] = [await ourLoss(from), twinLoss(from)];
    assert.ok(Math.abs(a - b) <= 1e-13, `${from}: ours ${a}, twin ${b}`); // measured: 5e-15
    cpSync(from, resumed, { recursive: true });
    cli('train', '--resume', resumed, '--stop-at', '10', '--quiet');
    ok(twin('train', '--from', from, '--out', twinned, '--stop-at', '10'));
    assertSameState(twinned, resumed, 1e-14); // measured: 3.3e-16
  }
});

test('bad input to the twin: one clear message, exit 2, no traceback', { skip }, () => {
  const edited = join(tmp, 'edited');
  cpSync(ours('names-bad', 2, 4, '--data', NAMES), edited, { recursive: true });
  const json = join(edited, 'checkpoint.json');
  writeFileSync(json, readFileSync(json, 'utf8').replace('"learningRate":0.01', '"learningRate":0.02'));
  for (const [args, pattern] of [[['eval', '--from', join(tmp, 'nowhere')], /no checkpoint at .*nowhere/],
    [['eval', '--from', edited], /does not match its checksum/],
    [['train', '--from', join(tmp, 'names-bad'), '--out', join(tmp, 'names-bad')], /already holds a checkpoint; add --overwrite/],
    [['train', '--from', join(tmp, 'names-bad'), '--out', join(tmp, 'bad-out'), '--stop-at', '9'], /at step 2 of 4: --stop-at must be above it and at most 4/]] as const) {
    const r = twin(...args);
    assert.equal(r.code, 2, `exit code, stderr: ${r.err}`);
    assert.match(r.err, pattern);
    assert.doesNotMatch(r.err, /Traceback/);
  }
});
