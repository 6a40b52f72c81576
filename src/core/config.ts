// The hyperparameters of a run, with the reference's values as defaults. Validation lives
// here so the CLI, the library and the browser reject the same impossible settings.

import { UserError } from './errors.js';

/** The shape of the network; with the vocabulary size it fixes every parameter's shape. */
export interface ModelConfig {
  vocabSize: number;
  nLayer: number;    // transformer blocks
  nEmbd: number;     // width of the residual stream
  nHead: number;     // attention heads; nEmbd must divide evenly
  blockSize: number; // longest context, and rows of the position table
  initStd: number;   // standard deviation of the Gaussian initialisation
}

/** The optimisation of a run: Adam with a learning rate that decays linearly to zero. */
export interface TrainConfig {
  steps: number;
  batchSize: number; // documents per step
  learningRate: number;
  beta1: number;
  beta2: number;
  epsAdam: number;
}

export const DEFAULT_MODEL: Omit<ModelConfig, 'vocabSize'> = {
  nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08,
};

export const DEFAULT_TRAIN: TrainConfig = {
  steps: 1000, batchSize: 1, learningRate: 0.01, beta1: 0.85, beta2: 0.99, epsAdam: 1e-8,
};

export const DEFAULT_SEED = 42;
export const DEFAULT_TEMPERATURE = 0.5;
export const DEFAULT_SAMPLES = 20;

function requireInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

function requireRange(name: string, value: number, lo: number, hi: number, hiOpen = false): void {
  const ok = Number.isFinite(value) && value >= lo && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new UserError(`${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${value}`);
}

/** Throws a UserError naming the first setting that cannot work. */
export function validateModelConfig(c: ModelConfig): void {
  requireInt('vocab size', c.vocabSize, 2);
  requireInt('n-layer', c.nLayer, 1);
  requireInt('n-embd', c.nEmbd, 1);
  requireInt('n-head', c.nHead, 1);
  requireInt('block-size', c.blockSize, 1);
  if (c.nEmbd % c.nHead !== 0) {
    throw new UserError(`n-embd (${c.nEmbd}) must be divisible by n-head (${c.nHead})`);
  }
  if (!(c.initStd >= 0) || !Number.isFinite(c.initStd)) throw new UserError(`init-std must be >= 0, got ${c.initStd}`);
}

export function validateTrainConfig(c: TrainConfig): void {
  requireInt('steps', c.steps, 0);
  requireInt('batch-size', c.batchSize, 1);
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) throw new UserError(`lr must be > 0, got ${c.learningRate}`);
  requireRange('beta1', c.beta1, 0, 1, true);
  requireRange('beta2', c.beta2, 0, 1, true);
  if (!(c.epsAdam > 0)) throw new UserError(`eps must be > 0, got ${c.epsAdam}`);
}

export function validateTemperature(t: number): void {
  if (!(t > 0) || !Number.isFinite(t)) throw new UserError(`temperature must be > 0, got ${t}`);
}
