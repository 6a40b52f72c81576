// The settings form's own checks, in the form's words: each number field within the limits its
// input declares (min, max, whole numbers where step is 1), heads that divide the width, and a
// message beside the field that is wrong. Errors from the library name CLI flags (n-embd); the
// page translates them to the labels a visitor sees.

import { byId, h } from './dom.js';

/** A setting the visitor must change: which field, and why, in the form's words. */
export class FieldError extends Error {
  readonly fields: string[];
  constructor(fields: string[], message: string) {
    super(message);
    this.fields = fields;
  }
}

/** The label text of a field ("Embedding width"), whether the label wraps it or names it (`for`). */
export function fieldLabel(id: string): string {
  const input = byId<HTMLInputElement>(id);
  return input.labels?.[0]?.firstChild?.textContent?.trim().replace(/:$/, '') ?? id;
}

/** The number in a field, checked against its input's min, max and step. */
export function numberField(id: string): number {
  const input = byId<HTMLInputElement>(id), label = fieldLabel(id);
  const raw = input.value.trim(), value = Number(raw);
  if (raw === '' || !Number.isFinite(value)) throw new FieldError([id], `${label} needs a number.`);
  const whole = input.step === '1';
  if (whole && !Number.isInteger(value)) throw new FieldError([id], `${label} must be a whole number.`);
  const min = input.min === '' ? undefined : Number(input.min), max = input.max === '' ? undefined : Number(input.max);
  if (min !== undefined && max !== undefined && (value < min || value > max)) {
    throw new FieldError([id], `${label} must be ${whole ? 'a whole number ' : ''}from ${min} to ${max}.`);
  }
  if (min !== undefined && value < min) throw new FieldError([id], `${label} must be at least ${min}.`);
  if (max !== undefined && value > max) throw new FieldError([id], `${label} must be at most ${max}.`);
  return value;
}

// the CLI's names for the settings, and the fields that hold them on this page
const FLAG_FIELDS: [RegExp, string][] = [
  [/\bn-layer\b/g, 'n-layer'], [/\bn-embd\b/g, 'n-embd'], [/\bn-kv-head\b/g, 'n-kv-head'], [/\bn-head\b/g, 'n-head'], [/\bblock-size\b/g, 'block-size'],
  [/\bmlp-hidden\b/g, 'mlp-hidden'], [/\brope-theta\b/g, 'rope-theta'],
  [/\bbatch-size\b/g, 'batch-size'], [/\bsteps\b/g, 'steps'], [/\blr\b/g, 'lr'],
  [/\bbeta1\b/g, 'beta1'], [/\bbeta2\b/g, 'beta2'], [/\bvocab-size\b/g, 'vocab-size'],
];

/** A library message with its flag names replaced by the form's labels, and the fields it names. */
export function inFormWords(message: string): FieldError {
  const fields: string[] = [];
  let text = message;
  for (const [pattern, id] of FLAG_FIELDS) {
    if (!pattern.test(text)) continue;
    fields.push(id);
    text = text.replace(pattern, `“${fieldLabel(id)}”`);
  }
  return new FieldError(fields, text.charAt(0).toUpperCase() + text.slice(1));
}

/** Marks the fields of `error` (and only those) as invalid, with its message beside the first. */
export function showFieldError(error: FieldError | null): void {
  for (const old of document.querySelectorAll('.field-error')) old.remove();
  for (const input of document.querySelectorAll<HTMLElement>('#settings [aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  if (!error) return;
  error.fields.forEach((id, i) => {
    const input = byId(id);
    input.setAttribute('aria-invalid', 'true');
    if (i === 0) input.insertAdjacentElement('afterend', h('span', { class: 'field-error', role: 'alert' }, error.message));
  });
}
