// The guided tour of one training step: a dialog, one chapter at a time, the engine's own
// lines (imported as text, so they are the code that runs) beside the live numbers of the
// current model on the word in Look inside. Back, Next, Close, the arrow keys and Escape; any
// element with data-chapter (the views' "how is this computed?") opens it at that chapter.

import adamSource from '../../src/core/scalar/adam.ts?raw';
import engineSource from '../../src/core/scalar/engine.ts?raw';
import gptSource from '../../src/core/scalar/gpt.ts?raw';
import lossSource from '../../src/core/scalar/loss.ts?raw';
import valueSource from '../../src/core/scalar/value.ts?raw';
import samplingSource from '../../src/core/contract/sampling.ts?raw';
import tokenizerSource from '../../src/core/contract/tokenizer.ts?raw';
import { findSpan } from './code-lines.js';
import { renderExcerpt } from './code-view.js';
import { byId, h } from './dom.js';
import { CHAPTERS, type ChapterId, type TourContext } from './tour-chapters.js';
import { differences, unlikeTheCode } from './tour-outline.js';

const SOURCES: Record<string, string> = {
  'src/core/scalar/adam.ts': adamSource,
  'src/core/scalar/engine.ts': engineSource,
  'src/core/scalar/gpt.ts': gptSource,
  'src/core/scalar/loss.ts': lossSource,
  'src/core/scalar/value.ts': valueSource,
  'src/core/contract/sampling.ts': samplingSource,
  'src/core/contract/tokenizer.ts': tokenizerSource,
};

export class Tour {
  private dialog = byId<HTMLDialogElement>('tour');
  private index = 0;
  private code = new Map<ChapterId, HTMLElement[]>(); // each chapter's excerpts, built once
  private context: () => TourContext | string;
  private show: (view: string) => void;

  /**
   * `context` gives the current model and word, or why there is none; `show` brings a view
   * of the page into sight.
   */
  constructor(context: () => TourContext | string, show: (view: string) => void) {
    this.context = context;
    this.show = show;
    byId('tour-steps').replaceChildren(...CHAPTERS.map((c, i) =>
      h('li', {}, h('button', { type: 'button', 'data-step': i }, `${i + 1}. ${c.title}`))));
    byId('tour-steps').addEventListener('click', (e) => {
      const step = (e.target as HTMLElement).closest<HTMLElement>('[data-step]');
      if (step) this.go(Number(step.dataset.step));
    });
    document.addEventListener('click', (e) => {
      const link = (e.target as Element).closest?.('[data-chapter]');
      if (link instanceof HTMLElement || link instanceof SVGElement) this.open(link.dataset.chapter as ChapterId);
    });
    byId('tour-back').addEventListener('click', () => this.go(this.index - 1));
    byId('tour-next').addEventListener('click', () => (this.index === CHAPTERS.length - 1 ? this.dialog.close() : this.go(this.index + 1)));
    byId('tour-close').addEventListener('click', () => this.dialog.close());
    byId('tour-show').addEventListener('click', () => {
      this.dialog.close();
      this.show(CHAPTERS[this.index].view);
    });
    this.dialog.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') this.go(this.index + 1);
      else if (e.key === 'ArrowLeft') this.go(this.index - 1);
      else return;
      e.preventDefault();
    }); // Escape: the dialog's own cancel closes it
  }

  /** Opens the tour at `chapter` (default: where it was left). */
  open(chapter?: ChapterId): void {
    const i = CHAPTERS.findIndex((c) => c.id === chapter);
    if (i >= 0) this.index = i;
    if (!this.dialog.open) this.dialog.showModal();
    this.render();
  }

  isOpen(): boolean {
    return this.dialog.open;
  }

  /** Redraws the live numbers when the model or the word changed while the tour is open. */
  refresh(): void {
    if (this.dialog.open) this.renderLive();
  }

  private go(i: number): void {
    if (i < 0 || i >= CHAPTERS.length) return;
    this.index = i;
    this.render();
  }

  private excerpts(id: ChapterId): HTMLElement[] {
    let out = this.code.get(id);
    if (!out) {
      const chapter = CHAPTERS.find((c) => c.id === id)!;
      out = chapter.spans.map((span) => renderExcerpt(findSpan(SOURCES[span.file], span)));
      this.code.set(id, out);
    }
    return out;
  }

  private render(): void {
    const chapter = CHAPTERS[this.index];
    this.dialog.dataset.current = chapter.id;
    byId('tour-count').textContent = `Chapter ${this.index + 1} of ${CHAPTERS.length}: one training step, in microgpt.py's order`;
    byId('tour-title').textContent = chapter.title;
    byId('tour-why').textContent = chapter.why;
    byId('tour-code').replaceChildren(...this.excerpts(chapter.id));
    for (const b of byId('tour-steps').querySelectorAll<HTMLElement>('[data-step]')) {
      if (Number(b.dataset.step) === this.index) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
    }
    byId<HTMLButtonElement>('tour-back').disabled = this.index === 0;
    byId('tour-next').textContent = this.index === CHAPTERS.length - 1 ? 'Finish' : 'Next →';
    this.renderLive();
  }

  private renderLive(): void {
    const chapter = CHAPTERS[this.index];
    const live = byId('tour-live'), notes = byId('tour-differs');
    const ctx = this.context();
    if (typeof ctx === 'string') {
      notes.replaceChildren();
      live.replaceChildren(h('p', { class: 'hint' }, ctx));
      return;
    }
    const differs = differences(ctx.config, chapter.id);
    notes.replaceChildren(...differs.map((d) => h('p', {}, d)));
    try {
      const unlike = unlikeTheCode(ctx.config);
      if (chapter.forward && (unlike.length > 0 || !ctx.insp)) {
        live.replaceChildren(h('p', { class: 'hint' }, `The code here is the reference model's; this model has ${unlike.join(', ')}, `
          + 'which the page\'s step-by-step numbers do not follow, so none are shown.'));
      } else {
        live.replaceChildren(h('p', { class: 'tour-model' }, `Live: the model after step ${ctx.step}, on the word in Look inside.`),
          ...chapter.live({ ...ctx, insp: ctx.insp! }));
      }
    } catch (e) {
      live.replaceChildren(h('p', { class: 'error' }, `Cannot compute this chapter's numbers: ${e instanceof Error ? e.message : String(e)}`));
    }
    live.dataset.rendered = `${chapter.id}:${ctx.step}`;
  }
}
