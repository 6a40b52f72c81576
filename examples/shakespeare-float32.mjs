// A larger model on Tiny Shakespeare, on the float32 WebAssembly engine with two kernel
// threads, validated as it trains. Run: node examples/shakespeare-float32.mjs
import { readFileSync } from 'node:fs';
import { createTextRun, sampleText, trainingLoop } from 'microgpt-ts';
import { enableRelaxedSimd, spawnNodeWorker } from 'microgpt-ts/node';

enableRelaxedSimd(); // Node 20: fused multiply-add; call it before creating the first float32 run
const text = readFileSync(new URL('../data/tinyshakespeare.txt', import.meta.url), 'utf8');
const run = createTextRun(text, {
  model: { nLayer: 2, nEmbd: 64, nHead: 4, blockSize: 64 }, train: { steps: 200, batchSize: 8 },
  engine: 'float32', threads: 2, spawn: spawnNodeWorker });
for (const e of trainingLoop(run, { evalEvery: 100, evalSize: 20 })) {
  if (e.type === 'eval') console.log(`step ${e.step}: val loss ${e.loss.toFixed(3)}`);
}
console.log(sampleText(run, { temperature: 0.8, prompt: 'ROMEO:', maxTokens: 60 }));
run.engine.close?.(); // stops the worker threads
