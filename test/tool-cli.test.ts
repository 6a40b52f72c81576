// The subcommands as a user meets them: train, sample, eval and bench, their help, their
// checkpoints, resuming, Ctrl-C, and one clear message (exit 2) for every kind of bad input.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ENGINES } from '../src/core/run/engines.js';
import { BENCH_FLAGS } from '../src/cli/bench-job.js';
import { EVAL_FLAGS } from '../src/cli/eval-job.js';
import type { FlagSpec } from '../src/cli/flags.js';
import { createProgress } from '../src/cli/progress.js';
import { SAMPLE_FLAGS } from '../src/cli/sample-job.js';
import { TRAIN_FLAGS } from '../src/cli/train-job.js';
import { assertCleanError } from './cli-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-tool-'));
const TINY = join(tmp, 'tiny-names.txt');
writeFileSync(TINY, 'emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\nevelyn\nabigail\nemily\nella\n');
const TEXT = join(tmp, 'text.txt');
writeFileSync(TEXT, readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8').slice(0, 4000));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--max-semi-space-size=64', BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The weights file a checkpoint directory's JSON names (model-<step>-<crc>.safetensors). */
function weightsIn(dir: string): string {
  return join(dir, JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).weights.file);
}

function assertOk(r: { code: number | null; out: string; err: string }) {
  assert.equal(r.code, 0, `exit code, stderr: ${r.err}\nstdout: ${r.out}`);
}

const small = ['--data', TINY, '--steps', '20', '--val-fraction', '0.25', '--eval-every', '10', '--engine', 'scalar', '--quiet'];

test('--help of every subcommand lists every flag with its default', () => {
  const commands: [string, FlagSpec[]][] = [['train', TRAIN_FLAGS], ['sample', SAMPLE_FLAGS], ['eval', EVAL_FLAGS], ['bench', BENCH_FLAGS]];
  for (const [command, specs] of commands) {
    const r = cli(command, '--help');
    assertOk(r);
    assert.match(r.out, new RegExp(`^Usage: microgpt ${command}`));
    for (const s of specs) {
      const line = r.out.split('\n').find((l) => l.startsWith(`  --${s.name} `) || l === `  --${s.name}` || l.startsWith(`  --${s.name}  `));
      assert.ok(line, `${command} --help lists --${s.name}`);
      const shown = s.defaultText ?? s.default;
      if (shown !== undefined) assert.ok(line.includes(`(default: ${shown})`), `${command} --${s.name} shows its default: ${line}`);
    }
  }
});

test('bad flags and impossible combinations: one clear message, exit 2', () => {
  assertCleanError(cli('train', '--stpes', '5'), /unknown flag --stpes \(did you mean --steps\?\)/);
  assertCleanError(cli('train', '--steps', 'many'), /--steps expects an integer, got 'many'/);
  assertCleanError(cli('train', '--format', 'csv'), /--format must be one of lines, text; got 'csv'/);
  assertCleanError(cli('train', '--schedule', 'step'), /--schedule must be one of linear, cosine, constant/);
  assertCleanError(cli('train', '--save-every', '5'), /--save-every needs --out/);
  assertCleanError(cli('train', '--steps', '10', '--stop-at', '20'), /--stop-at must be between 0 and --steps \(10\), got 20/);
  assertCleanError(cli('train', '--steps', '10', '--warmup-steps', '10'), /warmup-steps \(10\) must be less than steps \(10\)/);
  assertCleanError(cli('train', '--resume', join(tmp, 'nowhere'), '--lr', '0.1'), /--lr cannot be set with --resume/);
  assertCleanError(cli('train', '--val-fraction', '1'), /val-fraction must be in \[0, 1\)/);
  assertCleanError(cli('frobnicate'), /unknown command 'frobnicate' \(commands: train, sample, eval, bench/);
  assertCleanError(cli('sample'), /sample needs --from DIR/);
  assertCleanError(cli('eval', '--from', join(tmp, 'nowhere')), /no checkpoint at .*nowhere/);
  assertCleanError(cli('train', '--engine', 'scalar', '--activation', 'gelu', '--steps', '1'), /activation gelu is not supported by the scalar engine yet/);
  assertCleanError(cli('train', '--engine', 'scalar', '--grad-clip', '1', '--steps', '1'), /grad-clip 1 is not supported by the scalar engine yet/);
});

test('presets: bundled by name, overridable by flags, unknown keys and wrong types fail loudly', () => {
  assertCleanError(cli('train', '--preset', 'nope'), /unknown preset 'nope'; available: llama, names, shakespeare, speedrun-names, speedrun-shakespeare/);
  const typo = join(tmp, 'typo.json');
  writeFileSync(typo, JSON.stringify({ 'n-layers': 2 }));
  assertCleanError(cli('train', '--preset', typo), /unknown key "n-layers" \(did you mean "n-layer"\?\)/);
  const wrongType = join(tmp, 'wrong-type.json');
  writeFileSync(wrongType, JSON.stringify({ 'n-layer': '2' }));
  assertCleanError(cli('train', '--preset', wrongType), /"n-layer" must be an integer, got "2"/);
  const badChoice = join(tmp, 'bad-choice.json');
  writeFileSync(badChoice, JSON.stringify({ format: 'csv' }));
  assertCleanError(cli('train', '--preset', badChoice), /--format must be one of lines, text/);
  writeFileSync(join(tmp, 'broken.json'), '{"steps": ');
  assertCleanError(cli('train', '--preset', join(tmp, 'broken.json')), /is not valid JSON/);

  // a preset's data path is relative to the preset file; flags win over the preset
  writeFileSync(join(tmp, 'mine.json'), JSON.stringify({ data: 'tiny-names.txt', steps: 500, 'val-fraction': 0 }));
  const r = cli('train', '--preset', join(tmp, 'mine.json'), '--steps', '3', '--engine', 'scalar', '--quiet');
  assertOk(r);
  assert.match(r.out, /tiny-names\.txt: 12 train \+ 0 val docs/);
  assert.match(r.out, /train: 3 steps/);
  // its metrics file too, like every path it names (not the folder the command runs in)
  writeFileSync(join(tmp, 'with-metrics.json'), JSON.stringify({ data: 'tiny-names.txt', metrics: 'preset-metrics.jsonl', 'val-fraction': 0 }));
  assertOk(cli('train', '--preset', join(tmp, 'with-metrics.json'), '--steps', '2', '--engine', 'scalar', '--quiet'));
  assert.equal(readFileSync(join(tmp, 'preset-metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('every bundled preset loads and trains (a few steps, so only its settings are tested here)', () => {
  for (const preset of ['names', 'shakespeare', 'speedrun-names', 'speedrun-shakespeare']) {
    const r = cli('train', '--preset', preset, '--steps', '3', '--warmup-steps', '1', '--eval-size', '2', '--quiet');
    assert.equal(r.code, 0, `${preset}: ${r.err}`);
    assert.match(r.out, /done: 3 steps/, preset);
  }
});

test('train --preset names, then sample: the reference run, its samples word for word', () => {
  const out = join(tmp, 'names');
  const r = cli('train', '--preset', 'names', '--engine', 'scalar', '--out', out, '--quiet');
  assertOk(r);
  assert.match(r.out, /step 1000\/1000 \| loss 2\.6497/);
  // read directly: importing reference.test.js would run its tests here too
  const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/reference/default.json', import.meta.url), 'utf8'));
  const reference = (fixture.output as string).split('\n').filter((l) => l.startsWith('sample ')).join('\n') + '\n';
  const s = cli('sample', '--from', out);
  assertOk(s);
  assert.equal(s.out, reference);
});

test('train, sample and eval a text model; checkpoints and metrics on disk', () => {
  const out = join(tmp, 'text-run'), metrics = join(tmp, 'text-run.jsonl');
  const r = cli('train', '--data', TEXT, '--format', 'text', '--steps', '40', '--batch-size', '2', '--block-size', '16',
    '--eval-every', '20', '--eval-size', '8', '--save-every', '20', '--out', out, '--metrics', metrics, '--quiet', '--log-every', '10',
    '--init-std', '0.02');
  assertOk(r);
  assert.match(readFileSync(join(out, 'checkpoint.json'), 'utf8'), /"initStd":0\.02,/, '--init-std is saved with the config');
  assert.match(r.out, /3600 train \+ 400 val chars \(text\)/);
  assert.match(r.out, /step 20: val loss \d\.\d{4} \(\d\.\d{3} bits\/char\)/);
  assert.equal(r.out.match(/^step +\d+\/40 \| loss/gm)?.length, 4, 'a plain line every 10 steps');
  assert.match(r.out, /done: 40 steps in .* \| val loss/);
  const files = readdirSync(out).sort();
  assert.equal(files.length, 3, `best, the JSON and one weights file, no lock or temporary file left: ${files}`);
  assert.deepEqual(files.slice(0, 2), ['best', 'checkpoint.json']);
  assert.match(files[2], /^model-000040-[0-9a-f]{8}\.safetensors$/, 'old weights removed after the commit');
  assert.equal(join(out, files[2]), weightsIn(out));
  assert.ok(existsSync(join(out, 'best', 'checkpoint.json')));

  const records = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((m) => m.step), Array.from({ length: 40 }, (_, i) => i + 1));
  for (const m of records) for (const key of ['loss', 'lr', 'tokens_per_s']) assert.ok(Number.isFinite(m[key]), `${key} in ${JSON.stringify(m)}`);
  assert.deepEqual(records.filter((m) => 'val_loss' in m).map((m) => m.step), [20, 40]);

  const s = cli('sample', '--from', out, '--prompt', 'ROMEO:', '--max-tokens', '30', '--seed', '7');
  assertOk(s);
  assert.equal(s.out.length, 'ROMEO:'.length + 30 + 1);
  assert.ok(s.out.startsWith('ROMEO:'));
  assert.equal(cli('sample', '--from', out, '--prompt', 'ROMEO:', '--max-tokens', '30', '--seed', '7').out, s.out, 'seeded');
  assert.match(cli('sample', '--from', out, '--samples', '2', '--max-tokens', '5').out, /^--- sample 1 ---\n.*\n--- sample 2 ---\n/s);
  assertCleanError(cli('sample', '--from', out, '--prompt', 'ROMEO~'), /character "~" \(U\+007E\) is not in the model's vocabulary/);
  assertCleanError(cli('sample', '--from', out, '--block-size', '17'), /block-size 17 is larger than the checkpoint's position table \(16 positions\)/);
  assertCleanError(cli('eval', '--from', out, '--block-size', '64'), /block-size 64 is larger than the checkpoint's position table \(16 positions\)/);
  assertCleanError(cli('sample', '--from', out, '--temperature', '0'), /temperature must be > 0/);
  assertCleanError(cli('sample', '--from', out, '--top-k', '0'), /top-k must be an integer >= 1/);
  assertOk(cli('sample', '--from', out, '--block-size', '8', '--max-tokens', '20'));

  const e = cli('eval', '--from', out);
  assertOk(e);
  assert.match(e.out, /^loss \d\.\d{4} \| \d\.\d{4} bits per char \| \d+ predicted characters in \d+ windows of the held-out part \(400 characters\) of /);
  assertCleanError(cli('eval', '--from', out, '--format', 'lines'), /--format says how to read --data; give --data too/);
  const onFile = cli('eval', '--from', out, '--data', TEXT, '--limit', '5');
  assertOk(onFile);
  assert.match(onFile.out, /80 predicted characters in 5 windows of /);
  const [loss, bits] = onFile.out.match(/[\d.]+/g)!.map(Number);
  assert.ok(Math.abs(bits - loss / Math.LN2) < 1e-3);
  writeFileSync(join(tmp, 'unknown-chars.txt'), 'hello ~ world');
  assertCleanError(cli('eval', '--from', out, '--data', join(tmp, 'unknown-chars.txt')), /character "~" .* is not in the model's vocabulary/);

  assertCleanError(cli('train', '--data', TEXT, '--format', 'text', '--steps', '2', '--out', out), /already holds a checkpoint; continue it with --resume .*, or replace it with --overwrite/);
});

function resumeMatches(engine: string, data: string[], stopAt = 17): void {
  const whole = join(tmp, `whole-${engine}-${stopAt}`), parts = join(tmp, `parts-${engine}-${stopAt}`);
  const run = [...data, '--engine', engine, '--steps', '40', '--eval-every', '10', '--save-every', '15', '--quiet'];
  assertOk(cli('train', ...run, '--out', whole, '--metrics', `${whole}.jsonl`));
  assertOk(cli('train', ...run, '--out', parts, '--metrics', `${parts}.jsonl`, '--stop-at', String(stopAt)));
  const r = cli('train', '--resume', parts, '--metrics', `${parts}.jsonl`, '--quiet');
  assertOk(r);
  assert.match(r.out, new RegExp(`resuming from .* at step ${stopAt}`));
  const strip = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => {
    const { tokens_per_s: _, elapsed_ms: __, ...rest } = JSON.parse(l); // timings differ
    return rest;
  });
  assert.deepEqual(strip(`${parts}.jsonl`), strip(`${whole}.jsonl`), 'the same loss, lr and val loss at every step');
  assert.deepEqual(readFileSync(weightsIn(parts)), readFileSync(weightsIn(whole)), 'the same final weights');
  // all but where the data is, the time it took, and the checksum over those
  const best = (dir: string) => {
    const { data: _, settings: { 'elapsed-ms': __, ...settings }, checksum: ___, ...rest } = JSON.parse(readFileSync(join(dir, 'best', 'checkpoint.json'), 'utf8'));
    return { ...rest, settings };
  };
  assert.deepEqual(best(parts), best(whole), 'the same best checkpoint');
  assertCleanError(cli('train', '--resume', parts), /is complete \(step 40 of 40\); nothing to resume/);
}

test('train --stop-at 17, then --resume: the same losses and weights as 40 steps in one go (scalar, lines)', () => {
  resumeMatches('scalar', ['--data', TINY, '--val-fraction', '0.25']);
});

for (const engine of [...ENGINES.keys()].filter((e) => e !== 'scalar')) {
  test(`train --stop-at 17, then --resume: the same as in one go (${engine}, text, cosine with warmup)`, () => {
    resumeMatches(engine, ['--data', TEXT, '--format', 'text', '--block-size', '16', '--batch-size', '4', '--schedule', 'cosine', '--warmup-steps', '5']);
  });
}

test('train --stop-at 0 saves the initial weights (to train elsewhere), and resuming them is the run in one go (tensor, text)', () => {
  resumeMatches('tensor', ['--data', TEXT, '--format', 'text', '--block-size', '16', '--batch-size', '4'], 0);
});

test('Ctrl-C saves a checkpoint at a step boundary, and the run resumes from it', async () => {
  const out = join(tmp, 'interrupted');
  const child = spawn(process.execPath, [BIN, 'train', '--data', TINY, '--engine', 'scalar', '--steps', '100000', '--out', out, '--quiet', '--log-every', '1']);
  let stdout = '', stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (/step +\d+\/100000/.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    child.on('close', resolve);
  });
  assert.equal(code, 130, stderr);
  const step = Number(stdout.match(/interrupted at step (\d+) of 100000/)?.[1]);
  assert.ok(step > 0, stdout);
  assert.match(stdout, /continue with: microgpt train --resume /);
  assert.match(readFileSync(join(out, 'checkpoint.json'), 'utf8'), new RegExp(`"step": ${step},`));
  const r = cli('train', '--resume', out, '--stop-at', String(step + 2));
  assertOk(r);
  assert.match(r.out, new RegExp(`stopped at step ${step + 2} of 100000`));
});

test('a diverging run stops at the step that went wrong, with a hint, keeping the last good checkpoint', () => {
  const out = join(tmp, 'diverged');
  for (const engine of ENGINES.keys()) {
    const r = cli('train', '--data', TINY, '--engine', engine, '--lr', '1e6', '--steps', '50', '--quiet');
    assertCleanError(r, /the training loss became (NaN|Infinity) at step \d+ \(learning rate [\d.e+]+\): training diverged and was stopped\. Try a lower --lr/);
  }
  const r = cli('train', '--data', TINY, '--engine', 'scalar', '--lr', '1e6', '--steps', '50', '--save-every', '1', '--out', out, '--quiet');
  assertCleanError(r, /at step (\d+) .*; the last good checkpoint \(step \d+\) is in /);
  const [, bad, good] = r.err.match(/at step (\d+) .*checkpoint \(step (\d+)\)/)!.map(Number);
  assert.equal(good, bad - 1);
  assert.equal(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).step, good);
});

test('an output directory that cannot be written fails before training starts', () => {
  // tests run as root, where permissions do not stop writes; a path under a file does
  const file = join(tmp, 'a-file.txt');
  writeFileSync(file, 'x');
  const r = cli('train', '--data', TINY, '--engine', 'scalar', '--out', join(file, 'sub'));
  assertCleanError(r, /cannot write checkpoints to .*a-file\.txt\/sub \((ENOTDIR|EEXIST)/);
  assert.doesNotMatch(r.err + r.out, /step/);
});

test('a truncated, tampered or incomplete checkpoint is refused with a clear message', () => {
  const out = join(tmp, 'damaged');
  assertOk(cli('train', ...small, '--out', out));
  const weights = weightsIn(out), json = join(out, 'checkpoint.json');
  const original = readFileSync(weights), originalJson = readFileSync(json, 'utf8');

  writeFileSync(weights, original.subarray(0, original.length - 50));
  assertCleanError(cli('sample', '--from', out), /checkpoint .*damaged: model-000020-[0-9a-f]{8}\.safetensors is \d+ bytes but the checkpoint says \d+ \(truncated or replaced\?\)/);
  const tampered = Buffer.from(original);
  tampered[tampered.length - 20] ^= 0x01;
  writeFileSync(weights, tampered);
  assertCleanError(cli('sample', '--from', out), /does not match its CRC-32 in the checkpoint \(modified or corrupted\?\)/);
  assertCleanError(cli('train', '--resume', out), /does not match its CRC-32/);
  writeFileSync(weights, original);
  assertOk(cli('sample', '--from', out, '--samples', '1'));

  writeFileSync(json, originalJson.slice(0, 200));
  assertCleanError(cli('eval', '--from', out), /checkpoint JSON is not valid JSON \(truncated or modified\?\)/);
  writeFileSync(json, originalJson.replace('"nHead":4', '"nHead":3'));
  assertCleanError(cli('sample', '--from', out), /does not match its checksum: it was edited or corrupted/);
  writeFileSync(json, originalJson.replace(/"vocab": \[.*\]/, '"vocab": ["a"]'));
  assertCleanError(cli('sample', '--from', out), /does not match its checksum/);
  writeFileSync(json, originalJson);
  const emptyDir = join(tmp, 'empty-dir');
  mkdirSync(emptyDir);
  assertCleanError(cli('sample', '--from', emptyDir), /no checkpoint in .*empty-dir \(checkpoint\.json not found\)/);
});

test('bad data files: missing, not a file, empty, binary, not UTF-8, too small, changed since the checkpoint', () => {
  assertCleanError(cli('train', '--data', join(tmp, 'missing.txt')), /dataset not found: .*missing\.txt/);
  writeFileSync(join(tmp, 'empty.txt'), '');
  assertCleanError(cli('train', '--data', join(tmp, 'empty.txt')), /dataset is empty/);
  assertCleanError(cli('train', '--data', join(tmp, 'empty.txt'), '--format', 'text'), /dataset is empty/);
  writeFileSync(join(tmp, 'binary.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
  assertCleanError(cli('train', '--data', join(tmp, 'binary.bin'), '--format', 'text'), /looks binary/);
  writeFileSync(join(tmp, 'latin1.txt'), Buffer.from('caf\xe9\n', 'latin1'));
  assertCleanError(cli('train', '--data', join(tmp, 'latin1.txt')), /not valid UTF-8/);
  assertCleanError(cli('train', '--data', '/dev/zero'), /dataset is a character device, not a regular file: \/dev\/zero/);
  assertCleanError(cli('train', '--data', tmp, '--format', 'text'), /dataset is a directory, not a regular file/);
  writeFileSync(join(tmp, 'blank.txt'), '\n \n');
  assertCleanError(cli('train', '--data', join(tmp, 'blank.txt')), /no documents/);

  // a single character: too little text to cut a window from, or to hold anything out
  writeFileSync(join(tmp, 'one.txt'), 'a');
  assertCleanError(cli('train', '--data', join(tmp, 'one.txt'), '--format', 'text'), /the text has 1 character; training needs at least 2/);
  assertCleanError(cli('train', '--data', join(tmp, 'one.txt')), /val-fraction 0\.1 leaves no training documents out of 1/);
  // one distinct character is a vocabulary of two (with BOS), and that trains
  const r = cli('train', '--data', join(tmp, 'one.txt'), '--val-fraction', '0', '--steps', '3', '--engine', 'scalar', '--quiet');
  assertOk(r);
  assert.match(r.out, /vocab 2/);
  writeFileSync(join(tmp, 'aaa.txt'), 'a'.repeat(200));
  assertOk(cli('train', '--data', join(tmp, 'aaa.txt'), '--format', 'text', '--steps', '3', '--engine', 'scalar', '--quiet'));

  const data = join(tmp, 'changing.txt'), out = join(tmp, 'changing');
  writeFileSync(data, readFileSync(TINY));
  assertOk(cli('train', '--data', data, '--steps', '10', '--stop-at', '5', '--engine', 'scalar', '--val-fraction', '0.25', '--out', out, '--quiet'));
  writeFileSync(data, readFileSync(TINY, 'utf8') + 'zoe\n');
  assertCleanError(cli('train', '--resume', out), /changing\.txt has changed since the checkpoint was saved/);
});

test('bench warms each engine up, then reports the median step of a fixed count or time, and points to the full suite', () => {
  const r = cli('bench', '--steps', '7', '--data', TINY);
  assertOk(r);
  assert.match(r.out, /^engine +median ms\/step +\(10th-90th percentile\) +tokens\/s +timed\n/);
  for (const engine of ENGINES.keys()) {
    assert.match(r.out, new RegExp(`^${engine} +[\\d.]+ +\\([\\d.]+-[\\d.]+\\) +\\d+  7 steps in \\S+ after (\\d+) warm-up`, 'm'));
    assert.ok(Number(r.out.match(new RegExp(`^${engine} .* after (\\d+) warm-up`, 'm'))![1]) >= 5, 'at least 5 warm-up steps');
  }
  assert.match(r.out, /npm run bench/);
  const timed = cli('bench', '--engine', 'tensor', '--seconds', '0.2', '--data', TINY);
  assertOk(timed);
  const [, count, took] = timed.out.match(/^tensor .* (\d+) steps in (\S+) after/m)!;
  assert.ok(Number(count) > 7, `by the clock: as many steps as 0.2 s holds (${count} in ${took})`);
  assertCleanError(cli('bench', '--seconds', '0'), /--seconds must be more than 0 and at most 3600, got 0/);
});

test('on a terminal the progress line is rewritten in place; events get lines of their own', () => {
  let written = '';
  const tty = { isTTY: true, write: (s: string) => { written += s; return true; } } as unknown as NodeJS.WriteStream;
  const progress = createProgress(tty, false, 100);
  progress.step({ step: 1, steps: 2, loss: 3.3, lr: 0.01, tokens: 16, ms: 10 });
  progress.line('step 1: val loss 3.1000');
  progress.step({ step: 2, steps: 2, loss: 3.1, lr: 0.005, tokens: 16, ms: 10, valLoss: 3.05 });
  progress.done();
  assert.match(written, /^\r\x1b\[Kstep 1\/2 \| loss 3\.3000 \| lr 1\.00e-2 \| 1600 tok\/s \| ETA 0s/);
  assert.match(written, /\r\x1b\[Kstep 1: val loss 3\.1000\n/);
  assert.match(written, /\r\x1b\[Kstep 2\/2 \| loss 3\.1000 \| val 3\.0500 \| lr 5\.00e-3 \| \d+ tok\/s \| ETA 0s\n$/);
  let plain = '';
  const pipe = { isTTY: false, write: (s: string) => { plain += s; return true; } } as unknown as NodeJS.WriteStream;
  const quiet = createProgress(pipe, false, 2);
  for (let step = 1; step <= 5; step++) quiet.step({ step, steps: 5, loss: 1, lr: 0.01, tokens: 1, ms: 1 });
  assert.deepEqual(plain.trim().split('\n').map((l) => l.split(' |')[0]), ['step 2/5', 'step 4/5', 'step 5/5']);
  assert.doesNotMatch(plain, /\r/);
});
