// The tour's chapters in microgpt.py's order: the engine's lines that compute each step (as
// anchors in tour-outline.ts), a sentence or two of why, and the step's live numbers on the
// learner's word. The numbers come from the inspection's forward pass and, past it, from the
// scalar engine's own functions (softmax, Value.backward, adamStep, tokenProbabilities).

import type { ModelConfig, TrainConfig } from '../../src/core/contract/config.js';
import { paramLayout, paramViews } from '../../src/core/contract/params.js';
import { tokenProbabilities } from '../../src/core/contract/sampling.js';
import { learningRateAt } from '../../src/core/contract/schedule.js';
import * as libm from '../../src/core/libm/index.js';
import { adamStep } from '../../src/core/scalar/adam.js';
import { linear, softmax } from '../../src/core/scalar/gpt.js';
import { Value, sum } from '../../src/core/scalar/value.js';
import type { Span } from './code-lines.js';
import { type ChapterId, SPANS } from './tour-outline.js';
import { fmt, h, tokenLabel } from './dom.js';

export type { ChapterId };
import type { Inspection } from './inspect.js';
import type { Snapshot } from './protocol.js';


/** What a chapter's numbers are computed from: the current model and the word in Look inside. */
export interface TourContext {
  config: ModelConfig;
  train: TrainConfig | null;
  weights: Float64Array; // (numParams,) layout order
  chars: string[];       // token labels below BOS
  bpe: boolean;
  step: number;
  tokens: number[];      // BOS, then the word's tokens
  insp: Inspection | null; // null when the page's forward does not follow this model
  temperature: number;
  topK: number | undefined;
  moments: Snapshot['moments']; // Adam's, of the weights adamShown names
}
type Forward = TourContext & { insp: Inspection };

/** The layout index of the one weight the Adam chapter updates (lm_head[end][0], the end token's row), if the model has an lm_head. */
export function adamShown(config: ModelConfig): number[] {
  const head = paramLayout(config).find((spec) => spec.name === 'lm_head');
  return head ? [head.offset + (config.vocabSize - 1) * config.nEmbd] : [];
}

export interface Chapter {
  id: ChapterId;
  title: string;
  spans: Span[];
  why: string;
  view: string;      // the element on the page that shows this step
  forward: boolean;  // its numbers need the inspection's forward pass
  live(ctx: Forward): (Node | string)[];
}

const SHOWN = 6; // channels of a vector shown before "…"

const label = (c: TourContext, id: number) => tokenLabel(c.chars, id);
const nextLabel = (c: TourContext, id: number) => (id === c.chars.length ? 'end' : tokenLabel(c.chars, id));
const p = (...children: (Node | string)[]) => h('p', {}, ...children);
const num = (x: number, digits = 4) => h('span', { class: 'tour-num', 'data-value': x }, fmt(x, digits));

function table(head: string[], rows: (Node | string)[][], cls = ''): HTMLElement {
  return h('div', { class: 'tour-table' }, h('table', { class: cls },
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((cell, i) => (i === 0 ? h('th', {}, cell) : h('td', {}, cell))))))));
}

function vector(x: ArrayLike<number>): string[] {
  const cells = Array.from({ length: Math.min(SHOWN, x.length) }, (_, i) => fmt(x[i], 3));
  return x.length > SHOWN ? [...cells, '…'] : cells;
}

function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / x.length);
}

/** The token after each position of the word: its next token, and after the last one the end (BOS). */
const targets = (c: TourContext) => c.tokens.map((_, pos) => (pos + 1 < c.tokens.length ? c.tokens[pos + 1] : c.chars.length));

function ranked(probs: ArrayLike<number>, k: number, keep?: number): number[] {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a]).slice(0, k);
  if (keep !== undefined && !order.includes(keep)) order.push(keep);
  return order;
}

/**
 * The word's mean loss rebuilt from Values with the engine's softmax and backward(): every
 * logit a leaf, except the end token's, which is lm_head's row times the last hidden state, so
 * backward() reaches one weight of lm_head through the engine's own linear().
 */
function lmHeadGradient(c: Forward) {
  const C = c.config.nEmbd, end = c.chars.length, n = c.tokens.length;
  const lmHead = paramViews(c.config, c.weights).get('lm_head')!; // (vocabSize, nEmbd)
  const row = Array.from({ length: C }, (_, i) => new Value(lmHead[end * C + i]));
  const logits = c.insp.logits.map((ls, pos) =>
    Array.from(ls, (l, v) => (v === end ? linear(Array.from(c.insp.finals[pos], (x) => new Value(x)), [row])[0] : new Value(l))));
  const losses = logits.map((ls, pos) => softmax(ls)[targets(c)[pos]].log().neg());
  const total = sum(losses);
  total.mul(1 / n).backward(); // as the engine's backward: dloss = 1/n makes it the mean
  return { logits, weight: row[0], loss: total.data / n };
}

export const CHAPTERS: Chapter[] = [
  {
    id: 'data', spans: SPANS.data, title: 'Data and tokenizer', view: 'inspect', forward: false,
    why: 'A network computes with numbers, so every character gets an id (a BPE model instead splits the text into learned byte sequences, each an id), and one more id, BOS, marks where a document begins and ends. Training reads one document at a time and learns, at every position, to predict the next id.',
    live(c) {
      const ids = [...c.tokens, c.chars.length];
      return [
        p(`The vocabulary: ${c.config.vocabSize} ids, ${c.chars.length} ${c.bpe ? 'BPE tokens' : 'characters'} and BOS (id ${c.chars.length}).`),
        p('The word in Look inside, as the model trains on it (BOS, its tokens, BOS again):'),
        table(['token', ...ids.map((id, i) => (i === ids.length - 1 ? 'BOS (end)' : label(c, id)))], [['id', ...ids.map(String)]], 'tour-ids'),
      ];
    },
  },
  {
    id: 'embeddings', spans: SPANS.embeddings, title: 'Embeddings', view: 'view-embedding', forward: true,
    why: 'An id indexes a row of wte, a learned vector for that token; the position indexes a row of wpe, so the same token at another place looks different. rmsnorm rescales their sum to mean square 1, keeping every layer\'s input at one size.',
    live(c) {
      const C = c.config.nEmbd, pos = c.tokens.length - 1, id = c.tokens[pos];
      const W = paramViews(c.config, c.weights);
      const tok = W.get('wte')!.subarray(id * C, id * C + C), pe = W.get('wpe')!.subarray(pos * C, pos * C + C);
      const added = tok.map((t, i) => t + pe[i]);
      const normed = c.insp.embedded[pos];
      return [
        p(`The last position of the word, ${pos}, holds “${label(c, id)}” (id ${id}). Its ${C} numbers, the first ${Math.min(SHOWN, C)} shown:`),
        table(['', ...Array.from({ length: Math.min(SHOWN, C) }, (_, i) => `${i}`), ...(C > SHOWN ? ['…'] : [])], [
          [`wte[${id}]`, ...vector(tok)], [`wpe[${pos}]`, ...vector(pe)], ['sum', ...vector(added)], ['rmsnorm(sum)', ...vector(normed)],
        ], 'tour-vectors'),
        p('Root mean square of the sum: ', num(rms(added)), '; after rmsnorm: ', num(rms(normed)), ' (1 up to the 1e-5 that keeps it finite).'),
      ];
    },
  },
  {
    id: 'attention', spans: SPANS.attention, title: 'Attention', view: 'view-attention', forward: true,
    why: 'Attention is how a position reads the ones before it: its query is dotted with every earlier key, the scores go through a softmax, and the weights mix the values. Each head does this on its own slice of the vector, so heads can look for different things; the keys and values are cached, so the future is never seen.',
    live(c) {
      const { nHead, nEmbd, nLayer } = c.config, last = c.tokens.length - 1, headDim = nEmbd / nHead;
      const heads = c.insp.attention[0].slice(0, 8);
      const cols = c.tokens.map((id, t) => `${label(c, id)} (${t})`);
      return [
        p(`Layer 1 of ${nLayer}, at position ${last} (“${label(c, c.tokens[last])}”): the weights each head gives positions 0 to ${last} (a row sums to 1). `,
          `Each head reads ${headDim} of the ${nEmbd} channels; scores are scaled by 1/√${headDim} = `, num(libm.pow(libm.pow(headDim, 0.5), -1)), '.'),
        table(['', ...cols], heads.map((rows, hi) => [`head ${hi + 1}`, ...Array.from(rows[last], (w) => fmt(w, 3))]), 'tour-attention'),
        ...(nHead > heads.length ? [p(`… and ${nHead - heads.length} more heads: see the Attention view.`)] : []),
      ];
    },
  },
  {
    id: 'mlp', spans: SPANS.mlp, title: 'MLP', view: 'view-graph', forward: true,
    why: 'After attention has gathered what the context says, the MLP thinks about it position by position: mlp_fc1 widens the vector 4x, relu keeps only the positive units (a unit at 0 passes no gradient back), mlp_fc2 projects back. The residual adds the result to the stream instead of replacing it.',
    live(c) {
      const last = c.tokens.length - 1, width = 4 * c.config.nEmbd;
      return [
        p(`At position ${last} (“${label(c, c.tokens[last])}”), the ${width} hidden units after relu, per layer:`),
        table(['layer', 'alive (above 0)', 'largest units'], c.insp.mlpHidden.map((layer, li) => {
          const hidden = layer[last];
          const alive = hidden.filter((x) => x > 0).length;
          const top = ranked(hidden, 3).filter((u) => hidden[u] > 0).map((u) => `unit ${u + 1}: ${fmt(hidden[u], 3)}`).join(', ');
          return [`layer ${li + 1}`, h('span', { class: 'tour-alive', 'data-value': alive }, `${alive} of ${width}`), top || 'none'];
        }), 'tour-mlp'),
      ];
    },
  },
  {
    id: 'logits', spans: SPANS.logits, title: 'Logits and softmax', view: 'view-probs', forward: true,
    why: 'lm_head turns the final vector into one score (logit) per token of the vocabulary. softmax makes them probabilities: exponentiate (after subtracting the largest, so exp cannot overflow) and divide by the total, so they are positive and sum to 1.',
    live(c) {
      const last = c.tokens.length - 1, end = c.chars.length;
      const probs = c.insp.probs[last], logits = c.insp.logits[last];
      const word = c.tokens.slice(1).map((id) => label(c, id)).join('');
      return [
        p(`After “${word || 'BOS'}”, the word's end comes next: the model gives it p = `, h('span', { class: 'tour-target-p', 'data-value': probs[end] }, fmt(probs[end], 4)),
          ` (${fmt(probs[end] * 100, 1)}%). The likeliest next tokens:`),
        table(['next', 'logit', 'probability'], ranked(probs, 5, end).map((id) => [nextLabel(c, id), fmt(logits[id], 3), fmt(probs[id], 4)]), 'tour-logits'),
      ];
    },
  },
  {
    id: 'loss', spans: SPANS.loss, title: 'Loss', view: 'view-probs', forward: true,
    why: 'The loss at a position is −log of the probability the model gave the token that really came next: 0 when it was sure and right, large when it was surprised. Training lowers the mean over all positions; guessing uniformly scores ln(vocabulary size).',
    live(c) {
      const t = targets(c);
      const losses = c.insp.probs.map((pr, pos) => -libm.log(pr[t[pos]]));
      const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
      return [
        table(['position', 'next', 'p(next)', '−log p'], losses.map((l, pos) => [String(pos), nextLabel(c, t[pos]), fmt(c.insp.probs[pos][t[pos]], 4), fmt(l, 3)]), 'tour-loss'),
        p('Mean loss over the word: ', h('span', { class: 'tour-mean-loss', 'data-value': mean }, fmt(mean, 3)),
          ` (guessing: ln ${c.config.vocabSize} = ${fmt(libm.log(c.config.vocabSize), 3)}).`),
      ];
    },
  },
  {
    id: 'backward', spans: SPANS.backward, title: 'Backward', view: 'view-graph', forward: true,
    why: 'backward() visits every Value from the loss down, in reverse topological order, and adds to each child its local derivative times the parent\'s grad: the chain rule. Afterwards every weight\'s grad says how the mean loss moves when that weight moves.',
    live(c) {
      const { logits, weight, loss } = lmHeadGradient(c);
      const last = c.tokens.length - 1, end = c.chars.length, n = c.tokens.length;
      const probs = c.insp.probs[last];
      return [
        p(`The word's mean loss, rebuilt from Values: ${fmt(loss, 4)}; backward() from it. At the last position the grad of each logit is (p − y)/${n}, y = 1 for the true next token:`),
        table(['logit of', 'p', 'y', 'grad'], ranked(probs, 4, end).map((id) =>
          [nextLabel(c, id), fmt(probs[id], 4), id === end ? '1' : '0', fmt(logits[last][id].grad, 5)]), 'tour-grads'),
        p(`One weight, lm_head[${end}][0] (the end token's row): its grad is the sum over positions of that logit's grad times the hidden state's channel 0, d loss/dw = `,
          h('span', { class: 'tour-weight-grad', 'data-value': weight.grad }, weight.grad.toExponential(4)), '.'),
      ];
    },
  },
  {
    id: 'adam', spans: SPANS.adam, title: 'Adam', view: 'flow', forward: true,
    why: 'Adam keeps, per weight, a running mean of its gradient (m) and of its square (v), and steps by m/√v: every weight moves about the learning rate, whatever its gradient\'s scale, and noisy directions move less. The bias corrections undo m and v starting at 0.',
    live(c) {
      if (!c.train) return [p('Train or load a model to see an update.')];
      const at = adamShown(c.config)[0], k = c.moments.at.indexOf(at);
      if (k < 0) return [p('This weight\'s moments have not come from the worker yet.')];
      const { weight } = lmHeadGradient(c);
      const param = new Value(weight.data);
      param.grad = weight.grad;
      const { beta1, beta2, epsAdam } = c.train, t = c.step + 1, lr = learningRateAt(c.train, c.step);
      const state = { m: Float64Array.of(c.moments.m[k]), v: Float64Array.of(c.moments.v[k]) };
      adamStep([param], state, c.train, c.step, lr); // the engine's own update, from the run's moments, on this one weight
      const mHat = state.m[0] / (1 - libm.pow(beta1, t)), vHat = state.v[0] / (1 - libm.pow(beta2, t));
      const direction = mHat / (Math.sqrt(vHat) + epsAdam), moved = param.data - weight.data;
      const cell = (cls: string, x: number) => h('span', { class: cls, 'data-value': x }, x.toExponential(4));
      const name = `lm_head[${c.chars.length}][0]`;
      const extras = [(c.train.gradClip ?? 0) > 0 ? 'clips the gradient\'s norm' : '', (c.train.weightDecay ?? 0) > 0 ? 'decays the weights' : ''].filter(Boolean);
      return [
        p(`The run's moments of ${name} after ${c.step} steps, as the worker holds them. Were the word the next batch, step ${t} (β1 ${beta1}, β2 ${beta2}, lr ${fmt(lr, 6)} from the schedule) would update it so:`),
        table(['', 'value'], [
          ['grad g (this word)', weight.grad.toExponential(4)],
          [`m, after step ${c.step}`, cell('tour-adam-m0', c.moments.m[k])],
          [`v, after step ${c.step}`, cell('tour-adam-v0', c.moments.v[k])],
          ['m ← β1·m + (1−β1)·g', cell('tour-adam-m', state.m[0])],
          ['v ← β2·v + (1−β2)·g²', cell('tour-adam-v', state.v[0])],
          [`m̂/(√v̂ + ε), m̂ = m/(1−β1^${t}), v̂ = v/(1−β2^${t})`, cell('tour-adam-direction', direction)],
          ['weight before', fmt(weight.data, 6)],
          ['weight after', fmt(param.data, 6)],
          ['step −lr·m̂/(√v̂ + ε)', cell('tour-adam-step', moved)],
        ], 'tour-adam'),
        p(c.step === 0
          ? 'Before the first step m = v = 0, so m̂ = g and v̂ = g²: the step is lr·g/(|g| + ε), the learning rate itself with the gradient\'s sign.'
          : `m and v remember the gradients of ${c.step} batches, so one word moves the weight by ${fmt(Math.abs(direction), 3)} of the learning rate, not all of it${lr === 0 ? '; the schedule has brought lr to 0 at the end of the run, so it stays' : ''}.`),
        ...(extras.length > 0 ? [p(`This run also ${extras.join(' and ')}, which the table leaves out.`)] : []),
      ];
    },
  },
  {
    id: 'sampling', spans: SPANS.sampling, title: 'Sampling', view: 'sample', forward: true,
    why: 'To write, the model feeds its own draws back in: divide the logits by the temperature (below 1 sharpens, above 1 flattens), keep the top k if asked, softmax, and draw one token from the random stream. A drawn BOS ends the document.',
    live(c) {
      const last = c.tokens.length - 1;
      const probs = tokenProbabilities(c.insp.logits[last], c.temperature, c.topK);
      const word = c.tokens.slice(1).map((id) => label(c, id)).join('');
      const setting = `temperature ${fmt(c.temperature, 2)}, top-k ${c.topK ?? 'off'} (the Sample panel's sliders)`;
      if (!probs) return [p(`At ${setting} the logits overflow: the draw is the likeliest token.`)];
      return [
        p(`After “${word || 'BOS'}”, at ${setting}, the next draw comes from:`),
        table(['next', 'probability'], ranked(probs, 5).filter((id) => probs[id] > 0).map((id) => [nextLabel(c, id), fmt(probs[id], 4)]), 'tour-sampling'),
      ];
    },
  },
];
