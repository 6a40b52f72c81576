// The kernels the engine calls, one module. Pointers are byte offsets into the imported
// memory; every buffer is float32 except token ids and targets (i32).

export { peakFlops } from './peak';
export { matmulForward, matmulBackwardInput, matmulBackwardWeight } from './matmul';
export { attentionForward, attentionBackward } from './attention';
export { rmsnormForward, rmsnormBackward, layernormForward, layernormBackward } from './norm';
export { reluForward, reluBackward, relu2Forward, relu2Backward, geluForward, geluBackward } from './activation';
export { crossEntropyForward, crossEntropyBackward } from './loss';
export { embeddingForward, embeddingBackward } from './embedding';
export { residualForward } from './residual';
export { dropoutForward, dropoutBackward } from './dropout';
export { adamUpdate, sumOfSquares, scale } from './adam';
