// A run from the checkpoint at --from, as sample, eval and serve open one: on its own engine
// or another, optionally with its weights rounded to int8; and the draft model of speculative
// decoding (--draft). Apart from options.ts so that a job that trains from scratch does not
// load the checkpoint files' code.

import type { Checkpoint } from '../core/checkpoint/checkpoint.js';
import { dequantizeInt8, int8Bytes, quantizeInt8 } from '../core/contract/quantize.js';
import type { EngineName } from '../core/contract/engine.js';
import { UserError } from '../core/errors.js';
import { engineSpec } from '../core/run/engines.js';
import { type Run, runFromCheckpoint } from '../core/run/run.js';
import { draftMismatch } from '../core/run/speculative.js';
import { loadCheckpoint } from './checkpoint-files.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { engineOptions, machineMemory } from './options.js';

/**
 * A run from the checkpoint at `--from`, to sample or evaluate: on the engine it was trained
 * on unless --engine says otherwise, with --threads for the float32 engine.
 */
export function runFromFlags(v: FlagValues, given: Set<string>): { run: Run; checkpoint: Checkpoint; note?: string } {
  const checkpoint = loadCheckpoint(v.from as string);
  const engine = given.has('engine') ? v.engine as EngineName : checkpoint.engine;
  const why = engineSpec(engine).unavailable();
  if (why) throw new UserError(`${why}; add --engine tensor`);
  const options = { ...engineOptions(engine, v, given), engine, blockSize: v['block-size'] as number | undefined, memory: machineMemory() };
  if (v.quantize === 'int8') {
    const q = quantizeInt8(checkpoint.config, checkpoint.weights);
    const rounded = { ...checkpoint, weights: dequantizeInt8(checkpoint.config, q), optimizer: undefined };
    const sizes = `${(int8Bytes(q) / 1024).toFixed(1)} KB int8 instead of ${(checkpoint.weights.length * 8 / 1024).toFixed(1)} KB float64`;
    return { run: runFromCheckpoint(rounded, options), checkpoint: rounded, note: `weights rounded to int8 per row: ${sizes}` };
  }
  return { run: runFromCheckpoint(checkpoint, options), checkpoint };
}

/** Speculative decoding's flags, for the commands that decode (sample, serve). */
export const DRAFT_FLAGS: FlagSpec[] = [
  { name: 'draft', type: 'string', help: 'speculative decoding: a smaller checkpoint with the same tokenizer proposes tokens, this one checks them (same distribution; greedy gives the same text)' },
  { name: 'speculate', type: 'int', help: 'tokens the draft proposes per check (1 to 16)', default: 4 },
];

/**
 * The draft model of speculative decoding from --draft (undefined without it): its own
 * checkpoint, on the tensor engine; refused unless it can propose for `target`.
 */
export function draftRun(v: FlagValues, given: Set<string>, target: Run): Run | undefined {
  const dir = v.draft as string | undefined;
  if (dir === undefined) {
    if (given.has('speculate')) throw new UserError('--speculate needs --draft DIR, the checkpoint that proposes the tokens');
    return undefined;
  }
  // on float32 (one thread) when the target is, else tensor: a draft slower per token than the
  // target would cost more than it saves
  const draft = runFromCheckpoint(loadCheckpoint(dir), target.engine.name === 'float32' ? { engine: 'float32', threads: 1 } : { engine: 'tensor' });
  const why = draftMismatch(target, draft);
  if (why) throw new UserError(`the draft in ${dir} cannot propose tokens for this model: ${why}`);
  return draft;
}
