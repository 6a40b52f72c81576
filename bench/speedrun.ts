// The speedruns against PyTorch: each preset as a user runs it (our CLI, one whole process), then
// the same recipe in PyTorch (twin/microgpt_torch.py from our step-0 checkpoint: the same split,
// batches, initial weights, AdamW, schedule and clipping; its own dropout masks). Both evaluate on
// every held-out window every few steps, so the time the target is first met is read as it happens
// (evaluations included); afterwards one program, `microgpt eval`, scores both saved checkpoints.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTorch, torchEnv } from './scale.js';

const root = new URL('../../', import.meta.url);
const BIN = fileURLToPath(new URL('bin/microgpt.js', root));
const TWIN = fileURLToPath(new URL('twin/microgpt_torch.py', root));
const THREADS = 2;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Speedrun {
  preset: string;
  target: number;     // held-out loss per character
  evalEvery: number;  // steps between evaluations on both sides
  quickSteps: number; // the shortened run of --quick (0: skipped)
}
const SPEEDRUNS: Speedrun[] = [
  { preset: 'speedrun-names', target: 1.95, evalEvery: 500, quickSteps: 400 },
  { preset: 'speedrun-shakespeare', target: 1.65, evalEvery: 250, quickSteps: 0 },
];

/** A held-out loss printed during training: per token, and per character where ours prints both (BPE). */
export interface ValPoint { step: number; loss: number; perChar?: number }

/**
 * A validation line of `microgpt train` ("step 500: val loss 2.1 (3.0 bits/char) on ...", for BPE
 * "... val loss 3.4 per token = 1.7 per character ...") or of the twin ("step 500: val loss 2.1 after 4.2 s").
 */
export function parseValLine(line: string): ValPoint | undefined {
  const m = /^step (\d+): val loss (\S+)(?: per token = (\S+) per character)?/.exec(line);
  if (!m) return undefined;
  return { step: Number(m[1]), loss: Number(m[2]), ...(m[3] !== undefined ? { perChar: Number(m[3]) } : {}) };
}

/** `microgpt eval`'s line: the mean loss and what it was over (a BPE model's characters as well as its tokens). */
export function parseEvalLine(out: string): { loss: number; tokens: number; characters: number } {
  const m = /^loss (\S+)(?: per token)? \| \S+ bits per char \| (\d+) predicted (?:characters|tokens \((\d+) characters\))/m.exec(out);
  if (!m) throw new Error(`no loss line in microgpt eval's output: ${out}`);
  return { loss: Number(m[1]), tokens: Number(m[2]), characters: Number(m[3] ?? m[2]) };
}

interface Timed { wallMs: number; points: (ValPoint & { atMs: number })[]; out: string }

/** Runs a command to its end; each validation line is stamped with its time since the spawn. */
async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, onPoint: (p: ValPoint, atMs: number) => void): Promise<Timed> {
  const start = performance.now(), points: Timed['points'] = [];
  const child = spawn(cmd, args, { env: { ...env, PYTHONUNBUFFERED: '1' } });
  let out = '', err = '', partial = '';
  child.stderr.on('data', (d) => { err += d; });
  child.stdout.on('data', (d) => {
    const at = performance.now() - start;
    out += d;
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const p = parseValLine(line);
      if (p) { points.push({ ...p, atMs: at }); onPoint(p, at); }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${code}): ${err}`);
  return { wallMs: performance.now() - start, points, out };
}

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`microgpt ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Side {
  program: string;
  run: Timed;
  hit?: { step: number; atMs: number }; // the first evaluation at or under the target
  loopMs: number;                       // the training loop's own time, from the checkpoint
  perChar: number;                      // `microgpt eval` of the saved checkpoint, per character
  steps: number;
}

/** Scores a side: its first evaluation that meets the target (per character) and `microgpt eval` of its checkpoint. */
function side(program: string, run: Timed, dir: string, target: number): Side {
  const score = parseEvalLine(cli('eval', '--from', dir)), charsPerToken = score.characters / score.tokens;
  const hit = run.points.find((p) => (p.perChar ?? p.loss / charsPerToken) <= target);
  const saved = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { step: number; settings: Record<string, number> };
  return { program, run, hit, loopMs: saved.settings['elapsed-ms'], perChar: (score.loss * score.tokens) / score.characters, steps: saved.step };
}

/** A preset's rows of the table: each side's time to target, whole run, loop and final loss. */
function printRows(run: Speedrun, sides: Side[]): void {
  for (const [i, x] of sides.entries()) {
    const met = x.hit ? `step ${x.hit.step} at ${s(x.hit.atMs)}` : 'not met';
    console.log(`${(i === 0 ? run.preset : '').padEnd(21)} ${(i === 0 ? `<= ${run.target}` : '').padEnd(8)} ${x.program.padEnd(24)} ${String(x.steps).padStart(5)}  ${met.padEnd(22)}` +
      ` ${s(x.run.wallMs).padStart(13)}  ${s(x.loopMs).padStart(13)}  ${x.perChar.toFixed(4)}${x.perChar <= run.target ? ' (met)' : ''}`);
  }
  const [ours, twin] = sides;
  if (twin?.hit && ours.hit) console.log(`${''.padEnd(31)}PyTorch / ours, time to target: ${(twin.hit.atMs / ours.hit.atMs).toFixed(2)}x`);
}

/** Runs the speedruns on our CLI and, where python3 has torch, in the twin; prints their table. */
export async function speedrunBench(quick: boolean, withTorch: boolean, progress: (what: string) => void, only?: string): Promise<void> {
  const torch = withTorch ? findTorch() : { why: '--no-torch' };
  console.log(`\nspeedrun: time to target, ${THREADS} threads each (ours: --threads ${THREADS}; PyTorch: 1 torch thread, ${THREADS} OpenBLAS threads)`);
  console.log('preset                target   program                  steps  target first met       whole process  training loop  final loss (microgpt eval)');
  // each preset's rows as soon as it ends, so a long run shows what it has
  for (const run of SPEEDRUNS) {
    if ((quick && run.quickSteps === 0) || (only !== undefined && run.preset !== only)) continue;
    const dir = mkdtempSync(join(tmpdir(), `microgpt-${run.preset}-`));
    try {
      // --quick: a shortened run (its schedule over fewer steps), which is not expected to reach the target
      const shorten = quick ? ['--steps', String(run.quickSteps), '--warmup-steps', String(run.quickSteps / 10)] : [];
      const every = quick ? run.quickSteps / 4 : run.evalEvery;
      const flags = ['--preset', run.preset, ...shorten, '--threads', String(THREADS)];
      const say = (who: string) => (p: ValPoint, at: number) => progress(`  ${who}: step ${p.step} val ${(p.perChar ?? p.loss).toFixed(4)}${p.perChar !== undefined ? ' per char' : ''} at ${s(at)}`);
      progress(`speedrun ${run.preset}${quick ? ` (--quick: ${run.quickSteps} steps)` : ''}: ours, microgpt train --preset ${run.preset}`);
      const ours = await timed(process.execPath, [BIN, 'train', ...flags, '--eval-every', String(every), '--out', join(dir, 'ours')], process.env, say('ours'));
      const sides = [side('ours float32', ours, join(dir, 'ours'), run.target)];
      if ('python' in torch) {
        cli('train', ...flags, '--stop-at', '0', '--out', join(dir, 'start'), '--quiet');
        progress(`speedrun ${run.preset}: PyTorch float32, twin/microgpt_torch.py from the same step-0 checkpoint`);
        const twin = await timed(torch.python, [TWIN, 'train', '--from', join(dir, 'start'), '--out', join(dir, 'torch'), '--dtype', 'float32',
          '--eval-every', String(every), '--log-every', String(every)], torchEnv(THREADS), say(ours.points.some((p) => p.perChar) ? 'PyTorch (per token)' : 'PyTorch'));
        const version = spawnSync(torch.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
        sides.push(side(`PyTorch ${version} float32`, twin, join(dir, 'torch'), run.target));
      }
      printRows(run, sides);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  if (quick) console.log('--quick: the names speedrun shortened to 400 steps (not expected to reach its target) and Shakespeare skipped; the full bench runs both presets whole');
  if (!('python' in torch)) console.log(`PyTorch skipped: ${torch.why}`);
  console.log('times are wall clock from the spawn (process start, data, tokenizer and the evaluations included); the training loop is the checkpoint\'s elapsed-ms;');
  console.log('a side\'s evaluations score every held-out window (the twin in float32, a BPE loss turned per character by the windows\' characters per token);');
  console.log('the final loss is `microgpt eval --from` each saved checkpoint, per character. The twin draws its own dropout masks, so its run is the same recipe, not the same numbers.');
}

// `npm run bench:speedrun [-- --quick] [-- --no-torch] [-- --only PRESET]`: this section alone
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2), known = ['--quick', '--no-torch', '--only'];
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  for (const a of args) if (!known.includes(a) && a !== only) throw new Error(`unknown flag ${a} (${known.join(', ')})`);
  if (args.includes('--only') && !SPEEDRUNS.some((r) => r.preset === only)) throw new Error(`--only takes one of ${SPEEDRUNS.map((r) => r.preset).join(', ')}`);
  const start = performance.now();
  await speedrunBench(args.includes('--quick'), !args.includes('--no-torch'),
    (what) => process.stderr.write(`[speedrun ${((performance.now() - start) / 1000).toFixed(0).padStart(4)} s] ${what}\n`), only);
}
