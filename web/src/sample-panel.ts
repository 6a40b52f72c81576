// The Sample panel: temperature, top-k, a prompt and a stream of generated documents, drawn
// by the worker from the run's own random stream. A prompt character outside the
// vocabulary is reported inline and blocks generating until it is fixed.

import { byId, fmt, h } from './dom.js';
import type { RunInfo, SampleRequest, Snapshot, ToWorker } from './protocol.js';
import { pageTokenizer, vocabularyError } from './tokens.js';
import { renderNextToken } from './views/next-token.js';
import { encode } from '../../src/core/contract/tokenizer.js';

export class SamplePanel {
  private temperature = byId<HTMLInputElement>('temperature');
  private topK = byId<HTMLInputElement>('top-k');
  private prompt = byId<HTMLInputElement>('prompt');
  private count = byId<HTMLInputElement>('sample-count');
  private maxTokens = byId<HTMLInputElement>('max-tokens');
  private button = byId<HTMLButtonElement>('generate-button');
  private error = byId('prompt-error');
  private stream = byId('samples');
  private info: RunInfo | null = null;
  private nextId = 1;
  private lists = new Map<number, HTMLOListElement>();
  private ready = false;
  private snapshot: Snapshot | null = null;
  private drawPending = false;

  private send: (m: ToWorker) => void;

  constructor(send: (m: ToWorker) => void) {
    this.send = send;
    this.temperature.addEventListener('input', () => { this.showSliders(); this.drawNext(); });
    this.topK.addEventListener('input', () => { this.showSliders(); this.drawNext(); });
    this.prompt.addEventListener('input', () => { this.validate(); this.drawNext(); });
    this.maxTokens.addEventListener('input', () => this.validate());
    this.count.addEventListener('input', () => this.validate());
    this.button.addEventListener('click', () => this.generate());
    byId('clear-samples').addEventListener('click', () => { this.stream.replaceChildren(); this.lists.clear(); });
    this.prompt.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !this.button.disabled) this.generate(); });
    this.showSliders();
  }

  setModel(info: RunInfo | null): void {
    this.info = info;
    if (info) this.topK.max = String(info.config.vocabSize);
    this.showSliders();
    this.validate();
  }

  /** The weights the next-token view computes with (the worker sends them after each change). */
  setSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.drawNext();
  }

  /** Redraws the next-token distribution once per frame, for the prompt and sliders as they are. */
  private drawNext(): void {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      const snap = this.snapshot, el = byId('next-token');
      if (!snap) return;
      const prompt = this.prompt.value;
      if (vocabularyError(snap.chars, prompt, snap.bpeModel) !== '') return; // the prompt's error is shown above
      const ids = [snap.chars.length, ...encode(pageTokenizer(snap.chars, snap.bpeModel), prompt)];
      if (ids.length > snap.config.blockSize) {
        el.replaceChildren(h('p', { class: 'hint' }, `The prompt fills the context (${snap.config.blockSize} tokens).`));
        return;
      }
      const k = Number(this.topK.value);
      try {
        renderNextToken(el, snap, ids, Number(this.temperature.value), k > 0 ? k : undefined);
      } catch (e) { // e.g. a loaded model beyond the reference architecture
        el.replaceChildren(h('p', { class: 'hint' }, `Cannot compute it for this model: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  /** Sampling is possible (a run exists and no request is waiting). */
  setReady(ready: boolean): void {
    this.ready = ready;
    this.validate();
  }

  /** The Longest box: undefined when empty (to the end of the context, as the CLI); NaN when not a number ("1e400" reads as ""). */
  private longest(): number | undefined {
    if (this.maxTokens.validity.badInput) return NaN;
    return this.maxTokens.value.trim() === '' ? undefined : Number(this.maxTokens.value);
  }

  private showSliders(): void {
    byId('temperature-value').textContent = fmt(Number(this.temperature.value), 2);
    const k = Number(this.topK.value);
    byId('top-k-value').textContent = k === 0 ? 'off' : String(k);
  }

  private validate(): boolean {
    const count = Number(this.count.value), max = this.longest();
    const vocab = this.info ? vocabularyError(this.info.chars, this.prompt.value, this.info.bpeModel) : '';
    this.prompt.setAttribute('aria-invalid', String(vocab !== ''));
    let message = vocab;
    if (!message && !(Number.isInteger(count) && count >= 1 && count <= 200)) message = 'How many must be a whole number from 1 to 200.';
    if (!message && max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 2000)) message = 'Longest must be empty or a whole number from 1 to 2000.';
    this.error.textContent = message;
    this.button.disabled = !this.ready || !this.info || message !== '';
    return message === '';
  }

  /** Asks the worker for samples with the current settings; `count` overrides the box. */
  generate(count?: number, note = ''): void {
    if (!this.info || !this.validate()) return;
    const k = Number(this.topK.value);
    const request: SampleRequest = {
      id: this.nextId++, count: count ?? Number(this.count.value), temperature: Number(this.temperature.value),
      topK: k > 0 ? k : undefined, prompt: this.prompt.value, maxTokens: this.longest(),
    };
    const long = (request.maxTokens ?? this.info.config.blockSize) > 24;
    const list = h('ol', { class: long ? 'sample-list long' : 'sample-list' });
    const meta = [`step ${this.info.step}`, `temperature ${fmt(request.temperature, 2)}`, `top-k ${request.topK ?? 'off'}`,
      request.prompt ? `starting with “${request.prompt}”` : 'no prompt'];
    const group = h('section', { class: 'sample-group', 'data-request': request.id },
      h('p', { class: 'sample-meta' }, (note ? note + ' · ' : '') + meta.join(' · ')), list);
    this.stream.prepend(group);
    this.lists.set(request.id, list);
    this.send({ type: 'sample', request });
  }

  /** The step the next samples come from (shown in their heading). */
  setStep(step: number): void {
    if (this.info) this.info = { ...this.info, step };
  }

  onSample(id: number, text: string): void {
    const list = this.lists.get(id);
    if (list) list.append(h('li', {}, text === '' ? h('em', {}, '(empty)') : text));
  }

  onEnd(id: number): void {
    this.lists.get(id)?.closest('.sample-group')?.classList.add('complete');
  }

  onError(message: string): void {
    this.error.textContent = message;
  }
}
