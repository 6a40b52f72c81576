// The flags the subcommands share (data, model, optimisation, engine), presets that fill
// them, and their translation into the library's RunOptions, checked in full before any data
// is read or any weight is drawn. Precedence: defaults < preset < flags.

import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { crc32 } from '../core/checkpoint/bytes.js';
import { ACTIVATIONS, DEFAULT_MODEL, DEFAULT_SEED, DEFAULT_TRAIN, LIMITS, type ModelConfig, NORMS, POSITIONS, SCHEDULES, type TrainConfig,
  validateModelConfig, validateTrainConfig } from '../core/contract/config.js';
import { ENGINE_NAMES, type EngineName } from '../core/contract/engine.js';
import { checkDocuments, parseDocuments } from '../core/data/documents.js';
import { type DataFormat, normaliseText } from '../core/data/text.js';
import { UserError } from '../core/errors.js';
import { type EngineOptions, type MemoryLimits, DEFAULT_ENGINE, ENGINES, MAX_THREADS, checkEngineSettings, engineSpec } from '../core/run/engines.js';
import { type Run, type RunOptions, documentsCut } from '../core/run/run.js';
import { spawnNodeWorker } from '../node/spawn-worker.js';
import { BUNDLED_DATA, readDataset, readRegularFile } from './dataset.js';
import { type FlagSpec, type FlagValues, closest, convert } from './flags.js';
import { fitsHeap, requireHeap } from './heap-limit.js';

const PRESETS_DIR = fileURLToPath(new URL('../../../presets/', import.meta.url));

export const DATA_FLAGS: FlagSpec[] = [
  { name: 'data', type: 'string', help: 'training text file', defaultText: 'data/names.txt, bundled' },
  { name: 'data-url', type: 'string', help: 'download the dataset from here first if --data does not exist' },
  { name: 'format', type: 'string', help: 'lines: one document per line; text: one continuous text', default: 'lines', choices: ['lines', 'text'] },
  { name: 'val-fraction', type: 'number', help: 'held out for validation: the end of a text, a slice of the shuffled lines', default: 0.1 },
];

export const MODEL_FLAGS: FlagSpec[] = [
  { name: 'n-layer', type: 'int', help: 'transformer blocks', default: DEFAULT_MODEL.nLayer },
  { name: 'n-embd', type: 'int', help: 'embedding width', default: DEFAULT_MODEL.nEmbd },
  { name: 'n-head', type: 'int', help: 'attention heads (must divide n-embd)', default: DEFAULT_MODEL.nHead },
  { name: 'block-size', type: 'int', help: 'context length', default: DEFAULT_MODEL.blockSize },
  { name: 'activation', alias: 'mlp', type: 'string', help: 'the MLP: its activation, or swiglu (gated, SiLU)', default: DEFAULT_MODEL.activation, choices: ACTIVATIONS },
  { name: 'mlp-hidden', type: 'int', help: "the MLP's hidden width", defaultText: '4 x n-embd' },
  { name: 'norm', type: 'string', help: 'normalisation', default: DEFAULT_MODEL.norm, choices: NORMS },
  { name: 'norm-weight', type: 'boolean', help: 'every norm has a learned gain', default: DEFAULT_MODEL.normWeight },
  { name: 'embed-norm', type: 'boolean', help: 'normalise the embeddings before the first block, as the reference does', default: DEFAULT_MODEL.embedNorm },
  { name: 'final-norm', type: 'boolean', help: 'normalise before the head', default: DEFAULT_MODEL.finalNorm },
  { name: 'pos', type: 'string', help: 'positions: a learned table, or rotary embeddings (RoPE)', default: DEFAULT_MODEL.pos, choices: POSITIONS },
  { name: 'rope-theta', type: 'number', help: "RoPE's base", default: DEFAULT_MODEL.ropeTheta },
  { name: 'n-kv-head', type: 'int', help: 'key/value heads (must divide n-head): fewer is grouped-query attention, 1 multi-query', defaultText: 'n-head' },
  { name: 'tie-embeddings', type: 'boolean', help: 'the head reuses the token embeddings', default: DEFAULT_MODEL.tieEmbeddings },
  { name: 'dropout', type: 'number', help: 'dropout probability', default: DEFAULT_MODEL.dropout },
  { name: 'init-std', type: 'number', help: "standard deviation of the initial weights (nanoGPT uses 0.02)", default: DEFAULT_MODEL.initStd },
];

export const OPTIM_FLAGS: FlagSpec[] = [
  { name: 'steps', type: 'int', help: 'training steps (optimizer updates)', default: DEFAULT_TRAIN.steps },
  { name: 'batch-size', type: 'int', help: 'documents or windows per micro-batch', default: DEFAULT_TRAIN.batchSize },
  { name: 'grad-accum', type: 'int', help: 'micro-batches per step: the gradient of grad-accum x batch-size sequences in the memory of batch-size', default: DEFAULT_TRAIN.gradAccum },
  { name: 'lr', type: 'number', help: 'peak learning rate', default: DEFAULT_TRAIN.learningRate },
  { name: 'schedule', type: 'string', help: 'learning rate after warmup', default: DEFAULT_TRAIN.schedule, choices: SCHEDULES },
  { name: 'warmup-steps', type: 'int', help: 'steps of linear warmup', default: DEFAULT_TRAIN.warmupSteps },
  { name: 'beta1', type: 'number', help: 'Adam first-moment decay', default: DEFAULT_TRAIN.beta1 },
  { name: 'beta2', type: 'number', help: 'Adam second-moment decay', default: DEFAULT_TRAIN.beta2 },
  { name: 'grad-clip', type: 'number', help: 'clip the gradient norm to this, 0 = off', default: DEFAULT_TRAIN.gradClip },
  { name: 'weight-decay', type: 'number', help: 'decoupled weight decay', default: DEFAULT_TRAIN.weightDecay },
  { name: 'seed', type: 'int', help: 'random seed (shuffle, init, windows, sampling)', default: DEFAULT_SEED },
];

/** --engine and --threads: which engine computes, and on how many threads (float32). */
export const ENGINE_FLAGS: FlagSpec[] = [
  { name: 'engine', type: 'string', help: [...ENGINES.values()].map((s) => `${s.name}: ${s.summary}`).join('; '),
    default: DEFAULT_ENGINE, choices: ENGINE_NAMES },
  { name: 'threads', type: 'int', help: `kernel threads of the float32 engine, 1-${MAX_THREADS}; they spin while they wait, so a busy machine wants 1`,
    defaultText: '2 on a multi-core machine when the model is large enough to gain, else 1' },
];

/** The engine flags of a command that opens a checkpoint: its engine by default; and int8 weights. */
export const CHECKPOINT_ENGINE_FLAGS: FlagSpec[] = [...ENGINE_FLAGS.map((f) => (f.name === 'engine'
  ? { ...f, default: undefined, defaultText: "the checkpoint's" }
  : { ...f, defaultText: "the checkpoint's, for a float32 checkpoint" })),
{ name: 'quantize', type: 'string', help: 'int8: round every weight row to 8-bit integers with one scale (an eighth of the size), to see what that costs', choices: ['none', 'int8'], default: 'none' }];

const isPresetPath = (preset: string) => preset.includes('/') || preset.endsWith('.json');

/** The file `--preset` reads: presets/NAME.json for a name, else the path given. */
export function presetPath(preset: string): string {
  return isPresetPath(preset) ? resolve(preset) : `${PRESETS_DIR}${preset}.json`;
}

/** Reads `--preset NAME` (presets/NAME.json) or `--preset FILE.json` into the flags not given. */
export function applyPreset(preset: string, values: FlagValues, given: Set<string>, specs: FlagSpec[]): void {
  const isPath = isPresetPath(preset), path = presetPath(preset);
  if (!existsSync(path)) {
    if (isPath) throw new UserError(`preset file not found: ${preset}`);
    const known = listPresets();
    throw new UserError(`unknown preset '${preset}'${known.length ? `; available: ${known.join(', ')}` : ''}`);
  }
  const bytes = readRegularFile(path, 'preset'); // a FIFO is refused, not waited on; /dev/zero not read without end
  let raw: unknown, text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`preset ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`preset ${path} must be a JSON object of flag names to values`);
  const twice = repeatedKey(text);
  if (twice !== undefined) throw new UserError(`preset ${path}: "${twice}" is given twice; JSON keeps only the last, so give it once`);
  const settable = specs.filter((s) => !['preset', 'resume', 'help'].includes(s.name));
  const byUser = new Set(given);
  for (const [key, value] of Object.entries(raw)) {
    const spec = settable.find((s) => s.name === key);
    if (!spec) {
      const hint = closest(key, settable);
      throw new UserError(`preset ${path}: unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    const ok = spec.type === 'int' ? Number.isSafeInteger(value) : spec.type === 'number' ? Number.isFinite(value)
      : typeof value === spec.type;
    if (!ok) throw new UserError(`preset ${path}: "${key}" must be ${spec.type === 'int' ? 'an integer' : `a ${spec.type}`}, got ${typeof value === 'number' ? value : JSON.stringify(value)}`); // 1e400 parses as Infinity, which JSON shows as null
    if (spec.type === 'string') convert(spec, value as string); // checks choices
    if (given.has(key)) continue;
    given.add(key); // from here on it counts as set, e.g. for the engine flags' checks
    // a preset's paths are relative to the preset file, as a project folder carries them
    const isPathValue = key === 'data' || key === 'out' || key === 'metrics' || (key === 'tokenizer' && value !== 'char');
    values[key] = isPathValue ? resolve(dirname(path), value as string) : value as string | number | boolean;
  }
  // a shorter --steps than the preset planned for can leave its warmup longer than the run
  const warmup = values['warmup-steps'], steps = values.steps;
  if (Object.hasOwn(raw, 'warmup-steps') && !byUser.has('warmup-steps') && typeof warmup === 'number' && typeof steps === 'number' && warmup > 0 && warmup >= steps) {
    throw new UserError(`the preset's warmup-steps (${warmup}) must be less than --steps (${steps}): ` +
      `give a shorter warmup too, e.g. --warmup-steps ${Math.floor(steps / 10)}`);
  }
}

/** The first key the top-level object of valid JSON `text` gives twice (JSON.parse keeps the last without a word), or undefined. */
function repeatedKey(text: string): string | undefined {
  const keys = new Set<string>(), colon = /\s*:/y;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      colon.lastIndex = end + 1;
      if (depth === 1 && colon.test(text)) {
        const key = JSON.parse(text.slice(i, end + 1)) as string; // "st\u0065ps" is "steps"
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}

/** The bundled presets' names. */
export function listPresets(): string[] {
  if (!existsSync(PRESETS_DIR)) return [];
  return readdirSync(PRESETS_DIR).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
}

/** What this machine can give a run: 80% of its memory for buffers, and V8's heap ceiling. */
export function machineMemory(): MemoryLimits {
  const total = totalmem(), gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  return { bytes: 0.8 * total, heapBytes: getHeapStatistics().heap_size_limit, where: `the ${gib(0.8 * total)} this machine can give a run (80% of ${gib(total)})` };
}

/** The engine options the flags ask for: --threads only where the engine takes threads (an error elsewhere). */
export function engineOptions(engine: EngineName, v: FlagValues, given: Set<string>): EngineOptions {
  const spec = engineSpec(engine);
  if (given.has('threads') && !spec.takesThreads) {
    throw new UserError(`--threads applies to --engine float32; the ${engine} engine computes on one thread`);
  }
  const options: EngineOptions = spec.takesThreads
    ? { threads: given.has('threads') ? v.threads as number : 'auto', cores: availableParallelism(), spawn: spawnNodeWorker }
    : {};
  return options;
}

/**
 * The settings on the road to a Llama, only where they differ from the reference's, so a
 * reference run's config (and checkpoint) reads as it always has.
 */
function architectureFromFlags(v: FlagValues): Partial<ModelConfig> {
  const out: Partial<ModelConfig> = {};
  if (v.pos !== undefined && v.pos !== DEFAULT_MODEL.pos) out.pos = v.pos as ModelConfig['pos'];
  if (out.pos === 'rope' || (v['rope-theta'] !== undefined && v['rope-theta'] !== DEFAULT_MODEL.ropeTheta)) out.ropeTheta = v['rope-theta'] as number;
  if (v['n-kv-head'] !== undefined) out.nKvHead = v['n-kv-head'] as number;
  if (v['mlp-hidden'] !== undefined) out.mlpHidden = v['mlp-hidden'] as number;
  if (v['norm-weight'] === true) out.normWeight = true;
  if (v['tie-embeddings'] === true) out.tieEmbeddings = true;
  if (v['final-norm'] === true) out.finalNorm = true;
  if (v['embed-norm'] === false) out.embedNorm = false;
  return out;
}

/** The model and training settings the flags give. */
export function settingsFromFlags(v: FlagValues): { model: Omit<ModelConfig, 'vocabSize'>; train: TrainConfig } {
  return {
    model: {
      nLayer: v['n-layer'] as number, nEmbd: v['n-embd'] as number, nHead: v['n-head'] as number,
      blockSize: v['block-size'] as number, activation: v.activation as never, norm: v.norm as never, dropout: v.dropout as number,
      initStd: v['init-std'] as number, ...architectureFromFlags(v),
    },
    train: {
      ...DEFAULT_TRAIN,
      steps: v.steps as number, batchSize: v['batch-size'] as number, gradAccum: v['grad-accum'] as number, learningRate: v.lr as number,
      beta1: v.beta1 as number, beta2: v.beta2 as number, schedule: v.schedule as never,
      warmupSteps: v['warmup-steps'] as number, gradClip: v['grad-clip'] as number, weightDecay: v['weight-decay'] as number,
    },
  };
}

/**
 * RunOptions from flag values, every setting checked first (the vocabulary is not known yet,
 * so it is checked as the smallest possible; the data decides the rest).
 */
export function runOptions(v: FlagValues, given: Set<string>): RunOptions {
  const { model, train } = settingsFromFlags(v);
  validateModelConfig({ ...model, vocabSize: 2 });
  validateTrainConfig(train);
  const engine = v.engine as EngineName;
  const spec = engineSpec(engine);
  const why = spec.unavailable();
  if (why) throw new UserError(`${why}; use --engine tensor`);
  const options = engineOptions(engine, v, given);
  checkEngineSettings(spec, { ...model, vocabSize: 2 }, train, given.has('threads') ? options : {});
  return { ...options, engine, seed: v.seed as number, valFraction: v['val-fraction'] as number, model, train, memory: machineMemory() };
}

/** A dataset file read for training or evaluation. */
export interface DataFile {
  path: string;
  text: string; // as the format reads it (line endings normalised for text)
  docs: string[]; // the documents, for 'lines'
  format: DataFormat;
  readonly crc32: string; // of the file's bytes
}

/** Reads `--data` (the bundled names when absent) as documents or as one text. */
export async function readData(path: string | undefined, format: DataFormat, url?: string): Promise<DataFile> {
  const file = path ?? BUNDLED_DATA.names;
  const raw = await readDataset(file, url);
  checkHeap(raw, format, file);
  // computed when asked (a checkpoint records it): the main job never needs it
  let crc: string | undefined;
  const checksum = { get crc32() { return crc ??= crc32(new TextEncoder().encode(raw)).toString(16).padStart(8, '0'); } };
  if (format === 'text') return Object.assign(checksum, { path: file, text: normaliseText(raw), docs: [], format });
  const docs = parseDocuments(raw);
  checkDocuments(docs, file);
  return Object.assign(checksum, { path: file, text: raw, docs, format });
}

/**
 * The JavaScript heap reading a dataset takes, measured on Node 20 (train, 2 steps; a smaller
 * heap aborts the process): a text's ids and windows ~16 bytes per character, a lines file's
 * documents ~44 bytes each (their strings, the shuffled and encoded copies) and 1.9 per character;
 * besides, 80 MiB: the process's own, and the young generation that heap_size_limit includes.
 */
const HEAP_PER_TEXT_CHAR = 16, HEAP_PER_DOCUMENT = 44, HEAP_PER_LINES_CHAR = 1.9, HEAP_BASE = 80 * 2 ** 20;

/** Refuses a dataset the heap cannot hold, which would otherwise end the process in V8's out-of-memory abort. */
function checkHeap(raw: string, format: DataFormat, path: string): void {
  const need = (docs: number) => HEAP_BASE + (format === 'text' ? HEAP_PER_TEXT_CHAR * raw.length : HEAP_PER_LINES_CHAR * raw.length + HEAP_PER_DOCUMENT * docs);
  if (fitsHeap(need((raw.length + 1) / 2))) return; // even a document per two characters fits: no need to count
  let docs = 0; // non-empty lines, the most documents there can be
  for (let i = 0, inLine = false; i < raw.length; i++) {
    const c = raw.charCodeAt(i), newline = c === 10 || c === 13;
    if (!newline && !inLine) docs++;
    inLine = !newline;
  }
  requireHeap(path, `reading it as ${format === 'text' ? 'one text' : `${docs.toLocaleString('en-US')} documents`}`, need(docs));
}

/** A one-line warning when documents are longer than the context (which cuts them silently), or undefined. */
export function cutWarning(run: Run): string | undefined {
  if (run.format !== 'lines') return undefined;
  const { count, total, longest } = documentsCut(run);
  if (count === 0) return undefined;
  const b = run.config.blockSize, unit = run.tokenizer.bpe ? 'tokens' : 'characters';
  // a --block-size past the limit would only be refused in turn
  const fix = longest + 1 <= LIMITS.blockSize ? `--block-size ${longest + 1} fits them all`
    : `the longest (${longest.toLocaleString('en-US')} ${unit}) is more than any --block-size (at most ${LIMITS.blockSize.toLocaleString('en-US')}): --format text reads the file as one text`;
  return `${count} of ${total} documents are longer than the context (block-size ${b}): the model sees only their first ${b} ${unit} and never their end; ${fix}`;
}
