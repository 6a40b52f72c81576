// The messages between the page and the training worker. The worker owns the run; the page
// only ever sees numbers, strings and weight snapshots, so it never blocks on training.

import type { EngineName, ModelConfig, TrainConfig } from '../../src/core/index.js';
import type { FlowStats } from '../../src/core/run/gradient-flow.js';
import type { DataSource } from './model-file.js';
import type { TokenView } from './tokens.js';

/** Characters (the reference's tokenizer), or byte-pair tokens learned from the text. */
export type TokenizerChoice = { kind: 'char' } | { kind: 'bpe'; vocabSize: number };

/** Everything needed to start a run, as the form describes it. */
export interface RunSettings {
  seed: number;
  engine: EngineName;
  validation: boolean; // hold out the last 10% of the shuffled documents
  tokenizer: TokenizerChoice;
  model: Omit<ModelConfig, 'vocabSize' | 'initStd'>;
  train: Omit<TrainConfig, 'epsAdam'>;
}

export interface SampleRequest {
  id: number;
  count: number;
  temperature: number;
  topK?: number;
  prompt: string;    // characters to start from, after BOS
  maxTokens?: number; // new characters at most; default: to the end of the context
}

export type ToWorker =
  | { type: 'init'; settings: RunSettings; data: DataSource }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'sample'; request: SampleRequest }
  | { type: 'snapshot'; moments: number[] } // moments: layout indices whose Adam moments to send along
  | { type: 'save'; base: string }
  | { type: 'load'; json: string; weights: Uint8Array; data: DataSource }; // data: to continue on

/** What the page shows about a run once it exists. */
export interface RunInfo {
  engine: EngineName;
  threads: number; // the engine computes on this many threads
  config: ModelConfig;
  train: TrainConfig;
  seed: number;
  chars: string[];     // a label per token id below BOS: its character, or a BPE token's text
  bpeModel?: string;   // the BPE tokenizer's .model text, for encoding on the page
  memoryBytes: number; // the engine's estimate for this model and batch
  numDocs: number;
  numValDocs: number;
  textTokens?: [train: number, heldOut: number]; // a model of one continuous text (--format text) trains on windows of these
  cut: { count: number; total: number; longest: number }; // documents longer than the context, of all, and the longest's tokens
  numParams: number;
  step: number;
  loaded: boolean; // restored from a file rather than created from the form
  note: string;    // what the visitor should know about this run, or ''
}

export interface Progress {
  step: number;
  steps: number;
  losses: number[];           // the training loss of every step since the last message
  val: [number, number][];    // [step, mean loss over held-out documents]
  stepsPerSec: number;
  tokensPerSec: number;
  preview?: string[];         // fresh samples from a separate random stream
  flow: [number, FlowStats][]; // [step, gradient flow] of the steps measured since the last message
}

export interface Snapshot {
  step: number;
  config: ModelConfig;
  chars: string[];     // as RunInfo's
  bpeModel?: string;
  weights: Float64Array; // (numParams,) layout order
  moments: { at: number[]; m: number[]; v: number[] }; // Adam's moments of the weights asked for, as the run has them
}

export type FromWorker =
  | { type: 'engines'; names: EngineName[] } // sent once at start: the engines this browser runs
  | { type: 'ready'; info: RunInfo }
  | { type: 'tokens'; view: TokenView | null } // null: a character tokenizer
  | { type: 'progress'; progress: Progress }
  | { type: 'status'; status: 'training' | 'paused' | 'done' }
  | { type: 'sample'; id: number; text: string }
  | { type: 'sampleEnd'; id: number }
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'saved'; base: string; json: string; weights: Uint8Array }
  | { type: 'error'; context: 'init' | 'train' | 'sample' | 'load' | 'save'; message: string; diverged?: boolean }; // diverged: the run cannot train further
