// The kernels a tensor model runs where the time goes, as one set chosen when the model is
// made: the TypeScript ones (the readable version, and the reference in tests) or their
// WebAssembly twins (wasm-kernels.ts), which compute the same bits. The set also allocates
// the buffers, since the WebAssembly kernels reach only their own memory.

import { adamUpdate } from './adam.js';
import { attentionBackward, attentionForward } from './attention.js';
import { crossentropyBackward, crossentropyForward } from './crossentropy.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { matmulBackward, matmulForward } from './matmul.js';
import { reluBackward, reluForward, residualBackward, residualForward } from './pointwise.js';
import { rmsnormBackward, rmsnormForward } from './rmsnorm.js';

export interface TensorKernels {
  name: 'typescript' | 'wasm';
  /** A zeroed buffer of `length` floats. */
  alloc(length: number): Float64Array;
  /** A zeroed buffer of `length` 32-bit integers (token ids, for the loss). */
  allocInts(length: number): Int32Array;
  matmulForward: typeof matmulForward;
  matmulBackward: typeof matmulBackward;
  adamUpdate: typeof adamUpdate;
  // the ones that call exp, log and pow: cold JavaScript boxes every float they make, and a
  // one-shot run of 1,000 small steps spends much of its time there
  crossentropyForward: typeof crossentropyForward;
  attentionForward: typeof attentionForward;
  attentionBackward: typeof attentionBackward;
  rmsnormForward: typeof rmsnormForward;
  rmsnormBackward: typeof rmsnormBackward;
  // and the rest of a reference step's float loops, so that none of it runs cold in JavaScript
  crossentropyBackward: typeof crossentropyBackward;
  embeddingForward: typeof embeddingForward;
  embeddingBackward: typeof embeddingBackward;
  reluForward: typeof reluForward;
  reluBackward: typeof reluBackward;
  residualForward: typeof residualForward;
  residualBackward: typeof residualBackward;
}

export const TS_KERNELS: TensorKernels = {
  name: 'typescript', alloc: (length) => new Float64Array(length), allocInts: (length) => new Int32Array(length),
  matmulForward, matmulBackward, adamUpdate, crossentropyForward, attentionForward, attentionBackward, rmsnormForward, rmsnormBackward,
  crossentropyBackward, embeddingForward, embeddingBackward, reluForward, reluBackward, residualForward, residualBackward,
};
