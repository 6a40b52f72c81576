// `microgpt bench`: a timing of training steps on each engine, with the same data and model
// flags as train, through the same training loop. Each engine first warms up (V8 compiles
// the hot loops during the first steps: timing them measures the compiler), then trains for
// a fixed time or number of steps; the median step is reported, with its spread, as the
// machine's other load moves single steps. The full benchmark suite is `npm run bench`.

import type { EngineName } from '../core/contract/engine.js';
import { UserError } from '../core/errors.js';
import { ENGINES } from '../core/run/engines.js';
import { trainingLoop } from '../core/run/loop.js';
import { createRun, createTextRun } from '../core/run/run.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { DATA_FLAGS, ENGINE_FLAGS, MODEL_FLAGS, OPTIM_FLAGS, applyPreset, readData, runOptions } from './options.js';
import { formatDuration } from './progress.js';
import { TRAIN_FLAGS } from './train-job.js';

// untimed first: at least this many steps and this long (compilation, caches)
const WARMUP_STEPS = 5, WARMUP_MS = 300;
const MAX_STEPS = 1_000_000; // the schedule's length when timing by the clock

export const BENCH_FLAGS: FlagSpec[] = [
  { name: 'preset', type: 'string', help: 'time the model of a preset (presets/NAME.json or a file)' },
  ...ENGINE_FLAGS.map((f) => (f.name === 'engine' ? { ...f, default: undefined, defaultText: 'every one this runtime has' }
    : { ...f, help: `${f.help} (with no --engine, for the float32 row)` })),
  ...DATA_FLAGS,
  ...MODEL_FLAGS,
  ...OPTIM_FLAGS.map((f) => (f.name === 'steps'
    ? { ...f, help: 'timed steps per engine, after the warm-up', default: undefined, defaultText: 'as many as --seconds allows' } : f)),
  { name: 'seconds', type: 'number', help: 'time each engine this long, after the warm-up (without --steps)', default: 2 },
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
  const steps = given.has('steps') ? v.steps as number : undefined, seconds = v.seconds as number;
  if (steps !== undefined && steps < 1) throw new UserError(`--steps must be >= 1, got ${steps}`);
  if (!(seconds > 0 && seconds <= 3600)) throw new UserError(`--seconds must be more than 0 and at most 3600, got ${seconds}`);
  const names: EngineName[] = v.engine !== undefined ? [v.engine as EngineName]
    : [...ENGINES.values()].filter((s) => s.unavailable() === undefined).map((s) => s.name);
  // every engine's settings are checked before the data is read
  const options = names.map((engine) => {
    const threads = given.has('threads') && (engine === 'float32' || v.engine !== undefined);
    const flags = new Set([...given].filter((g) => g !== 'threads' || threads));
    // the schedule needs the run at least as long as it goes on; lr values do not matter here
    return runOptions({ ...v, engine, steps: MAX_STEPS, 'warmup-steps': 0 }, flags);
  });
  const data = await readData(v.data as string | undefined, v.format as 'lines' | 'text', v['data-url'] as string | undefined);
  const out = process.stdout;
  out.write('engine    median ms/step  (10th-90th percentile)     tokens/s  timed\n');
  for (const [i, engine] of names.entries()) {
    const run = data.format === 'text' ? createTextRun(data.text, options[i]) : createRun(data.docs, options[i]);
    const times: number[] = [];
    let tokens = 0, warmed = 0, timedMs = 0;
    const started = performance.now();
    const done = () => (steps !== undefined ? times.length >= steps : timedMs >= seconds * 1000);
    try {
      for (const e of trainingLoop(run, { evalSize: 0, shouldStop: done })) {
        if (e.type !== 'step') continue;
        if (warmed < WARMUP_STEPS || performance.now() - started < WARMUP_MS) { warmed++; continue; }
        times.push(e.ms);
        tokens += e.tokens;
        timedMs += e.ms;
      }
    } finally {
      run.engine.close?.();
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    const ms = (x: number) => x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1);
    const median = at(0.5), threads = run.engine.threads;
    out.write(`${engine.padEnd(8)} ${ms(median).padStart(10)}        (${ms(at(0.1))}-${ms(at(0.9))})`.padEnd(50) +
      `${Math.round((tokens / times.length / median) * 1000).toString().padStart(9)}  ${times.length} steps in ${formatDuration(timedMs)} ` +
      `after ${warmed} warm-up (${run.numParams} params${threads > 1 ? `, ${threads} threads` : ''})\n`);
  }
  out.write('For the full benchmark suite: npm run bench\n');
  return 0;
}
