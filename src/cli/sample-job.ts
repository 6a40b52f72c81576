// `microgpt sample`: new text from a checkpoint. Without --seed the random stream goes on
// where training left it, so a saved reference run prints the reference's samples.

import { PyRandom } from '../core/contract/random.js';
import { UserError } from '../core/errors.js';
import { decode } from '../core/contract/tokenizer.js';
import { samplePlan, sampleText, validateSampleCount, validateSampleOptions } from '../core/run/generate.js';
import { newSpeculativeStats, speculativeGenerate, speculativeSummary } from '../core/run/speculative.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { DRAFT_FLAGS, draftRun, runFromFlags } from './checkpoint-run.js';
import { CHECKPOINT_ENGINE_FLAGS } from './options.js';

export const SAMPLE_FLAGS: FlagSpec[] = [
  { name: 'from', type: 'string', help: 'checkpoint directory (required)' },
  { name: 'samples', type: 'int', help: 'how many samples', defaultText: '20 for a lines model, 1 for a text model' },
  { name: 'temperature', type: 'number', help: 'sampling temperature, > 0', defaultText: '0.5 for a lines model, 0.8 for a text model' },
  { name: 'top-k', type: 'int', help: 'draw only from the k most likely tokens', defaultText: 'all' },
  { name: 'seed', type: 'int', help: 'start a fresh random stream from this seed', defaultText: "continue the checkpoint's stream" },
  { name: 'prompt', type: 'string', help: 'text to continue (for a character model every character must be in its vocabulary)', defaultText: 'none' },
  { name: 'max-tokens', type: 'int', help: 'new tokens (characters, for a character model) per sample at most', defaultText: 'the rest of the context for a lines model, 500 for a text model' },
  { name: 'block-size', type: 'int', help: "context length, at most the checkpoint's", defaultText: "the checkpoint's" },
  ...DRAFT_FLAGS,
  ...CHECKPOINT_ENGINE_FLAGS,
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt sample --from DIR [options]

Prints samples from a checkpoint saved by \`microgpt train --out DIR\`: new documents
for a lines model (like the reference's names), a continuation for a text model.`;

export async function sampleJob(argv: string[]): Promise<number> {
  const { values: v, given } = parseArgs(argv, SAMPLE_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, SAMPLE_FLAGS));
    return 0;
  }
  if (v.from === undefined) throw new UserError('sample needs --from DIR, a checkpoint directory');
  const flag = (name: string) => v[name] as number | undefined;
  if (flag('samples') !== undefined) validateSampleCount(flag('samples')!);
  // the flags as given are checked before the checkpoint is read; its format fills the defaults
  validateSampleOptions({ temperature: flag('temperature') ?? 1, topK: flag('top-k'), maxTokens: flag('max-tokens') });
  const { run, note } = runFromFlags(v, given);
  if (note) process.stderr.write(`note: ${note}\n`);
  if (v.seed !== undefined) run.rng = new PyRandom(v.seed as number);
  const text = run.format === 'text';
  const samples = flag('samples') ?? (text ? 1 : 20);
  const options = {
    temperature: flag('temperature') ?? (text ? 0.8 : 0.5),
    prompt: (v.prompt as string | undefined) ?? '', maxTokens: flag('max-tokens') ?? (text ? 500 : undefined), topK: flag('top-k'),
  };
  const plan = samplePlan(run, options), context = run.config.blockSize;
  if (plan.prompt.length > context) { // the generate loop keeps the last blockSize ids: said, not silent
    const what = text ? 'the prompt is' : "the prompt and the document's start are";
    const more = !text && options.maxTokens === undefined ? ', and writes at most 1 more (--max-tokens N writes more)' : '';
    process.stderr.write(`note: ${what} ${plan.prompt.length} tokens, more than the context (${context}): the model reads only the last ${context}${more}\n`);
  }
  const draft = draftRun(v, given, run);
  const stats = newSpeculativeStats(), started = performance.now();
  const out = process.stdout;
  try {
    for (let i = 0; i < samples; i++) {
      let s: string;
      if (draft) {
        const ids = speculativeGenerate(run.engine, draft.engine, run.rng, samplePlan(run, options), v.speculate as number, stats);
        s = options.prompt + decode(run.tokenizer, ids);
      } else {
        s = sampleText(run, options);
      }
      if (!text) out.write(`sample ${String(i + 1).padStart(2)}: ${s}\n`);
      else out.write(`${samples > 1 ? `--- sample ${i + 1} ---\n` : ''}${s}\n`);
    }
  } finally {
    run.engine.close?.();
    draft?.engine.close?.();
  }
  if (draft) {
    process.stderr.write(`speculative: ${speculativeSummary(stats)}, ${stats.tokens} tokens in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  }
  return 0;
}
