// The catalogue's faults, through the CLI with real processes: Ctrl-C and resume on every
// engine and thread count with no engine flag (every loss equal to an uninterrupted run's),
// divergence on every engine (named, never saved as best), and checkpoints whose numbers are
// not finite (refused by sample and eval). kill -9 during saves and two writers on one
// directory are in checkpoint-files.test.ts.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, saveCheckpoint } from '../src/cli/checkpoint-files.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/microgpt.js');
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-fault-catalogue-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const NAMES = join(DIR, 'names.txt');
writeFileSync(NAMES, readFileSync(new URL('../../data/names.txt', import.meta.url), 'utf8').split('\n').slice(0, 400).join('\n'));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** The metrics lines without their timings, which differ between runs. */
function losses(path: string): object[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => {
    const { tokens_per_s: _, elapsed_ms: __, ...rest } = JSON.parse(line);
    return rest;
  });
}

/** Runs `train args`, sends SIGINT once `after` step lines are out, and resolves with the exit code and output. */
function interrupt(args: string[], after: number): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, 'train', ...args, '--quiet', '--log-every', '1']);
  let out = '', err = '', sent = false;
  child.stderr.on('data', (d) => { err += d; });
  child.stdout.on('data', (d) => {
    out += d;
    if (!sent && (out.match(/^step +\d+\//gm)?.length ?? 0) >= after) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

const ENGINE_RUNS: [string, string[], number][] = [
  ['scalar', ['--engine', 'scalar'], 300],
  ['tensor', ['--engine', 'tensor', '--batch-size', '4'], 3000],
  ['float32, 1 thread', ['--engine', 'float32', '--threads', '1', '--batch-size', '4'], 3000],
  ['float32, 2 threads', ['--engine', 'float32', '--threads', '2', '--batch-size', '4'], 3000],
];

for (const [label, engine, steps] of ENGINE_RUNS) {
  test(`Ctrl-C and resume with no engine flag (${label}): every loss equals the uninterrupted run's`, async () => {
    const name = label.replace(/\W+/g, '-');
    const whole = join(DIR, `whole-${name}`), parts = join(DIR, `parts-${name}`);
    const run = ['--data', NAMES, '--val-fraction', '0.1', '--eval-every', '50', '--eval-size', '8', '--steps', String(steps), ...engine];
    assert.equal(cli('train', ...run, '--quiet', '--metrics', `${whole}.jsonl`).status, 0);

    const first = await interrupt([...run, '--out', parts, '--metrics', `${parts}.jsonl`], 5);
    assert.equal(first.code, 130, `interrupted, exit 130: ${first.err}`);
    const step = Number(first.out.match(/interrupted at step (\d+) of/)?.[1]);
    assert.ok(step >= 5 && step < steps, `stopped part-way: ${step}`);

    const second = cli('train', '--resume', parts, '--metrics', `${parts}.jsonl`, '--quiet', '--log-every', '1000');
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`resuming from .* at step ${step}`));
    const threads = engine.includes('--threads') ? engine[engine.indexOf('--threads') + 1] : undefined;
    assert.match(second.stdout, new RegExp(`${engine[1]} engine \\(${threads ? `SIMD[^,]*, ${threads} thread` : ''}`), 'the engine and threads of the checkpoint');
    assert.deepEqual(losses(`${parts}.jsonl`), losses(`${whole}.jsonl`), 'every loss, lr and validation loss');
  });
}

test('divergence is caught at the same step on every engine, the last good checkpoint kept and never a diverged best', () => {
  const messages = new Map<string, string>();
  for (const engine of ['scalar', 'tensor', 'float32']) {
    const out = join(DIR, `diverged-${engine}`);
    // warmup lets a few steps succeed first, so there is a good checkpoint to keep
    const r = cli('train', '--data', NAMES, '--engine', engine, '--lr', '3', '--warmup-steps', '20', '--steps', '50', '--val-fraction', '0.1',
      '--eval-every', '1', '--eval-size', '4', '--save-every', '1', '--out', out, '--quiet');
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const m = r.stderr.match(/^microgpt: error: (the (?:training|validation) loss became \S+ at step (\d+) \(learning rate [\d.]+\)): training diverged and was stopped\. Try a lower --lr or --warmup-steps; the last good checkpoint \(step (\d+)\) is in /);
    assert.ok(m, r.stderr);
    messages.set(engine, m[1]);
    const [bad, good] = [Number(m[2]), Number(m[3])];
    assert.ok(bad > 1 && good === bad - 1, `diverged at ${bad}, kept ${good}`);
    assert.equal(loadCheckpoint(out).step, good);
    const best = loadCheckpoint(join(out, 'best')); // finite weights, or it would not load
    assert.ok(best.step <= good && Number.isFinite(best.bestValLoss), `best at step ${best.step}, loss ${best.bestValLoss}`);
  }
  assert.equal(new Set(messages.values()).size, 1, `the same loss at the same step: ${JSON.stringify([...messages])}`);
});

test('a checkpoint whose weights are NaN or infinite is refused by sample, eval and resume', () => {
  const out = join(DIR, 'finite');
  assert.equal(cli('train', '--data', NAMES, '--engine', 'tensor', '--steps', '10', '--stop-at', '5', '--out', out, '--quiet').status, 0);
  const c = loadCheckpoint(out);
  for (const bad of [NaN, Infinity]) {
    const dir = join(DIR, `bad-${bad}`);
    mkdirSync(dir, { recursive: true });
    c.weights[3] = bad;
    saveCheckpoint(dir, c); // a valid file of invalid numbers, as a buggy writer would make it
    for (const args of [['sample', '--from', dir], ['eval', '--from', dir], ['train', '--resume', dir]]) {
      const r = cli(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^microgpt: error: checkpoint .*: wte holds ${bad} at index 3; a checkpoint's weights must be finite \\(a diverged run\\?\\)\\n$`));
    }
  }
});
