// Small DOM helpers shared by the page and its views: typed lookups, element and SVG
// builders, and the few number and character formats the views agree on.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
}

type Attrs = Record<string, string | number | boolean | undefined>;

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** An HTML element with attributes and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  el.append(...children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; `text` becomes its text content. */
export function s(tag: string, attrs: Attrs = {}, text?: string): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(el, attrs);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A hover tooltip for an SVG shape, also shown by a tap or click where readoutFor listens. */
export function tip(el: SVGElement, text: string): SVGElement {
  el.append(s('title', {}, text));
  el.setAttribute('data-readout', text);
  return el;
}

/**
 * A line under `view` that shows the tooltip of whatever is tapped or clicked in it, so the
 * values behind the shapes are reachable without hovering (touch screens have no hover).
 */
export function readoutFor(view: HTMLElement): HTMLElement {
  const line = h('p', { class: 'readout', 'aria-live': 'polite' }, 'Tap or click a shape to read its value here.');
  view.addEventListener('click', (e) => {
    const target = (e.target as Element).closest?.('[data-readout]');
    if (target) line.textContent = target.getAttribute('data-readout');
  });
  view.after(line);
  return line;
}

/** How a token shows in labels: BOS by name, blanks and invisible characters as visible symbols. */
export function tokenLabel(chars: string[], id: number): string {
  if (id === chars.length) return 'BOS';
  return visibleText(chars[id]);
}

/** Text with blanks as symbols (space ␣, newline ↵, tab ⇥) and other invisible characters as \uXXXX. */
export function visibleText(text: string): string {
  return text.replace(/[\s\p{C}]/gu, (ch) => ch === ' ' ? '␣' : ch === '\n' ? '↵' : ch === '\t' ? '⇥'
    : `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const r = x.toFixed(digits);
  return /^-0\.?0*$/.test(r) ? r.slice(1) : r; // no "-0.000"
}

/** A blue of the given strength in [0, 1], for heatmaps. */
export function heat(t: number): string {
  const v = Math.max(0, Math.min(1, t));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * v);
  return `rgb(${mix(247, 8)}, ${mix(251, 69)}, ${mix(255, 148)})`;
}
