// The parameter contract both engines share: names, shapes and order as in the Python
// state dict, all in one flat buffer, initialised from the seeded stream in that order.

import type { ModelConfig } from './config.js';
import type { PyRandom } from './random.js';

/** One weight matrix: `rows x cols`, row-major, at `offset` in the flat buffer. */
export interface ParamSpec {
  name: string;
  rows: number;
  cols: number;
  offset: number;
  size: number;
}

/** Every matrix in state-dict order: wte, wpe, lm_head, then each layer's six. */
export function paramLayout(c: ModelConfig): ParamSpec[] {
  const shapes: [string, number, number][] = [
    ['wte', c.vocabSize, c.nEmbd],
    ['wpe', c.blockSize, c.nEmbd],
    ['lm_head', c.vocabSize, c.nEmbd],
  ];
  for (let i = 0; i < c.nLayer; i++) {
    shapes.push(
      [`layer${i}.attn_wq`, c.nEmbd, c.nEmbd],
      [`layer${i}.attn_wk`, c.nEmbd, c.nEmbd],
      [`layer${i}.attn_wv`, c.nEmbd, c.nEmbd],
      [`layer${i}.attn_wo`, c.nEmbd, c.nEmbd],
      [`layer${i}.mlp_fc1`, 4 * c.nEmbd, c.nEmbd],
      [`layer${i}.mlp_fc2`, c.nEmbd, 4 * c.nEmbd],
    );
  }
  let offset = 0;
  return shapes.map(([name, rows, cols]) => {
    const spec = { name, rows, cols, offset, size: rows * cols };
    offset += spec.size;
    return spec;
  });
}

export function paramCount(c: ModelConfig): number {
  return paramLayout(c).reduce((n, p) => n + p.size, 0);
}

/** Fresh weights: one gauss(0, initStd) draw per entry, in layout order, row by row. */
export function initParams(c: ModelConfig, rng: PyRandom): Float64Array {
  const weights = new Float64Array(paramCount(c)); // (numParams,)
  for (let i = 0; i < weights.length; i++) weights[i] = rng.gauss(0, c.initStd);
  return weights;
}

/** Named views into a flat buffer, for code that wants `views.get('wte')`. */
export function paramViews(c: ModelConfig, flat: Float64Array): Map<string, Float64Array> {
  const views = new Map<string, Float64Array>();
  for (const p of paramLayout(c)) views.set(p.name, flat.subarray(p.offset, p.offset + p.size));
  return views;
}
