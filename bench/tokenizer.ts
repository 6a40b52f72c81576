// The tokenizer benchmark: byte-level BPE training (merges/s) and encoding (MB/s) on Tiny
// Shakespeare for each split pattern, and CPython beside it on the same text and vocabulary
// (bench/bpe-python.py: minbpe itself when MINBPE_DIR names a checkout, else minbpe's algorithm).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeBpe, utf8Bytes } from '../src/core/bpe/bpe-tokenizer.js';
import type { SplitPatternName } from '../src/core/bpe/split-patterns.js';
import { trainBpe } from '../src/core/bpe/train.js';
import { median } from './scale.js';

const root = new URL('../../', import.meta.url);
const TEXT = fileURLToPath(new URL('data/tinyshakespeare.txt', root));
const PYTHON_SCRIPT = fileURLToPath(new URL('bench/bpe-python.py', root));
const VOCAB = 1256;          // 1,000 merges, the yardstick
const PYTHON_VOCAB = 306;    // 50 merges: CPython needs ~0.2-0.3 s per merge on this text
const ENCODE_BYTES = 100_000; // CPython's encoding sample

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function timeTraining(text: string, vocab: number, pattern: SplitPatternName, reps: number) {
  const times: number[] = [];
  let result = trainBpe(text, vocab, pattern);
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    result = trainBpe(text, vocab, pattern);
    times.push(performance.now() - start);
  }
  return { ms: median(times), tokenizer: result.tokenizer };
}

/** Prints the table; `python` runs the CPython column (a quarter of a minute). */
export function tokenizerBench(quick: boolean, python: boolean, progress: (what: string) => void): void {
  const text = readFileSync(TEXT, 'utf8');
  const bytes = utf8Bytes(text).length, reps = quick ? 3 : 7;
  progress(`BPE tokenizer: ${VOCAB - 256} merges on Tiny Shakespeare per split pattern, ${reps} times each`);
  console.log(`\nBPE tokenizer: Tiny Shakespeare (${fmt(bytes)} bytes), vocabulary ${fmt(VOCAB)} (${VOCAB - 256} merges), median of ${reps}`);
  console.log('pattern   train ms   merges/s   encode ms   encode MB/s      tokens');
  let gpt4MergesPerS = 0;
  for (const pattern of ['gpt4', 'gpt2', 'none'] as const) {
    const { ms, tokenizer } = timeTraining(text, VOCAB, pattern, pattern === 'none' ? Math.min(reps, 3) : reps);
    const encodeTimes: number[] = [];
    let tokens = 0;
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      tokens = encodeBpe(tokenizer, text, 'none').length;
      encodeTimes.push(performance.now() - start);
    }
    const encodeMs = median(encodeTimes), mergesPerS = (VOCAB - 256) / (ms / 1000);
    if (pattern === 'gpt4') gpt4MergesPerS = mergesPerS;
    console.log(`${pattern.padEnd(7)} ${fmt(ms, 1).padStart(10)} ${fmt(mergesPerS).padStart(10)} ${fmt(encodeMs, 1).padStart(11)} ${fmt(bytes / 2 ** 20 / (encodeMs / 1000), 1).padStart(13)} ${fmt(tokens).padStart(11)}`);
  }
  if (!python) {
    console.log('CPython (minbpe)  skipped: --quick or --no-python');
    return;
  }
  progress(`BPE tokenizer in CPython: ${PYTHON_VOCAB - 256} merges (python3 bench/bpe-python.py; ~15-30 s)`);
  const r = spawnSync('python3', [PYTHON_SCRIPT, TEXT, String(PYTHON_VOCAB), String(ENCODE_BYTES)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) {
    const why = /No module named 'regex'/.test(r.stderr) ? "Python's regex module is missing (pip install regex, or apt-get install python3-regex)"
      : r.error ? String(r.error.message) : r.stderr.trim().split('\n').at(-1);
    console.log(`CPython (minbpe)  skipped: ${why}`);
    return;
  }
  const py = JSON.parse(r.stdout) as { who: string; train_s: number; merges: number; encode_s: number; encode_bytes: number };
  // ours at the same vocabulary, so both count the same merges of the same text
  const same = timeTraining(text, PYTHON_VOCAB, 'gpt4', reps);
  const sample = new TextDecoder().decode(utf8Bytes(text).subarray(0, ENCODE_BYTES));
  const encodeTimes: number[] = [];
  for (let k = 0; k < reps; k++) {
    const start = performance.now();
    encodeBpe(same.tokenizer, sample, 'none');
    encodeTimes.push(performance.now() - start);
  }
  const ourEncodeMs = median(encodeTimes);
  console.log(`CPython, ${py.who}: ${py.merges} merges in ${fmt(py.train_s, 1)} s (${fmt(py.merges / py.train_s, 2)} merges/s); ` +
    `ours ${fmt(same.ms, 1)} ms: ${fmt(py.train_s * 1000 / same.ms)}x faster (target >= 50x)`);
  console.log(`  encoding ${fmt(py.encode_bytes)} bytes (gpt4): CPython ${fmt(py.encode_bytes / 2 ** 20 / py.encode_s, 2)} MB/s, ours ` +
    `${fmt(py.encode_bytes / 2 ** 20 / (ourEncodeMs / 1000), 1)} MB/s (${fmt(py.encode_s * 1000 / ourEncodeMs, 1)}x)`);
  console.log(`  (the gpt4 row above: ${fmt(gpt4MergesPerS)} merges/s over all ${VOCAB - 256} merges)`);
}

// alone: node dist/bench/tokenizer.js [--quick] [--no-python]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  tokenizerBench(quick, !quick && !process.argv.includes('--no-python'), (what) => process.stderr.write(`${what}\n`));
}
