// What training shows while it runs: on a terminal one status line rewritten in place, in
// a pipe (or with --quiet) a plain line every few steps; lasting events get lines of their
// own either way. The metrics file gets one JSON line per step.

import { closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import type { StepInfo } from '../core/run/loop.js';
import { fileErrorReason } from './file-error.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { formatFixed } from './format.js';
import { sameFile } from './same-file.js';

/** A step as the loop reports it, with the validation loss when one was measured after it. */
export type StepReport = StepInfo & { valLoss?: number };

/** "3m05s" or "42s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface Progress {
  /** A line that stays (a header, a validation result, a save). */
  line(text: string): void;
  step(r: StepReport): void;
  /** Ends the status line so what follows starts on a fresh line. */
  done(): void;
}

export function createProgress(out: NodeJS.WriteStream, quiet: boolean, logEvery: number): Progress {
  const live = Boolean(out.isTTY) && !quiet;
  let lastDraw = 0, status = '';
  let msPerStep = 0, tokensPerS = 0; // running averages, for the ETA and the speed
  let lastVal: number | undefined;
  return {
    line(text) {
      if (live && status) out.write('\r\x1b[K');
      out.write(text + '\n');
      if (live && status) out.write(status);
    },
    step(r) {
      const k = msPerStep === 0 ? 1 : 0.05;
      msPerStep += k * (r.ms - msPerStep);
      tokensPerS += k * ((r.tokens / Math.max(r.ms, 1e-3)) * 1000 - tokensPerS);
      if (r.valLoss !== undefined) lastVal = r.valLoss;
      const width = String(r.steps).length;
      const text = [
        `step ${String(r.step).padStart(width)}/${r.steps}`,
        `loss ${formatFixed(r.loss, 4)}`,
        ...(lastVal !== undefined ? [`val ${formatFixed(lastVal, 4)}`] : []),
        `lr ${r.lr.toExponential(2)}`,
        `${Math.round(tokensPerS)} tok/s`,
        `ETA ${formatDuration((r.steps - r.step) * msPerStep)}`,
      ].join(' | ');
      const last = r.step === r.steps;
      if (live) {
        const now = performance.now();
        if (now - lastDraw < 100 && !last) return; // redraw at most 10 times a second
        lastDraw = now;
        status = text;
        out.write('\r\x1b[K' + text);
      } else if (r.step % logEvery === 0 || last) {
        out.write(text + '\n');
      }
    },
    done() {
      if (live && status) out.write('\n');
      status = '';
    },
  };
}

/** Text gathered and written at most every `everyMs`: see batchedWriter. */
export interface BatchedWriter {
  write(text: string): void;
  /** Writes what is gathered; call it before anything else writes to the stream, and at the end. */
  flush(): void;
}

/**
 * Gathers what is written and passes it on at most every `everyMs`: a write costs a system
 * call and a trip through the stream (~20 ms for the main job's 1,000 step lines, written one
 * by one); joined, the bytes are the same and a terminal still sees the progress move.
 */
export function batchedWriter(out: NodeJS.WritableStream, everyMs = 50): BatchedWriter {
  let pending = '', last = performance.now();
  const flush = () => {
    if (pending) out.write(pending);
    pending = '';
    last = performance.now();
  };
  return {
    write(text) {
      pending += text;
      if (performance.now() - last >= everyMs) flush();
    },
    flush,
  };
}

/** With --metrics: how often the gradient flow is measured (it copies the weights twice and the gradients once). */
export const FLOW_EVERY_FLAG: FlagSpec = {
  name: 'flow-every', type: 'int', default: 1,
  help: 'with --metrics: gradient norms and update/weight ratios per tensor every this many steps, 0 = never',
};

/** The loop's flowEvery for these flags: only when there is a metrics file to write it to. */
export function flowEvery(v: FlagValues): number {
  const every = v['flow-every'] as number;
  if (!Number.isInteger(every) || every < 0) throw new UserError(`--flow-every must be an integer >= 0, got ${every}`);
  return v.metrics !== undefined ? every : 0;
}

export interface MetricsFile {
  write(r: StepReport): void;
  close(): void;
}

/**
 * `--metrics FILE`: one JSON object per step and line (step, loss, lr, tokens_per_s,
 * elapsed_ms, val_loss where measured, and on the steps that measure the gradient flow:
 * grad_norm and update_ratio per tensor, dead_units per layer for relu MLPs). `append` continues the file, as a resumed run
 * does; otherwise it starts afresh. Opened before training, so a bad path fails at once; `inputs`
 * are the files the run reads, by flag, which the metrics must not overwrite (a slip of the
 * shell's completion would otherwise truncate the dataset).
 */
export function openMetrics(path: string, append: boolean, inputs: Record<string, string | undefined> = {}): MetricsFile {
  for (const [flag, input] of Object.entries(inputs)) {
    if (input !== undefined && sameFile(path, input)) {
      throw new UserError(`--metrics ${path} is the file this run reads as --${flag}; writing to it would destroy it: choose another file`);
    }
  }
  let fd: number, probe: number | undefined;
  try {
    // opening a FIFO to write waits for a reader, without end if there is none: ask first,
    // and keep that descriptor open until the real one is, so the reader never sees an end
    if (statSync(path, { throwIfNoEntry: false })?.isFIFO()) probe = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    fd = openSync(path, append ? 'a' : 'w');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENXIO') throw new UserError(`--metrics ${path} is a FIFO (named pipe) that no process reads: start its reader first`);
    throw new UserError(`cannot open the --metrics file ${path} (${e.code ?? e.message})`);
  } finally {
    if (probe !== undefined) closeSync(probe);
  }
  const start = performance.now();
  return {
    write(r) {
      const record: Record<string, unknown> = {
        step: r.step, loss: r.loss, lr: r.lr, tokens_per_s: Math.round((r.tokens / Math.max(r.ms, 1e-3)) * 1000),
        elapsed_ms: Math.round(performance.now() - start),
      };
      if (r.valLoss !== undefined) record.val_loss = r.valLoss;
      if (r.flow) {
        record.grad_norm = Object.fromEntries(r.flow.tensors.map((t) => [t.name, t.grad]));
        record.update_ratio = Object.fromEntries(r.flow.tensors.map((t) => [t.name, t.update]));
        if (r.flow.deadUnits) record.dead_units = r.flow.deadUnits.map((d) => d.dead);
      }
      try {
        writeSync(fd, JSON.stringify(record) + '\n');
      } catch (err) { // a full disk, a file system gone read-only
        throw new UserError(`could not write the --metrics file ${path} (${fileErrorReason(err)})`);
      }
    },
    close: () => closeSync(fd),
  };
}
