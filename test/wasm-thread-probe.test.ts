// The thread probe keeps whichever way (workers or the calling thread alone) trains faster,
// judged on step times: here a fake machine whose step time depends on the way and the load.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createThreadProbe } from '../src/core/wasm/thread-probe.js';
import type { Threads } from '../src/core/wasm/threads.js';

/** Runs `steps` steps; `ms(solo)` is a step's time. Returns the share of steps run solo. */
function simulate(threads: Threads, probe: ReturnType<typeof createThreadProbe>, steps: number,
                  ms: (solo: boolean) => number): number {
  let solo = 0;
  for (let i = 0; i < steps; i++) {
    probe.beforeStep();
    if (threads.solo) solo++;
    probe.afterStep(ms(threads.solo));
  }
  return solo / steps;
}

test('the probe keeps the threads on an idle machine and drops them on a busy one, and back', () => {
  const threads = { solo: false } as Threads, probe = createThreadProbe(threads);
  const idle = (solo: boolean) => (solo ? 96 : 54), busy = (solo: boolean) => (solo ? 96 : 128);
  const idleShare = simulate(threads, probe, 400, idle);
  assert.ok(idleShare > 0 && idleShare < 0.08, `idle: ${idleShare} of the steps solo (trials only)`);
  simulate(threads, probe, 80, busy); // the next trial finds solo faster
  const busyShare = simulate(threads, probe, 400, busy);
  assert.ok(busyShare > 0.92, `busy: only ${busyShare} of the steps solo`);
  simulate(threads, probe, 80, idle);
  assert.ok(simulate(threads, probe, 400, idle) < 0.08, 'idle again: threads back on');
});

test('the probe does not switch for a difference within its margin', () => {
  const threads = { solo: false } as Threads, probe = createThreadProbe(threads);
  const share = simulate(threads, probe, 400, (solo) => (solo ? 97 : 100));
  assert.ok(share < 0.08, `${share} of the steps solo for a 3% difference`);
});
