// Shared by the tests that compare a run with the Python reference's fixtures
// (scripts/gen-reference-fixtures.py): load a fixture, train like the main job, compare.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocuments } from '../src/core/data/documents.js';
import { formatStepLine } from '../src/cli/format.js';
import { sample } from '../src/core/run/generate.js';
import { train } from '../src/core/run/loop.js';
import { type RunOptions, createRun } from '../src/core/run/run.js';

export interface ReferenceFixture {
  name: string;
  data: string;
  settings: Record<string, number>;
  losses: number[];
  output: string;
}

const root = new URL('../../', import.meta.url);
export function loadFixture(name: string): ReferenceFixture {
  return JSON.parse(readFileSync(new URL(`test/fixtures/reference/${name}.json`, root), 'utf8'));
}

export function fixtureOptions(f: ReferenceFixture): RunOptions {
  const s = f.settings;
  return {
    seed: s.seed ?? 42,
    model: { nLayer: s.n_layer ?? 1, nEmbd: s.n_embd ?? 16, nHead: s.n_head ?? 4, blockSize: s.block_size ?? 16 },
    train: { steps: s.num_steps ?? 1000, learningRate: s.learning_rate ?? 0.01, beta1: s.beta1 ?? 0.85, beta2: s.beta2 ?? 0.99 },
  };
}

/** Trains like the main job and returns the printed text and the raw losses. */
export function reproduce(f: ReferenceFixture, options: RunOptions, maxSteps = Infinity): { output: string; losses: number[] } {
  const docs = parseDocuments(readFileSync(new URL(f.data, root), 'utf8'));
  const run = createRun(docs, options);
  let output = `num docs: ${docs.length}\nvocab size: ${run.tokenizer.vocabSize}\nnum params: ${run.numParams}\n`;
  const losses: number[] = [];
  train(run, (s) => {
    losses.push(s.loss);
    output += formatStepLine(s.step, s.steps, s.loss) + '\n';
    return losses.length < maxSteps;
  });
  if (losses.length < maxSteps) {
    output += '\n--- inference (new, hallucinated names) ---\n';
    sample(run, 20, f.settings.temperature ?? 0.5).forEach((name, i) => { output += `sample ${String(i + 1).padStart(2)}: ${name}\n`; });
  }
  return { output, losses };
}

/** Fails naming the first step whose loss differs by more than `tol` relative. */
export function assertLossesClose(got: number[], want: number[], tol: number): void {
  let worst = 0, worstStep = -1;
  got.forEach((g, i) => {
    const rel = Math.abs(g - want[i]) / Math.abs(want[i]);
    if (rel > worst) { worst = rel; worstStep = i + 1; }
  });
  assert.ok(worst <= tol, `worst loss at step ${worstStep}: got ${got[worstStep - 1]}, reference ${want[worstStep - 1]} (relative ${worst})`);
}
