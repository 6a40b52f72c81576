// The training worker: owns the run and trains it in slices of ~25 ms, posting progress
// after each and yielding to its message queue in between, so pause is never far away.

import { type Run, PyRandom, UserError, createRun, encode, parseDocuments, sampleText, trainStep } from '../../src/core/index.js';
import { WEB_ENGINES, webEngineName } from './engines.js';
import { type DataSource, readCheckpoint, restoreRun, saveRun } from './model-file.js';
import type { FromWorker, Progress, RunInfo, RunSettings, SampleRequest, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, options?: { transfer?: Transferable[] }): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, { transfer });

const SLICE_MS = 25;
const PREVIEW_MS = 700;   // fresh preview samples at most this often
const PREVIEW_COUNT = 8;
const VAL_DOCS = 32;      // held-out documents per validation point
const VAL_POINTS = 25;    // validation points per run

let run: Run | null = null;
let seed = 0, valFraction = 0;
let source: DataSource = { path: '', text: '' };
let preview = new PyRandom(0); // previews draw here, so run.rng stays the CLI's for the final samples
let training = false;
let losses: number[] = [];
let val: [number, number][] = [];
let valJob: { step: number; next: number; total: number; tokens: number } | null = null;
let meter: { time: number; steps: number; tokens: number }[] = [];
let tokensDone = 0, lastPreview = 0;

// Between slices the loop yields through a MessageChannel (setTimeout would clamp to 4 ms);
// each start gets a new loop id, so a stale wake-up from before a pause cannot fork a loop.
let loopId = 0;
const yieldChannel = new MessageChannel();
yieldChannel.port1.onmessage = (e: MessageEvent<number>) => { if (e.data === loopId) slice(); };
const later = () => yieldChannel.port2.postMessage(loopId);

function info(loaded: boolean, note: string): RunInfo {
  const r = run!;
  return {
    engine: webEngineName(r.engine.name) ?? r.engine.name, threads: r.engine.threads ?? 1, config: r.config, train: r.train, seed, chars: r.tokenizer.chars,
    numDocs: r.docs.length, numValDocs: r.valDocs.length, numParams: r.numParams, step: r.step, loaded, note,
  };
}

function resetProgress(): void {
  training = false;
  losses = [];
  val = [];
  valJob = null;
  meter = [];
  tokensDone = 0;
  lastPreview = 0;
  preview = new PyRandom(seed); // a second stream: drawing from it leaves run.rng untouched
}

function engineFactory(name: string) {
  const factory = WEB_ENGINES[name];
  if (!factory) throw new UserError(`unknown engine ${JSON.stringify(name)}; choose one of ${Object.keys(WEB_ENGINES).join(', ')}`);
  return factory;
}

/** Replaces the run, stopping the kernel threads of the one before, if any. */
function replaceRun(next: Run | null): void {
  run?.engine.close?.();
  run = next;
}

function init(settings: RunSettings, data: DataSource): void {
  replaceRun(null);
  seed = settings.seed;
  valFraction = settings.validation ? 0.1 : 0;
  source = data;
  resetProgress();
  replaceRun(createRun(parseDocuments(data.text), {
    seed, valFraction, model: settings.model, train: settings.train, engine: engineFactory(settings.engine),
  }));
  post({ type: 'ready', info: info(false, '') });
}

function load(json: string, weights: Uint8Array, data: DataSource): void {
  const checkpoint = readCheckpoint(json, weights);
  const name = webEngineName(checkpoint.engine) ?? Object.keys(WEB_ENGINES)[0];
  const restored = restoreRun(checkpoint, data.text, engineFactory(name));
  replaceRun(restored.run);
  seed = checkpoint.seed;
  valFraction = checkpoint.data.valFraction;
  source = data;
  resetProgress();
  post({ type: 'ready', info: info(true, restored.note) });
}

/** Tokens the model predicts in a step: each document's characters and its closing BOS, cut to the context. */
function stepTokens(r: Run, step: number): number {
  let n = 0;
  for (let i = 0; i < r.train.batchSize; i++) {
    const doc = r.docs[(step * r.train.batchSize + i) % r.docs.length];
    n += Math.min(r.config.blockSize, [...doc].length + 1);
  }
  return n;
}

function valEvery(r: Run): number {
  return Math.max(1, Math.round(r.train.steps / VAL_POINTS));
}

// Validation runs a few documents at a time inside the slices; training waits for it so
// the point belongs to exactly one step's weights.
function valWork(r: Run): void {
  const job = valJob!;
  const docs = r.valDocs.slice(job.next, Math.min(job.next + 4, VAL_DOCS, r.valDocs.length));
  const batch = docs.map((d) => [r.tokenizer.bos, ...encode(r.tokenizer, d), r.tokenizer.bos]);
  const n = batch.reduce((acc, t) => acc + Math.min(r.config.blockSize, t.length - 1), 0);
  job.total += r.engine.loss(batch) * n;
  job.tokens += n;
  job.next += docs.length;
  if (job.next >= Math.min(VAL_DOCS, r.valDocs.length)) {
    val.push([job.step, job.total / job.tokens]);
    valJob = null;
  }
}

function rates(now: number, r: Run): { stepsPerSec: number; tokensPerSec: number } {
  meter.push({ time: now, steps: r.step, tokens: tokensDone });
  while (meter.length > 2 && now - meter[1].time > 1500) meter.shift(); // about the last second and a half
  const first = meter[0], dt = (now - first.time) / 1000;
  if (dt <= 0) return { stepsPerSec: 0, tokensPerSec: 0 };
  return { stepsPerSec: (r.step - first.steps) / dt, tokensPerSec: (tokensDone - first.tokens) / dt };
}

function previewSamples(r: Run): string[] {
  const withPreviewStream: Run = { ...r, rng: preview };
  return Array.from({ length: PREVIEW_COUNT }, () => sampleText(withPreviewStream, { temperature: 0.5 }));
}

function slice(): void {
  if (!training || !run) return;
  const r = run, start = performance.now();
  if (meter.length === 0) meter.push({ time: start, steps: r.step, tokens: tokensDone });
  try {
    while (performance.now() - start < SLICE_MS && (r.step < r.train.steps || valJob)) {
      if (valJob) { valWork(r); continue; }
      tokensDone += stepTokens(r, r.step);
      losses.push(trainStep(r).loss);
      if (r.valDocs.length > 0 && (r.step % valEvery(r) === 0 || r.step === r.train.steps)) {
        valJob = { step: r.step, next: 0, total: 0, tokens: 0 };
      }
    }
    const now = performance.now();
    const progress: Progress = { step: r.step, steps: r.train.steps, losses, val, ...rates(now, r) };
    if (now - lastPreview > PREVIEW_MS || (r.step >= r.train.steps && !valJob)) {
      progress.preview = previewSamples(r);
      lastPreview = performance.now();
    }
    post({ type: 'progress', progress });
    losses = [];
    val = [];
  } catch (e) {
    training = false;
    post({ type: 'error', context: 'train', message: message(e) });
    return;
  }
  if (r.step >= r.train.steps && !valJob) {
    training = false;
    post({ type: 'status', status: 'done' });
    return;
  }
  later();
}

function start(): void {
  if (!run) throw new UserError('no run yet: choose a dataset and settings first');
  if (run.docs.length === 0) throw new UserError('this model has no dataset to train on (see the note above)');
  if (training) return;
  if (run.step >= run.train.steps) { post({ type: 'status', status: 'done' }); return; }
  if (run.step === 0 && run.valDocs.length > 0 && val.length === 0) valJob = { step: 0, next: 0, total: 0, tokens: 0 };
  training = true;
  loopId++;
  meter = [];
  post({ type: 'status', status: 'training' });
  later();
}

// Drawn from the run's own stream, exactly as `microgpt sample` draws from a checkpoint.
function sample(req: SampleRequest): void {
  const r = run;
  if (!r) throw new UserError('no model yet');
  const options = { temperature: req.temperature, topK: req.topK, prompt: req.prompt, maxTokens: req.maxTokens };
  for (let i = 0; i < req.count; i++) post({ type: 'sample', id: req.id, text: sampleText(r, options) });
  post({ type: 'sampleEnd', id: req.id });
}

function message(e: unknown): string {
  if (e instanceof UserError) return e.message;
  console.error(e); // a bug, not the visitor's input: keep the stack for whoever debugs it
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

scope.onmessage = ({ data: m }) => {
  const context = m.type === 'init' || m.type === 'load' || m.type === 'sample' || m.type === 'save' ? m.type : 'train';
  try {
    switch (m.type) {
      case 'init': init(m.settings, m.data); break;
      case 'load': load(m.json, m.weights, m.data); break;
      case 'start': start(); break;
      case 'pause':
        if (training) { training = false; post({ type: 'status', status: 'paused' }); }
        break;
      case 'sample': sample(m.request); break;
      case 'snapshot':
        if (run) {
          const weights = run.engine.weights();
          post({ type: 'snapshot', snapshot: { step: run.step, config: run.config, chars: run.tokenizer.chars, weights } }, [weights.buffer]);
        }
        break;
      case 'save': {
        if (!run) throw new UserError('no model to save yet');
        const files = saveRun(run, valFraction, source, m.base);
        post({ type: 'saved', base: m.base, json: files.json, weights: files.weights }, [files.weights.buffer]);
        break;
      }
    }
  } catch (e) {
    post({ type: 'error', context, message: message(e) });
  }
};
