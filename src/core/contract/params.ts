// The parameter contract every engine shares: names, shapes and order as in the Python
// state dict, all in one flat buffer, initialised from the seeded stream in that order.
// The reference model's layout is wte, wpe, lm_head, then six matrices per layer; the
// settings beyond it drop some (wpe with rope, lm_head when tied) and add norm gains.

import { UserError, shown } from '../errors.js';
import { type ModelConfig, kvHeads, mlpHidden, validateModelConfig } from './config.js';
import type { OptimizerState } from './engine.js';
import type { GaussPairs, PyRandom } from './random.js';

/**
 * Throws a UserError unless `config` is possible and `weights` (and Adam's moments, given)
 * hold its parameters, one float64 each: what every engine checks before taking them.
 */
export function checkWeights(config: ModelConfig, weights: Float64Array, optimizer?: OptimizerState): void {
  const n = paramCount(config); // which validates the config
  if (!(weights instanceof Float64Array)) throw new UserError(`expected ${n} weights in a Float64Array, got ${shown(weights)}`);
  if (weights.length !== n) throw new UserError(`expected ${n} weights, got ${weights.length}`);
  if (optimizer && ![optimizer.m, optimizer.v].every((x) => x instanceof Float64Array && x.length === n)) {
    throw new UserError(`expected Adam moments of ${n} numbers each`);
  }
}

/** One weight matrix: `rows x cols`, row-major, at `offset` in the flat buffer. */
export interface ParamSpec {
  name: string;
  rows: number;
  cols: number; // a norm's gain is one row of nEmbd
  offset: number;
  size: number;
  init: 'normal' | 'ones'; // a Gaussian draw per entry, or 1 (a gain; draws nothing)
}

/**
 * Every matrix in state-dict order: wte, wpe (learned positions), lm_head (untied), the
 * embeddings' gain, then each layer's (attn_norm gain,) wq, wk, wv, wo, (mlp_norm gain,)
 * fc1, fc2, and the final norm's gain. wk and wv have kvHeads * headDim rows; a swiglu
 * fc1 holds the gate's mlpHidden rows, then the up projection's.
 */
export function paramLayout(c: ModelConfig): ParamSpec[] {
  validateModelConfig(c); // a fractional or negative size would give a layout of some other model
  const C = c.nEmbd, H = mlpHidden(c), KV = kvHeads(c) * (C / c.nHead);
  const gains = c.normWeight === true;
  const shapes: [string, number, number, ParamSpec['init']][] = [['wte', c.vocabSize, C, 'normal']];
  if ((c.pos ?? 'learned') === 'learned') shapes.push(['wpe', c.blockSize, C, 'normal']);
  if (!c.tieEmbeddings) shapes.push(['lm_head', c.vocabSize, C, 'normal']);
  if (gains && c.embedNorm !== false) shapes.push(['embed_norm', 1, C, 'ones']);
  for (let i = 0; i < c.nLayer; i++) {
    if (gains) shapes.push([`layer${i}.attn_norm`, 1, C, 'ones']);
    shapes.push(
      [`layer${i}.attn_wq`, C, C, 'normal'],
      [`layer${i}.attn_wk`, KV, C, 'normal'],
      [`layer${i}.attn_wv`, KV, C, 'normal'],
      [`layer${i}.attn_wo`, C, C, 'normal'],
    );
    if (gains) shapes.push([`layer${i}.mlp_norm`, 1, C, 'ones']);
    shapes.push(
      [`layer${i}.mlp_fc1`, c.activation === 'swiglu' ? 2 * H : H, C, 'normal'],
      [`layer${i}.mlp_fc2`, C, H, 'normal'],
    );
  }
  if (gains && c.finalNorm) shapes.push(['norm_f', 1, C, 'ones']);
  let offset = 0;
  return shapes.map(([name, rows, cols, init]) => {
    const spec = { name, rows, cols, offset, size: rows * cols, init };
    offset += spec.size;
    return spec;
  });
}

export function paramCount(c: ModelConfig): number {
  return paramLayout(c).reduce((n, p) => n + p.size, 0);
}

/**
 * Fresh weights: one gauss(0, initStd) draw per entry, in layout order, row by row; gains 1.
 * `pairs` may be a faster twin of gauss()'s draws (it gives the same bits).
 */
export function initParams(c: ModelConfig, rng: PyRandom, pairs?: GaussPairs): Float64Array {
  const weights = new Float64Array(paramCount(c)); // (numParams,)
  const layout = paramLayout(c);
  const draws = new Float64Array(layout.reduce((n, p) => (p.init === 'ones' ? n : n + p.size), 0)); // every drawn entry, in order
  rng.gaussFill(draws, 0, c.initStd, pairs);
  let d = 0;
  for (const p of layout) {
    if (p.init === 'ones') weights.fill(1, p.offset, p.offset + p.size);
    else {
      weights.set(draws.subarray(d, d + p.size), p.offset);
      d += p.size;
    }
  }
  return weights;
}

/** Named views into a flat buffer, for code that wants `views.get('wte')`. */
export function paramViews(c: ModelConfig, flat: Float64Array): Map<string, Float64Array> {
  const views = new Map<string, Float64Array>();
  for (const p of paramLayout(c)) views.set(p.name, flat.subarray(p.offset, p.offset + p.size));
  return views;
}
