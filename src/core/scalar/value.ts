// A scalar that remembers how it was computed, so backward() can apply the chain rule.
// Each node keeps at most two children with their local derivatives in plain fields (no
// arrays), which keeps a million-node graph cheap; a constant operand becomes a local
// derivative instead of a leaf node, which changes no gradient and no accumulation order.

import * as libm from '../libm/index.js';

let epoch = 0; // marks nodes visited by the current backward(), instead of a Set
const topo: Value[] = []; // reused between calls: a step's graph has ~10^5 nodes
const stack: Value[] = [];
const stage: number[] = []; // per stack entry: 0 = visit a next, 1 = visit b next, 2 = done

export class Value {
  data: number;
  grad = 0;
  a: Value | null;  // first child
  b: Value | null;  // second child
  da: number;       // d(this)/d(a)
  db: number;       // d(this)/d(b)
  mark = 0;

  constructor(data: number, a: Value | null = null, da = 0, b: Value | null = null, db = 0) {
    this.data = data;
    this.a = a;
    this.da = da;
    this.b = b;
    this.db = db;
  }

  add(other: Value | number): Value {
    if (typeof other === 'number') return new Value(this.data + other, this, 1);
    return new Value(this.data + other.data, this, 1, other, 1);
  }

  mul(other: Value | number): Value {
    if (typeof other === 'number') return new Value(this.data * other, this, other);
    return new Value(this.data * other.data, this, other.data, other, this.data);
  }

  /** this ** k for a constant exponent; d/dx x^k = k x^(k-1). */
  pow(k: number): Value {
    return new Value(libm.pow(this.data, k), this, k * libm.pow(this.data, k - 1));
  }

  log(): Value {
    return new Value(libm.log(this.data), this, 1 / this.data);
  }

  exp(): Value {
    const e = libm.exp(this.data);
    return new Value(e, this, e);
  }

  relu(): Value {
    return new Value(this.data > 0 ? this.data : 0, this, this.data > 0 ? 1 : 0);
  }

  neg(): Value {
    return this.mul(-1);
  }

  sub(other: Value | number): Value {
    return this.add(typeof other === 'number' ? -other : other.neg());
  }

  /** Division is multiplication by a power, exactly as the reference computes it. */
  div(other: Value | number): Value {
    return this.mul(typeof other === 'number' ? libm.pow(other, -1) : other.pow(-1));
  }

  /** c - this */
  rsub(c: number): Value {
    return this.neg().add(c);
  }

  /** c / this */
  rdiv(c: number): Value {
    return this.pow(-1).mul(c);
  }

  /** Fills `grad` of every node this one depends on, with d(this)/d(node). */
  backward(): void {
    const order = topologicalOrder(this);
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      if (v.a !== null) v.a.grad += v.da * v.grad;
      if (v.b !== null) v.b.grad += v.db * v.grad;
    }
    order.length = 0;
  }
}

// Children before parents, in the same order as a recursive depth-first post-order (the
// order fixes how gradients sum, so it must match the reference). An explicit stack, so a
// deep graph cannot overflow the call stack.
function topologicalOrder(root: Value): Value[] {
  epoch++;
  topo.length = 0;
  root.mark = epoch;
  stack.push(root);
  stage.push(0);
  while (stack.length > 0) {
    const top = stack.length - 1;
    const v = stack[top];
    const s = stage[top];
    const child = s === 0 ? v.a : s === 1 ? v.b : null;
    if (s < 2) {
      stage[top] = s + 1;
      if (child !== null && child.mark !== epoch) {
        child.mark = epoch;
        stack.push(child);
        stage.push(0);
      }
      continue;
    }
    stack.pop();
    stage.pop();
    topo.push(v);
  }
  return topo;
}

/** Sum left to right, as Python's `sum()` over Values (its leading `0 +` changes nothing). */
export function sum(values: Value[]): Value {
  let acc = values[0];
  for (let i = 1; i < values.length; i++) acc = acc.add(values[i]);
  return acc;
}
