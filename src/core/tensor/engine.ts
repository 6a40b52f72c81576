// The tensor engine behind the common Engine contract: flat buffers, explicit kernels, Adam
// in place. Same weights and operation order as the scalar engine, so the same losses. It
// also implements the settings beyond the reference (see its entry in run/engines.ts).

import { DEFAULT_SEED, type ModelConfig, type TrainConfig } from '../contract/config.js';
import type { Engine } from '../contract/engine.js';
import { checkWeights, paramCount } from '../contract/params.js';
import { clipGradNorm } from './adam.js';
import { activationFloatsPerRow } from './activations.js';
import { batchDecodeFloats, createBatchDecodeState, decodeBatchStep } from './decode.js';
import { dropoutRng } from './dropout.js';
import { createTensorModel, forwardLoss, lossAndGrad } from './gpt.js';
import { type TensorKernels, TS_KERNELS } from './kernels.js';
import { createWasmKernels } from './wasm-kernels.js';

/**
 * The engine, on the WebAssembly kernels unless `kernels` says otherwise (the TS ones where the
 * runtime has no WebAssembly SIMD: every current browser and Node 20 have it). Both give the same bits.
 */
export function createTensorEngine(config: ModelConfig, weights: Float64Array, train: TrainConfig, seed = DEFAULT_SEED,
                                   kernels: TensorKernels = tensorKernels(config, train)): Engine {
  const model = createTensorModel(config, weights, train.batchSize * config.blockSize, kernels);
  const n = model.params.length;
  const m = kernels.alloc(n), v = kernels.alloc(n); // (numParams,) Adam moments
  const decode = createBatchDecodeState(model, 1); // feed(): one sequence, in slot 0
  const slot0 = kernels.allocInts(1), token = kernels.allocInts(1), position = kernels.allocInts(1); // (1,) in the kernels' memory, as the embedding reads them
  let masks: (() => number) | undefined, maskStep = -1;
  return {
    name: 'tensor',
    config,
    threads: 1,
    backward(batch, step, dloss) {
      // masks depend only on (seed, step), so a resumed run draws the same ones; they run on
      // through the step's micro-batches
      if (config.dropout && step !== maskStep) { masks = dropoutRng(seed, step); maskStep = step; }
      return lossAndGrad(model, batch, dloss, config.dropout ? masks : undefined);
    },
    update(step, lr) {
      if (train.gradClip) clipGradNorm(model.grads, train.gradClip, n);
      kernels.adamUpdate(model.params, model.grads, m, v, train, step, lr, n);
    },
    lossSum: (batch) => forwardLoss(model, batch),
    feed(ids, pos) {
      let logits = decode.acts.logits;
      for (let i = 0; i < ids.length; i++) {
        token[0] = ids[i];
        position[0] = pos + i;
        logits = decodeBatchStep(model, decode, slot0, token, position, 1);
      }
      return logits;
    },
    batchDecoder(slots, rows = slots) {
      const state = createBatchDecodeState(model, slots, rows);
      return { slots, rows, step: (slotIds, tokens, positions, count) => decodeBatchStep(model, state, slotIds, tokens, positions, count) };
    },
    weights: () => model.params.slice(),
    gradients: () => model.grads.slice(),
    optimizerState: () => ({ m: m.slice(), v: v.slice() }),
    load(weights, optimizer) {
      checkWeights(config, weights, optimizer);
      model.params.set(weights);
      model.grads.fill(0);
      if (optimizer) { m.set(optimizer.m); v.set(optimizer.v); }
    },
  };
}

/**
 * About how many bytes a tensor engine holds: weights, gradients, Adam's two moments and a
 * copy in flight (5 x n floats), a pass's activations and their gradients over a step's
 * batchSize x blockSize rows (and the rows' packed token ids, 5 ints or under 3 floats each),
 * the decoder's (blockSize rows and its KV cache) and rope's table.
 */
export function tensorMemoryBytes(config: ModelConfig, train: TrainConfig): number {
  const { nEmbd: C, nHead: NH, blockSize: A } = config, perRow = activationFloatsPerRow(config);
  const decoder = batchDecodeFloats(config, 1);
  const rope = config.pos === 'rope' ? A * (C / NH) : 0; // its cos and sin table
  return 8 * (5 * paramCount(config) + train.batchSize * A * (2 * perRow + 3) + decoder + rope);
}

/** The engine's default kernels: WebAssembly with room for all tensorMemoryBytes counts (and alignment), else TS. */
export function tensorKernels(config: ModelConfig, train: TrainConfig): TensorKernels {
  const floats = tensorMemoryBytes(config, train) / 8 + 64 * (config.nLayer + 2) * 2;
  return createWasmKernels(floats) ?? TS_KERNELS;
}
