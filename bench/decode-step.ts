// One step of the float32 batch decoder, timed: 64 rows (--rows), one per cache slot, at positions
// spread over the context (attention over ~half of it) or all at position 0 (attention nearly
// free), so the difference is attention's share; per token, the median of 9 rounds.
// node dist/bench/decode-step.js --layers 4 --width 128 [--rows 1] [--threads 2] [--at spread|start] [--steps 50] [--adaptive]
// (--adaptive: the engine's thread probe may run steps on this thread alone, as serve does)

import { parseArgs } from 'node:util';
import { DEFAULT_MODEL, DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import { paramCount } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { createWasmEngine } from '../src/core/wasm/engine.js';
import { spawnNodeWorker } from '../src/node/kernel-thread.js';
import { median } from './scale.js';

const { values } = parseArgs({ options: {
  layers: { type: 'string', default: '2' }, width: { type: 'string', default: '48' }, threads: { type: 'string', default: '1' },
  at: { type: 'string', default: 'spread' }, steps: { type: 'string', default: '50' }, rows: { type: 'string', default: '64' },
  adaptive: { type: 'boolean', default: false },
} });
const threads = Number(values.threads), steps = Number(values.steps), spread = values.at === 'spread';
const config: ModelConfig = { ...DEFAULT_MODEL, nLayer: Number(values.layers), nEmbd: Number(values.width), nHead: 4, blockSize: 64, vocabSize: 65 };
const rng = new PyRandom(1), weights = Float64Array.from({ length: paramCount(config) }, () => (rng.random() - 0.5) * 0.2);
const engine = createWasmEngine(config, weights, { ...DEFAULT_TRAIN, batchSize: 1 }, 42, { threads, spawn: spawnNodeWorker, adaptive: values.adaptive });
await engine.ready;
const R = Number(values.rows); // one row: the one-sequence decode, which reads every weight for each token
if (!Number.isInteger(R) || R < 1) throw new Error(`--rows must be a whole number >= 1, got ${values.rows}`);
const decoder = engine.batchDecoder!(R);
const slots = Int32Array.from({ length: R }, (_, r) => r), tokens = slots.map((r) => r % 65), positions = new Int32Array(R); // (R,)
for (let p = 0; p < 64; p++) decoder.step(slots, tokens, positions.fill(p), R); // every slot's cache full
const rounds: number[] = [];
for (let round = 0; round < 9; round++) {
  const start = performance.now();
  for (let j = 0; j < steps; j++) {
    for (let r = 0; r < R; r++) positions[r] = spread ? (r * 7 + j) % 64 : 0;
    decoder.step(slots, tokens, positions, R);
  }
  rounds.push(((performance.now() - start) * 1000) / (steps * R));
}
console.log(`${values.layers}x${values.width}, ${R} row${R === 1 ? '' : 's'}, threads ${engine.threads}${values.adaptive ? ' (adaptive)' : ''}, rows at ${spread ? 'positions 0-63' : 'position 0'}: ` +
  `${median(rounds).toFixed(2)} µs a token (median of 9 rounds; ${Math.min(...rounds).toFixed(2)}-${Math.max(...rounds).toFixed(2)})`);
engine.close();
