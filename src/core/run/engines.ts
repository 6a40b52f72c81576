// The one registry of engines, keyed by the name checkpoints record and every front end's
// --engine takes. Each entry declares what the engine is (its precision, the settings beyond
// the reference it implements, whether it takes threads, what memory it needs) and builds
// it; asking an engine for something it lacks is a clear error, never a silent fallback.

import { type ModelConfig, type TrainConfig, beyondReference, requireKnownKeys } from '../contract/config.js';
import { type Engine, type EngineName, ENGINE_NAMES, MAX_THREADS, isEngineName } from '../contract/engine.js';
import { UserError, shown } from '../errors.js';
import { createScalarEngine, scalarMemoryBytes } from '../scalar/engine.js';
import { batchDecodeFloats } from '../tensor/decode.js';
import { createTensorEngine, tensorMemoryBytes } from '../tensor/engine.js';
import { type WasmEngineOptions, autoThreads, createWasmEngine, float32MemoryBytes, spawnNeeded } from '../wasm/engine.js';
import { wasmSupport } from '../wasm/kernels.js';
import type { SpawnWorker } from '../wasm/threads.js';

export { MAX_THREADS };

/** Settings beyond the reference model (beyondReference's names); an engine lists those it implements. */
export type EngineFeature = 'relu2' | 'gelu' | 'swiglu' | 'layernorm' | 'dropout' | 'rope' | 'n-kv-head' | 'mlp-hidden'
  | 'norm-weight' | 'tie-embeddings' | 'final-norm' | 'no-embed-norm' | 'grad-clip' | 'weight-decay';

/** How to run an engine, beyond the model and training settings. */
export interface EngineOptions {
  /** Kernel threads, this one included (float32 only); 'auto': what pays off on `cores` cores. */
  threads?: number | 'auto';
  /** Starts a kernel thread (Node: spawnNodeWorker from 'microgpt-ts/node'); needed for threads > 1. */
  spawn?: SpawnWorker;
  /** Cores of the machine, for threads 'auto' (default 1). */
  cores?: number;
  /** The float32 engine's internals, for tests and benchmarks. */
  tuning?: Pick<WasmEngineOptions, 'relaxed' | 'minFlops' | 'minFloats' | 'adaptive' | 'timings'>;
}

export interface EngineSpec {
  readonly name: EngineName;
  readonly dtype: 'float64' | 'float32';
  /** One line for --help and the playground. */
  readonly summary: string;
  readonly features: readonly EngineFeature[];
  readonly takesThreads: boolean;
  /** True when its memory is JavaScript objects (bounded by the heap), false for typed arrays. */
  readonly onHeap: boolean;
  /** The most memory it can address at all, where there is such a bound. */
  readonly maxBytes?: number;
  /** Why it cannot run on this runtime, or undefined when it can. */
  unavailable(): string | undefined;
  /** About how many bytes a run of this shape holds. */
  memoryBytes(config: ModelConfig, train: TrainConfig): number;
  /** The bytes a batch decoder of `slots` sequences and `rows` rows a step adds, where the engine does not bound them itself (float32's WebAssembly memory does). */
  decoderBytes?(config: ModelConfig, slots: number, rows: number): number;
  create(config: ModelConfig, weights: Float64Array, train: TrainConfig, seed: number, options: EngineOptions): Engine;
}

const BEYOND_REFERENCE: readonly EngineFeature[] = ['relu2', 'gelu', 'layernorm', 'dropout', 'grad-clip', 'weight-decay'];
const LLAMA: readonly EngineFeature[] = ['swiglu', 'rope', 'n-kv-head', 'mlp-hidden', 'norm-weight', 'tie-embeddings', 'final-norm', 'no-embed-norm'];

const SPECS: readonly EngineSpec[] = [
  {
    name: 'scalar', dtype: 'float64', summary: 'a Value per number and backward() over the graph: the textbook, exact and slow',
    features: [], takesThreads: false, onHeap: true,
    unavailable: () => undefined,
    memoryBytes: scalarMemoryBytes,
    create: (config, weights, train) => createScalarEngine(config, weights, train),
  },
  {
    name: 'tensor', dtype: 'float64', summary: 'float64 kernels on typed arrays: exact, and the default',
    features: [...BEYOND_REFERENCE, ...LLAMA], takesThreads: false, onHeap: false,
    unavailable: () => undefined,
    memoryBytes: tensorMemoryBytes,
    decoderBytes: (config, slots, rows) => 8 * batchDecodeFloats(config, slots, rows),
    create: (config, weights, train, seed) => createTensorEngine(config, weights, train, seed),
  },
  {
    name: 'float32', dtype: 'float32', summary: 'float32 WebAssembly SIMD kernels, on one or more threads: for larger models',
    features: [...BEYOND_REFERENCE, ...LLAMA], takesThreads: true, onHeap: false, maxBytes: 4 * 2 ** 30,
    unavailable: () => {
      const support = wasmSupport();
      return support.simd ? undefined : `the float32 engine needs WebAssembly SIMD, and ${support.notice}`;
    },
    memoryBytes: float32MemoryBytes,
    create(config, weights, train, seed, options) {
      const threads = options.threads === 'auto' ? autoThreads(config, train, options.cores ?? 1) : options.threads;
      return createWasmEngine(config, weights, train, seed, { ...options.tuning, threads, spawn: options.spawn });
    },
  },
];

/** Every engine, in the order --help lists them. */
export const ENGINES: ReadonlyMap<EngineName, EngineSpec> = new Map(SPECS.map((s) => [s.name, s]));

/** The engine a run uses unless told otherwise. */
export const DEFAULT_ENGINE: EngineName = 'tensor';

/** The entry for `name`; anything else is a UserError listing the engines. */
export function engineSpec(name: unknown): EngineSpec {
  if (!isEngineName(name)) {
    throw new UserError(`unknown engine ${JSON.stringify(name)}; the engines are ${ENGINE_NAMES.join(', ')}`);
  }
  return ENGINES.get(name)!;
}

/** Throws a UserError naming the first setting or option that the engine does not take. */
export function checkEngineSettings(spec: EngineSpec, config: ModelConfig, train: TrainConfig, options: EngineOptions = {}): void {
  const needed = beyondReference(config) as [EngineFeature, string][];
  if (train.gradClip) needed.push(['grad-clip', `grad-clip ${train.gradClip}`]);
  if (train.weightDecay) needed.push(['weight-decay', `weight-decay ${train.weightDecay}`]);
  const missing = needed.filter(([feature]) => !spec.features.includes(feature));
  if (missing.length > 0) {
    const others = SPECS.filter((s) => missing.every(([f]) => s.features.includes(f))).map((s) => s.name);
    const which = others.length > 0 ? ` (the ${others.join(' and ')} engine${others.length > 1 ? 's do' : ' does'})` : '';
    throw new UserError(`${missing.map(([, setting]) => setting).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not supported by the ${spec.name} engine yet${which}`);
  }
  if (options.threads !== undefined && !spec.takesThreads) {
    throw new UserError(`the ${spec.name} engine computes on one thread; threads apply to the float32 engine`);
  }
  const { threads, cores } = options;
  if (threads !== undefined && threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new UserError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${shown(threads)}`);
  }
  if (cores !== undefined && !(Number.isInteger(cores) && cores >= 1)) throw new UserError(`cores must be an integer >= 1, got ${shown(cores)}`);
  if (options.spawn !== undefined && typeof options.spawn !== 'function') {
    throw new UserError(`spawn must be a function that starts a kernel thread, got ${shown(options.spawn)}`);
  }
  if (spec.takesThreads && !options.spawn) { // before any weight is drawn
    const chosen = threads === 'auto' ? autoThreads(config, train, cores ?? 1) : threads ?? 1;
    if (chosen > 1) throw new UserError(`${spawnNeeded(threads === 'auto' ? `'auto' (${chosen} on ${cores} cores, for this model)` : chosen)}, or give threads: 1`);
  }
  if (options.tuning !== undefined) requireKnownKeys('tuning option', options.tuning, ['relaxed', 'minFlops', 'minFloats', 'adaptive', 'timings']);
}

/** What a machine (or a browser tab) can hold, as the front end measures it. */
export interface MemoryLimits {
  bytes: number;      // memory for typed arrays and WebAssembly
  heapBytes: number;  // the JavaScript heap's ceiling
  where: string;      // how to name it in a message, e.g. "this machine's 23.4 GiB"
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GiB`;

/** Throws a UserError when a run of this shape cannot fit, naming the estimate and the limit. */
export function checkMemory(spec: EngineSpec, config: ModelConfig, train: TrainConfig, limits: MemoryLimits): void {
  const l = limits as Partial<MemoryLimits> | null;
  if (typeof l !== 'object' || l === null || !(typeof l.bytes === 'number' && l.bytes > 0) || !(typeof l.heapBytes === 'number' && l.heapBytes > 0) || typeof l.where !== 'string') {
    throw new UserError(`memory must give bytes and heapBytes (numbers > 0) and where (a string), got ${shown(limits)}`);
  }
  const need = spec.memoryBytes(config, train);
  const [limit, what] = spec.maxBytes !== undefined && spec.maxBytes < limits.bytes
    ? [spec.maxBytes, `the ${gib(spec.maxBytes)} a WebAssembly memory can address`]
    : spec.onHeap ? [limits.heapBytes, `the JavaScript heap's ${gib(limits.heapBytes)}`] : [limits.bytes, limits.where];
  if (need > limit) {
    throw new UserError(`this model needs about ${gib(need)} on the ${spec.name} engine, more than ${what}; ` +
      'make it smaller (n-layer, n-embd, block-size, batch-size)');
  }
}

/** No bound but the engine's own: what checkMemory refuses on any machine (float32's addressable 4 GiB). */
export const ANY_MACHINE: MemoryLimits = { bytes: Infinity, heapBytes: Infinity, where: 'any machine' };

/**
 * `allocate()`, with a RangeError from it (a typed array longer than the runtime allows, a
 * WebAssembly memory beyond its pages, an allocation the system refused) as a UserError that
 * names the model's size, instead of the runtime's words for one buffer of it.
 */
export function allocating<T>(spec: EngineSpec, config: ModelConfig, train: TrainConfig, allocate: () => T): T {
  try {
    return allocate();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new UserError(`this model needs about ${gib(spec.memoryBytes(config, train))} on the ${spec.name} engine, and this runtime could not ` +
      `allocate it (${e.message}); make it smaller (n-layer, n-embd, block-size, batch-size)`);
  }
}

/** A batch decoder a server will make: its engine, model, and rows a step for a number of slots. */
export interface DecoderPlan { spec: EngineSpec; config: ModelConfig; rows: (slots: number) => number }

/**
 * Throws a UserError when `slots` sequences decoded together (a server's batch) cannot fit
 * beside the models: each slot holds a key/value cache of every layer over the whole context,
 * so a wide batch of a long-context model asks for more than the model itself. Names how many fit.
 */
export function checkDecoderMemory(decoders: DecoderPlan[], slots: number, limits: MemoryLimits): void {
  const need = (n: number) => decoders.reduce((sum, d) => sum + (d.spec.decoderBytes?.(d.config, n, d.rows(n)) ?? 0), 0);
  if (need(slots) <= limits.bytes) return;
  let fit = 0;
  while (fit < slots && need(fit + 1) <= limits.bytes) fit++;
  throw new UserError(`decoding ${slots} sequences at once needs about ${gib(need(slots))} for their key/value caches, more than ${limits.where}; ` +
    (fit > 0 ? `at most ${fit} fit` : 'not even one fits'));
}
