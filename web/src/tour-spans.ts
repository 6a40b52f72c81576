// Where each tour chapter's code is, as anchors into the engine's source (see code-lines.ts):
// kept apart from the chapters' DOM code so a Node test can check every anchor against the
// files as they are.

import type { Span } from './code-lines.js';

export type ChapterId = 'data' | 'embeddings' | 'attention' | 'mlp' | 'logits' | 'loss' | 'backward' | 'adam' | 'sampling';

const GPT = 'src/core/scalar/gpt.ts';

/** Each chapter's excerpts, in microgpt.py's order. */
export const SPANS: Record<ChapterId, Span[]> = {
  data: [
    { file: 'src/core/contract/tokenizer.ts', start: 'export function buildTokenizer(' },
    { file: 'src/core/contract/tokenizer.ts', start: 'export function encodeDocument(' },
  ],
  embeddings: [
    { file: GPT, start: "const tokEmb = s.get('wte')!", end: 'x = rmsnorm(x); // not redundant' },
    { file: GPT, start: 'export function rmsnorm(' },
  ],
  attention: [
    { file: GPT, start: '// attention: this position', end: 'x = x.map((xi, i) => xi.add(residual[i]));' },
  ],
  mlp: [
    { file: GPT, start: '// MLP: widen 4x', end: 'x = x.map((xi, i) => xi.add(residual[i]));' },
    { file: 'src/core/scalar/value.ts', start: 'relu(): Value {' },
  ],
  logits: [
    { file: GPT, start: "return linear(x, s.get('lm_head')!);", end: "return linear(x, s.get('lm_head')!);" },
    { file: GPT, start: 'export function linear(' },
    { file: GPT, start: 'export function softmax(' },
  ],
  loss: [
    { file: 'src/core/scalar/loss.ts', start: 'export function documentLosses(' },
  ],
  backward: [
    { file: 'src/core/scalar/value.ts', start: 'backward(): void {' },
    { file: 'src/core/scalar/engine.ts', start: 'const total = sum(batchLosses(model, batch));', end: 'total.mul(dloss).backward();' },
  ],
  adam: [
    { file: 'src/core/scalar/adam.ts', start: 'export function adamStep(' },
  ],
  sampling: [
    { file: 'src/core/contract/sampling.ts', start: 'export function tokenProbabilities(' },
    { file: 'src/core/contract/sampling.ts', start: 'export function drawToken(' },
  ],
};
