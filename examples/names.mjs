// Train the reference model on the bundled names and print 20 new ones: the library's
// version of `npm start`, on the tensor engine (the default). Run: node examples/names.mjs
import { readFileSync } from 'node:fs';
import { createRun, parseDocuments, sample, train } from 'microgpt-ts';

const text = readFileSync(new URL('../data/names.txt', import.meta.url), 'utf8');
const run = createRun(parseDocuments(text), { seed: 42, train: { steps: 1000 } });
train(run, ({ step, loss }) => {
  if (step % 250 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}); // return false from the callback to stop early
console.log(sample(run, 20, 0.5).join('\n'));
