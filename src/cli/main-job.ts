// The main job: train on a dataset (the bundled names by default), then print samples,
// line for line as `python microgpt.py` prints them. Every flag is checked before the data
// is read; the training is the one loop (core/run/loop.ts) that `train` drives too.

import { DEFAULT_SAMPLES, DEFAULT_TEMPERATURE, validateTemperature } from '../core/contract/config.js';
import { sample, validateSampleCount } from '../core/run/generate.js';
import { trainingLoop } from '../core/run/loop.js';
import { createRun } from '../core/run/run.js';
import { BUNDLED_DATA } from './dataset.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { formatFixed, formatStepLine } from './format.js';
import { ENGINE_FLAGS, MODEL_FLAGS, OPTIM_FLAGS, cutWarning, readData, runOptions } from './options.js';
import { FLOW_EVERY_FLAG, type MetricsFile, batchedWriter, flowEvery, openMetrics } from './progress.js';

const pick = (specs: FlagSpec[], names: string[]) => names.map((n) => specs.find((s) => s.name === n)!);

export const MAIN_FLAGS: FlagSpec[] = [
  { name: 'data', type: 'string', help: 'training text, one document per line', defaultText: 'data/names.txt (bundled)' },
  { name: 'data-url', type: 'string', help: 'download the dataset from here first if --data does not exist' },
  ...pick(OPTIM_FLAGS, ['seed']),
  ...pick(MODEL_FLAGS, ['n-layer', 'n-embd', 'n-head', 'block-size']),
  ...pick(OPTIM_FLAGS, ['steps', 'batch-size']),
  { ...pick(OPTIM_FLAGS, ['lr'])[0], help: 'peak learning rate (decays linearly to 0)' },
  ...pick(OPTIM_FLAGS, ['beta1', 'beta2']),
  { name: 'temperature', type: 'number', help: 'sampling temperature, > 0', default: DEFAULT_TEMPERATURE },
  { name: 'samples', type: 'int', help: 'how many samples to print', default: DEFAULT_SAMPLES },
  ...ENGINE_FLAGS,
  { name: 'val-fraction', type: 'number', help: 'hold out this last fraction of the shuffled documents and print its loss', default: 0 },
  { name: 'metrics', type: 'string', help: 'write one JSON line per step to this file' },
  FLOW_EVERY_FLAG,
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt [options]
       microgpt train|sample|eval|bench|tokenizer|serve|export [options]   (see microgpt <command> --help)

Trains a GPT on a text file (one document per line; the bundled names by default) and
prints samples, exactly as the Python reference microgpt.py does with the same settings.

Commands:
  train   train on your own text with validation, checkpoints (--out) and --resume
  sample  print samples from a checkpoint (--from DIR), optionally continuing a --prompt
  eval    loss and bits per character of a checkpoint on a file
  bench   time training steps on each engine
  tokenizer  train, apply and inspect a byte-level BPE tokenizer (minbpe's .model files)
  serve   a checkpoint behind OpenAI's completions API (POST /v1/completions)
  export  a checkpoint as a Hugging Face model folder or an ONNX graph`;

/** The reference's settings for what the main job has no flag for. */
const REFERENCE_ONLY = { activation: 'relu', norm: 'rmsnorm', dropout: 0, 'init-std': 0.08, 'grad-accum': 1, schedule: 'linear',
  'warmup-steps': 0, 'grad-clip': 0, 'weight-decay': 0 };

export async function mainJob(argv: string[]): Promise<void> {
  const { values: v, given } = parseArgs(argv, MAIN_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, MAIN_FLAGS));
    return;
  }
  const samples = v.samples as number, temperature = v.temperature as number;
  validateSampleCount(samples);
  validateTemperature(temperature);
  const options = runOptions({ ...REFERENCE_ONLY, ...v }, given);
  const data = await readData(v.data as string | undefined ?? BUNDLED_DATA.names, 'lines', v['data-url'] as string | undefined);
  const run = createRun(data.docs, options);
  const cut = cutWarning(run); // on stderr: stdout stays the reference's, which cuts silently
  if (cut) process.stderr.write(`microgpt: warning: ${cut}\n`);
  const flowSteps = flowEvery(v);
  const metrics: MetricsFile | undefined = v.metrics !== undefined ? openMetrics(v.metrics as string, false, { data: data.path }) : undefined;
  const out = process.stdout;
  out.write(`num docs: ${data.docs.length}\nvocab size: ${run.tokenizer.vocabSize}\nnum params: ${run.numParams}\n`);

  // on a terminal the step line rewrites itself; in a pipe each step is a line of its own
  const end = out.isTTY ? '\r' : '\n';
  const steps = batchedWriter(out);
  let heldOut: number | undefined;
  try {
    for (const e of trainingLoop(run, { flowEvery: flowSteps })) {
      if (e.type === 'step') {
        steps.write(formatStepLine(e.step, e.steps, e.loss) + end);
        metrics?.write(e);
      } else if (e.type === 'eval') heldOut = e.loss;
    }
  } finally {
    steps.flush(); // before an error's message, too
    metrics?.close();
    run.engine.close?.();
  }
  if (heldOut !== undefined) {
    out.write(`${out.isTTY ? '\n' : ''}held-out loss: ${formatFixed(heldOut, 4)} (last ${run.valDocs.length} of ${data.docs.length} shuffled documents)\n`);
  }
  out.write('\n--- inference (new, hallucinated names) ---\n');
  sample(run, samples, temperature).forEach((name, i) => {
    out.write(`sample ${String(i + 1).padStart(2)}: ${name}\n`);
  });
}
