// The playground tour's excerpts against the engine's source as it is now: every chapter's
// anchors are found (once), so an edit that renames or moves a function fails here rather
// than showing a learner the wrong lines; a missing anchor is an error, not a guess; and a
// model beyond the reference is told which chapters it computes differently.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { findSpan } from '../web/src/code-lines.js';
import { SPANS, differences, unlikeTheCode } from '../web/src/tour-outline.js';
import type { ModelConfig } from '../src/core/contract/config.js';

const ROOT = new URL('../../', import.meta.url); // dist/test -> the repo
const source = (file: string) => readFileSync(new URL(file, ROOT), 'utf8');

test('every tour chapter finds its lines in the engine\'s source', () => {
  assert.deepEqual(Object.keys(SPANS), ['data', 'embeddings', 'attention', 'mlp', 'logits', 'loss', 'backward', 'adam', 'sampling'],
    'microgpt.py\'s order');
  for (const [chapter, spans] of Object.entries(SPANS)) {
    for (const span of spans) {
      const ex = findSpan(source(span.file), span);
      assert.ok(ex.lines[0].includes(span.start.trim()), `${chapter}: starts at its anchor`);
      if (span.end) assert.ok(ex.lines[ex.lines.length - 1].includes(span.end), `${chapter}: ends at ${span.end}`);
      else assert.equal(ex.lines[ex.lines.length - 1], '}', `${chapter}: ${span.start} runs to its block's end`);
    }
  }
});

test('an excerpt is the block its anchor opens, with its real line numbers', () => {
  const text = source('src/core/scalar/gpt.ts');
  const ex = findSpan(text, { file: 'src/core/scalar/gpt.ts', start: 'export function softmax(' });
  const lines = text.split('\n');
  assert.equal(lines[ex.first - 1], ex.lines[0]);
  assert.deepEqual(ex.lines, lines.slice(ex.first - 1, ex.first - 1 + ex.lines.length));
  assert.ok(ex.lines.some((l) => l.includes('exps.map((e) => e.div(total))')));
  const attention = SPANS.attention[0];
  const body = findSpan(text, attention).lines;
  assert.ok(body.some((l) => l.includes('softmax(logits)')) && !body.some((l) => l.includes('mlp_fc1')), 'the attention excerpt stops at its residual');
  assert.ok(body[0].startsWith('// attention'), 'common indentation removed');
});

test('a missing or repeated anchor is an error naming it', () => {
  const text = 'function a() {\n  return 1;\n}\nfunction b() {\n  return 1;\n}\n';
  assert.throws(() => findSpan(text, { file: 'x.ts', start: 'function c(' }), /tour anchor "function c\(" found 0 times in x\.ts/);
  assert.throws(() => findSpan(text, { file: 'x.ts', start: 'return 1;' }), /found 2 times/);
  assert.throws(() => findSpan(text, { file: 'x.ts', start: 'function a(', end: 'never' }), /"never" not found/);
  assert.deepEqual(findSpan(text, { file: 'x.ts', start: 'function b(' }), { file: 'x.ts', first: 4, lines: ['function b() {', '  return 1;', '}'] });
});

test('a model beyond the reference is told, chapter by chapter, what it does differently', () => {
  const reference: ModelConfig = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 };
  for (const id of Object.keys(SPANS)) assert.deepEqual(differences(reference, id as keyof typeof SPANS), [], id);
  // the llama preset's architecture (presets/llama.json)
  const llama: ModelConfig = { ...reference, nLayer: 2, nEmbd: 48, nKvHead: 2, blockSize: 64, pos: 'rope', activation: 'swiglu', mlpHidden: 152,
    normWeight: true, finalNorm: true, embedNorm: false };
  assert.deepEqual(differences(llama, 'embeddings'), [
    'This model uses RoPE: positions are rotations of each query and key inside attention, not a wpe table added here.',
    'This model sends the embeddings into the first block without a norm.',
    'Every norm of this model multiplies by a learned gain.']);
  assert.match(differences(llama, 'attention').join(' '), /RoPE.*shares 2 key\/value heads among its 4 query heads/);
  assert.match(differences(llama, 'mlp').join(' '), /SwiGLU.*152 wide, not 4 × 48/);
  assert.deepEqual(differences(llama, 'logits'), ['This model normalises the last vector before the head.']);
  assert.deepEqual(differences(llama, 'loss'), []);
  // and the tour's live numbers, which are the scalar code's, name every setting it does not compute rather than show wrong ones
  assert.deepEqual(unlikeTheCode({ ...reference, dropout: 0.1 }), [], 'dropout is off at inference');
  assert.deepEqual(unlikeTheCode(llama), ['activation swiglu', 'pos rope', 'n-kv-head 2', 'mlp-hidden 152', 'norm-weight', 'final-norm', 'embed-norm false']);
});
