// The tour's outline: its chapters in microgpt.py's order, where each one's code is (anchors
// into the engine's source, see code-lines.ts) and which settings beyond the reference change
// it. Kept apart from the chapters' DOM code so Node tests check it against the source as it is.

import { type ModelConfig, beyondReference, kvHeads, mlpHidden } from '../../src/core/contract/config.js';
import type { Span } from './code-lines.js';

export type ChapterId = 'data' | 'embeddings' | 'attention' | 'mlp' | 'logits' | 'loss' | 'backward' | 'adam' | 'sampling';

const GPT = 'src/core/scalar/gpt.ts';

/** Each chapter's excerpts, in microgpt.py's order. */
export const SPANS: Record<ChapterId, Span[]> = {
  data: [
    { file: 'src/core/contract/tokenizer.ts', start: 'export function buildTokenizer(' },
    { file: 'src/core/contract/tokenizer.ts', start: 'export function encode(' },
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

/** The beyondReference features that change what each chapter computes. */
const DIFFERS: Record<ChapterId, string[]> = {
  data: [],
  embeddings: ['rope', 'no-embed-norm', 'norm-weight', 'layernorm'],
  attention: ['rope', 'n-kv-head', 'norm-weight', 'layernorm'],
  mlp: ['relu2', 'gelu', 'swiglu', 'mlp-hidden', 'norm-weight', 'layernorm'],
  logits: ['tie-embeddings', 'final-norm'],
  loss: [],
  backward: [],
  adam: [],
  sampling: [],
};

/** What `config` does differently from the reference in `chapter`, one sentence each. */
export function differences(config: ModelConfig, chapter: ChapterId): string[] {
  const say: Record<string, string> = {
    rope: 'This model uses RoPE: positions are rotations of each query and key inside attention, not a wpe table added here.',
    'n-kv-head': `This model shares ${kvHeads(config)} key/value heads among its ${config.nHead} query heads (grouped-query attention).`,
    relu2: 'This model\'s MLP uses relu(x)², not relu.',
    gelu: 'This model\'s MLP uses GELU (tanh form), not relu.',
    swiglu: 'This model\'s MLP is SwiGLU: two matrices go in, and silu of one gates the other.',
    'mlp-hidden': `This model's MLP is ${mlpHidden(config)} wide, not 4 × ${config.nEmbd}.`,
    'norm-weight': 'Every norm of this model multiplies by a learned gain.',
    layernorm: 'This model uses LayerNorm (subtract the mean, divide by the deviation), not rmsnorm.',
    'tie-embeddings': 'This model\'s head reuses wte: there is no lm_head matrix.',
    'final-norm': 'This model normalises the last vector before the head.',
    'no-embed-norm': 'This model sends the embeddings into the first block without a norm.',
  };
  const present = new Set(beyondReference(config).map(([feature]) => feature));
  return DIFFERS[chapter].filter((f) => present.has(f)).map((f) => say[f]);
}

/** The settings of `config` the tour's code (the scalar engine's) does not compute, as the flags spell them; dropout is off at inference. */
export function unlikeTheCode(config: ModelConfig): string[] {
  return beyondReference(config).filter(([feature]) => feature !== 'dropout').map(([, setting]) => setting);
}
