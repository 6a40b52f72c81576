// The catalogue's flags, through the CLI as a user types them: unknown, missing values, zero,
// negative, not a number, absurd sizes and conflicts, for every subcommand. Each is one line
// on stderr, exit code 2, and nothing on stdout: refused before any data is read or any step
// is trained.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/microgpt.js');
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-flag-catalogue-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const NAMES = join(DIR, 'names.txt');
const CK = join(DIR, 'ck'); // a finished lines run (scalar, 5 steps, context 16)
const FLOAT32 = join(DIR, 'ck-float32'); // an unfinished float32 run

before(() => {
  writeFileSync(NAMES, 'emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\n');
  for (const args of [['--engine', 'scalar', '--steps', '5', '--out', CK], ['--engine', 'float32', '--steps', '10', '--stop-at', '2', '--out', FLOAT32]]) {
    const r = spawnSync(process.execPath, [BIN, 'train', '--data', NAMES, '--quiet', ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
  }
});

// name, arguments, what the one line must say
const CASES: [string, () => string[], RegExp][] = [
  // the main job
  ['an unknown flag', () => ['--stpes', '5'], /unknown flag --stpes \(did you mean --steps\?\)/],
  ['a flag without its value', () => ['--steps'], /--steps needs a value/],
  ['a word for a number', () => ['--steps', 'many'], /--steps expects an integer, got 'many'/],
  ['a fraction for an integer', () => ['--seed', '1.5'], /--seed expects an integer, got '1\.5'/],
  ['negative steps', () => ['--steps', '-5'], /steps must be an integer >= 0, got -5/],
  ['n-embd 0', () => ['--n-embd', '0'], /n-embd must be an integer from 1 to 65,536, got 0/],
  ['n-head 0', () => ['--n-head', '0'], /n-head must be an integer from 1 to/],
  ['block-size 0', () => ['--block-size', '0'], /block-size must be an integer from 1 to/],
  ['n-layer 1e8 (written out)', () => ['--n-layer', '100000000'], /n-layer must be an integer from 1 to 1,024, got 100000000/],
  ['n-layer 1e8 (as 1e8)', () => ['--n-layer', '1e8'], /--n-layer expects an integer, got '1e8'/],
  ['n-embd 100000', () => ['--n-embd', '100000'], /n-embd must be an integer from 1 to 65,536/],
  ['n-embd 10000 (fits the limits, not the memory)', () => ['--n-embd', '10000'], /this model needs about [\d.]+ GiB on the tensor engine, more than/],
  ['batch-size 1e8', () => ['--batch-size', '100000000'], /batch-size must be an integer from 1 to 1,048,576/],
  ['batch-size 1e6 (within limits, not memory)', () => ['--batch-size', '1000000', '--block-size', '1024'], /this model needs about/],
  ['a width the heads do not divide', () => ['--n-embd', '10', '--n-head', '4'], /n-embd \(10\) must be divisible by n-head \(4\)/],
  ['lr 0', () => ['--lr', '0'], /lr must be > 0, got 0/],
  ['a negative lr', () => ['--lr', '-1'], /lr must be > 0, got -1/],
  ['lr nan', () => ['--lr', 'nan'], /--lr expects a number, got 'nan'/],
  ['lr inf', () => ['--lr', 'inf'], /--lr expects a number, got 'inf'/],
  ['lr in hex (Number() reads 0x10 as 16)', () => ['--lr', '0x10'], /--lr expects a number, got '0x10'/],
  ['lr in binary', () => ['--lr', '0b1'], /--lr expects a number, got '0b1'/],
  ['beta1 1', () => ['--beta1', '1'], /beta1 must be in \[0, 1\), got 1/],
  ['beta2 -0.5', () => ['--beta2', '-0.5'], /beta2 must be in \[0, 1\)/],
  ['temperature 0, before 1,000 steps of training', () => ['--temperature', '0'], /temperature must be > 0, got 0/],
  ['a negative temperature', () => ['--temperature', '-1'], /temperature must be > 0/],
  ['negative samples', () => ['--samples', '-1'], /samples must be an integer from 0 to 100,000, got -1/],
  ['1e11 samples', () => ['--samples', '100000000000'], /samples must be an integer from 0 to 100,000/],
  ['val-fraction 1', () => ['--val-fraction', '1'], /val-fraction must be in \[0, 1\)/],
  ['a negative val-fraction', () => ['--val-fraction', '-0.1'], /val-fraction must be in \[0, 1\)/],
  ['an unknown engine', () => ['--engine', 'gpu'], /--engine must be one of scalar, tensor, float32; got 'gpu'/],
  ['threads on the tensor engine', () => ['--threads', '2'], /--threads applies to --engine float32; the tensor engine computes on one thread/],
  ['threads on the scalar engine', () => ['--engine', 'scalar', '--threads', '1'], /the scalar engine computes on one thread/],
  ['0 threads', () => ['--engine', 'float32', '--threads', '0'], /threads must be an integer from 1 to 64, got 0/],
  ['65 threads', () => ['--engine', 'float32', '--threads', '65'], /threads must be an integer from 1 to 64, got 65/],
  ['--metrics a directory', () => ['--metrics', DIR], /cannot open the --metrics file .* \(EISDIR\)/],
  ['--metrics under a file', () => ['--metrics', join(NAMES, 'm.jsonl')], /cannot open the --metrics file .*\(ENOTDIR\)/],
  ['a stray argument', () => ['names.txt'], /unexpected argument 'names\.txt'|unknown command 'names\.txt'/],

  // train
  ['train --steps 0 names --steps', () => ['train', '--steps', '0'], /--steps must be >= 1, got 0/],
  ['train --stop-at -1', () => ['train', '--stop-at', '-1'], /--stop-at must be between 0 and --steps \(1000\), got -1/],
  ['train --stop-at past --steps', () => ['train', '--steps', '10', '--stop-at', '20'], /--stop-at must be between 0 and --steps \(10\), got 20/],
  ['train --eval-size 0', () => ['train', '--eval-size', '0'], /--eval-size must be >= 1, got 0/],
  ['train --save-every -1', () => ['train', '--save-every', '-1', '--out', join(DIR, 'x')], /--save-every must be >= 0, got -1/],
  ['train --log-every 0', () => ['train', '--log-every', '0'], /--log-every must be >= 1, got 0/],
  ['train --save-every without --out', () => ['train', '--save-every', '5'], /--save-every needs --out/],
  ['train --overwrite without --out', () => ['train', '--overwrite'], /--overwrite needs --out/],
  ['train --format csv', () => ['train', '--format', 'csv'], /--format must be one of lines, text; got 'csv'/],
  ['train --schedule step', () => ['train', '--schedule', 'step'], /--schedule must be one of linear, cosine, constant/],
  ['train --activation swish', () => ['train', '--activation', 'swish'], /--activation must be one of relu, relu2, gelu/],
  ['train --dropout 1', () => ['train', '--dropout', '1'], /dropout must be in \[0, 1\)/],
  ['train --grad-accum 0', () => ['train', '--grad-accum', '0'], /grad-accum must be an integer from 1 to/],
  ['train --warmup-steps = --steps', () => ['train', '--steps', '10', '--warmup-steps', '10'], /warmup-steps \(10\) must be less than steps \(10\)/],
  ['train --grad-clip -1', () => ['train', '--grad-clip', '-1'], /grad-clip must be >= 0/],
  ['train --weight-decay -1', () => ['train', '--weight-decay', '-1'], /weight-decay must be >= 0/],
  ['train --init-std -1', () => ['train', '--init-std', '-1'], /init-std must be >= 0/],
  ['a scalar run with gelu', () => ['train', '--engine', 'scalar', '--activation', 'gelu'], /activation gelu is not supported by the scalar engine yet/],
  ['a scalar run with dropout', () => ['train', '--engine', 'scalar', '--dropout', '0.1'], /dropout 0\.1 is not supported by the scalar engine yet/],
  ['train --preset nope', () => ['train', '--preset', 'nope'], /unknown preset 'nope'; available: llama, names, shakespeare, speedrun-names, speedrun-shakespeare/],
  ['train --resume with --engine', () => ['train', '--resume', FLOAT32, '--engine', 'tensor'], /--engine cannot be set with --resume: a resumed run keeps the settings in its checkpoint/],
  ['train --resume with --lr', () => ['train', '--resume', FLOAT32, '--lr', '0.1'], /--lr cannot be set with --resume/],
  ['train --resume of a scalar run with --threads', () => ['train', '--resume', CK, '--threads', '2'], /complete \(step 5 of 5\)|--threads applies to --engine float32/],
  ['train --resume of a finished run', () => ['train', '--resume', CK], /is complete \(step 5 of 5\); nothing to resume/],
  ['train --resume of nothing', () => ['train', '--resume', join(DIR, 'nowhere')], /no checkpoint at .*nowhere/],
  ['train --resume --stop-at before its step', () => ['train', '--resume', FLOAT32, '--stop-at', '1'], /--stop-at must be between 3 and --steps \(10\), got 1/],
  ['train --out onto a checkpoint', () => ['train', '--data', NAMES, '--out', CK], /already holds a checkpoint; continue it with --resume .*, or replace it with --overwrite/],
  ['train --out under a file', () => ['train', '--data', NAMES, '--out', join(NAMES, 'sub')], /cannot write checkpoints to .*names\.txt\/sub \((ENOTDIR|EEXIST)/],

  // sample
  ['sample without --from', () => ['sample'], /sample needs --from DIR, a checkpoint directory/],
  ['sample --from nowhere', () => ['sample', '--from', join(DIR, 'nowhere')], /no checkpoint at .*nowhere \(it does not exist\)/],
  ['sample --from a text file', () => ['sample', '--from', NAMES], /not valid JSON|not a microgpt-ts checkpoint/],
  ['sample --temperature 0', () => ['sample', '--from', CK, '--temperature', '0'], /temperature must be > 0, got 0/],
  ['sample --top-k 0', () => ['sample', '--from', CK, '--top-k', '0'], /top-k must be an integer >= 1, got 0/],
  ['sample --top-k 1.5', () => ['sample', '--from', CK, '--top-k', '1.5'], /--top-k expects an integer, got '1\.5'/],
  ['sample --max-tokens 0', () => ['sample', '--from', CK, '--max-tokens', '0'], /max-tokens must be an integer from 1 to 1,000,000, got 0/],
  ['sample --max-tokens 1e12', () => ['sample', '--from', CK, '--max-tokens', '1000000000000'], /max-tokens must be an integer from 1 to 1,000,000/],
  ['sample --samples 1e11', () => ['sample', '--from', CK, '--samples', '100000000000'], /samples must be an integer from 0 to 100,000/],
  ['sample --prompt outside the vocabulary', () => ['sample', '--from', CK, '--prompt', 'Z'], /character "Z" \(U\+005A\) is not in the model's vocabulary/],
  ['sample --block-size past the position table', () => ['sample', '--from', CK, '--block-size', '17'], /block-size 17 is larger than the checkpoint's position table \(16 positions\)/],
  ['sample --engine nope', () => ['sample', '--from', CK, '--engine', 'nope'], /--engine must be one of scalar, tensor, float32; got 'nope'/],
  ['sample --threads on a scalar checkpoint', () => ['sample', '--from', CK, '--threads', '2'], /--threads applies to --engine float32; the scalar engine computes on one thread/],

  // eval
  ['eval without --from', () => ['eval'], /eval needs --from DIR, a checkpoint directory/],
  ['eval --limit -1', () => ['eval', '--from', CK, '--limit', '-1'], /--limit must be >= 0, got -1/],
  ['eval --data missing', () => ['eval', '--from', CK, '--data', join(DIR, 'missing.txt')], /dataset not found: .*missing\.txt/],
  ['eval --format without --data', () => ['eval', '--from', CK, '--format', 'text'], /--format says how to read --data; give --data too/],
  ['eval --block-size past the position table', () => ['eval', '--from', CK, '--block-size', '64'], /block-size 64 is larger than the checkpoint's position table/],

  // bench
  ['bench --steps 0', () => ['bench', '--steps', '0'], /--steps must be >= 1, got 0/],
  ['bench --engine nope', () => ['bench', '--engine', 'nope'], /--engine must be one of scalar, tensor, float32; got 'nope'/],
  ['bench --bogus', () => ['bench', '--bogus'], /unknown flag --bogus/],

  ['an unknown command', () => ['frobnicate'], /unknown command 'frobnicate' \(commands: train, sample, eval, bench/],
  ['a command named like a prototype member', () => ['constructor'], /unknown command 'constructor'/],
  ['the command __proto__', () => ['__proto__'], /unknown command '__proto__'/],
  ['the command toString', () => ['toString'], /unknown command 'toString'/],
  ['a flag named like a prototype member', () => ['--constructor', '1'], /unknown flag --constructor/],
  ['the flag --__proto__', () => ['train', '--__proto__', '1'], /unknown flag --__proto__/],
  ['a preset named like a prototype member', () => ['train', '--preset', 'constructor'], /unknown preset 'constructor'/],
];

function run(args: string[]): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=512', BIN, ...args], { cwd: DIR, timeout: 30_000 });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: performance.now() - start }));
  });
}

describe('bad flags: one line on stderr, exit 2, nothing trained', { concurrency: 4 }, () => {
  // four at a time: each is a whole Node process
  for (const [name, args, message] of CASES) {
    test(name, async () => {
      const r = await run(args());
      assert.equal(r.status, 2, `exit ${r.status} (signal ${r.signal}); stderr: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing printed: refused before any work');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
      assert.match(lines[0], /^microgpt: error: /);
      assert.match(lines[0], message);
    });
  }
});

test('the flag catalogue holds at least 80 cases', () => {
  assert.ok(CASES.length >= 80, `${CASES.length} cases`);
});
