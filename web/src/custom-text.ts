// The visitor's own dataset. Typed or small texts live in the textarea; a big one (pasted,
// dropped or uploaded) is kept in memory and the box shows its start, read-only: Chromium
// lays out every character of a textarea's value, which took 4 s in one task for 5 MB.

import { decodeDataset } from '../../src/core/data/decode.js';

/** Texts longer than this stay out of the textarea (its layout costs ~1 µs a character). */
export const BIG_TEXT = 50_000;
const PREVIEW = 2_000; // characters of a big text shown in the box
const SHOW_PROGRESS = 1 << 20; // bigger files say how much is read (the browser streams them in chunks of ~64 KB)

export class CustomText {
  /** Where the text came from, as a checkpoint records it: a file's name or 'pasted text'. */
  path = 'pasted text';
  private held: string | null = null; // a big text, which the box only previews
  private reads = 0; // counts file reads and other changes: a read finishing after a newer choice is dropped

  private readonly box: HTMLTextAreaElement;
  private readonly note: HTMLElement;   // what is held, or how far a file has been read
  private readonly clear: HTMLButtonElement;
  private readonly changed: () => void;
  private readonly failed: (message: string) => void;

  constructor(box: HTMLTextAreaElement, note: HTMLElement, clear: HTMLButtonElement, changed: () => void, failed: (message: string) => void) {
    this.box = box; this.note = note; this.clear = clear; this.changed = changed; this.failed = failed;
    box.addEventListener('input', () => {
      if (this.held === null) this.path = 'pasted text';
      this.abandonRead(); // what is typed now is the text
    });
    box.addEventListener('paste', (e) => {
      const pasted = e.clipboardData?.getData('text/plain') ?? '';
      // held, the box is a preview, so a paste replaces the whole text
      const whole = this.held !== null ? pasted
        : box.value.slice(0, box.selectionStart) + pasted + box.value.slice(box.selectionEnd);
      if (this.held === null && whole.length <= BIG_TEXT) return; // the browser's own paste
      e.preventDefault();
      this.set(whole, 'pasted text');
    });
    box.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault(); });
    box.addEventListener('drop', (e) => {
      const file = e.dataTransfer?.files[0];
      if (file) { e.preventDefault(); void this.readFile(file); return; }
      const dropped = e.dataTransfer?.getData('text/plain') ?? '';
      if (this.held === null && box.value.length + dropped.length <= BIG_TEXT) return;
      e.preventDefault();
      this.set(dropped, 'pasted text');
    });
    clear.addEventListener('click', () => { this.set('', 'pasted text'); box.focus(); });
  }

  /** The whole text, whether in the box or held. */
  text(): string {
    return this.held ?? this.box.value;
  }

  /** Reads a UTF-8 file a chunk per task, showing progress; a bad file is reported and changes nothing. */
  async readFile(file: File): Promise<void> {
    let text: string;
    const read = ++this.reads;
    try {
      const bytes = new Uint8Array(file.size); // (file.size,)
      const reader = file.stream().getReader();
      let at = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (read !== this.reads) { void reader.cancel(); return; } // the visitor chose another text meanwhile
        bytes.set(chunk.value.subarray(0, bytes.length - at), at);
        at += chunk.value.length;
        if (file.size > SHOW_PROGRESS) this.show(`Reading ${file.name}: ${megabytes(Math.min(at, file.size))} of ${megabytes(file.size)} MB…`);
      }
      // not file.text(), which drops a leading byte-order mark that Python (and the CLI) keep
      text = decodeDataset(bytes.subarray(0, at), file.name);
      if (read !== this.reads) return;
    } catch (err) {
      if (read !== this.reads) return;
      this.show(this.held === null ? '' : this.describe(this.held)); // as it was
      this.failed(err instanceof Error ? err.message : String(err));
      return;
    }
    this.set(text, file.name);
  }

  /** Drops a file read under way, if any, and its progress note. */
  private abandonRead(): void {
    this.reads++;
    if (this.note.textContent?.startsWith('Reading ')) this.show(this.held === null ? '' : this.describe(this.held));
  }

  private set(text: string, path: string): void {
    this.reads++;
    this.path = path;
    if (text.length <= BIG_TEXT) {
      this.held = null;
      this.box.readOnly = false;
      this.box.value = text;
      this.show('');
    } else {
      this.held = text;
      this.box.readOnly = true;
      this.box.value = text.slice(0, PREVIEW) + '\n…';
      this.show(this.describe(text));
    }
    this.changed();
  }

  private describe(text: string): string {
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    return `${text.length.toLocaleString('en')} characters (${lines.toLocaleString('en')} lines) from ${this.path}, kept in memory: the box shows the first ${PREVIEW.toLocaleString('en')}, since a page slows to a crawl drawing megabytes of text. Paste or upload again to replace it.`;
  }

  private show(message: string): void {
    this.note.textContent = message;
    this.note.hidden = message === '';
    this.clear.hidden = this.held === null;
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
