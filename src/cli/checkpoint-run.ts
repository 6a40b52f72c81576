// A run from the checkpoint at --from, as sample, eval and serve open one: on its own engine
// or another, optionally with its weights rounded to int8. Apart from options.ts so that a
// job that trains from scratch does not load the checkpoint files' code.

import type { Checkpoint } from '../core/checkpoint/checkpoint.js';
import { dequantizeInt8, int8Bytes, quantizeInt8 } from '../core/contract/quantize.js';
import type { EngineName } from '../core/contract/engine.js';
import { UserError } from '../core/errors.js';
import { engineSpec } from '../core/run/engines.js';
import { type Run, runFromCheckpoint } from '../core/run/run.js';
import { loadCheckpoint } from './checkpoint-files.js';
import type { FlagValues } from './flags.js';
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
