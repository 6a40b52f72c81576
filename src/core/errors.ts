// Errors a user can fix (bad flag, bad file, unknown character): the CLI prints their
// message alone and exits non-zero, while any other error is a bug and keeps its stack.

/** An error caused by input, with a message written for the person who gave it. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Training stopped because a loss stopped being a finite number; the weights are the last good ones. */
export class DivergenceError extends UserError {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  constructor(step: number, loss: number, lr: number, during: 'training' | 'validation') {
    super(`the ${during} loss became ${loss} at step ${step} (learning rate ${lr}): training diverged and was stopped`);
    this.name = 'DivergenceError';
    this.step = step;
    this.loss = loss;
    this.lr = lr;
  }
}

/**
 * A kernel thread of the float32 engine stopped on a trap: a bug, not bad input, but one the
 * engine reports whole (which thread, which kernel, why) instead of hanging or dying raw.
 */
export class KernelThreadError extends Error {
  readonly thread: number;
  readonly op: string;
  readonly reason: string;
  constructor(thread: number, op: string, reason: string) {
    super(`kernel thread ${thread} stopped in ${op}: ${reason}`);
    this.name = 'KernelThreadError';
    this.thread = thread;
    this.op = op;
    this.reason = reason;
  }
}

/**
 * A bad value as a message shows it: from JavaScript a setting can be the string "16", which
 * `${value}` would print as 16, the very number the message asks for.
 */
export function shown(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} (a string)`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    return keys.length > 0 ? `an object with ${keys.slice(0, 6).join(', ')}` : 'an empty object';
  }
  return String(value);
}

/** Throws a UserError unless `value` is a string (from JavaScript, a number or an array can arrive). */
export function requireString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new UserError(`${name} must be a string, got ${shown(value)}`);
}
