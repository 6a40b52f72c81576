// `microgpt bench`: a quick timing of training steps on each engine, with the same data and
// model flags as train. The full benchmark suite is `npm run bench`.

import { ENGINES } from '../core/run/engines.js';
import { UserError } from '../core/errors.js';
import { createRun, createTextRun, trainStep } from '../core/run/run.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { COMPUTE_FLAGS, DATA_FLAGS, MODEL_FLAGS, OPTIM_FLAGS, applyPreset, readData, runOptions } from './options.js';
import { formatDuration } from './progress.js';
import { TRAIN_FLAGS } from './train-job.js';

export const BENCH_FLAGS: FlagSpec[] = [
  { name: 'preset', type: 'string', help: 'time the model of a preset (presets/NAME.json or a file)' },
  { name: 'engine', type: 'string', help: 'engine to time (float32: the WebAssembly SIMD engine of --dtype float32)', defaultText: 'every one', choices: [...Object.keys(ENGINES), 'float32'] },
  COMPUTE_FLAGS.find((f) => f.name === 'threads')!,
  ...DATA_FLAGS,
  ...MODEL_FLAGS,
  ...OPTIM_FLAGS.map((f) => (f.name === 'steps' ? { ...f, help: 'timed steps, after 2 warm-up steps', default: 20 } : f)),
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt bench [options]

Times a few training steps on each engine and prints milliseconds per step and tokens
per second. For the full benchmark suite, run \`npm run bench\`.`;

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
  const data = await readData(v.data as string | undefined, v.format as 'lines' | 'text', v['data-url'] as string | undefined);
  const engines = v.engine !== undefined ? [v.engine as string] : [...Object.keys(ENGINES), 'float32'];
  const out = process.stdout;
  for (const name of engines) {
    // the schedule needs the run as long as the warm-up and timed steps; lr values do not matter
    const dtype = name === 'float32' ? 'float32' : 'float64';
    const options = runOptions({ ...v, engine: dtype === 'float32' ? 'tensor' : name, dtype, steps: steps + 2, 'warmup-steps': 0 });
    const run = data.format === 'text' ? createTextRun(data.text, options) : createRun(data.docs, options);
    trainStep(run);
    trainStep(run);
    let tokens = 0;
    const start = performance.now();
    for (let i = 0; i < steps; i++) tokens += trainStep(run).tokens ?? 0;
    const ms = performance.now() - start;
    run.engine.close?.();
    const perStep = ms / steps, threads = run.engine.threads ?? 1;
    out.write(`${name.padEnd(8)} ${perStep.toFixed(perStep < 1 ? 3 : 1).padStart(9)} ms/step ${Math.round((tokens / ms) * 1000).toString().padStart(9)} tok/s` +
      `  (${steps} steps in ${formatDuration(ms)}, ${run.numParams} params${threads > 1 ? `, ${threads} threads` : ''})\n`);
  }
  out.write('For the full benchmark suite: npm run bench\n');
  return 0;
}
