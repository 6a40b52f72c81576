// The training worker: owns the run and pulls the library's training loop in slices of
// ~25 ms, posting progress after each and yielding to its message queue in between, so pause
// is never far away (a validation point is measured in chunks between slices too).

import { type BpeTokenizer, type FlowStats, type LoopEnd, type LoopEvent, type Run, PyRandom, UserError, createRun, documentsCut, encodeBpe, engineSpec, formatModelFile,
  parseDocuments, sampleText, trainBpe, trainingLoop } from '../../src/core/index.js';
import { WEB_ENGINES, WEB_MEMORY, webEngineOptions } from './engines.js';
import { type DataSource, readCheckpoint, restoreRun, saveRun } from './model-file.js';
import type { FromWorker, Progress, RunInfo, RunSettings, SampleRequest, ToWorker, TokenizerChoice } from './protocol.js';
import { type TokenView, bpeLabels } from './tokens.js';

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
const FLOW_POINTS = 200;  // gradient-flow measurements per run (each copies the weights twice)
const TOKEN_PREVIEW = 300; // tokens of the text shown coloured
const MERGES_SHOWN = 40;

let run: Run | null = null;
let seed = 0, valFraction = 0;
let source: DataSource = { path: '', text: '' };
let preview = new PyRandom(0); // previews draw here, so run.rng stays the CLI's for the final samples
let training = false;
let loop: Generator<LoopEvent, LoopEnd, void> | null = null; // made at the first start of a run
let losses: number[] = [];
let val: [number, number][] = [];
let flow: [number, FlowStats][] = [];
let meter: { time: number; steps: number; tokens: number }[] = [];
let tokensDone = 0, lastPreview = 0;

// Between slices the loop yields through a MessageChannel (setTimeout would clamp to 4 ms);
// each start gets a new loop id, so a stale wake-up from before a pause cannot fork a loop.
let loopId = 0;
const yieldChannel = new MessageChannel();
yieldChannel.port1.onmessage = (e: MessageEvent<number>) => { if (e.data === loopId) slice(); };
const later = () => yieldChannel.port2.postMessage(loopId);

/** The run's token labels and BPE model, made once per run (the page asks for them with every snapshot). */
let tokens: { chars: string[]; bpeModel?: string } = { chars: [] };
function describeTokens(r: Run): void {
  const bpe = r.tokenizer.bpe;
  tokens = bpe ? { chars: bpeLabels(bpe), bpeModel: formatModelFile(bpe) } : { chars: r.tokenizer.chars };
}

function info(loaded: boolean, note: string): RunInfo {
  const r = run!;
  return {
    engine: r.engine.name, threads: r.engine.threads, config: r.config, train: r.train, seed, ...tokens,
    memoryBytes: engineSpec(r.engine.name).memoryBytes(r.config, r.train),
    numDocs: r.docs.length, numValDocs: r.valDocs.length, cut: documentsCut(r), numParams: r.numParams, step: r.step, loaded, note,
    ...(r.text ? { textTokens: [r.text.train.length, r.text.val.length] as [number, number] } : {}),
  };
}

function resetProgress(): void {
  training = false;
  loop = null;
  losses = [];
  val = [];
  meter = [];
  tokensDone = 0;
  lastPreview = 0;
  preview = new PyRandom(seed); // a second stream: drawing from it leaves run.rng untouched
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
  const engine = engineSpec(settings.engine).name;
  const docs = parseDocuments(data.text);
  const bpe = learnTokens(docs, settings.tokenizer);
  replaceRun(createRun(docs, {
    seed, valFraction, model: settings.model, train: settings.train, engine, ...webEngineOptions(engine), bpe, memory: WEB_MEMORY,
  }));
  describeTokens(run!);
  post({ type: 'ready', info: info(false, '') });
}

/** A BPE tokenizer learned from the documents (one per line, as the CLI's tokenizer reads a file), shown on the page. */
function learnTokens(docs: string[], choice: TokenizerChoice): BpeTokenizer | undefined {
  if (choice.kind === 'char') {
    post({ type: 'tokens', view: null });
    return undefined;
  }
  const text = docs.join('\n'), started = performance.now();
  const { tokenizer, counts } = trainBpe(text, choice.vocabSize, 'gpt4');
  showTokens(tokenizer, text, performance.now() - started, counts);
  return tokenizer;
}

/** The Tokenizer panel's view of `tokenizer` on `text`; `counts` when it was just learned. */
function showTokens(tokenizer: BpeTokenizer, text: string, ms?: number, counts?: number[]): void {
  const labels = bpeLabels(tokenizer), show = (id: number) => labels[id];
  const preview = encodeBpe(tokenizer, text.slice(0, 4 * TOKEN_PREVIEW), 'none').slice(0, TOKEN_PREVIEW);
  const view: TokenView = {
    vocabSize: tokenizer.vocabSize, ms, charsPerToken: text.length / Math.max(1, encodeBpe(tokenizer, text, 'none').length),
    merges: tokenizer.merges.slice(0, MERGES_SHOWN).map((m, i) => ({ left: show(m.left), right: show(m.right), merged: show(m.id), count: counts?.[i] })),
    preview: preview.map(show),
  };
  post({ type: 'tokens', view });
}

function load(json: string, weights: Uint8Array, data: DataSource): void {
  const checkpoint = readCheckpoint(json, weights);
  const restored = restoreRun(checkpoint, data.text);
  replaceRun(restored.run);
  describeTokens(restored.run);
  const bpe = restored.run.tokenizer.bpe;
  if (bpe) showTokens(bpe, parseDocuments(data.text).join('\n'));
  else post({ type: 'tokens', view: null });
  seed = checkpoint.seed;
  valFraction = checkpoint.data.valFraction;
  source = data;
  resetProgress();
  post({ type: 'ready', info: info(true, restored.note) });
}

function valEvery(r: Run): number {
  return Math.max(1, Math.round(r.train.steps / VAL_POINTS));
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
  if (!training || !run || !loop) return;
  const r = run, start = performance.now();
  if (meter.length === 0) meter.push({ time: start, steps: r.step, tokens: tokensDone });
  let end: LoopEnd | undefined;
  try {
    while (performance.now() - start < SLICE_MS) {
      const next = loop.next();
      if (next.done) { end = next.value; break; }
      const e = next.value;
      if (e.type === 'step') {
        losses.push(e.loss);
        tokensDone += e.tokens;
        if (e.flow) flow.push([e.step, e.flow]);
      }
      else if (e.type === 'eval') val.push([e.step, e.loss]);
    }
    const now = performance.now();
    const progress: Progress = { step: r.step, steps: r.train.steps, losses, val, flow, ...rates(now, r) };
    if (now - lastPreview > PREVIEW_MS || end) {
      progress.preview = previewSamples(r);
      lastPreview = performance.now();
    }
    post({ type: 'progress', progress });
    losses = [];
    val = [];
    flow = [];
  } catch (e) {
    training = false;
    loop = null;
    post({ type: 'error', context: 'train', message: message(e), diverged: r.diverged !== undefined });
    return;
  }
  if (end) {
    training = false;
    loop = null;
    post({ type: 'status', status: 'done' });
    return;
  }
  later();
}

function start(): void {
  if (!run) throw new UserError('no run yet: choose a dataset and settings first');
  if (run.docs.length === 0 && !run.text) throw new UserError('this model has no dataset to train on (see the note above)');
  if (training) return;
  if (run.step >= run.train.steps) { post({ type: 'status', status: 'done' }); return; }
  // the library's loop, with a validation point at the start, VAL_POINTS over the run and at
  // its end, each over VAL_DOCS documents measured a few at a time
  loop ??= trainingLoop(run, { evalEvery: valEvery(run), evalSize: VAL_DOCS, evalChunk: 4, evalAtStart: true,
    flowEvery: Math.max(1, Math.round(run.train.steps / FLOW_POINTS)) });
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
          const at = m.moments.filter((i) => Number.isInteger(i) && i >= 0 && i < weights.length);
          const { m: m1, v } = at.length > 0 ? run.engine.optimizerState() : { m: [], v: [] };
          const moments = { at, m: at.map((i) => m1[i]), v: at.map((i) => v[i]) };
          post({ type: 'snapshot', snapshot: { step: run.step, config: run.config, ...tokens, weights, moments } }, [weights.buffer]);
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

post({ type: 'engines', names: [...WEB_ENGINES] });
