// `microgpt bench`: a quick timing of training steps on each engine, with the same data and
// model flags as train, through the same training loop. The full benchmark suite is
// `npm run bench`.

import type { EngineName } from '../core/contract/engine.js';
import { UserError } from '../core/errors.js';
import { ENGINES } from '../core/run/engines.js';
import { trainingLoop } from '../core/run/loop.js';
import { createRun, createTextRun } from '../core/run/run.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { DATA_FLAGS, ENGINE_FLAGS, MODEL_FLAGS, OPTIM_FLAGS, applyPreset, readData, runOptions } from './options.js';
import { formatDuration } from './progress.js';
import { TRAIN_FLAGS } from './train-job.js';

const WARMUP = 2; // untimed steps first: compilation and caches

export const BENCH_FLAGS: FlagSpec[] = [
  { name: 'preset', type: 'string', help: 'time the model of a preset (presets/NAME.json or a file)' },
  ...ENGINE_FLAGS.map((f) => (f.name === 'engine' ? { ...f, default: undefined, defaultText: 'every one this runtime has' }
    : { ...f, help: `${f.help} (with no --engine, for the float32 row)` })),
  ...DATA_FLAGS,
  ...MODEL_FLAGS,
  ...OPTIM_FLAGS.map((f) => (f.name === 'steps' ? { ...f, help: `timed steps, after ${WARMUP} warm-up steps`, default: 20 } : f)),
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt bench [options]

Times training steps on each engine and prints milliseconds per step and tokens per
second. For the full benchmark suite, run \`npm run bench\`.`;

export async function benchJob(argv: string[]): Promise<number> {
  const { values: v, given } = parseArgs(argv, BENCH_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, BENCH_FLAGS));
    return 0;
  }
  // a preset is checked as train reads it; its steps and engine do not apply here
  if (v.preset !== undefined) applyPreset(v.preset as string, v, new Set([...given, 'steps', 'engine']), TRAIN_FLAGS);
  const steps = v.steps as number;
  if (steps < 1) throw new UserError(`--steps must be >= 1, got ${steps}`);
  const names: EngineName[] = v.engine !== undefined ? [v.engine as EngineName]
    : [...ENGINES.values()].filter((s) => s.unavailable() === undefined).map((s) => s.name);
  // every engine's settings are checked before the data is read
  const options = names.map((engine) => {
    const threads = given.has('threads') && (engine === 'float32' || v.engine !== undefined);
    const flags = new Set([...given].filter((g) => g !== 'threads' || threads));
    // the schedule needs the run as long as the warm-up and timed steps; lr values do not matter
    return runOptions({ ...v, engine, steps: steps + WARMUP, 'warmup-steps': 0 }, flags);
  });
  const data = await readData(v.data as string | undefined, v.format as 'lines' | 'text', v['data-url'] as string | undefined);
  const out = process.stdout;
  for (const [i, engine] of names.entries()) {
    const run = data.format === 'text' ? createTextRun(data.text, options[i]) : createRun(data.docs, options[i]);
    let ms = 0, tokens = 0;
    try {
      for (const e of trainingLoop(run, { evalSize: 0 })) {
        if (e.type === 'step' && e.step > WARMUP) { ms += e.ms; tokens += e.tokens; }
      }
    } finally {
      run.engine.close?.();
    }
    const perStep = ms / steps, threads = run.engine.threads;
    out.write(`${engine.padEnd(8)} ${perStep.toFixed(perStep < 1 ? 3 : 1).padStart(9)} ms/step ${Math.round((tokens / ms) * 1000).toString().padStart(9)} tok/s` +
      `  (${steps} steps in ${formatDuration(ms)}, ${run.numParams} params${threads > 1 ? `, ${threads} threads` : ''})\n`);
  }
  out.write('For the full benchmark suite: npm run bench\n');
  return 0;
}
