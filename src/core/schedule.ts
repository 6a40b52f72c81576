// Learning rate for a step. The reference decays linearly to zero over the run.

/** lr at 0-based `step` of `steps`: lr * (1 - step / steps). */
export function linearDecay(learningRate: number, step: number, steps: number): number {
  return learningRate * (1 - step / steps);
}
