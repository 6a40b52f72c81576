// The playground page: reads the form, talks to the training worker, and keeps the
// panels in step with the run. The worker does all the training and sampling; this
// thread only draws, so the page stays responsive at any model size.

import type { EngineName } from '../../src/core/contract/engine.js';
import { paramLayout } from '../../src/core/contract/params.js';
import { BUNDLED } from './datasets.js';
import { byId, fmt, h } from './dom.js';
import { InspectPanel } from './inspect-panel.js';
import { FlowChart, type FlowMeasure } from './flow-chart.js';
import { LossChart } from './loss-chart.js';
import type { DataSource } from './model-file.js';
import type { FromWorker, Progress, RunInfo, RunSettings, ToWorker } from './protocol.js';
import { FieldError, fieldLabel, inFormWords, numberField, showFieldError } from './form-check.js';
import { readArchitecture, writeArchitecture } from './arch-fields.js';
import { SamplePanel } from './sample-panel.js';
import { linkModelPicture, renderModelPicture } from './model-picture.js';
import { Tour } from './tour.js';
import { type TourContext, adamShown } from './tour-chapters.js';
import { renderTokenView } from './tokens.js';
import { CustomText } from './custom-text.js';
import { cutNote } from './cut-note.js';

type Status = 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'error';

const SNAPSHOT_MS = 1000; // refresh the inspection views this often while training

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

const form = byId<HTMLFormElement>('settings');
const trainButton = byId<HTMLButtonElement>('train-button');
const resetButton = byId<HTMLButtonElement>('reset-button');
const saveButton = byId<HTMLButtonElement>('save-button');
const custom = new CustomText(byId('custom-text'), byId('custom-held'), byId('custom-clear'), () => settingsChanged(),
  (message) => { byId('settings-error').textContent = message; }); // the current run stays as it is
const chart = new LossChart(byId('chart'));
const flowChart = new FlowChart(byId('flow-chart'), byId('flow-dead'));
const samples = new SamplePanel(send);
const inspect = new InspectPanel();
const tour = new Tour(tourContext, showOnPage);
linkModelPicture(byId('model-picture'), showOnPage);

let status: Status = 'loading';
let info: RunInfo | null = null;
let lastSnapshot = 0;
let inspectVisible = false;
let pendingProgress: Progress[] = [];
let initTimer = 0;
let saveUrls: string[] = [];
let runDataset = '', askedDataset = ''; // the dataset choice of the current run (the form may have moved on), and of the run asked for
let keptStep = 0; // the step of the model in the visitor's files: a loaded one, or both files downloaded

// The form

function readSettings(): RunSettings {
  const seed = numberField('seed');
  if (!Number.isSafeInteger(seed)) throw new FieldError(['seed'], 'Seed must be a whole number.');
  const shape = { nLayer: numberField('n-layer'), nEmbd: numberField('n-embd'), nHead: numberField('n-head'), blockSize: numberField('block-size') };
  if (shape.nEmbd % shape.nHead !== 0) {
    throw new FieldError(['n-head', 'n-embd'], `${fieldLabel('n-embd')} (${shape.nEmbd}) must be divisible by ${fieldLabel('n-head')} (${shape.nHead}).`);
  }
  const model = { ...shape, ...readArchitecture(shape) };
  return {
    seed,
    engine: byId<HTMLSelectElement>('engine').value as EngineName,
    validation: byId<HTMLInputElement>('validation').checked,
    tokenizer: tokenizerChoice() === 'bpe' ? { kind: 'bpe', vocabSize: Number(byId<HTMLInputElement>('vocab-size').value) } : { kind: 'char' },
    model,
    train: { steps: numberField('steps'), batchSize: numberField('batch-size'), learningRate: numberField('lr'), beta1: numberField('beta1'), beta2: numberField('beta2') },
  };
}

function writeSettings(i: RunInfo): void {
  const set = (id: string, v: number) => { byId<HTMLInputElement>(id).value = String(v); };
  set('n-layer', i.config.nLayer); set('n-embd', i.config.nEmbd); set('n-head', i.config.nHead); set('block-size', i.config.blockSize);
  writeArchitecture(i.config);
  set('steps', i.train.steps); set('batch-size', i.train.batchSize); set('lr', i.train.learningRate);
  set('beta1', i.train.beta1); set('beta2', i.train.beta2); set('seed', i.seed);
  byId<HTMLInputElement>('validation').checked = i.numValDocs > 0;
  form.querySelector<HTMLInputElement>(`input[name="tokenizer"][value="${i.bpeModel !== undefined ? 'bpe' : 'char'}"]`)!.checked = true;
  byId('bpe-settings').hidden = i.bpeModel === undefined;
  if (i.bpeModel !== undefined) byId<HTMLInputElement>('vocab-size').value = String(i.chars.length);
  byId('vocab-size-value').textContent = byId<HTMLInputElement>('vocab-size').value;
  if (engines.includes(i.engine)) byId<HTMLSelectElement>('engine').value = i.engine;
}

function tokenizerChoice(): string {
  return form.querySelector<HTMLInputElement>('input[name="tokenizer"]:checked')!.value;
}

function datasetChoice(): string {
  return form.querySelector<HTMLInputElement>('input[name="dataset"]:checked')!.value;
}

async function readData(): Promise<DataSource> {
  const choice = datasetChoice();
  if (choice === 'custom') {
    const text = custom.text();
    if (!/\S/.test(text)) throw new Error('Paste or upload some text first: one document (a name, a line) per line.');
    return { path: custom.path, text };
  }
  return { path: BUNDLED[choice].path, text: await BUNDLED[choice].load() };
}

/** Starts a fresh run from the form (step 0, not training). */
async function newRun(): Promise<void> {
  clearTimeout(initTimer);
  byId('settings-error').textContent = '';
  showFieldError(null);
  byId('settings-note').textContent = '';
  setStatus('loading', 'Preparing the run…');
  try {
    const settings = readSettings();
    const data = await readData();
    askedDataset = datasetChoice();
    send({ type: 'init', settings, data });
  } catch (e) {
    showInitError(e instanceof Error ? e.message : String(e), e instanceof FieldError ? e : undefined);
  }
}

/** No run: the message under the form, and beside the field it is about (when it names one). */
function showInitError(message: string, field?: FieldError): void {
  info = null;
  samples.setModel(null);
  byId('data-summary').textContent = ''; // it described the run that is gone
  byId('settings-error').textContent = message;
  showFieldError(field ?? null);
  setStatus('error', 'Fix the settings above to start.');
}

/** A settings change takes effect at once before training, and at the next Reset after. */
function settingsChanged(): void {
  if (status === 'ready' || status === 'error' || status === 'loading') {
    clearTimeout(initTimer);
    initTimer = window.setTimeout(() => void newRun(), 250);
  } else {
    byId('settings-note').textContent = 'The new settings apply when you press Reset (which starts a new run).';
  }
}

form.addEventListener('input', (e) => {
  const target = e.target as HTMLElement;
  if (target.id === 'custom-file') return;
  if (target instanceof HTMLInputElement && target.name === 'dataset') {
    byId('custom-data').hidden = datasetChoice() !== 'custom';
  }
  if (target instanceof HTMLInputElement && target.name === 'tokenizer') byId('bpe-settings').hidden = tokenizerChoice() !== 'bpe';
  byId('vocab-size-value').textContent = byId<HTMLInputElement>('vocab-size').value;
  settingsChanged();
});
form.addEventListener('submit', (e) => e.preventDefault());

byId<HTMLInputElement>('custom-file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void custom.readFile(file);
});

// Status and progress

function setStatus(next: Status, text?: string): void {
  status = next;
  const labels: Record<Status, string> = {
    loading: 'Start training', ready: 'Start training', training: 'Pause', paused: 'Resume', done: 'Finished', error: 'Start training',
  };
  trainButton.textContent = labels[next];
  trainButton.disabled = next === 'loading' || next === 'error' || next === 'done' || (info !== null && info.numDocs === 0 && !info.textTokens);
  trainButton.setAttribute('aria-pressed', String(next === 'training'));
  resetButton.disabled = next === 'loading';
  saveButton.disabled = info === null || next === 'loading' || next === 'error';
  samples.setReady(info !== null && next !== 'loading' && next !== 'error');
  if (text !== undefined) byId('status').textContent = text;
}

/** The status of the current run when nothing is happening to it. */
function idleStatus(): Status {
  if (!info) return 'error';
  return info.step >= info.train.steps ? 'done' : info.step > 0 ? 'paused' : 'ready';
}

function describeRun(i: RunInfo): string {
  if (i.textTokens) {
    const [train, held] = i.textTokens.map((n) => n.toLocaleString('en'));
    return `one continuous text: ${train} tokens to train on in windows of ${i.config.blockSize}, ${held} held out`;
  }
  const all = counted(i.numDocs + i.numValDocs, 'document');
  const docs = i.numValDocs > 0 ? `${all} (${i.numValDocs.toLocaleString('en')} held out)` : all;
  if (i.bpeModel !== undefined) return `${docs}, ${i.chars.length.toLocaleString('en')} BPE tokens (and BOS)`;
  const alphabet = i.chars.map((c) => (c === ' ' ? '␣' : c)).join('');
  return `${docs}, ${counted(i.chars.length, 'character')}: ${alphabet.length > 80 ? alphabet.slice(0, 80) + '…' : alphabet}`;
}

/** "1 document", "2,000 documents". */
function counted(n: number, noun: string): string {
  return `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
}

function onReady(i: RunInfo): void {
  info = i;
  chart.clear();
  chart.setBaseline(i.config.vocabSize);
  flowChart.reset(paramLayout(i.config).map((p) => p.name), i.config.nLayer);
  clearDownloads(); // they were another model's
  scheduleDraw();
  byId('preview').replaceChildren();
  byId('preview').classList.toggle('long', i.config.blockSize > 24);
  byId('data-summary').textContent = i.numDocs > 0 || i.numValDocs > 0 || i.textTokens ? describeRun(i) : '';
  byId('settings-note').textContent = [i.note, cutNote(i)].filter((n) => n !== '').join(' ');
  byId('stat-params').textContent = i.numParams.toLocaleString('en');
  byId('stat-step').textContent = `${i.step} / ${i.train.steps}`;
  byId('stat-loss').textContent = byId('stat-val').textContent = byId('stat-steps').textContent = byId('stat-tokens').textContent = '–';
  byId<HTMLProgressElement>('progress-bar').max = i.train.steps;
  byId<HTMLProgressElement>('progress-bar').value = i.step;
  samples.setModel(i);
  renderModelPicture(byId('model-picture'), i.config);
  if (i.loaded) writeSettings(i);
  runDataset = askedDataset;
  keptStep = i.step; // a loaded model is in its files already; a fresh one has nothing to lose
  const size = `${i.numParams.toLocaleString('en')} parameters, about ${Math.max(1, Math.round(i.memoryBytes / 2 ** 20)).toLocaleString('en')} MB`;
  const where = i.loaded ? `Loaded a ${i.engine} model at step ${i.step}.` : `Ready: ${size} on the ${i.engine} engine${i.threads > 1 ? ` (${i.threads} threads)` : ''}.`;
  const next = idleStatus();
  const what = { done: 'Its training is finished; press Reset to train a new one.', paused: 'Press Resume to continue training.' } as Record<Status, string>;
  setStatus(next, `${where} ${what[next] ?? 'Press Start training.'}`);
  askSnapshot();
}

/** Fresh weights from the worker, with Adam's moments of the weights the tour shows. */
function askSnapshot(): void {
  send({ type: 'snapshot', moments: info ? adamShown(info.config) : [] });
}

let drawScheduled = false;
function scheduleDraw(): void {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    draw();
  });
}

// Progress messages arrive every ~25 ms; the DOM and the chart change once per frame.
function draw(): void {
  const batch = pendingProgress;
  pendingProgress = [];
  for (const p of batch) {
    chart.add(p.losses, p.val);
    flowChart.add(p.flow);
  }
  chart.draw();
  flowChart.draw();
  const last = batch[batch.length - 1];
  if (!last || !info) return;
  const vals = batch.flatMap((p) => p.val);
  byId('stat-step').textContent = `${last.step} / ${last.steps}`;
  if (last.step > 0) byId('stat-loss').textContent = fmt(chart.latest(), 4);
  if (vals.length > 0) byId('stat-val').textContent = fmt(vals[vals.length - 1][1], 4);
  byId('stat-steps').textContent = fmt(last.stepsPerSec, 0);
  byId('stat-tokens').textContent = Math.round(last.tokensPerSec).toLocaleString('en');
  byId<HTMLProgressElement>('progress-bar').value = last.step;
  const preview = [...batch].reverse().find((p) => p.preview)?.preview;
  if (preview) byId('preview').replaceChildren(...preview.map((t) => h('li', {}, t === '' ? h('em', {}, '(empty)') : t)));
  samples.setStep(last.step);
  info = { ...info, step: last.step };
  if (status === 'training') byId('status').textContent = `Training… step ${last.step} of ${last.steps}.`;
  if ((inspectVisible || tour.isOpen()) && performance.now() - lastSnapshot > SNAPSHOT_MS) { // the tour's numbers follow training too
    lastSnapshot = performance.now();
    askSnapshot();
  }
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'engines': onEngines(m.names); break;
    case 'ready': onReady(m.info); break;
    case 'tokens':
      byId('token-view').hidden = m.view === null;
      if (m.view) renderTokenView(m.view, byId('token-summary'), byId('token-text'), byId('merge-list'));
      break;
    case 'progress': pendingProgress.push(m.progress); scheduleDraw(); break;
    case 'status':
      if (m.status === 'training') setStatus('training', 'Training…');
      if (m.status === 'paused') {
        draw(); // the progress of the last slice, so the step shown is where it stopped
        setStatus('paused', `Paused at step ${info?.step ?? 0}. Press Resume to continue.`);
        askSnapshot();
      }
      if (m.status === 'done') {
        draw();
        setStatus('done', `Finished ${info?.train.steps ?? ''} steps. The samples below come from the trained model; press Reset to train a new one.`);
        samples.generate(20, 'after training');
        askSnapshot();
      }
      break;
    case 'sample': samples.onSample(m.id, m.text); break;
    case 'sampleEnd': samples.onEnd(m.id); break;
    case 'snapshot': inspect.setSnapshot(m.snapshot); samples.setSnapshot(m.snapshot); tour.refresh(); break;
    case 'saved': showDownloads(m.base, m.json, m.weights); break;
    case 'error':
      if (m.context === 'init') { const words = inFormWords(m.message); showInitError(words.message, words); }
      else if (m.context === 'sample') samples.onError(m.message);
      else if (m.context === 'load' || m.context === 'save') {
        byId('keep-error').textContent = m.message;
        // the run from before is untouched: say so, rather than leave "Loading the checkpoint…"
        const kept = info ? ' The model you had is unchanged.' : '';
        setStatus(idleStatus(), m.context === 'load' ? `Could not load the checkpoint (see Keep).${kept}` : `Could not save the checkpoint (see Keep).${kept}`);
      }
      else if (m.diverged) {
        draw(); // the steps it made, so the step shown is where it stopped
        // its weights are no longer numbers: Start stays off, and any setting changed starts afresh
        setStatus('error', `Training stopped: ${m.message}. Lower “${fieldLabel('lr')}” or press Reset to start a new run.`);
      }
      else setStatus(idleStatus(), `Training stopped: ${m.message}`);
      break;
  }
};
worker.onerror = (e) => setStatus('error', `The training worker failed: ${e.message}`);

trainButton.addEventListener('click', () => {
  if (status === 'training') send({ type: 'pause' });
  else if (status === 'ready' || status === 'paused') send({ type: 'start' });
});
resetButton.addEventListener('click', () => void newRun());

new IntersectionObserver((entries) => {
  inspectVisible = entries.some((e) => e.isIntersecting);
  if (inspectVisible && status === 'training') askSnapshot();
}).observe(byId('inspect'));

// The tour and the model picture

/** The model and word the tour's numbers are about, or why there are none yet. */
function tourContext(): TourContext | string {
  const current = inspect.current();
  if (!current || !info) return 'Train or load a model first: the numbers here are the current model\'s.';
  if (!current.tokens) return 'Type a word the model can read under Look inside (see the message there) to see its numbers.';
  const { snapshot } = current, k = Number(byId<HTMLInputElement>('top-k').value);
  return {
    config: snapshot.config, train: info.train, weights: snapshot.weights, chars: snapshot.chars, bpe: snapshot.bpeModel !== undefined,
    step: snapshot.step, tokens: current.tokens, insp: current.inspection, moments: snapshot.moments,
    temperature: Number(byId<HTMLInputElement>('temperature').value), topK: k > 0 ? k : undefined,
  };
}

/** Brings a part of the page into sight (opening it if it is a closed <details>) and marks it for a moment. */
function showOnPage(id: string): void {
  const el = byId(id);
  if (el instanceof HTMLDetailsElement) el.open = true;
  el.scrollIntoView({ block: 'start' });
  el.classList.add('shown');
  setTimeout(() => el.classList.remove('shown'), 1500);
}

// Keep: save and load checkpoints

function clearDownloads(): void {
  for (const url of saveUrls) URL.revokeObjectURL(url);
  saveUrls = [];
  byId('save-links').replaceChildren();
}

function showDownloads(base: string, json: string, weights: Uint8Array): void {
  clearDownloads();
  const files: [string, Blob][] = [
    [`${base}.json`, new Blob([json], { type: 'application/json' })],
    [`${base}.safetensors`, new Blob([weights as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })],
  ];
  saveUrls = files.map(([, blob]) => URL.createObjectURL(blob));
  const step = info?.step ?? 0, downloaded = new Set<string>();
  const links = files.map(([name, blob], i) => {
    const link = h('a', { href: saveUrls[i], download: name, class: 'download' }, `${name} (${Math.ceil(blob.size / 1024)} KB)`);
    link.addEventListener('click', () => { downloaded.add(name); if (downloaded.size === files.length) keptStep = step; });
    return link;
  });
  byId('save-links').replaceChildren(`Checkpoint at step ${step}: `, links[0], ' and ', links[1]);
}

// A reload or a closed tab would lose a trained model that is only in this tab: the browser asks first.
window.addEventListener('beforeunload', (e) => {
  if (info !== null && (status === 'training' || info.step !== keptStep)) e.preventDefault();
});

saveButton.addEventListener('click', () => {
  byId('keep-error').textContent = '';
  if (status === 'training') send({ type: 'pause' });
  send({ type: 'save', base: `microgpt-${runDataset}-step${info?.step ?? 0}` });
});

byId<HTMLInputElement>('load-files').addEventListener('change', async (e) => {
  const input = e.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  const error = byId('keep-error');
  error.textContent = '';
  const json = files.find((f) => f.name.endsWith('.json')), weights = files.find((f) => f.name.endsWith('.safetensors'));
  if (!json || !weights) {
    const missing = [json ? '' : 'the .json file', weights ? '' : 'the .safetensors file'].filter(Boolean).join(' and ');
    error.textContent = `Choose both files of the checkpoint together: ${missing} ${json || weights ? 'is' : 'are'} missing.`;
    return;
  }
  try {
    const text = await json.text();
    let path = '';
    try { path = String(JSON.parse(text)?.data?.path ?? ''); } catch { /* the worker reports a broken file */ }
    // the dataset the model was trained on, if it is one of ours; else whatever text is chosen now
    const bundled = Object.entries(BUNDLED).find(([, b]) => path.split(/[\\/]/).pop() === b.path);
    if (bundled) form.querySelector<HTMLInputElement>(`input[name="dataset"][value="${bundled[0]}"]`)!.checked = true;
    byId('custom-data').hidden = datasetChoice() !== 'custom';
    if (status === 'training') send({ type: 'pause' });
    const data: DataSource = bundled ? { path: bundled[1].path, text: await bundled[1].load() } : { path: custom.path, text: custom.text() };
    const bytes = new Uint8Array(await weights.arrayBuffer());
    setStatus('loading', 'Loading the checkpoint…');
    askedDataset = datasetChoice();
    send({ type: 'load', json: text, weights: bytes, data }, [bytes.buffer]);
  } catch (err) {
    error.textContent = `Could not read the files: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    input.value = '';
  }
});

byId<HTMLSelectElement>('flow-measure').addEventListener('change', (e) => flowChart.show((e.target as HTMLSelectElement).value as FlowMeasure));

// The engines this browser runs, as the worker finds them (so the page itself never loads the
// WebAssembly), the tensor engine the first choice when it is there; then the first run.

let engines: EngineName[] = [];
function onEngines(names: EngineName[]): void {
  engines = names;
  const engineSelect = byId<HTMLSelectElement>('engine');
  engineSelect.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
  engineSelect.value = names.includes('tensor') ? 'tensor' : names[0];
  void newRun();
}
setStatus('loading');
