// Gradient flow: how big each weight tensor's gradient is, and how far one update moves it
// relative to its size. A layer whose gradient shrinks towards zero is not learning
// (vanishing), one whose updates are far above ~1e-3 of its weights is thrashing, and an MLP
// unit whose fc1 row gets exactly no gradient passed nothing back this step (a dead ReLU).

import type { ModelConfig } from '../contract/config.js';
import { mlpHidden } from '../contract/config.js';
import { paramCount, paramLayout } from '../contract/params.js';
import { UserError, shown } from '../errors.js';

/** One weight tensor's numbers over one optimizer step. */
export interface TensorFlow {
  name: string;
  grad: number;   // |g|: the L2 norm of the step's gradient (of the mean loss, before clipping)
  weight: number; // |w| before the update
  update: number; // |w_after - w_before| / |w_before|: the update-to-weight ratio (0 when |w| is 0)
}

/** An MLP layer's units that passed no gradient back: every entry of their fc1 row(s) got 0. */
export interface DeadUnits {
  layer: number;
  dead: number;
  units: number;
}

export interface FlowStats {
  tensors: TensorFlow[];  // in layout order
  deadUnits?: DeadUnits[]; // per layer, for relu and relu2 (whose zeros are exact)
}

function norm(a: Float64Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** The flow of one step from the weights before and after the update and the gradient between them. */
export function gradientFlow(c: ModelConfig, before: Float64Array, grads: Float64Array, after: Float64Array): FlowStats {
  const layout = paramLayout(c), n = paramCount(c);
  for (const [name, values] of [['before', before], ['grads', grads], ['after', after]] as const) {
    if (values?.length !== n) throw new UserError(`${name} must hold the config's ${n} parameters, got ${shown(values?.length ?? values)}`);
  }
  const tensors = layout.map((p): TensorFlow => {
    const end = p.offset + p.size, weight = norm(before, p.offset, end);
    let moved = 0;
    for (let i = p.offset; i < end; i++) moved += (after[i] - before[i]) ** 2;
    return { name: p.name, grad: norm(grads, p.offset, end), weight, update: weight > 0 ? Math.sqrt(moved) / weight : 0 };
  });
  const activation = c.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'relu2') return { tensors };
  const H = mlpHidden(c), fc1 = layout.filter((p) => p.name.endsWith('.mlp_fc1'));
  const deadUnits = fc1.map((p, layer): DeadUnits => {
    let dead = 0;
    for (let u = 0; u < H; u++) {
      const row = p.offset + u * p.cols;
      let silent = true;
      for (let j = row; j < row + p.cols && silent; j++) silent = grads[j] === 0;
      if (silent) dead++;
    }
    return { layer, dead, units: H };
  });
  return { tensors, deadUnits };
}
