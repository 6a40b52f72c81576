// Checkpoints on disk: each save is durable and atomic, a failed save leaves the previous
// checkpoint and no orphan, an interrupted save's leftovers are cleaned by the next run, and
// one directory has one writer. Through the functions, then through the CLI with real
// processes: two runs on one directory, and kill -9 at random moments of a run saving every step.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, prepareOutputDir, saveCheckpoint } from '../src/cli/checkpoint-files.js';
import { LOCK_FILE, lockDirectory } from '../src/cli/dir-lock.js';
import { encodeCheckpoint } from '../src/core/checkpoint/checkpoint.js';
import { UserError } from '../src/core/errors.js';
import { trainStep } from '../src/core/run/loop.js';
import { type Run, createRun, runCheckpoint } from '../src/core/run/run.js';
import { PyRandom } from '../src/core/contract/random.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/microgpt.js');
const DIR = mkdtempSync(join(tmpdir(), 'microgpt-checkpoint-files-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const NAMES = join(DIR, 'names.txt');
writeFileSync(NAMES, 'emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\nevelyn\nabigail\nemily\nella\n');

const newRun = (): Run => createRun(['emma', 'olivia', 'ava', 'mia'], { model: { nEmbd: 8, nHead: 2 }, train: { steps: 50 } });
const data = { format: 'lines' as const, valFraction: 0 };
const weightsFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
const named = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).weights.file as string;

function userError(pattern: RegExp) {
  return (err: unknown) => err instanceof UserError && pattern.test(err.message);
}

test('each save names new weights, commits with the JSON, then removes the old weights', () => {
  const dir = join(DIR, 'saves');
  const run = newRun();
  trainStep(run);
  saveCheckpoint(dir, runCheckpoint(run, data));
  const first = named(dir);
  assert.match(first, /^model-000001-[0-9a-f]{8}\.safetensors$/);
  trainStep(run);
  saveCheckpoint(dir, runCheckpoint(run, data));
  assert.deepEqual(weightsFiles(dir), [named(dir)], 'only the weights the JSON names');
  assert.notEqual(named(dir), first);
  saveCheckpoint(dir, runCheckpoint(run, data)); // the same step again: the same bytes, the same name
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', named(dir)], 'no temporary file left');
  assert.equal(loadCheckpoint(dir).step, 2);
});

test('a save that fails leaves no orphan weights and says the previous checkpoint is intact', () => {
  const dir = join(DIR, 'failing');
  const run = newRun();
  trainStep(run);
  saveCheckpoint(dir, runCheckpoint(run, data));
  const before = weightsFiles(dir), json = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
  // the new weights' temporary file cannot be made where a directory takes its name
  trainStep(run);
  const next = runCheckpoint(run, data);
  let weightsFile = '';
  encodeCheckpoint(next, (crc) => (weightsFile = `model-${String(next.step).padStart(6, '0')}-${crc}.safetensors`));
  mkdirSync(join(dir, `${weightsFile}.${process.pid}.tmp`, 'blocker'), { recursive: true });
  assert.throws(() => saveCheckpoint(dir, next), userError(/could not save the checkpoint to .*; the previous checkpoint there is intact$/));
  assert.deepEqual(weightsFiles(dir), before, 'the new weights were removed, the old ones kept');
  assert.equal(readFileSync(join(dir, 'checkpoint.json'), 'utf8'), json, 'the previous checkpoint as it was');
  assert.equal(loadCheckpoint(dir).step, 1);
});

test('a save that fails where no checkpoint was does not claim one is intact', () => {
  const dir = join(DIR, 'failing-first');
  const run = newRun();
  trainStep(run);
  // the JSON's rename fails when its name is taken by a directory
  mkdirSync(join(dir, 'checkpoint.json', 'blocker'), { recursive: true });
  assert.throws(() => saveCheckpoint(dir, runCheckpoint(run, data)), userError(/^could not save the checkpoint to [^;]*$/));
  assert.deepEqual(weightsFiles(dir), [], 'no orphan weights');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file');
});

test('what an interrupted save left is cleaned when the next run takes the directory', () => {
  const dir = join(DIR, 'leftovers');
  const run = newRun();
  trainStep(run);
  saveCheckpoint(dir, runCheckpoint(run, data));
  saveCheckpoint(join(dir, 'best'), runCheckpoint(run, data));
  const keep = named(dir);
  for (const name of ['checkpoint.json.4242.tmp', 'model-000002-deadbeef.safetensors.4242.tmp', 'model-000002-deadbeef.safetensors',
    'model-000001.safetensors', '.write-test.4242.tmp']) writeFileSync(join(dir, name), 'partial');
  writeFileSync(join(dir, 'best', 'model-000009-00000000.safetensors'), 'orphan');
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const release = prepareOutputDir(dir);
  release();
  assert.deepEqual(readdirSync(dir).sort(), ['best', 'checkpoint.json', keep, 'notes.txt'].sort());
  assert.deepEqual(weightsFiles(join(dir, 'best')), [named(join(dir, 'best'))]);
  assert.equal(loadCheckpoint(dir).step, 1);
});

test('weights files are left alone where no readable checkpoint names one', () => {
  const dir = join(DIR, 'no-json');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model-000001-12345678.safetensors'), 'someone\'s');
  prepareOutputDir(dir)();
  assert.deepEqual(weightsFiles(dir), ['model-000001-12345678.safetensors']);
});

test('one writer per directory: a live holder is refused by name, a dead one is taken over', () => {
  const dir = join(DIR, 'locked');
  mkdirSync(dir);
  const release = lockDirectory(dir);
  assert.throws(() => lockDirectory(dir), userError(new RegExp(`is in use by another microgpt run \\(process ${process.pid} on .*\\); wait for it to finish, or, if no run is using it, remove .*${LOCK_FILE.replace('.', '\\.')}`)));
  release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released');
  lockDirectory(dir)();

  // a process that has exited: its lock is stale
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout), host: hostname(), since: 'then' }));
  const mine = lockDirectory(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  mine();

  // unreadable: fresh (being written) is respected, old is taken over
  writeFileSync(join(dir, LOCK_FILE), '');
  assert.throws(() => lockDirectory(dir), userError(/in use by another microgpt run \(another process\)/));
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(join(dir, LOCK_FILE), old, old);
  lockDirectory(dir)();

  // another machine's lock on a shared disk cannot be checked, so it is respected
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'then' }));
  assert.throws(() => lockDirectory(dir), userError(/process 1 on elsewhere/));
  rmSync(join(dir, LOCK_FILE));
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** Starts a long training run and resolves once it has printed `steps` step lines. */
function startLongRun(args: string[], steps: number) {
  const child = spawn(process.execPath, [BIN, 'train', ...args, '--quiet', '--log-every', '1']);
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if ((out.match(/^step +\d+\//gm)?.length ?? 0) >= steps) resolve();
    });
    void exited.then(() => reject(new Error(`exited before ${steps} steps: ${err}`)));
  });
  return { child, started, exited, output: () => ({ out, err }) };
}

test('CLI: a second run on a directory in use is refused, the first keeps going and resumes', async () => {
  const out = join(DIR, 'shared-out');
  // six step lines: the save after step 5 is on the disk, so --resume finds a checkpoint there
  const first = startLongRun(['--data', NAMES, '--engine', 'scalar', '--steps', '100000', '--save-every', '5', '--out', out], 6);
  try {
    await first.started;
    for (const args of [['train', '--resume', out], ['train', '--data', NAMES, '--out', out, '--overwrite', '--steps', '3']]) {
      const second = cli(...args);
      assert.equal(second.status, 2, second.stderr);
      assert.match(second.stderr, new RegExp(`^microgpt: error: .*shared-out is in use by another microgpt run \\(process ${first.child.pid} `));
      assert.equal(second.stderr.trim().split('\n').length, 1);
    }
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 130, first.output().err);
  } finally {
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL'); // a failed check must not leave a 100,000-step run behind
  }
  assert.ok(!existsSync(join(out, LOCK_FILE)), 'the lock is released on the way out');
  const again = cli('train', '--resume', out, '--stop-at', String(loadCheckpoint(out).step + 1), '--quiet');
  assert.equal(again.status, 0, again.stderr);
});

test('CLI: kill -9 at random moments of a run saving every step always leaves a checkpoint that loads and resumes', async () => {
  const rng = new PyRandom(2026);
  for (let round = 0; round < 4; round++) {
    const out = join(DIR, `killed-${round}`);
    const run = startLongRun(['--data', NAMES, '--steps', '100000', '--save-every', '1', '--eval-every', '7', '--val-fraction', '0.25',
      '--out', out], 2);
    await run.started;
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(rng.random() * 400)));
    run.child.kill('SIGKILL');
    await run.exited;
    const c = loadCheckpoint(out); // the last committed save, whole
    assert.ok(c.step >= 1, `round ${round}: step ${c.step}`);
    const resumed = cli('train', '--resume', out, '--stop-at', String(c.step + 2), '--quiet');
    assert.equal(resumed.status, 0, `round ${round}: ${resumed.stderr}`);
    assert.match(resumed.stdout, new RegExp(`resuming from .* at step ${c.step}`));
    for (const d of [out, join(out, 'best')]) {
      if (!existsSync(d)) continue;
      const files = readdirSync(d);
      assert.deepEqual(files.filter((f) => f.endsWith('.tmp') || f === LOCK_FILE), [], `round ${round}: leftovers in ${d}: ${files}`);
      assert.deepEqual(weightsFiles(d), [named(d)], `round ${round}: one weights file in ${d}`);
    }
  }
});
