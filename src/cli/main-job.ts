// The main job: train on a dataset (the bundled names by default), then print samples,
// line for line as `python microgpt.py` prints them.

import { closeSync, openSync, writeSync } from 'node:fs';
import { DEFAULT_MODEL, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TEMPERATURE, DEFAULT_TRAIN } from '../core/contract/config.js';
import { parseDocuments, checkDocuments } from '../core/data/documents.js';
import { UserError } from '../core/errors.js';
import { formatFixed, formatStepLine } from './format.js';
import { createRun, evaluate, sample, train } from '../core/run/run.js';
import { ENGINES } from '../core/run/engines.js';
import { BUNDLED_DATA, readDataset } from './dataset.js';
import { type FlagSpec, type FlagValues, formatHelp, parseFlags } from './flags.js';
import { engineFlag } from './options.js';

export const MAIN_FLAGS: FlagSpec[] = [
  { name: 'data', type: 'string', help: 'training text, one document per line', default: 'data/names.txt (bundled)' },
  { name: 'data-url', type: 'string', help: 'download the dataset from here first if --data does not exist' },
  { name: 'seed', type: 'int', help: 'random seed (shuffle, init, sampling)', default: DEFAULT_SEED },
  { name: 'n-layer', type: 'int', help: 'transformer blocks', default: DEFAULT_MODEL.nLayer },
  { name: 'n-embd', type: 'int', help: 'embedding width', default: DEFAULT_MODEL.nEmbd },
  { name: 'n-head', type: 'int', help: 'attention heads (must divide n-embd)', default: DEFAULT_MODEL.nHead },
  { name: 'block-size', type: 'int', help: 'context length', default: DEFAULT_MODEL.blockSize },
  { name: 'steps', type: 'int', help: 'training steps', default: DEFAULT_TRAIN.steps },
  { name: 'batch-size', type: 'int', help: 'documents per step', default: DEFAULT_TRAIN.batchSize },
  { name: 'lr', type: 'number', help: 'peak learning rate (decays linearly to 0)', default: DEFAULT_TRAIN.learningRate },
  { name: 'beta1', type: 'number', help: 'Adam first-moment decay', default: DEFAULT_TRAIN.beta1 },
  { name: 'beta2', type: 'number', help: 'Adam second-moment decay', default: DEFAULT_TRAIN.beta2 },
  { name: 'temperature', type: 'number', help: 'sampling temperature, > 0', default: DEFAULT_TEMPERATURE },
  { name: 'samples', type: 'int', help: 'how many samples to print', default: DEFAULT_SAMPLES },
  engineFlag(),
  { name: 'val-fraction', type: 'number', help: 'hold out this last fraction of the shuffled documents and print its loss', default: 0 },
  { name: 'metrics', type: 'string', help: 'append one JSON line per step to this file' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt [options]
       microgpt train|sample|eval|bench [options]   (see microgpt <command> --help)

Trains a GPT on a text file (one document per line; the bundled names by default) and
prints samples, exactly as the Python reference microgpt.py does with the same settings.

Commands:
  train   train on your own text with validation, checkpoints (--out) and --resume
  sample  print samples from a checkpoint (--from DIR), optionally continuing a --prompt
  eval    loss and bits per character of a checkpoint on a file
  bench   time a few training steps on each engine`;

function num(v: FlagValues, name: string): number {
  return v[name] as number;
}

export async function mainJob(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, MAIN_FLAGS);
  if (flags.help) {
    process.stdout.write(formatHelp(USAGE, MAIN_FLAGS));
    return;
  }
  const samples = num(flags, 'samples');
  if (!Number.isInteger(samples) || samples < 0) throw new UserError(`--samples must be >= 0, got ${samples}`);
  const dataFlag = flags.data as string;
  const path = dataFlag === MAIN_FLAGS[0].default ? BUNDLED_DATA.names : dataFlag;
  const docs = parseDocuments(await readDataset(path, flags['data-url'] as string | undefined));
  checkDocuments(docs, path);

  const run = createRun(docs, {
    seed: num(flags, 'seed'),
    valFraction: num(flags, 'val-fraction'),
    engine: ENGINES[flags.engine as string],
    model: { nLayer: num(flags, 'n-layer'), nEmbd: num(flags, 'n-embd'), nHead: num(flags, 'n-head'), blockSize: num(flags, 'block-size') },
    train: { steps: num(flags, 'steps'), batchSize: num(flags, 'batch-size'), learningRate: num(flags, 'lr'), beta1: num(flags, 'beta1'), beta2: num(flags, 'beta2') },
  });
  const out = process.stdout;
  out.write(`num docs: ${docs.length}\nvocab size: ${run.tokenizer.vocabSize}\nnum params: ${run.numParams}\n`);

  // on a terminal the step line rewrites itself; in a pipe each step is a line of its own
  const end = out.isTTY ? '\r' : '\n';
  const metrics = flags.metrics ? openSync(flags.metrics as string, 'w') : null;
  const start = performance.now();
  try {
    train(run, (s) => {
      if (!Number.isFinite(s.loss)) {
        throw new UserError(`loss became ${s.loss} at step ${s.step}; try a lower --lr`);
      }
      out.write(formatStepLine(s.step, s.steps, s.loss) + end);
      if (metrics !== null) {
        const record = { step: s.step, loss: s.loss, lr: s.lr, elapsed_ms: Math.round(performance.now() - start) };
        writeSync(metrics, JSON.stringify(record) + '\n');
      }
    });
  } finally {
    if (metrics !== null) closeSync(metrics);
  }

  if (run.valDocs.length > 0) {
    const loss = evaluate(run, run.valDocs);
    out.write(`${out.isTTY ? '\n' : ''}held-out loss: ${formatFixed(loss, 4)} (last ${run.valDocs.length} of ${docs.length} shuffled documents)\n`);
  }

  const temperature = num(flags, 'temperature');
  out.write('\n--- inference (new, hallucinated names) ---\n');
  sample(run, samples, temperature).forEach((name, i) => {
    out.write(`sample ${String(i + 1).padStart(2)}: ${name}\n`);
  });
}
