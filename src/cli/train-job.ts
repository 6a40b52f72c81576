// `microgpt train`: drives the one training loop (core/run/loop.ts) with validation,
// progress, checkpoints, resume and a clean stop on Ctrl-C, SIGTERM (kill, docker stop) or a
// reader of its output going away (| head): it awaits between steps, so each is seen at a step
// boundary, and the run saves there. Every flag is checked before the data is read.

import { join, resolve } from 'node:path';
import type { Checkpoint, DataInfo } from '../core/checkpoint/checkpoint.js';
import { validateTrainConfig } from '../core/contract/config.js';
import { learningRateAt } from '../core/contract/schedule.js';
import { DivergenceError, KernelThreadError, UserError } from '../core/errors.js';
import { type EngineOptions, engineSpec } from '../core/run/engines.js';
import { validationSequences } from '../core/run/evaluate.js';
import { type LoopEnd, trainingLoop } from '../core/run/loop.js';
import { type Run, type RunOptions, createRun, createTextRun, resumeOptions, resumeRun, runCheckpoint } from '../core/run/run.js';
import { checkpointDataPath, hasCheckpoint, isCheckpointFile, loadCheckpoint, prepareOutputDir, removeCheckpoint, saveCheckpoint } from './checkpoint-files.js';
import { shellWord } from './shell-word.js';
import { type FlagSpec, type FlagValues, formatHelp, parseArgs } from './flags.js';
import { formatFixed } from './format.js';
import { BUNDLED_DATA } from './dataset.js';
import { DATA_FLAGS, ENGINE_FLAGS, MODEL_FLAGS, OPTIM_FLAGS, applyPreset, cutWarning, engineOptions, listPresets, machineMemory, presetPath, readData,
  runOptions } from './options.js';
import { loadTokenizerModel } from './tokenizer-job.js';
import { whenStdoutCloses } from './closed-pipe.js';
import { FLOW_EVERY_FLAG, type MetricsFile, type StepReport, createProgress, flowEvery, formatDuration, openMetrics } from './progress.js';

export const TRAIN_FLAGS: FlagSpec[] = [
  { name: 'preset', type: 'string', help: `settings from presets/NAME.json or a JSON file (${listPresets().join(', ')}); flags override it` },
  ...DATA_FLAGS,
  { name: 'tokenizer', type: 'string', help: 'char (each character a token, as the reference) or a NAME.model file from `microgpt tokenizer train` (or minbpe)', default: 'char' },
  ...MODEL_FLAGS,
  ...OPTIM_FLAGS,
  ...ENGINE_FLAGS,
  { name: 'out', type: 'string', help: 'save checkpoints to this directory (the best validation one in DIR/best)' },
  { name: 'save-every', type: 'int', help: 'save every this many steps (and at the end), 0 = only at the end', default: 500 },
  { name: 'eval-every', type: 'int', help: 'measure the validation loss every this many steps (and at the end), 0 = only at the end', default: 250 },
  { name: 'eval-size', type: 'int', help: 'validation windows (text) or documents (lines) per measurement', default: 64 },
  { name: 'stop-at', type: 'int', help: 'stop (and save) at this step, to continue later with --resume (0: the initial weights)', defaultText: '--steps' },
  { name: 'resume', type: 'string', help: 'continue the run saved in this directory exactly (settings, engine and threads come from it)' },
  { name: 'overwrite', type: 'boolean', help: 'replace a checkpoint already in --out' },
  { name: 'metrics', type: 'string', help: 'append one JSON line per step to this file' },
  FLOW_EVERY_FLAG,
  { name: 'log-every', type: 'int', help: 'in a pipe or with --quiet, print a progress line every this many steps', default: 100 },
  { name: 'quiet', type: 'boolean', help: 'plain periodic lines instead of a live status line' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt train [options]

Trains a GPT on a text file, measures the validation loss as it goes, and saves
checkpoints that \`microgpt sample\`, \`microgpt eval\` and \`train --resume\` read.

Examples:
  microgpt train --preset shakespeare --out runs/shakespeare
  microgpt train --resume runs/shakespeare
  microgpt train --data my-names.txt --steps 2000 --out runs/names`;

// how the CLI watches and saves a run, kept in its checkpoints so a resumed run does the same
const WATCH_FLAGS = ['save-every', 'eval-every', 'eval-size', 'log-every'];

// flags that define the run; a resumed run takes them from its checkpoint
const RUN_FLAGS = new Set(['preset', 'format', 'val-fraction', 'engine', 'tokenizer', ...MODEL_FLAGS.map((f) => f.name), ...OPTIM_FLAGS.map((f) => f.name)]);

function requireMin(v: FlagValues, name: string, min: number): number {
  const n = v[name] as number;
  if (n < min) throw new UserError(`--${name} must be >= ${min}, got ${n}`);
  return n;
}

/**
 * For --resume: the checkpoint, with its data and watch settings in `v`. Flags may change
 * only how the run is watched, and --steps its length (to extend a finished run); a changed
 * length is returned as `planned`, the steps the checkpoint's run was planned for.
 */
function settingsFromCheckpoint(dir: string, v: FlagValues, given: Set<string>): { c: Checkpoint; planned?: number } {
  const clash = [...given].find((name) => RUN_FLAGS.has(name) && name !== 'steps');
  if (clash) throw new UserError(`--${clash} cannot be set with --resume: a resumed run keeps the settings in its checkpoint`);
  const c = loadCheckpoint(dir);
  let planned: number | undefined;
  if (given.has('steps') && v.steps !== c.train.steps) {
    const steps = v.steps as number;
    if (steps <= c.step) throw new UserError(`--steps ${steps} must be more than the ${c.step} steps the run in ${dir} has done`);
    planned = c.train.steps;
    c.train = { ...c.train, steps };
    validateTrainConfig(c.train); // e.g. a warmup longer than the new length
  } else if (c.step >= c.train.steps) {
    throw new UserError(`the run in ${dir} is complete (step ${c.step} of ${c.train.steps}); nothing to resume ` +
      `(to train it further, give a larger --steps)`);
  }
  Object.assign(v, { format: c.data.format, steps: c.train.steps, engine: c.engine });
  if (!given.has('data')) {
    // with --data-url, a missing file is downloaded to the checkpoint's path
    v.data = given.has('data-url') && c.data.path ? c.data.path : checkpointDataPath(c, dir);
  }
  for (const name of WATCH_FLAGS) {
    const saved = c.settings?.[name];
    if (!given.has(name) && Number.isSafeInteger(saved)) v[name] = saved;
  }
  if (!given.has('out')) v.out = dir;
  return { c, planned };
}

/** The engine options of a resumed run: its checkpoint's thread count unless --threads says otherwise. */
function resumedEngineOptions(c: Checkpoint, v: FlagValues, given: Set<string>): EngineOptions {
  const options = engineOptions(c.engine, v, given);
  return given.has('threads') ? options : { ...options, threads: undefined };
}

export async function trainJob(argv: string[]): Promise<number> {
  const { values: v, given } = parseArgs(argv, TRAIN_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, TRAIN_FLAGS));
    return 0;
  }
  // every setting is checked here, before the data is read
  const resumeDir = v.resume as string | undefined;
  const fromCheckpoint = resumeDir !== undefined ? settingsFromCheckpoint(resumeDir, v, given) : undefined;
  const resumed = fromCheckpoint?.c;
  if (!resumed && v.preset !== undefined) applyPreset(v.preset as string, v, given, TRAIN_FLAGS);
  const options: RunOptions = resumed
    ? { ...resumeOptions(resumed, resumedEngineOptions(resumed, v, given)), memory: machineMemory() }
    : { ...runOptions(v, given), bpe: v.tokenizer === 'char' ? undefined : loadTokenizerModel(v.tokenizer as string) };
  const out = v.out as string | undefined;
  for (const name of ['save-every', 'overwrite']) {
    if (given.has(name) && out === undefined) throw new UserError(`--${name} needs --out`);
  }
  const saveEvery = requireMin(v, 'save-every', 0);
  const evalEvery = requireMin(v, 'eval-every', 0);
  const evalSize = requireMin(v, 'eval-size', 1);
  const logEvery = requireMin(v, 'log-every', 1);
  const steps = requireMin(v, 'steps', 1);
  const stopAt = given.has('stop-at') ? v['stop-at'] as number : steps;
  // a fresh run may stop at 0: its initial weights, split and random state, to train elsewhere (the PyTorch twin)
  if (stopAt > steps || stopAt < 0 || (resumed && stopAt <= resumed.step)) {
    throw new UserError(`--stop-at must be between ${resumed ? resumed.step + 1 : 0} and --steps (${steps}), got ${stopAt}`);
  }
  const metricsPath = v.metrics as string | undefined;
  for (const [flag, dir] of [['out', out], ['resume', resumeDir]]) {
    if (metricsPath !== undefined && dir !== undefined && isCheckpointFile(dir, metricsPath)) {
      throw new UserError(`--metrics ${metricsPath} is a file the checkpoint in --${flag} ${dir} writes or replaces: choose another name (say ${join(dir, 'metrics.jsonl')})`);
    }
  }
  if (out !== undefined) {
    const continuing = resumeDir !== undefined && resolve(out) === resolve(resumeDir);
    if (!continuing && hasCheckpoint(out) && !v.overwrite) {
      throw new UserError(`${out} already holds a checkpoint; continue it with --resume ${shellWord(out)}, or replace it with --overwrite`);
    }
  }
  const release = out !== undefined ? prepareOutputDir(out) : undefined; // one writer per directory from here on
  try {
    if (out !== undefined && !(resumeDir !== undefined && resolve(out) === resolve(resumeDir))) {
      removeCheckpoint(join(out, 'best')); // an overwritten run's best is not this run's
    }
    return await train(v, options, resumed, fromCheckpoint?.planned, steps, stopAt, { saveEvery, evalEvery, evalSize, logEvery });
  } finally {
    release?.();
  }
}

interface Cadence { saveEvery: number; evalEvery: number; evalSize: number; logEvery: number }

/** The run itself, once every setting is checked and the output directory is this process's. */
async function train(v: FlagValues, options: RunOptions, resumed: Checkpoint | undefined, planned: number | undefined, steps: number, stopAt: number,
                     { saveEvery, evalEvery, evalSize, logEvery }: Cadence): Promise<number> {
  const out = v.out as string | undefined, resumeDir = v.resume as string | undefined;
  const flowSteps = flowEvery(v);
  const inputs = { data: v.data as string | undefined ?? BUNDLED_DATA.names, tokenizer: resumed || v.tokenizer === 'char' ? undefined : v.tokenizer as string,
    preset: resumed || v.preset === undefined ? undefined : presetPath(v.preset as string) };
  const metrics: MetricsFile | undefined = v.metrics !== undefined ? openMetrics(v.metrics as string, true, inputs) : undefined;

  // data and run: the same draws as an uninterrupted run, then the checkpoint's state on top
  const format = v.format as 'lines' | 'text';
  const data = await readData(v.data as string | undefined, format, v['data-url'] as string | undefined);
  if (resumed?.data.crc32 && resumed.data.crc32 !== data.crc32) {
    throw new UserError(`${data.path} has changed since the checkpoint was saved, so the run cannot continue exactly`);
  }
  const run = format === 'text' ? createTextRun(data.text, options) : createRun(data.docs, options);
  if (resumed) resumeRun(run, resumed);
  const dataInfo: DataInfo = { format, valFraction: options.valFraction ?? 0, path: resolve(data.path), crc32: data.crc32 };

  const progress = createProgress(process.stdout, Boolean(v.quiet), logEvery);
  progress.line(describeRun(run, data.path, out, saveEvery));
  if (resumed) progress.line(`resuming from ${resumeDir} at step ${resumed.step}`);
  if (resumed && planned !== undefined) {
    const lr = (steps: number) => formatFixed(learningRateAt({ ...run.train, steps }, resumed.step), 6);
    progress.line(`notice: the run now has ${run.train.steps} steps (it was planned for ${planned}): its ${run.train.schedule} learning-rate ` +
      `schedule is recomputed over ${run.train.steps}, so step ${resumed.step + 1} trains at lr ${lr(run.train.steps)} (it would have been ${lr(planned)})`);
  }
  const notice = (run.engine as { notice?: string }).notice;
  if (notice) progress.line(`notice: ${notice}`);
  const cut = cutWarning(run);
  if (cut) progress.line(`warning: ${cut}`);
  // how much of the held-out part a measurement scores (`microgpt eval` scores all of it)
  const heldOut = validationSequences(run).length, unit = `held-out ${run.text ? 'window' : 'document'}${heldOut === 1 ? '' : 's'}`;
  const scored = evalSize >= heldOut ? `on ${heldOut === 1 ? 'the' : 'all'} ${heldOut} ${unit}` : `on ${evalSize} of ${heldOut} ${unit}`;

  let best = resumed?.bestValLoss, lastSaved = resumed?.step ?? -1;
  const watch = Object.fromEntries(WATCH_FLAGS.map((name) => [name, v[name] as number]));
  // training time over every session of the run, so a resumed run reports the whole
  const before = Number(resumed?.settings?.['elapsed-ms'] ?? 0);
  const elapsedMs = () => Math.round(before + performance.now() - start);
  const checkpoint = (): Checkpoint => ({ ...runCheckpoint(run, dataInfo, best), settings: { ...watch, 'elapsed-ms': elapsedMs() } });
  const save = (): void => {
    if (out === undefined || run.step === lastSaved) return;
    saveCheckpoint(out, checkpoint());
    lastSaved = run.step;
  };

  // what asked the run to stop, and the exit code that says so (128 + the signal's number)
  let stop: { why: 'SIGINT' | 'SIGTERM' | 'closed stdout'; code: number } | undefined;
  const onSigint = (): void => { stop ??= { why: 'SIGINT', code: 130 }; };
  const onSigterm = (): void => { stop ??= { why: 'SIGTERM', code: 143 }; };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  // to the end of the process: the save after the loop must not be cut short by an exit
  whenStdoutCloses(() => { stop ??= { why: 'closed stdout', code: 141 }; });
  const start = performance.now();
  let end: LoopEnd | undefined, pending: StepReport | undefined, lastBits: number | undefined;
  try {
    // a step is reported once its validation loss, if one follows, is known
    const flush = (): void => {
      if (pending) { progress.step(pending); metrics?.write(pending); }
      pending = undefined;
    };
    const loop = trainingLoop(run, { stopAt, shouldStop: () => stop !== undefined, evalEvery, evalSize, saveEvery, best, flowEvery: flowSteps });
    let next = loop.next();
    for (; !next.done; next = loop.next()) {
      const e = next.value;
      if (e.type === 'step') {
        flush();
        pending = e;
        await new Promise((resolveStep) => setImmediate(resolveStep)); // lets a SIGINT in
      } else if (e.type === 'eval') {
        if (pending) pending.valLoss = e.loss;
        if (e.best) best = e.loss;
        if (e.best && out !== undefined) saveCheckpoint(join(out, 'best'), checkpoint());
        lastBits = e.bitsPerCharacter;
        progress.line(`step ${e.step}: val loss ${valLoss(run, e.loss, e.bitsPerCharacter)} ${scored}` +
          `${e.best && out ? ', best so far: saved' : ''}`);
        flush();
      } else if (e.type === 'save') {
        flush();
        save();
      }
    }
    flush();
    end = next.value;
  } catch (err) {
    progress.done();
    const kept = lastSaved >= 0 && out !== undefined ? `; the last good checkpoint (step ${lastSaved}) is in ${out}` : '';
    // half-updated weights are never saved: the step in flight is lost, the checkpoint is not
    if (err instanceof KernelThreadError) throw new KernelThreadError(err.thread, err.op, `${err.reason}${kept}`);
    if (!(err instanceof DivergenceError)) throw err;
    throw new UserError(`${err.message}. Try a lower --lr${run.train.schedule === 'constant' ? '' : ' or --warmup-steps'}${kept}`);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    run.engine.close?.(); // its worker threads; a save below only reads the weights
    metrics?.close();
    progress.done();
  }
  save();
  const elapsed = formatDuration(performance.now() - start);
  const where = out !== undefined ? `; saved to ${out}` : ' (nothing saved: no --out)';
  if (!end!.finished) {
    const said = `${stop ? 'interrupted' : 'stopped'} at step ${run.step} of ${steps} after ${elapsed}${where}`;
    const next = out !== undefined ? `continue with: microgpt train --resume ${shellWord(out)}` : undefined;
    if (stop?.why === 'closed stdout') { // nobody reads stdout now: say it where someone may
      process.stderr.write(`microgpt: the output's reader went away (a closed pipe): ${said}${next ? `; ${next}` : ''}\n`);
    } else {
      progress.line(said);
      if (next) progress.line(next);
    }
    return stop?.code ?? 0;
  }
  const val = end!.lastEval !== undefined ? ` | val loss ${valLoss(run, end!.lastEval, lastBits!)}` : '';
  const session = resumed ? ` (this session: ${steps - resumed.step} steps in ${elapsed})` : '';
  progress.line(`done: ${steps} steps in ${formatDuration(elapsedMs())}${session}${val}${where}`);
  if (out !== undefined) progress.line(`sample with: microgpt sample --from ${shellWord(out)}`);
  return 0;
}

/** "1.8140 (2.617 bits/char)"; a BPE model's loss per token also as a loss per character, the scale a character model's is on. */
function valLoss(run: Run, loss: number, bits: number): string {
  if (!run.tokenizer.bpe) return `${formatFixed(loss, 4)} (${formatFixed(bits, 3)} bits/char)`;
  return `${formatFixed(loss, 4)} per token = ${formatFixed(bits * Math.LN2, 4)} per character (${formatFixed(bits, 3)} bits/char)`;
}

function describeRun(run: Run, path: string, out: string | undefined, saveEvery: number): string {
  const c = run.config, t = run.train;
  const unit = run.tokenizer.bpe ? 'tokens' : 'chars';
  const data = run.text
    ? `${run.text.train.length} train + ${run.text.val.length} val ${unit} (text)`
    : `${run.docs.length} train + ${run.valDocs.length} val docs (lines)`;
  const per = run.text ? `${t.batchSize} x ${c.blockSize} ${unit}` : `${t.batchSize} doc${t.batchSize > 1 ? 's' : ''}`;
  const accum = (t.gradAccum ?? 1) > 1 ? ` x ${t.gradAccum} micro-batches` : '';
  const warm = t.warmupSteps ? `, ${t.warmupSteps} warmup` : '';
  const held = run.text ? run.text.val.length > 0 : run.valDocs.length > 0;
  return [
    `data: ${path}: ${data} | vocab ${run.tokenizer.vocabSize}${run.tokenizer.bpe ? ` (BPE: ${run.tokenizer.bpe.merges.length} merges, split ${run.tokenizer.bpe.pattern}, + BOS)` : ''}`,
    `model: ${c.nLayer} layer${c.nLayer > 1 ? 's' : ''}, ${c.nEmbd} wide, ${c.nHead} heads, context ${c.blockSize} | ${run.numParams} params | ${engineLabel(run)}`,
    `train: ${t.steps} steps of ${per}${accum} | lr ${t.learningRate} ${t.schedule}${warm} | seed ${run.seed}`,
    out === undefined ? 'not saving (no --out)'
      : `saving to ${out} ${saveEvery > 0 ? `every ${saveEvery} steps and ` : ''}at the end${held ? `, the best validation loss to ${join(out, 'best')}` : ''}`,
  ].join('\n');
}

/** "tensor engine (float64)", or for the float32 engine its threads and whether it fuses multiply-adds. */
function engineLabel(run: Run): string {
  const engine = run.engine, spec = engineSpec(engine.name);
  if (!spec.takesThreads) return `${engine.name} engine (${spec.dtype})`;
  const relaxed = (engine as { relaxed?: boolean }).relaxed, threads = engine.threads;
  return `${engine.name} engine (SIMD${relaxed ? ' + FMA' : ''}, ${threads} thread${threads > 1 ? 's' : ''})`;
}
