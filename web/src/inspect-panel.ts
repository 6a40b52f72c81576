// The Look-inside panel: a word the visitor types, run through inspectForward on a
// snapshot of the worker's weights, drawn four ways (probabilities, attention, embeddings,
// the chain rule on one piece). Views are drawn one per task and only when on screen, so
// refreshing them while training never holds the main thread for long.

import { mlpHidden } from '../../src/core/contract/config.js';
import { type Inspection, inspectForward } from './inspect.js';
import { encode } from '../../src/core/contract/tokenizer.js';
import { byId, h, readoutFor, tokenLabel } from './dom.js';
import type { Snapshot } from './protocol.js';
import { pageTokenizer, vocabularyError } from './tokens.js';
import { renderAttention } from './views/attention.js';
import { renderEmbedding } from './views/embedding.js';
import { renderGraph } from './views/graph.js';
import { type PieceChoice, firstAliveNeuron, neuronFormula } from './views/graph-piece.js';
import { renderProbabilities } from './views/probabilities.js';

type View = 'probs' | 'embedding' | 'attention' | 'graph';
const VIEWS: View[] = ['probs', 'embedding', 'attention', 'graph'];

function options(select: HTMLSelectElement, labels: string[]): void {
  const keep = select.selectedIndex;
  select.replaceChildren(...labels.map((label, i) => h('option', { value: i }, label)));
  select.selectedIndex = keep >= 0 && keep < labels.length ? keep : 0;
}

export class InspectPanel {
  private word = byId<HTMLInputElement>('word');
  private error = byId('word-error');
  private piece = byId<HTMLSelectElement>('piece');
  private layer = byId<HTMLSelectElement>('piece-layer');
  private head = byId<HTMLSelectElement>('piece-head');
  private key = byId<HTMLSelectElement>('piece-key');
  private neuron = byId<HTMLInputElement>('piece-neuron');
  private snapshot: Snapshot | null = null;
  private tokens: number[] | null = null; // null while the word is invalid
  private inspection: Inspection | null = null;
  private stale = new Set<View>();
  private onScreen = new Set<View>();
  private pumping = false;
  private neuronChosen = false; // the visitor picked a neuron; until then the first alive one is shown

  constructor() {
    this.word.addEventListener('input', () => this.wordChanged());
    for (const el of [this.piece, this.layer, this.head, this.key, this.neuron]) {
      el.addEventListener(el === this.neuron ? 'input' : 'change', () => this.invalidate(['graph']));
    }
    this.neuron.addEventListener('input', () => { this.neuronChosen = true; });
    const observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const view = (e.target as HTMLElement).dataset.view as View;
        if (e.isIntersecting) this.onScreen.add(view); else this.onScreen.delete(view);
      }
      this.pump();
    }, { rootMargin: '200px' });
    for (const view of VIEWS) observer.observe(byId(view).closest('.view')!);
    for (const view of ['attention', 'embedding', 'graph']) readoutFor(byId(view));
  }

  /** The snapshot and word the views show, with their forward pass (null: no word). */
  current(): { snapshot: Snapshot; tokens: number[] | null; inspection: Inspection | null } | null {
    const snap = this.snapshot;
    if (!snap) return null;
    if (this.tokens && !this.inspection) this.inspection = inspectForward(snap.config, snap.weights, this.tokens);
    return { snapshot: snap, tokens: this.tokens, inspection: this.inspection };
  }

  setSnapshot(snapshot: Snapshot): void {
    const old = this.snapshot?.config;
    this.snapshot = snapshot;
    const c = snapshot.config;
    if (!old || old.nLayer !== c.nLayer || old.nHead !== c.nHead || mlpHidden(old) !== mlpHidden(c)) {
      options(this.layer, Array.from({ length: c.nLayer }, (_, i) => String(i + 1)));
      options(this.head, Array.from({ length: c.nHead }, (_, i) => String(i + 1)));
      this.neuron.max = String(mlpHidden(c));
    }
    this.piece.querySelector('option[value="neuron"]')!.textContent = `an MLP neuron: ${neuronFormula(c)}`;
    byId('inspect-step').textContent = `weights after step ${snapshot.step}`;
    this.wordChanged();
    this.invalidate(['embedding']);
  }

  private wordChanged(): void {
    const snap = this.snapshot;
    if (!snap) return;
    const { chars, config, bpeModel } = snap;
    const word = this.word.value;
    let message = vocabularyError(chars, word, bpeModel);
    const ids = message ? [] : encode(pageTokenizer(chars, bpeModel), word);
    if (!message && ids.length > config.blockSize - 1) {
      message = `The context holds ${config.blockSize} tokens: BOS and at most ${config.blockSize - 1} ${bpeModel !== undefined ? 'tokens' : 'characters'}.`;
    }
    this.error.textContent = message;
    this.word.setAttribute('aria-invalid', String(message !== ''));
    this.tokens = message ? null : [chars.length, ...ids];
    this.inspection = null;
    if (this.tokens) options(this.key, this.tokens.map((id, i) => `${tokenLabel(chars, id)} (position ${i})`));
    this.invalidate(['probs', 'attention', 'graph']);
  }

  private invalidate(views: View[]): void {
    for (const v of views) this.stale.add(v);
    this.pump();
  }

  // Draws the first stale view on screen, then yields to the event loop before the next.
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setTimeout(() => {
      this.pumping = false;
      const view = VIEWS.find((v) => this.stale.has(v) && this.onScreen.has(v));
      if (!view || !this.snapshot) return;
      this.stale.delete(view);
      try {
        this.draw(view, this.snapshot);
      } catch (e) { // e.g. a piece of the graph view this model does not have
        byId(view).replaceChildren(h('p', { class: 'error' }, `Cannot draw this view: ${e instanceof Error ? e.message : String(e)}`));
      }
      this.pump();
    }, 0);
  }

  private draw(view: View, snap: Snapshot): void {
    const el = byId(view);
    if (view === 'embedding') {
      // a long search for the axes goes on in the next task
      if (renderEmbedding(el, snap.config, snap.weights, snap.chars)) el.dataset.rendered = String(snap.step);
      else this.stale.add('embedding');
      return;
    }
    if (!this.tokens) return; // the word is invalid: keep the last pictures beside the error
    this.inspection ??= inspectForward(snap.config, snap.weights, this.tokens);
    const insp = this.inspection;
    if (view === 'probs') renderProbabilities(el, insp, snap.chars);
    if (view === 'attention') renderAttention(el, insp, snap.chars);
    if (view === 'graph') {
      // a dead neuron (relu of a negative sum) shows only zero gradients: start on a live one
      if (!this.neuronChosen) this.neuron.value = String(firstAliveNeuron(insp, snap.config, snap.weights, this.layer.selectedIndex) + 1);
      renderGraph(el, insp, snap.config, snap.weights, insp.tokens.map((id) => tokenLabel(snap.chars, id)), this.pieceChoice(snap));
    }
    el.dataset.rendered = `${snap.step}:${this.word.value}`; // lets a test wait for a finished drawing
  }

  private pieceChoice(snap: Snapshot): PieceChoice {
    const kind = this.piece.value === 'neuron' ? 'neuron' : 'score';
    for (const label of document.querySelectorAll<HTMLElement>('[data-piece]')) label.hidden = label.dataset.piece !== kind;
    const neuron = Math.min(mlpHidden(snap.config), Math.max(1, Math.round(Number(this.neuron.value) || 1)));
    return { kind, layer: this.layer.selectedIndex, head: this.head.selectedIndex, keyPos: this.key.selectedIndex, neuron: neuron - 1 };
  }
}
