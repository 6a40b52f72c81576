// The model's tokens as the page shows them: a label per token id (BPE tokens as their text,
// blanks made visible), the tokenizer the page encodes a prompt or a word with (characters, or
// the BPE model the worker sent), and the Tokenizer panel: the text coloured by token and the
// first merges.

// direct imports, not the core's index: the page's bundle must not pull in the WebAssembly engine
import type { BpeTokenizer } from '../../src/core/bpe/bpe-tokenizer.js';
import { parseModelFile } from '../../src/core/bpe/model-file.js';
import { type Tokenizer, encode, tokenizerFromBpe, tokenizerFromChars } from '../../src/core/contract/tokenizer.js';
import { UserError } from '../../src/core/errors.js';
import { h, visibleText } from './dom.js';

/** The label of every BPE token id (its bytes as text: a partial UTF-8 character shows as U+FFFD). */
export function bpeLabels(bpe: BpeTokenizer): string[] {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  return bpe.vocab.map((bytes) => decoder.decode(bytes));
}

let cached: { key: string; tokenizer: Tokenizer } | null = null;

/** The model's tokenizer on the page: its BPE model when it has one, else its characters. */
export function pageTokenizer(chars: string[], bpeModel?: string): Tokenizer {
  const key = bpeModel ?? `chars:${chars.join('')}`;
  if (cached?.key !== key) {
    cached = { key, tokenizer: bpeModel !== undefined ? tokenizerFromBpe(parseModelFile(bpeModel, 'the model\'s tokenizer')) : tokenizerFromChars(chars) };
  }
  return cached.tokenizer;
}

/** '' when `text` encodes with the model's tokenizer (any text does with BPE), else why not. */
export function vocabularyError(chars: string[], text: string, bpeModel?: string): string {
  try {
    encode(pageTokenizer(chars, bpeModel), text);
    return '';
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** What the Tokenizer panel shows of a BPE tokenizer the worker trained. */
export interface TokenView {
  vocabSize: number;
  ms?: number;                  // training time, when it was just learned
  charsPerToken: number;        // over the whole training text
  merges: { left: string; right: string; merged: string; count?: number }[]; // the first merges, with how often the pair occurred if known
  preview: string[];            // the first tokens of the text, each as its text
}

/** Draws the text coloured by token and the merge list into `text` and `merges`. */
export function renderTokenView(view: TokenView, summary: HTMLElement, text: HTMLElement, merges: HTMLElement): void {
  const learned = view.ms !== undefined ? `, learned in ${Math.max(1, Math.round(view.ms))} ms` : ', from the loaded model';
  summary.textContent = `${view.vocabSize.toLocaleString('en')} tokens (256 bytes + ${(view.vocabSize - 256).toLocaleString('en')} merges)` +
    `${learned}; ${view.charsPerToken.toFixed(2)} characters per token on this text.`;
  text.replaceChildren(...view.preview.map((t, i) => h('span', { class: `token c${i % 6}`, title: `token ${i + 1}: ${JSON.stringify(t)}` },
    t.replace(/\n/g, '↵\n'))));
  merges.replaceChildren(...view.merges.map((m) => h('li', {}, h('code', {}, visibleText(m.left)), ' + ', h('code', {}, visibleText(m.right)),
    ' → ', h('code', {}, visibleText(m.merged)), m.count !== undefined ? h('span', { class: 'hint' }, ` ×${m.count.toLocaleString('en')}`) : '')));
}
