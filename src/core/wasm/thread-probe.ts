// Whether the worker threads pay off right now, measured on the training steps themselves.
// Spinning workers help on an idle machine (1.9x at the nanoGPT recipe's size) and hurt on a
// busy one, where a descheduled thread leaves the others spinning (measured on 2 cores beside
// one busy process: 128 ms per step on two threads against 96 on one). So every PERIOD steps
// a few TRIAL steps run the other way, and the faster way (by median step time) is kept.
// Either way computes the same numbers, so switching never changes a result.

import type { Threads } from './threads.js';

const WARMUP = 8;   // steps before the first trial: compilation and caches settle
const PERIOD = 64;  // steps between trials
const TRIAL = 4;    // steps in a trial, and recent steps of the current way they are compared with
const MARGIN = 0.9; // the other way must be at least 10% faster to win

export interface ThreadProbe {
  /** Call before a training step: sets `threads.solo` for it. */
  beforeStep(): void;
  /** Call after it with its wall-clock time. */
  afterStep(ms: number): void;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A probe switching `threads` between its workers and the calling thread alone. */
export function createThreadProbe(threads: Threads): ThreadProbe {
  let steps = 0, trialLeft = 0;
  let recent: number[] = [], trial: number[] = [];
  let solo = threads.solo; // the way kept between trials
  return {
    beforeStep() {
      if (trialLeft === 0 && steps >= WARMUP && (steps - WARMUP) % PERIOD === 0) trialLeft = TRIAL;
      threads.solo = trialLeft > 0 ? !solo : solo;
    },
    afterStep(ms) {
      steps++;
      if (trialLeft === 0) {
        recent.push(ms);
        if (recent.length > TRIAL) recent.shift();
        return;
      }
      trial.push(ms);
      if (--trialLeft > 0) return;
      if (recent.length === TRIAL && median(trial) < MARGIN * median(recent)) {
        solo = !solo;
        recent = trial;
      }
      trial = [];
    },
  };
}
