// The kernels the engine calls, one module. Pointers are byte offsets into the imported
// memory; every buffer is float32 except token ids and targets (i32).
//
// Backward kernels either write their gradient or add to it, chosen so that a step zeroes
// almost nothing (the tensor engine's kernels all add, after a zeroing pass):
// - write: matmulBackwardInput, matmulBackwardWeight, attentionBackward (dqkv and datt),
//   crossEntropyBackward, the activations' and dropout's backward (in place allowed);
// - add: rmsnormBackward and layernormBackward (dinp is the residual stream's gradient,
//   which already holds the skip connection's share), embeddingBackward (a token or
//   position may repeat, so its rows sum; the engine zeroes dwte and dwpe first).

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
