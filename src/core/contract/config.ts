// The hyperparameters of a run, with the reference's values as defaults. Validation lives
// here so the CLI, the library and the browser reject the same impossible settings.

import { UserError, shown } from '../errors.js';

/** The shape of the network; with the vocabulary size it fixes every parameter's shape. */
export interface ModelConfig {
  vocabSize: number;
  nLayer: number;    // transformer blocks
  nEmbd: number;     // width of the residual stream
  nHead: number;     // attention heads; nEmbd must divide evenly
  blockSize: number; // longest context, and rows of the position table
  initStd: number;   // standard deviation of the Gaussian initialisation
  // Beyond the reference (optional so older configs stay valid; absent means the reference's
  // choice). The scalar engine implements only the reference model.
  activation?: Activation; // of the MLP: relu (reference), relu2 = relu(x)^2, gelu (tanh form), swiglu (gated)
  norm?: Norm;             // rmsnorm (reference, no gain) or layernorm
  dropout?: number;        // probability in [0, 1); 0 (reference) is off
  // The road to a Llama (each optional; absent means the reference's choice).
  pos?: Position;          // learned: a wpe table (reference); rope: rotary embeddings of q and k, no table
  ropeTheta?: number;      // rope's base: pair i of a head turns by pos * theta^(-2i/headDim); 10000
  nKvHead?: number;        // key/value heads, shared by nHead / nKvHead query heads each; nHead (reference)
  mlpHidden?: number;      // the MLP's hidden width; 4 * nEmbd (reference)
  normWeight?: boolean;    // every norm multiplies by a learned gain (initialised to 1); false (reference)
  tieEmbeddings?: boolean; // the head reuses wte (no lm_head matrix); false (reference)
  finalNorm?: boolean;     // a norm before the head; false (reference)
  embedNorm?: boolean;     // a norm of the embeddings before the first block; true (reference)
}

export type Activation = 'relu' | 'relu2' | 'gelu' | 'swiglu';
export type Norm = 'rmsnorm' | 'layernorm';
export type Position = 'learned' | 'rope';
export type Schedule = 'linear' | 'cosine' | 'constant';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'relu2', 'gelu', 'swiglu'];
export const POSITIONS: readonly Position[] = ['learned', 'rope'];
export const NORMS: readonly Norm[] = ['rmsnorm', 'layernorm'];
export const SCHEDULES: readonly Schedule[] = ['linear', 'cosine', 'constant'];

/** The optimisation of a run: Adam with, by default, a learning rate that decays linearly to zero. */
export interface TrainConfig {
  steps: number;
  batchSize: number; // documents per step
  learningRate: number;
  beta1: number;
  beta2: number;
  epsAdam: number;
  // Beyond the reference (optional; absent means the reference's choice).
  schedule?: Schedule;  // how lr moves after warmup: linear to 0 (reference), cosine to 0, constant
  warmupSteps?: number; // lr rises linearly over these first steps; 0 (reference) is none
  gradClip?: number;    // clip the global gradient norm to this; 0 (reference) is off
  weightDecay?: number; // decoupled (AdamW) decay per step, times lr; 0 (reference) is off
  gradAccum?: number;   // micro-batches of batchSize per optimizer step; 1 (reference) is none
}

/** Every setting of each, in the order checkpoints write them; the first six are required. */
export const MODEL_KEYS: readonly string[] = ['vocabSize', 'nLayer', 'nEmbd', 'nHead', 'blockSize', 'initStd', 'activation',
  'norm', 'dropout', 'pos', 'ropeTheta', 'nKvHead', 'mlpHidden', 'normWeight', 'tieEmbeddings', 'finalNorm', 'embedNorm'];
export const TRAIN_KEYS: readonly string[] = ['steps', 'batchSize', 'learningRate', 'beta1', 'beta2', 'epsAdam', 'schedule',
  'warmupSteps', 'gradClip', 'weightDecay', 'gradAccum'];

/**
 * Throws a UserError naming a key of `value` that is not in `keys`: from JavaScript, a
 * misspelt setting (nEmbed for nEmbd) would otherwise leave the default in its place.
 */
export function requireKnownKeys(what: string, value: object, keys: readonly string[]): void {
  const unknown = Object.keys(value).find((key) => !keys.includes(key));
  if (unknown !== undefined) throw new UserError(`unknown ${what} ${JSON.stringify(unknown)}; the ${what}s are ${keys.join(', ')}`);
}

/** The reference's choices; nKvHead and mlpHidden follow from nHead and nEmbd (see below). */
export const DEFAULT_MODEL: Omit<Required<ModelConfig>, 'vocabSize' | 'nKvHead' | 'mlpHidden'> = {
  nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08,
  activation: 'relu', norm: 'rmsnorm', dropout: 0,
  pos: 'learned', ropeTheta: 10000, normWeight: false, tieEmbeddings: false, finalNorm: false, embedNorm: true,
};

/** Key/value heads: nHead unless grouped-query (fewer) or multi-query (one) attention asks. */
export const kvHeads = (c: ModelConfig): number => c.nKvHead ?? c.nHead;
/** The MLP's hidden width: 4 * nEmbd unless set. A swiglu MLP has two matrices of it going in. */
export const mlpHidden = (c: ModelConfig): number => c.mlpHidden ?? 4 * c.nEmbd;
/** Width of a q|k|v row: nHead query heads, then kvHeads key heads and as many value heads. */
export const qkvWidth = (c: ModelConfig): number => c.nEmbd + 2 * kvHeads(c) * (c.nEmbd / c.nHead);

/**
 * The settings of `c` beyond the reference model: a feature name for each (engines list
 * those they implement) and the setting as the flags spell it, for messages.
 */
export function beyondReference(c: ModelConfig): [feature: string, setting: string][] {
  const out: [string, string][] = [];
  if ((c.activation ?? 'relu') !== 'relu') out.push([c.activation!, `activation ${c.activation}`]);
  if ((c.norm ?? 'rmsnorm') !== 'rmsnorm') out.push([c.norm!, `norm ${c.norm}`]);
  if ((c.dropout ?? 0) > 0) out.push(['dropout', `dropout ${c.dropout}`]);
  if ((c.pos ?? 'learned') === 'rope') out.push(['rope', 'pos rope']);
  if (kvHeads(c) !== c.nHead) out.push(['n-kv-head', `n-kv-head ${kvHeads(c)}`]);
  if (mlpHidden(c) !== 4 * c.nEmbd) out.push(['mlp-hidden', `mlp-hidden ${mlpHidden(c)}`]);
  if (c.normWeight) out.push(['norm-weight', 'norm-weight']);
  if (c.tieEmbeddings) out.push(['tie-embeddings', 'tie-embeddings']);
  if (c.finalNorm) out.push(['final-norm', 'final-norm']);
  if (c.embedNorm === false) out.push(['no-embed-norm', 'embed-norm false']);
  return out;
}

export const DEFAULT_TRAIN: Required<TrainConfig> = {
  steps: 1000, batchSize: 1, learningRate: 0.01, beta1: 0.85, beta2: 0.99, epsAdam: 1e-8,
  schedule: 'linear', warmupSteps: 0, gradClip: 0, weightDecay: 0, gradAccum: 1,
};

export const DEFAULT_SEED = 42;
export const DEFAULT_TEMPERATURE = 0.5;
export const DEFAULT_SAMPLES = 20;

function requireInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max.toLocaleString('en-US')}`;
    throw new UserError(`${name} must be an integer ${range}, got ${shown(value)}`);
  }
}

// Upper bounds far beyond anything this project trains, so that an absurd setting (a typo,
// an edited checkpoint) is one clear message instead of a loop or an allocation that never
// ends; whether a run within them fits the machine is the memory estimate's question.
export const LIMITS = {
  vocabSize: 0x110000 + 1, // every Unicode code point, plus BOS
  nLayer: 1024,
  nEmbd: 65536,
  blockSize: 1 << 20,
  batchSize: 1 << 20,
  gradAccum: 1 << 20,
} as const;

function requireRange(name: string, value: number, lo: number, hi: number, hiOpen = false): void {
  const ok = Number.isFinite(value) && value >= lo && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new UserError(`${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${shown(value)}`);
}

function requireChoice(name: string, value: string | undefined, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value)) {
    throw new UserError(`${name} must be one of ${choices.join(', ')}; got '${value}'`);
  }
}

/** Throws a UserError naming the first setting that cannot work. */
export function validateModelConfig(c: ModelConfig): void {
  requireInt('vocab size', c.vocabSize, 2, LIMITS.vocabSize);
  requireInt('n-layer', c.nLayer, 1, LIMITS.nLayer);
  requireInt('n-embd', c.nEmbd, 1, LIMITS.nEmbd);
  requireInt('n-head', c.nHead, 1, LIMITS.nEmbd);
  requireInt('block-size', c.blockSize, 1, LIMITS.blockSize);
  if (c.nEmbd % c.nHead !== 0) {
    throw new UserError(`n-embd (${c.nEmbd}) must be divisible by n-head (${c.nHead})`);
  }
  if (!(c.initStd >= 0) || !Number.isFinite(c.initStd)) throw new UserError(`init-std must be >= 0, got ${shown(c.initStd)}`);
  requireChoice('activation', c.activation, ACTIVATIONS);
  requireChoice('norm', c.norm, NORMS);
  if (c.dropout !== undefined) requireRange('dropout', c.dropout, 0, 1, true);
  requireChoice('pos', c.pos, POSITIONS);
  if (c.ropeTheta !== undefined && !(typeof c.ropeTheta === 'number' && c.ropeTheta > 1 && Number.isFinite(c.ropeTheta))) {
    throw new UserError(`rope-theta must be > 1, got ${shown(c.ropeTheta)}`);
  }
  if (c.pos === 'rope' && (c.nEmbd / c.nHead) % 2 !== 0) {
    throw new UserError(`rope turns pairs of a head's dimensions: n-embd / n-head (${c.nEmbd / c.nHead}) must be even`);
  }
  if (c.nKvHead !== undefined) {
    requireInt('n-kv-head', c.nKvHead, 1, c.nHead);
    if (c.nHead % c.nKvHead !== 0) throw new UserError(`n-head (${c.nHead}) must be divisible by n-kv-head (${c.nKvHead})`);
  }
  if (c.mlpHidden !== undefined) requireInt('mlp-hidden', c.mlpHidden, 1, LIMITS.nEmbd * 8);
  for (const key of ['normWeight', 'tieEmbeddings', 'finalNorm', 'embedNorm'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') throw new UserError(`${key} must be true or false, got ${shown(c[key])}`);
  }
}

export function validateTrainConfig(c: TrainConfig): void {
  requireInt('steps', c.steps, 0);
  requireInt('batch-size', c.batchSize, 1, LIMITS.batchSize);
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) throw new UserError(`lr must be > 0, got ${shown(c.learningRate)}`);
  requireRange('beta1', c.beta1, 0, 1, true);
  requireRange('beta2', c.beta2, 0, 1, true);
  if (!(c.epsAdam > 0) || !Number.isFinite(c.epsAdam)) throw new UserError(`eps must be > 0, got ${shown(c.epsAdam)}`);
  if (c.gradAccum !== undefined) requireInt('grad-accum', c.gradAccum, 1, LIMITS.gradAccum);
  requireChoice('schedule', c.schedule, SCHEDULES);
  if (c.warmupSteps !== undefined) {
    requireInt('warmup-steps', c.warmupSteps, 0);
    if (c.warmupSteps > 0 && c.warmupSteps >= c.steps) {
      throw new UserError(`warmup-steps (${c.warmupSteps}) must be less than steps (${c.steps})`);
    }
  }
  if (c.gradClip !== undefined && !(c.gradClip >= 0 && Number.isFinite(c.gradClip))) {
    throw new UserError(`grad-clip must be >= 0 (0 is off), got ${shown(c.gradClip)}`);
  }
  if (c.weightDecay !== undefined && !(c.weightDecay >= 0 && Number.isFinite(c.weightDecay))) {
    throw new UserError(`weight-decay must be >= 0, got ${shown(c.weightDecay)}`);
  }
}

export function validateTemperature(t: number): void {
  if (!(t > 0) || !Number.isFinite(t)) throw new UserError(`temperature must be > 0, got ${shown(t)}`);
}
