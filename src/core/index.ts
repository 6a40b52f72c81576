// The library's public surface: the same pieces the CLI and the browser playground use.

export { PyRandom, type RandomState } from './contract/random.js';
export { parseDocuments, pyStrip, checkDocuments } from './data/documents.js';
export { decodeDataset } from './data/decode.js';
export { type Tokenizer, buildTokenizer, tokenizerFromChars, tokenizerFromBpe, encode, encodeDocument, decode, charactersIn } from './contract/tokenizer.js';
export { type BpeTokenizer, type Merge, type SpecialPolicy, MAX_BPE_VOCAB, createBpeTokenizer, encodeBpe, decodeBpe, decodeBpeBytes } from './bpe/bpe-tokenizer.js';
export { type BpeTraining, type TrainBpeOptions, trainBpe } from './bpe/train.js';
export { formatModelFile, parseModelFile, formatVocabFile, renderToken } from './bpe/model-file.js';
export { type SplitPatternName, SPLIT_PATTERN_NAMES, splitChunks } from './bpe/split-patterns.js';
export { tokenizerFromRanks } from './bpe/tiktoken-ranks.js';
export { type ModelConfig, type TrainConfig, DEFAULT_MODEL, DEFAULT_TRAIN, DEFAULT_SEED, DEFAULT_TEMPERATURE,
  DEFAULT_SAMPLES, validateModelConfig, validateTrainConfig } from './contract/config.js';
export { type Activation, type Norm, type Schedule, ACTIVATIONS, NORMS, SCHEDULES } from './contract/config.js';
export { type ParamSpec, paramLayout, paramCount, initParams, paramViews } from './contract/params.js';
export { type Batch, type Sequences, type Engine, type EngineName, type OptimizerState, ENGINE_NAMES, LOSS_LIMIT, isEngineName, lazySequences,
  predictedTokens, batchTokens } from './contract/engine.js';
export { type EngineFeature, type EngineOptions, type EngineSpec, type MemoryLimits, ENGINES, DEFAULT_ENGINE, MAX_THREADS,
  engineSpec, checkEngineSettings, checkMemory } from './run/engines.js';
export { drawToken, applyTopK } from './contract/sampling.js';
export { Value, sum } from './scalar/value.js';
export { type ScalarModel, createScalarModel, gptForward, softmax, rmsnorm, linear, emptyCache } from './scalar/gpt.js';
export { createScalarEngine } from './scalar/engine.js';
export { adamStep, createAdamState, type AdamState } from './scalar/adam.js';
export { createTensorEngine } from './tensor/engine.js';
export { type TensorModel, createTensorModel, lossAndGrad, forwardLoss } from './tensor/gpt.js';
export { type WasmEngine, type WasmEngineOptions, createWasmEngine, autoThreads } from './wasm/engine.js';
export { type WasmSupport, wasmSupport } from './wasm/kernels.js';
export { type SpawnWorker, type WorkerPort } from './wasm/threads.js';
export { serveKernels } from './wasm/worker.js';
export { linearDecay, cosineDecay, scheduledLearningRate, learningRateAt } from './contract/schedule.js';
export { type Run, type RunOptions, type ReopenOptions, createRun, createTextRun, nextBatches, runCheckpoint, runFromCheckpoint,
  resumeOptions, resumeRun, documentsCut, checkpointTokenizer } from './run/run.js';
export { type StepInfo, type LoopOptions, type LoopEvent, type LoopEnd, trainStep, trainingLoop, train } from './run/loop.js';
export { type FlowStats, type TensorFlow, type DeadUnits, gradientFlow } from './run/gradient-flow.js';
export { type GenerateOptions, type SampleOptions, generate, sample, sampleText, validateSampleOptions, validateSampleCount, MAX_SAMPLES, MAX_NEW_TOKENS } from './run/generate.js';
export { EVAL_CHUNK, validationSequences, documentSequences, meanLoss, meanLossSteps, validationLoss, predictedCharacters,
  bitsPerCharacter } from './run/evaluate.js';
export { type DataFormat, type TextSplit, normaliseText, splitText, randomWindows, evalWindows } from './data/text.js';
export { type Tensor, encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors.js';
export { crc32 } from './checkpoint/bytes.js';
export { type Checkpoint, type DataInfo, CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
  encodeCheckpoint, parseCheckpointJson, decodeCheckpoint, weightsForConfig } from './checkpoint/checkpoint.js';
export { type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxAttribute, type OnnxValueInfo } from './export/onnx-ir.js';
export { ONNX_OPSET, buildOnnxGraph } from './export/onnx-graph.js';
export { UserError, DivergenceError, KernelThreadError } from './errors.js';
