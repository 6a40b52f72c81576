// The kernels a tensor model runs where the time goes, as one set chosen when the model is
// made: the TypeScript ones (the readable version, and the reference in tests) or their
// WebAssembly twins (wasm-kernels.ts), which compute the same bits. The set also allocates
// the buffers, since the WebAssembly kernels reach only their own memory.

import { adamUpdate } from './adam.js';
import { matmulBackward, matmulForward } from './matmul.js';

export interface TensorKernels {
  name: 'typescript' | 'wasm';
  /** A zeroed buffer of `length` floats. */
  alloc(length: number): Float64Array;
  matmulForward: typeof matmulForward;
  matmulBackward: typeof matmulBackward;
  adamUpdate: typeof adamUpdate;
}

export const TS_KERNELS: TensorKernels = {
  name: 'typescript', alloc: (length) => new Float64Array(length), matmulForward, matmulBackward, adamUpdate,
};
