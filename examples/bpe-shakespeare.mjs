// Subword tokens: learn a 512-token byte-level BPE vocabulary from Tiny Shakespeare (as minbpe
// would, merge for merge), then train a GPT on those tokens and score it in bits per character,
// the scale character models use too. Run: node examples/bpe-shakespeare.mjs
import { readFileSync } from 'node:fs';
import { createTextRun, encodeBpe, decodeBpe, sampleText, trainBpe, trainingLoop } from 'microgpt-ts';

const text = readFileSync(new URL('../data/tinyshakespeare.txt', import.meta.url), 'utf8');
const { tokenizer } = trainBpe(text, 512, 'gpt4'); // 256 bytes + 256 merges, GPT-4's split pattern
const ids = encodeBpe(tokenizer, 'ROMEO: Wherefore art thou?');
console.log(ids.map((id) => JSON.stringify(decodeBpe(tokenizer, [id]))).join(' '));

const run = createTextRun(text, { bpe: tokenizer, model: { nLayer: 2, nEmbd: 48, nHead: 4, blockSize: 64 },
  train: { steps: 200, batchSize: 4, schedule: 'cosine', warmupSteps: 20 } });
for (const e of trainingLoop(run, { evalEvery: 100, evalSize: 32 })) {
  if (e.type === 'eval') console.log(`step ${e.step}: val loss ${e.loss.toFixed(3)} per token, ${e.bitsPerCharacter.toFixed(3)} bits/char`);
}
console.log(sampleText(run, { temperature: 0.8, prompt: 'ROMEO:', maxTokens: 40 }));
